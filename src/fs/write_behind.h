// WriteBehind: starts an upload's write-back while its bytes are still arriving,
// so the disk works during the transfer rather than after it and the commit's
// fsync finds little left to do (R-UPLOAD-11 still decides durability: the fsync
// always runs). It also bounds how much of one upload sits dirty in the page
// cache: at most two windows.
#pragma once

#include <cstdint>

#include "src/base/status.h"

namespace ferry {

class WriteBehind {
 public:
  static constexpr uint64_t kWindowBytes = uint64_t{8} << 20;

  // Call after `bytes` more were written at the end of the file `fd`. Each time
  // a window fills, its write-back starts and the previous window's is waited
  // for. An I/O error here is the upload's error: once the kernel has reported
  // it, a later fsync on this file may not report it again.
  Status Wrote(int fd, uint64_t bytes);

 private:
  uint64_t written_ = 0;   // bytes written so far
  uint64_t started_ = 0;   // write-back started for [0, started_)
  uint64_t previous_ = 0;  // the last window began here
  bool unsupported_ = false;
};

}  // namespace ferry
