#include "src/client/local_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "src/fs/errno_status.h"

namespace ferry {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// mkstemp creates files 0600; a finished download gets the usual 0666 & ~umask.
mode_t DefaultFileMode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

std::string BaseOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool IsLocalDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

StatusOr<std::unique_ptr<LocalSource>> LocalSource::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return ErrnoToStatus(errno, path);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return ErrnoToStatus(err, path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error(
        S_ISDIR(st.st_mode) ? StatusCode::kIsADirectory : StatusCode::kNotARegularFile, path);
  }
  return std::unique_ptr<LocalSource>(new LocalSource(fd, static_cast<uint64_t>(st.st_size)));
}

LocalSource::~LocalSource() { close(fd_); }

StatusOr<size_t> LocalSource::Read(std::span<uint8_t> out) {
  size_t total = 0;
  while (total < out.size()) {
    const ssize_t n = read(fd_, out.data() + total, out.size() - total);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "reading local file");
    }
    total += static_cast<size_t>(n);
  }
  return total;
}

StatusOr<std::unique_ptr<LocalDownload>> LocalDownload::Create(const std::string& target,
                                                               bool overwrite) {
  struct stat st {};
  if (lstat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Error(StatusCode::kIsADirectory, target);
    if (!overwrite) return Status::Error(StatusCode::kAlreadyExists, target);
  }
  // mkstemp creates with O_EXCL, so a planted symlink cannot redirect the write.
  std::string temp = DirectoryOf(target) + "/." + BaseOf(target) + ".ferry-part.XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, DirectoryOf(target));
  fchmod(fd, DefaultFileMode());
  return std::unique_ptr<LocalDownload>(
      new LocalDownload(fd, std::string(name.data()), target, overwrite));
}

LocalDownload::~LocalDownload() {
  close(fd_);
  if (!committed_) unlink(temp_.c_str());
}

Status LocalDownload::Write(std::span<const uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, target_);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status LocalDownload::Commit() {
  if (fsync(fd_) != 0) return ErrnoToStatus(errno, target_);
  if (overwrite_) {
    if (rename(temp_.c_str(), target_.c_str()) != 0) return ErrnoToStatus(errno, target_);
  } else if (renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EINVAL) return ErrnoToStatus(errno, target_);
    // The filesystem cannot rename without replacing: link() fails on an
    // existing name just as atomically.
    if (link(temp_.c_str(), target_.c_str()) != 0) return ErrnoToStatus(errno, target_);
    unlink(temp_.c_str());
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace ferry
