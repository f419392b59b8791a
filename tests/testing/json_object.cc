#include "tests/testing/json_object.h"

#include <cstdint>
#include <utility>

#include "src/base/utf8.h"

namespace ferry::testing {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool Fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at byte " + std::to_string(at_);
    return false;
  }
  const std::string& error() const { return error_; }
  bool AtEnd() {
    SkipSpace();
    return at_ == text_.size();
  }

  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  bool Take(char c) {
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  bool Value(JsonMember* out) {
    SkipSpace();
    if (at_ >= text_.size()) return Fail("value expected");
    const size_t start = at_;
    const char c = text_[at_];
    bool ok = false;
    if (c == '"') {
      out->kind = JsonMember::Kind::kString;
      return String(&out->text);
    } else if (c == '{') {
      out->kind = JsonMember::Kind::kObject;
      ok = Object(&out->members);
    } else if (c == '[') {
      out->kind = JsonMember::Kind::kArray;
      ok = Array(&out->elements);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      out->kind = JsonMember::Kind::kNumber;
      ok = Number();
    } else if (Literal("true") || Literal("false")) {
      out->kind = JsonMember::Kind::kBool;
      ok = true;
    } else if (Literal("null")) {
      out->kind = JsonMember::Kind::kNull;
      ok = true;
    } else {
      return Fail("unexpected character");
    }
    out->text = std::string(text_.substr(start, at_ - start));
    return ok;
  }

  bool Object(std::map<std::string, JsonMember>* members) {
    if (!Take('{')) return Fail("'{' expected");
    if (Take('}')) return true;
    do {
      SkipSpace();
      std::string name;
      if (!String(&name)) return false;
      if (!Take(':')) return Fail("':' expected");
      JsonMember value;
      if (!Value(&value)) return false;
      if (!members->emplace(name, std::move(value)).second) {
        return Fail("member \"" + name + "\" repeated");
      }
    } while (Take(','));
    return Take('}') || Fail("'}' or ',' expected");
  }

 private:
  bool Literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  bool Array(std::vector<JsonMember>* elements) {
    if (!Take('[')) return Fail("'[' expected");
    if (Take(']')) return true;
    do {
      JsonMember element;
      if (!Value(&element)) return false;
      elements->push_back(std::move(element));
    } while (Take(','));
    return Take(']') || Fail("']' or ',' expected");
  }

  bool Digits() {
    const size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

  bool Number() {
    if (text_[at_] == '-') ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
      ++at_;
    } else if (!Digits()) {
      return Fail("digit expected");
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (!Digits()) return Fail("digit expected after '.'");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (!Digits()) return Fail("digit expected in exponent");
    }
    return true;
  }

  bool Hex4(uint32_t* value) {
    *value = 0;
    for (int i = 0; i < 4; ++i, ++at_) {
      if (at_ >= text_.size()) return Fail("truncated \\u escape");
      const char c = text_[at_];
      *value <<= 4;
      if (c >= '0' && c <= '9') {
        *value |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        *value |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        *value |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("bad hex digit in \\u escape");
      }
    }
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool String(std::string* out) {
    if (at_ >= text_.size() || text_[at_] != '"') return Fail("string expected");
    ++at_;
    out->clear();
    while (true) {
      if (at_ >= text_.size()) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c < 0x20) return Fail("raw control character in string");
      if (c >= 0x80) {
        uint32_t cp = 0;
        const size_t length = DecodeUtf8(text_, at_, &cp);
        if (length == 0) return Fail("invalid UTF-8 in string");
        out->append(text_.substr(at_, length));
        at_ += length;
        continue;
      }
      ++at_;
      if (c != '\\') {
        *out += static_cast<char>(c);
        continue;
      }
      if (at_ >= text_.size()) return Fail("truncated escape");
      const char e = text_[at_++];
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low = 0;
            if (text_.substr(at_, 2) != "\\u") return Fail("lone high surrogate");
            at_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xDC00 || low >= 0xE000) return Fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Fail("lone low surrogate");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("unknown escape");
      }
    }
  }

  std::string_view text_;
  size_t at_ = 0;
  std::string error_;
};

}  // namespace

bool ParseJsonObject(std::string_view line, std::map<std::string, JsonMember>* members,
                     std::string* error) {
  Reader reader(line);
  members->clear();
  reader.SkipSpace();
  if (!reader.Object(members) || (!reader.AtEnd() && !reader.Fail("text after the object"))) {
    *error = reader.error();
    return false;
  }
  return true;
}

}  // namespace ferry::testing
