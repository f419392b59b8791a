#include "src/client/local_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "src/codec/limits.h"
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

constexpr std::string_view kSidecarMagic = "ferry-partial 1";

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

struct Sidecar {
  std::string remote;
  uint64_t size = 0;
  int64_t mtime_unix_ns = 0;
};

std::string Unhex(std::string_view digits) {
  std::string out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(digits.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The whole of a small file, or an error; O_NOFOLLOW so a planted link is not read.
StatusOr<std::string> ReadSmallFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path);
  char buffer[16 * 1024];
  const ssize_t n = read(fd, buffer, sizeof(buffer));
  close(fd);
  if (n < 0 || n == static_cast<ssize_t>(sizeof(buffer))) {
    return Status::Error(StatusCode::kInvalidArgument, "unusable " + path);
  }
  return std::string(buffer, static_cast<size_t>(n));
}

// Writes a small file whole: to a temporary name, then renamed over `path`, so
// a reader sees the old or the new content, never a torn one.
Status WriteSmallFile(const std::string& path, std::string_view text) {
  const std::string temp = path + ".new";
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, path);
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size()) || rename(temp.c_str(), path.c_str()) != 0) {
    const int failure = n < 0 ? err : (n != static_cast<ssize_t>(text.size()) ? ENOSPC : errno);
    unlink(temp.c_str());
    return ErrnoToStatus(failure, path);
  }
  return Status::Ok();
}

// Parses a sidecar Begin wrote; anything else (missing, torn, foreign) is an error.
StatusOr<Sidecar> ReadSidecar(const std::string& path) {
  const Status bad = Status::Error(StatusCode::kInvalidArgument, "unusable sidecar " + path);
  auto text = ReadSmallFile(path);
  if (!text.ok()) return bad;
  char hex[2 * 8192 + 1];
  unsigned long long size = 0;
  long long mtime = 0;
  int consumed = 0;
  const std::string format =
      std::string(kSidecarMagic) + "\nremote %16384[0-9a-f]\nsize %llu\nmtime %lld\nend\n%n";
  if (std::sscanf(text->c_str(), format.c_str(), hex, &size, &mtime, &consumed) != 3 ||
      consumed != static_cast<int>(text->size()) || std::string_view(hex).size() % 2 != 0) {
    return bad;
  }
  return Sidecar{Unhex(hex), size, mtime};
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
  return std::unique_ptr<LocalSource>(new LocalSource(
      fd, static_cast<uint64_t>(st.st_size),
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec));
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

std::string LocalDownload::PartialPathFor(const std::string& target) {
  return DirectoryOf(target) + "/." + BaseOf(target) + ".ferry-part.data";
}

StatusOr<std::unique_ptr<LocalDownload>> LocalDownload::Create(const std::string& target,
                                                               bool overwrite) {
  return Open(target, overwrite, nullptr);
}

StatusOr<std::unique_ptr<LocalDownload>> LocalDownload::Resume(const std::string& target,
                                                               bool overwrite,
                                                               std::string_view remote) {
  return Open(target, overwrite, &remote);
}

StatusOr<std::unique_ptr<LocalDownload>> LocalDownload::Open(const std::string& target,
                                                             bool overwrite,
                                                             const std::string_view* remote) {
  struct stat st {};
  if (lstat(target.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Error(StatusCode::kIsADirectory, target);
    if (!overwrite) return Status::Error(StatusCode::kAlreadyExists, target);
  }
  const std::string partial = PartialPathFor(target);
  const std::string info = DirectoryOf(target) + "/." + BaseOf(target) + ".ferry-part.info";
  // O_NOFOLLOW: a planted symlink cannot redirect the write.
  const int fd = open(partial.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, DirectoryOf(target));
  // Construct now so that every early return below closes the descriptor; the
  // partial is only removed once this process owns it (holds the lock).
  std::unique_ptr<LocalDownload> download(new LocalDownload(fd, partial, info, target, overwrite));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    download->kept_ = true;  // someone else's: leave it alone
    return Status::Error(StatusCode::kBusy, "another download to " + target + " is in progress");
  }
  if (fstat(fd, &st) != 0) return ErrnoToStatus(errno, partial);
  if (!S_ISREG(st.st_mode)) {
    download->kept_ = true;
    return Status::Error(StatusCode::kNotARegularFile, partial);
  }
  fchmod(fd, DefaultFileMode());
  const uint64_t length = static_cast<uint64_t>(st.st_size);
  if (remote != nullptr) {
    auto sidecar = ReadSidecar(info);
    if (sidecar.ok() && sidecar->remote == *remote && length <= sidecar->size) {
      download->kept_bytes_ = length;
      download->kept_size_ = sidecar->size;
      download->kept_mtime_unix_ns_ = sidecar->mtime_unix_ns;
    }
  }
  if (download->kept_bytes_ == 0) {
    // Never resume into a partial that is not described as the same download.
    if (ftruncate(fd, 0) != 0) return ErrnoToStatus(errno, partial);
    unlink(info.c_str());
  }
  download->written_ = download->kept_bytes_;
  return download;
}

Status LocalDownload::HashKept(StreamingDigest* digest) {
  std::vector<uint8_t> buffer(1 << 20);
  uint64_t offset = 0;
  while (offset < kept_bytes_) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(buffer.size(), kept_bytes_ - offset));
    const ssize_t n = pread(fd_, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, partial_);
    if (n == 0) return Status::Error(StatusCode::kIoError, "the partial download shrank");
    digest->Update(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status LocalDownload::Begin(std::string_view remote, uint64_t size, int64_t mtime_unix_ns,
                            uint64_t offset) {
  if (offset != written_) {
    if (offset != 0) return Status::Error(StatusCode::kInternal, "resumed at the wrong offset");
    if (ftruncate(fd_, 0) != 0) return ErrnoToStatus(errno, partial_);
    written_ = 0;
  }
  // The sidecar goes first, then data: a partial is never longer than the size
  // its sidecar names. The closing "end" line tells a complete sidecar from a
  // torn one.
  const std::string text = std::string(kSidecarMagic) + "\nremote " + HexOf(remote) + "\nsize " +
                           std::to_string(size) + "\nmtime " + std::to_string(mtime_unix_ns) +
                           "\nend\n";
  const int fd = open(info_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, info_);
  const ssize_t n = write(fd, text.data(), text.size());
  const int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return ErrnoToStatus(n < 0 ? err : ENOSPC, info_);
  }
  begun_ = true;
  return Status::Ok();
}

LocalDownload::~LocalDownload() {
  // Unlink before close: the lock is held until the names are gone.
  if (!committed_ && !kept_) {
    unlink(partial_.c_str());
    unlink(info_.c_str());
  }
  close(fd_);
}

Status LocalDownload::Write(std::span<const uint8_t> data) {
  while (!data.empty()) {
    const ssize_t n = pwrite(fd_, data.data(), data.size(), static_cast<off_t>(written_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, target_);
    }
    data = data.subspan(static_cast<size_t>(n));
    written_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status LocalDownload::Commit() {
  if (fsync(fd_) != 0) return ErrnoToStatus(errno, target_);
  if (overwrite_) {
    if (rename(partial_.c_str(), target_.c_str()) != 0) return ErrnoToStatus(errno, target_);
  } else if (renameat2(AT_FDCWD, partial_.c_str(), AT_FDCWD, target_.c_str(), RENAME_NOREPLACE) !=
             0) {
    if (errno != EINVAL) return ErrnoToStatus(errno, target_);
    // The filesystem cannot rename without replacing: link() fails on an
    // existing name just as atomically.
    if (link(partial_.c_str(), target_.c_str()) != 0) return ErrnoToStatus(errno, target_);
    unlink(partial_.c_str());
  }
  committed_ = true;
  unlink(info_.c_str());
  return Status::Ok();
}

std::string UploadStateDirectory() {
  if (const char* dir = getenv("FERRY_STATE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* dir = getenv("XDG_STATE_HOME"); dir != nullptr && *dir == '/') {
    return std::string(dir) + "/ferry";
  }
  if (const char* home = getenv("HOME"); home != nullptr && *home == '/') {
    return std::string(home) + "/.local/state/ferry";
  }
  return "";
}

namespace {

constexpr std::string_view kUploadRecordMagic = "ferry-upload 1";

// One file per (server, remote), named by their digest: any bytes in either
// make a safe file name.
std::string UploadRecordPath(const std::string& dir, std::string_view server,
                             std::string_view remote) {
  std::string key(server);
  key.push_back('\0');
  key.append(remote);
  return dir + "/upload-" +
         DigestToHex(DigestOf({reinterpret_cast<const uint8_t*>(key.data()), key.size()}));
}

Status MakeDirectories(const std::string& dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string prefix = dir.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoToStatus(errno, prefix);
    if (slash == std::string::npos) return Status::Ok();
  }
}

}  // namespace

StatusOr<UploadRecord> LoadUploadRecord(const std::string& dir, std::string_view server,
                                        std::string_view remote) {
  const std::string path = UploadRecordPath(dir, server, remote);
  auto text = ReadSmallFile(path);
  if (!text.ok()) return Status::Error(StatusCode::kNotFound, path);
  char id[2 * limits::kResumeIdBytes + 1];
  char local[2 * 4096 + 1];
  unsigned long long size = 0;
  long long mtime = 0;
  int consumed = 0;
  const std::string format =
      std::string(kUploadRecordMagic) +
      "\nid %32[0-9a-f]\nlocal %8192[0-9a-f]\nsize %llu\nmtime %lld\nend\n%n";
  if (std::sscanf(text->c_str(), format.c_str(), id, local, &size, &mtime, &consumed) != 4 ||
      consumed != static_cast<int>(text->size()) ||
      std::string_view(id).size() != 2 * limits::kResumeIdBytes) {
    return Status::Error(StatusCode::kNotFound, path);
  }
  return UploadRecord{Unhex(id), Unhex(local), size, mtime};
}

Status SaveUploadRecord(const std::string& dir, std::string_view server, std::string_view remote,
                        const UploadRecord& record) {
  FERRY_RETURN_IF_ERROR(MakeDirectories(dir));
  const std::string text = std::string(kUploadRecordMagic) + "\nid " + HexOf(record.resume_id) +
                           "\nlocal " + HexOf(record.local) + "\nsize " +
                           std::to_string(record.size) + "\nmtime " +
                           std::to_string(record.mtime_unix_ns) + "\nend\n";
  return WriteSmallFile(UploadRecordPath(dir, server, remote), text);
}

void ForgetUploadRecord(const std::string& dir, std::string_view server, std::string_view remote) {
  unlink(UploadRecordPath(dir, server, remote).c_str());
}

}  // namespace ferry
