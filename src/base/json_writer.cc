#include "src/base/json_writer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "src/base/utf8.h"

namespace ferry {
namespace {

// Characters JSON allows raw but that should not reach a terminal or a
// JavaScript reader as they are: C1 controls, the line and paragraph
// separators, and the bidirectional controls (text.h's list).
bool NeedsEscape(uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) || code_point == 0x2028 ||
         code_point == 0x2029 || (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

}  // namespace

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      uint32_t code_point = 0;
      const size_t length = DecodeUtf8(text, i, &code_point);
      if (length == 0) {
        // Not UTF-8: JSON text must be, so the byte becomes U+FFFD.
        out += "\\ufffd";
        ++i;
      } else if (NeedsEscape(code_point)) {
        char escape[8];
        std::snprintf(escape, sizeof(escape), "\\u%04x", code_point);
        out += escape;
        i += length;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", byte);
          out += escape;
        } else {
          out += static_cast<char>(byte);
        }
    }
    ++i;
  }
  return out + "\"";
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t code_point = 0;
    const size_t length = DecodeUtf8(text, i, &code_point);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string HexBytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const unsigned char byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xf];
  }
  return out;
}

JsonObject& JsonObject::Add(std::string_view name, std::string_view value) {
  AddJson(name, JsonString(value));
  if (!IsValidUtf8(value)) AddJson(std::string(name) + "_hex", JsonString(HexBytes(value)));
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, double value) {
  if (!std::isfinite(value)) return AddNull(name);
  // 17 significant digits always read back as the same double; fewer usually do.
  char text[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(text, sizeof(text), "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return AddJson(name, text);
}

JsonObject& JsonObject::Add(std::string_view name, const JsonObject& value) {
  return AddJson(name, value.ToString());
}

JsonObject& JsonObject::Add(std::string_view name, const JsonArray& value) {
  return AddJson(name, value.ToString());
}

JsonObject& JsonObject::AddJson(std::string_view name, std::string_view json) {
  if (!members_.empty()) members_ += ',';
  members_ += JsonString(name);
  members_ += ':';
  members_ += json;
  return *this;
}

JsonObject& JsonObject::Merge(const JsonObject& other) {
  if (other.members_.empty()) return *this;
  if (!members_.empty()) members_ += ',';
  members_ += other.members_;
  return *this;
}

JsonArray& JsonArray::AddJson(std::string_view json) {
  if (!elements_.empty()) elements_ += ',';
  elements_ += json;
  return *this;
}

}  // namespace ferry
