// JSON text for output read by programs: ferry --json and ferryd --log-format
// json write one object per line, built with JsonObject.
//
// Strings. JSON text must be UTF-8, but names on disk and on the wire need not
// be (a local file name is any bytes). JsonString writes each byte that is not
// part of valid UTF-8 as U+FFFD, so every line parses; JsonObject::Add also
// writes, after such a string member "x", a member "x_hex" holding the exact
// bytes in lowercase hex, so a reader can tell the names apart and recover them.
// "x_hex" is absent whenever "x" is valid UTF-8, so its presence is the flag.
// '"', '\', the C0 and C1 controls, DEL, U+2028, U+2029 and the Unicode
// bidirectional controls are escaped (\n, \u001b, \u202e ...), so a line shown
// on a terminal cannot move the cursor or reorder text; they decode to the
// same characters. Nothing else is escaped.
//
// Numbers. Integers are written exactly, all 64 bits. Readers that hold numbers
// as IEEE doubles (JavaScript, jq before 1.7) round integers above 2^53; ferry's
// output gives every value that can exceed that (nanosecond times) also as text.
#pragma once

#include <concepts>
#include <string>
#include <string_view>

namespace ferry {

// `text` as a JSON string literal, quotes included; see above.
std::string JsonString(std::string_view text);

// True if every byte of `text` belongs to a valid UTF-8 sequence.
bool IsValidUtf8(std::string_view text);

// `bytes` in lowercase hex, two digits per byte.
std::string HexBytes(std::string_view bytes);

class JsonArray;

// One JSON object, its members in the order they are added. Each Add appends a
// member; a name added twice is a caller's mistake the writer does not check.
class JsonObject {
 public:
  JsonObject& Add(std::string_view name, std::string_view value);
  JsonObject& Add(std::string_view name, const std::string& value) {
    return Add(name, std::string_view(value));
  }
  JsonObject& Add(std::string_view name, const char* value) {
    return Add(name, std::string_view(value));
  }
  JsonObject& Add(std::string_view name, bool value) {
    return AddJson(name, value ? "true" : "false");
  }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonObject& Add(std::string_view name, T value) {
    return AddJson(name, std::to_string(value));
  }
  // Shortest form that reads back the same; NaN and infinities become null.
  JsonObject& Add(std::string_view name, double value);
  JsonObject& Add(std::string_view name, const JsonObject& value);
  JsonObject& Add(std::string_view name, const JsonArray& value);
  JsonObject& AddNull(std::string_view name) { return AddJson(name, "null"); }
  // `json` must already be one valid JSON value.
  JsonObject& AddJson(std::string_view name, std::string_view json);
  // Appends all of `other`'s members.
  JsonObject& Merge(const JsonObject& other);

  bool empty() const { return members_.empty(); }
  // "{...}" on one line.
  std::string ToString() const { return "{" + members_ + "}"; }

 private:
  std::string members_;  // "\"a\":1,\"b\":true"
};

// One JSON array. Strings are written with JsonString (no "_hex" companion:
// use an array of objects for names that may not be UTF-8).
class JsonArray {
 public:
  JsonArray& Add(std::string_view value) { return AddJson(JsonString(value)); }
  JsonArray& Add(const std::string& value) { return Add(std::string_view(value)); }
  JsonArray& Add(const char* value) { return Add(std::string_view(value)); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) JsonArray& Add(T value) {
    return AddJson(std::to_string(value));
  }
  JsonArray& Add(const JsonObject& value) { return AddJson(value.ToString()); }
  JsonArray& AddJson(std::string_view json);

  bool empty() const { return elements_.empty(); }
  std::string ToString() const { return "[" + elements_ + "]"; }

 private:
  std::string elements_;
};

}  // namespace ferry
