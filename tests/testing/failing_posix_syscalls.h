// FailingPosixSyscalls: the real system calls behind PosixFileSystem's seam
// (src/fs/posix_syscalls.h), except one chosen call, which fails with a chosen
// errno before reaching the kernel, and writes, which can be made short.
//
// As with FaultInjectionFileSystem, a clean run records the steps; a test then
// fails step 1, 2, ... N in turn. The files are real, on a real disk, so what a
// failure leaves behind is what the kernel left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

#include "src/fs/posix_syscalls.h"

namespace ferry {

enum class Syscall { kPread, kWrite, kFallocate, kFsync, kSyncFileRange, kRename, kLink };

std::string_view SyscallName(Syscall call);

class FailingPosixSyscalls : public PosixSyscalls {
 public:
  // Makes the `step`th call from now on (1-based, every kind counted) fail with
  // `err`, once. Forgets the steps recorded so far.
  void FailStep(uint64_t step, int err);
  // Makes every write pass at most `bytes` bytes to the kernel (0: no limit).
  void LimitWrites(size_t bytes);
  // Makes every write return 0 without writing: a device that makes no progress.
  void StallWrites(bool stall);

  std::vector<Syscall> Steps() const;
  bool fired() const;

  ssize_t Pread(int fd, void* out, size_t size, off_t offset) override;
  ssize_t Write(int fd, const void* data, size_t size) override;
  int Fallocate(int fd, int mode, off_t offset, off_t length) override;
  int Fsync(int fd) override;
  int SyncFileRange(int fd, off_t offset, off_t length, unsigned flags) override;
  int Rename(int old_dir, const char* old_name, int new_dir, const char* new_name,
             unsigned flags) override;
  int Link(int old_dir, const char* old_name, int new_dir, const char* new_name) override;

 private:
  // Records the call; true (with errno set) if it is the one to fail.
  bool Fails(Syscall call);

  mutable std::mutex mu_;
  std::vector<Syscall> steps_;
  uint64_t fail_step_ = 0;
  int fail_errno_ = 0;
  bool fired_ = false;
  size_t write_limit_ = 0;
  bool stall_writes_ = false;
};

}  // namespace ferry
