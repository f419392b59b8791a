// Shared by the fuzz targets.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "src/codec/protobuf_logging.h"

// An invariant a fuzz target asserts about the code under test. A violation
// prints what failed and aborts, which libFuzzer reports as a crash (saving the
// input) and which fails the corpus replay under ctest. Unlike assert() it never
// compiles away.
#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace ferry {

// Random inputs hit protobuf's invalid-UTF-8 log constantly; it says nothing the
// fuzzer needs and costs time. Call at the top of LLVMFuzzerTestOneInput.
inline void SilenceProtobufLogs() {
  static const bool silenced = [] {
    SilenceProtobufLogging();
    return true;
  }();
  (void)silenced;
}

// The targets that replay a transcript through a memory stream spend the first
// input byte on how to replay it: its low four bits are the most bytes one read
// returns (0: no limit), so the same transcript is also fed in pieces; its high
// bits are the target's own flags. nullopt for an empty input.
struct ScriptedInput {
  uint8_t mode = 0;
  size_t max_read = SIZE_MAX;
  std::string script;  // the rest of the input
};
inline std::optional<ScriptedInput> SplitModeByte(const uint8_t* data, size_t size) {
  if (size == 0) return std::nullopt;
  ScriptedInput input;
  input.mode = data[0];
  input.max_read = (input.mode & 0x0F) == 0 ? SIZE_MAX : (input.mode & 0x0F);
  input.script.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  return input;
}

// The input of a structure-aware target, read one decision at a time. Past the
// end it reads as zeros, so every prefix of an input decodes to a valid (shorter)
// run and libFuzzer's mutations rarely waste an execution.
class FuzzReader {
 public:
  FuzzReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return at_ == size_; }
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  // A little-endian 16-bit value.
  uint16_t Uint16() {
    const uint16_t low = Byte();
    return static_cast<uint16_t>(low | (Byte() << 8));
  }
  // Up to `n` raw bytes (fewer at the end of the input).
  std::string Bytes(size_t n) {
    n = std::min(n, size_ - at_);
    std::string out(reinterpret_cast<const char*>(data_) + at_, n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

}  // namespace ferry
