// Shared by the fuzz targets.
#pragma once

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>

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

// Protobuf logs every string field with invalid UTF-8 it refuses to parse. Random
// inputs hit that constantly; the log says nothing the fuzzer needs and costs
// time. Call at the top of LLVMFuzzerTestOneInput.
inline void SilenceProtobufLogs() {
  static const bool silenced = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)silenced;
}

}  // namespace ferry
