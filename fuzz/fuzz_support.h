// Shared by the fuzz targets.
#pragma once

#include <cstdio>
#include <cstdlib>

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

}  // namespace ferry
