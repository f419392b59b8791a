#include "src/fs/write_behind.h"

#include <fcntl.h>

#include <cerrno>

#include "src/fs/errno_status.h"

namespace ferry {

Status WriteBehind::Wrote(int fd, uint64_t bytes) {
  written_ += bytes;
  if (unsupported_ || written_ - started_ < kWindowBytes) return Status::Ok();
  const auto call = [&](uint64_t from, uint64_t length, unsigned flags) -> Status {
    if (sync_file_range(fd, static_cast<off_t>(from), static_cast<off_t>(length), flags) == 0) {
      return Status::Ok();
    }
    // Not every file system can: then the commit's fsync does all the work.
    if (errno == EINVAL || errno == ENOSYS || errno == ESPIPE) {
      unsupported_ = true;
      return Status::Ok();
    }
    return ErrnoToStatus(errno, "write");
  };
  FERRY_RETURN_IF_ERROR(call(started_, written_ - started_, SYNC_FILE_RANGE_WRITE));
  if (started_ > 0) {
    FERRY_RETURN_IF_ERROR(
        call(previous_, started_ - previous_,
             SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
  }
  previous_ = started_;
  started_ = written_;
  return Status::Ok();
}

}  // namespace ferry
