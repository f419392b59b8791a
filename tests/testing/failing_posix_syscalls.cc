#include "tests/testing/failing_posix_syscalls.h"

#include <algorithm>
#include <cerrno>

namespace ferry {

std::string_view SyscallName(Syscall call) {
  switch (call) {
    case Syscall::kPread:
      return "pread";
    case Syscall::kWrite:
      return "write";
    case Syscall::kFallocate:
      return "fallocate";
    case Syscall::kFsync:
      return "fsync";
    case Syscall::kSyncFileRange:
      return "sync_file_range";
    case Syscall::kRename:
      return "rename";
    case Syscall::kLink:
      return "link";
  }
  return "?";
}

void FailingPosixSyscalls::FailStep(uint64_t step, int err) {
  std::lock_guard lock(mu_);
  steps_.clear();
  fail_step_ = step;
  fail_errno_ = err;
  fired_ = false;
}

void FailingPosixSyscalls::LimitWrites(size_t bytes) {
  std::lock_guard lock(mu_);
  write_limit_ = bytes;
}

void FailingPosixSyscalls::StallWrites(bool stall) {
  std::lock_guard lock(mu_);
  stall_writes_ = stall;
}

std::vector<Syscall> FailingPosixSyscalls::Steps() const {
  std::lock_guard lock(mu_);
  return steps_;
}

bool FailingPosixSyscalls::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

bool FailingPosixSyscalls::Fails(Syscall call) {
  std::lock_guard lock(mu_);
  steps_.push_back(call);
  if (fired_ || fail_step_ == 0 || steps_.size() != fail_step_) return false;
  fired_ = true;
  errno = fail_errno_;
  return true;
}

int FailingPosixSyscalls::SyncFileRange(int fd, off_t offset, off_t length, unsigned flags) {
  if (Fails(Syscall::kSyncFileRange)) return -1;
  return PosixSyscalls::SyncFileRange(fd, offset, length, flags);
}

ssize_t FailingPosixSyscalls::Pread(int fd, void* out, size_t size, off_t offset) {
  if (Fails(Syscall::kPread)) return -1;
  return PosixSyscalls::Pread(fd, out, size, offset);
}

ssize_t FailingPosixSyscalls::Write(int fd, const void* data, size_t size) {
  if (Fails(Syscall::kWrite)) return -1;
  size_t limit = 0;
  {
    std::lock_guard lock(mu_);
    if (stall_writes_) return 0;
    limit = write_limit_;
  }
  return PosixSyscalls::Write(fd, data, limit == 0 ? size : std::min(size, limit));
}

int FailingPosixSyscalls::Fallocate(int fd, int mode, off_t offset, off_t length) {
  if (Fails(Syscall::kFallocate)) return -1;
  return PosixSyscalls::Fallocate(fd, mode, offset, length);
}

int FailingPosixSyscalls::Fsync(int fd) {
  if (Fails(Syscall::kFsync)) return -1;
  return PosixSyscalls::Fsync(fd);
}

int FailingPosixSyscalls::Rename(int old_dir, const char* old_name, int new_dir,
                                 const char* new_name, unsigned flags) {
  if (Fails(Syscall::kRename)) return -1;
  return PosixSyscalls::Rename(old_dir, old_name, new_dir, new_name, flags);
}

int FailingPosixSyscalls::Link(int old_dir, const char* old_name, int new_dir,
                               const char* new_name) {
  if (Fails(Syscall::kLink)) return -1;
  return PosixSyscalls::Link(old_dir, old_name, new_dir, new_name);
}

}  // namespace ferry
