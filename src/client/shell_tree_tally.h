// What a transfer of several files or of whole trees did, for its summary line:
// shared by the recursive transfers and the pipelined many-file upload.
#pragma once

#include <cstdint>

#include "src/base/status.h"
#include "src/client/shell.h"

namespace ferry {

struct Shell::TreeTally {
  uint64_t files = 0;  // copied
  uint64_t bytes = 0;  // in the files copied
  uint64_t failed = 0;
  Status first_failure;

  void Fail(const Status& status) {
    ++failed;
    if (first_failure.ok()) first_failure = status;
  }
};

}  // namespace ferry
