// A strict reader for the one-object-per-line JSON that ferry writes, for
// tests: the whole RFC 8259 grammar is checked (strings must be UTF-8 with only
// legal escapes, no trailing commas, nothing after the value), and the members
// come back as a tree so tests can check them field by field.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::testing {

struct JsonMember {
  enum class Kind { kString, kNumber, kBool, kNull, kObject, kArray } kind;
  std::string text;  // a string's decoded value, or the literal text of anything else
  std::map<std::string, JsonMember> members;  // an object's members
  std::vector<JsonMember> elements;           // an array's elements
};

// Parses `line` as exactly one JSON object. Returns false, with the reason in
// *error, if it is not valid JSON, not an object, or repeats a member name.
bool ParseJsonObject(std::string_view line, std::map<std::string, JsonMember>* members,
                     std::string* error);

}  // namespace ferry::testing
