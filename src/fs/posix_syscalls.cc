#include "src/fs/posix_syscalls.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>  // renameat2

namespace ferry {

ssize_t PosixSyscalls::Pread(int fd, void* out, size_t size, off_t offset) {
  return pread(fd, out, size, offset);
}

ssize_t PosixSyscalls::Write(int fd, const void* data, size_t size) {
  return write(fd, data, size);
}

int PosixSyscalls::Fallocate(int fd, int mode, off_t offset, off_t length) {
  return fallocate(fd, mode, offset, length);
}

int PosixSyscalls::Fsync(int fd) { return fsync(fd); }

int PosixSyscalls::SyncFileRange(int fd, off_t offset, off_t length, unsigned flags) {
  return sync_file_range(fd, offset, length, flags);
}

int PosixSyscalls::Rename(int old_dir, const char* old_name, int new_dir, const char* new_name,
                          unsigned flags) {
  if (flags == 0) return renameat(old_dir, old_name, new_dir, new_name);
  return renameat2(old_dir, old_name, new_dir, new_name, flags);
}

int PosixSyscalls::Link(int old_dir, const char* old_name, int new_dir, const char* new_name) {
  return linkat(old_dir, old_name, new_dir, new_name, 0);
}

PosixSyscalls* PosixSyscalls::Real() {
  static PosixSyscalls* const real = new PosixSyscalls;
  return real;
}

}  // namespace ferry
