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

  // `offset`: where in the file writing starts (an upload that continues a
  // partial file writes after what it already holds).
  explicit WriteBehind(uint64_t offset = 0)
      : written_(offset), started_(offset), previous_(offset) {}

  // Call after `bytes` more were written at the end of the file `fd`. Each time
  // a window fills, its write-back starts and the previous window's is waited
  // for. An I/O error here is the upload's error: once the kernel has reported
  // it, a later fsync on this file may not report it again.
  Status Wrote(int fd, uint64_t bytes);

 private:
  uint64_t written_;   // the file's end: everything before it was written
  uint64_t started_;   // write-back has started for everything before this
  uint64_t previous_;  // the last window began here
  bool unsupported_ = false;
};

}  // namespace ferry
