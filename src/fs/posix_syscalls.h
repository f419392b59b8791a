// PosixSyscalls: the system calls through which PosixFileSystem moves an upload's
// bytes and commits it, behind one small interface so that tests can make each
// of them fail (or write short) on a real disk.
//
// Only the calls whose failure the commit guarantees (spec 7.6) are about go
// through here: reading a file, writing and reserving an upload's bytes,
// flushing (and starting write-back), and the atomic move. Production code uses Real(), which calls
// the C library directly; the cost is one virtual call next to a system call. The methods report
// failure exactly as the calls themselves do: -1 and errno.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace ferry {

class PosixSyscalls {
 public:
  virtual ~PosixSyscalls() = default;

  virtual ssize_t Pread(int fd, void* out, size_t size, off_t offset);
  virtual ssize_t Write(int fd, const void* data, size_t size);
  virtual int Fallocate(int fd, int mode, off_t offset, off_t length);
  virtual int Fsync(int fd);
  // sync_file_range(2): starts (or waits for) write-back of part of a file.
  virtual int SyncFileRange(int fd, off_t offset, off_t length, unsigned flags);
  // renameat2(2); flags 0 is a plain renameat(2).
  virtual int Rename(int old_dir, const char* old_name, int new_dir, const char* new_name,
                     unsigned flags);
  virtual int Link(int old_dir, const char* old_name, int new_dir, const char* new_name);

  // The calls themselves; lives for the whole program.
  static PosixSyscalls* Real();
};

}  // namespace ferry
