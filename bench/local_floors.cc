#include "bench/local_floors.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "src/fs/unique_fd.h"
#include "src/fs/write_behind.h"

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Status Failed(const std::string& what) {
  return Status::Error(StatusCode::kIoError, what + ": " + std::strerror(errno));
}

}  // namespace

StatusOr<double> DurableWriteWithWriteBehind(const std::string& path, uint64_t bytes,
                                             size_t write_size) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Failed("open " + path);
  const std::vector<uint8_t> buffer(write_size, 0x5A);
  WriteBehind write_behind;
  const auto start = Clock::now();
  Status status = Status::Ok();
  for (uint64_t written = 0; written < bytes && status.ok();) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(write_size, bytes - written));
    const ssize_t n = write(fd.get(), buffer.data(), want);
    if (n <= 0) {
      status = Failed("write " + path);
      break;
    }
    written += static_cast<uint64_t>(n);
    status = write_behind.Wrote(fd.get(), static_cast<uint64_t>(n));
  }
  if (status.ok() && fsync(fd.get()) != 0) status = Failed("fsync " + path);
  const double seconds = MillisSince(start) / 1000;
  unlink(path.c_str());
  if (!status.ok()) return status;
  return seconds;
}

StatusOr<double> DurableSmallFiles(const std::string& dir, int count, size_t bytes) {
  UniqueFd directory(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0) return Failed("open " + dir);
  const std::vector<char> data(bytes, 'f');
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const std::string name = "floor-" + std::to_string(i);
    const std::string temporary = ".floor-" + std::to_string(i);
    UniqueFd file(
        openat(directory.get(), temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) return Failed("create " + temporary);
    if (write(file.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
      return Failed("write " + temporary);
    }
    if (fsync(file.get()) != 0) return Failed("fsync " + temporary);
    if (renameat(directory.get(), temporary.c_str(), directory.get(), name.c_str()) != 0) {
      return Failed("rename " + temporary);
    }
  }
  if (fsync(directory.get()) != 0) return Failed("fsync " + dir);
  return MillisSince(start);
}

StatusOr<double> ListAndStat(const std::string& dir, int* entries) {
  const auto start = Clock::now();
  DIR* stream = opendir(dir.c_str());
  if (stream == nullptr) return Failed("opendir " + dir);
  struct Closer {
    void operator()(DIR* dir) const { closedir(dir); }
  };
  const std::unique_ptr<DIR, Closer> closer(stream);
  *entries = 0;
  while (const dirent* entry = readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(stream), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return Failed("lstat " + std::string(entry->d_name));
    }
    ++*entries;
  }
  return MillisSince(start);
}

}  // namespace ferry::bench
