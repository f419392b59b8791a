#include "src/base/text.h"

#include <cstdint>

#include "src/base/utf8.h"

namespace ferry {
namespace {

void AppendHexByte(std::string* out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("\\x");
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 0xf]);
}

bool IsBidiControl(uint32_t cp) {
  return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string EscapeForDisplay(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      AppendHexByte(&out, static_cast<unsigned char>(text[i]));
      i += 1;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      // C1 controls arrive as two UTF-8 bytes; escape the code point itself.
      AppendHexByte(&out, static_cast<unsigned char>(cp));
    } else if (IsBidiControl(cp)) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("\\u{");
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(cp >> shift) & 0xf]);
      out.push_back('}');
    } else if (cp == '\\') {
      out.append("\\\\");
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

std::string QuoteForDisplay(std::string_view text) {
  std::string escaped = EscapeForDisplay(text);
  if (!escaped.empty() && escaped.find_first_of(" \"'") == std::string::npos) return escaped;
  std::string out = "\"";
  for (char c : escaped) {
    if (c == '"') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace ferry
