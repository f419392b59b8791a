#include "tests/testing/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ferry {
namespace fs = std::filesystem;
namespace {

Status ErrnoError(int err, const fs::path& path, std::string_view what) {
  return Status::Error(StatusCode::kIoError,
                       std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteAll(int fd, const uint8_t* data, size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, path, "write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

StatusOr<int> OpenForWriting(const fs::path& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, path, "open");
  return fd;
}

// xoshiro256** (Blackman and Vigna): fast, and plenty random for test data.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (uint64_t& word : state_) word = SplitMix64(&seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix64(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

// Gives the owner full access to every directory below `dir` (and `dir`), so a
// test that made something read-only cannot make its cleanup fail.
void MakeRemovable(const fs::path& dir) {
  std::error_code ignored;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ignored);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->symlink_status(ignored).type() == fs::file_type::directory) MakeRemovable(it->path());
  }
}

Status SnapshotInto(const fs::path& top, const fs::path& dir, TreeSnapshot* out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
    if (ec) break;
    SnapshotEntry entry;
    // Lexically: fs::relative would resolve a symlink to where it points.
    entry.path = it->path().lexically_relative(top).generic_string();
    const fs::file_status status = it->symlink_status(ec);
    if (ec) return Status::Error(StatusCode::kIoError, "lstat " + it->path().string());
    switch (status.type()) {
      case fs::file_type::regular: {
        entry.type = SnapshotEntry::Type::kFile;
        entry.size = fs::file_size(it->path(), ec);
        if (ec) return Status::Error(StatusCode::kIoError, "stat " + it->path().string());
        FERRY_ASSIGN_OR_RETURN(const Digest digest, DigestOfFile(it->path()));
        entry.digest = DigestToHex(digest);
        break;
      }
      case fs::file_type::directory:
        entry.type = SnapshotEntry::Type::kDirectory;
        break;
      case fs::file_type::symlink: {
        entry.type = SnapshotEntry::Type::kSymlink;
        const std::string target = fs::read_symlink(it->path(), ec).string();
        if (ec) return Status::Error(StatusCode::kIoError, "readlink " + it->path().string());
        entry.size = target.size();
        entry.digest = DigestToHex(DigestOf(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(target.data()), target.size())));
        break;
      }
      default:
        entry.type = SnapshotEntry::Type::kOther;
        break;
    }
    const bool recurse = entry.type == SnapshotEntry::Type::kDirectory;
    out->push_back(std::move(entry));
    if (recurse) FERRY_RETURN_IF_ERROR(SnapshotInto(top, it->path(), out));
  }
  if (ec)
    return Status::Error(StatusCode::kIoError, "listing " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

std::ostream& operator<<(std::ostream& os, SnapshotEntry::Type type) {
  static constexpr const char* kTypeNames[] = {"file", "directory", "symlink", "other"};
  return os << kTypeNames[static_cast<int>(type)];
}

std::ostream& operator<<(std::ostream& os, const SnapshotEntry& entry) {
  return os << "{" << entry.path << ", " << entry.type << ", " << entry.size << " bytes"
            << (entry.digest.empty() ? "" : ", xxh3=") << entry.digest << "}";
}

StatusOr<TreeSnapshot> SnapshotTree(const fs::path& top) {
  TreeSnapshot snapshot;
  FERRY_RETURN_IF_ERROR(SnapshotInto(top, top, &snapshot));
  std::sort(snapshot.begin(), snapshot.end(),
            [](const SnapshotEntry& a, const SnapshotEntry& b) { return a.path < b.path; });
  return snapshot;
}

Status WriteFile(const fs::path& path, std::string_view content) {
  FERRY_ASSIGN_OR_RETURN(const int raw_fd, OpenForWriting(path));
  const Fd fd(raw_fd);
  FERRY_RETURN_IF_ERROR(
      WriteAll(fd.get(), reinterpret_cast<const uint8_t*>(content.data()), content.size(), path));
  return Status::Ok();
}

StatusOr<std::string> ReadFile(const fs::path& path) {
  const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, path, "open");
  std::string content;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, path, "read");
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

StatusOr<Digest> WriteRandomFile(const fs::path& path, uint64_t size, uint64_t seed) {
  FERRY_ASSIGN_OR_RETURN(const int raw_fd, OpenForWriting(path));
  const Fd fd(raw_fd);
  constexpr size_t kBufferBytes = 1 << 20;  // a multiple of 8
  auto buffer = std::make_unique<uint8_t[]>(kBufferBytes);
  Xoshiro256 random(seed);
  StreamingDigest digest;
  for (uint64_t left = size; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kBufferBytes));
    for (size_t i = 0; i < n; i += 8) {
      const uint64_t word = random.Next();
      std::memcpy(buffer.get() + i, &word, std::min<size_t>(8, n - i));
    }
    digest.Update(std::span<const uint8_t>(buffer.get(), n));
    FERRY_RETURN_IF_ERROR(WriteAll(fd.get(), buffer.get(), n, path));
    left -= n;
  }
  return digest.Finish();
}

StatusOr<Digest> DigestOfFile(const fs::path& path) {
  const Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, path, "open");
  constexpr size_t kBufferBytes = 1 << 20;
  auto buffer = std::make_unique<uint8_t[]>(kBufferBytes);
  StreamingDigest digest;
  while (true) {
    const ssize_t n = read(fd.get(), buffer.get(), kBufferBytes);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, path, "read");
    }
    digest.Update(std::span<const uint8_t>(buffer.get(), static_cast<size_t>(n)));
  }
  return digest.Finish();
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "ferry-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::fprintf(stderr, "TempDir: mkdtemp %s: %s\n", pattern.c_str(), std::strerror(errno));
    std::abort();
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  MakeRemovable(path_);
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec)
    std::fprintf(stderr, "TempDir: cannot remove %s: %s\n", path_.c_str(), ec.message().c_str());
}

}  // namespace ferry
