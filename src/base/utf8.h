// Strict UTF-8 decoding, shared by the path rules and display escaping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferry {

// Decodes the sequence starting at text[i] into *code_point and returns its
// length in bytes, or 0 if it is not the shortest-form encoding of a Unicode
// scalar value (overlong forms, surrogates, values above U+10FFFF and truncated
// sequences are all invalid).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* code_point);

}  // namespace ferry
