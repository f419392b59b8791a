#include "src/fs/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>  // renameat2, RENAME_NOREPLACE
#include <limits>
#include <utility>
#include <vector>

#include "src/base/parallel_each.h"
#include "src/codec/limits.h"
#include "src/fs/errno_status.h"
#include "src/fs/posix_syscalls.h"
#include "src/fs/write_behind.h"

// Failure messages name the operation that failed ("stat", "flush file"), not the
// path: callers report the path alongside (the wire's Error.path, the request
// log), and the messages go to the peer, so they hold nothing from the host.

namespace ferry {
namespace {

// openat2 asks for a retry (EAGAIN) when a concurrent rename leaves it unsure
// that a ".." inside a symbolic link stayed beneath the root. Bounded, so that a
// client racing renames cannot keep a request spinning.
constexpr int kOpenAt2Attempts = 4;

Status NotARegularFile(std::string_view operation) {
  return Status::Error(StatusCode::kNotARegularFile,
                       std::string(operation) + ": not a regular file");
}

// glibc 2.36 has no openat2 wrapper.
int RawOpenAt2(int root, const char* relative, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, root, relative, &how, sizeof(how)));
}

// The fallback for kernels without openat2: one component at a time from the
// root, each opened relative to the last with O_NOFOLLOW, so every symbolic link
// is refused (ELOOP) and a link swapped in meanwhile is never followed.
StatusOr<UniqueFd> WalkBeneath(int root, const Path& path, int flags, std::string_view operation) {
  const std::vector<std::string>& names = path.components();
  UniqueFd dir;
  int at = root;
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    // O_PATH|O_NOFOLLOW opens a link itself rather than failing, so fstat tells
    // a link from any other non-directory.
    UniqueFd next(openat(at, names[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid()) return ErrnoToStatus(errno, operation);
    struct stat st;
    if (fstat(next.get(), &st) != 0) return ErrnoToStatus(errno, operation);
    if (!S_ISDIR(st.st_mode)) {
      return ErrnoToStatus(S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR, operation);
    }
    dir = std::move(next);
    at = dir.get();
  }
  const char* name = path.IsRoot() ? "." : names.back().c_str();
  UniqueFd fd(openat(at, name, flags | O_NOFOLLOW));
  struct stat st;
  if (!fd.valid()) {
    const int err = errno;
    // With O_DIRECTORY a link fails as ENOTDIR too. ENOTDIR stands only if the
    // entry is a plain non-directory; otherwise it was (or just was) a link.
    if (err == ENOTDIR && (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                           S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
      return ErrnoToStatus(ELOOP, operation);
    }
    return ErrnoToStatus(err, operation);
  }
  // With O_PATH, O_NOFOLLOW opens a link itself rather than failing.
  if ((flags & O_PATH) != 0) {
    if (fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, operation);
    if (S_ISLNK(st.st_mode)) return ErrnoToStatus(ELOOP, operation);
  }
  return fd;
}

FileType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegular;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymlink;
  return FileType::kOther;
}

// Spec R-LIST-5.
FileInfo ToFileInfo(std::string_view name, const struct stat& st) {
  FileInfo info;
  info.name = name;
  info.type = TypeOf(st.st_mode);
  info.size = info.type == FileType::kRegular ? static_cast<uint64_t>(st.st_size) : 0;
  info.mtime_unix_ns = st.st_mtim.tv_sec * int64_t{1'000'000'000} + st.st_mtim.tv_nsec;
  info.mode = st.st_mode & 07777;
  return info;
}

StatusOr<FileInfo> StatFd(int fd, std::string_view name, std::string_view operation) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoToStatus(errno, operation);
  return ToFileInfo(name, st);
}

// Describes `fd` if it is a regular file; kIsADirectory or kNotARegularFile if not.
StatusOr<FileInfo> StatReadable(int fd, std::string_view name, std::string_view operation) {
  FERRY_ASSIGN_OR_RETURN(FileInfo info, StatFd(fd, name, operation));
  if (info.type == FileType::kDirectory) return ErrnoToStatus(EISDIR, operation);
  if (info.type != FileType::kRegular) return NotARegularFile(operation);
  return info;
}

class PosixDirectoryStream : public DirectoryStream {
 public:
  explicit PosixDirectoryStream(DIR* dir) : dir_(dir) {}

  StatusOr<std::optional<FileInfo>> Next() override {
    while (true) {
      errno = 0;
      const dirent* entry = readdir(dir_.get());
      if (entry == nullptr) {
        if (errno != 0) return ErrnoToStatus(errno, "list");
        return std::optional<FileInfo>();
      }
      const std::string_view name = entry->d_name;
      if (name == "." || name == ".." || IsReservedName(name)) continue;  // R-PATH-7
      struct stat st;
      if (fstatat(dirfd(dir_.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed since readdir saw it (R-LIST-6)
        return ErrnoToStatus(errno, "list");
      }
      return std::optional<FileInfo>(ToFileInfo(name, st));
    }
  }

 private:
  struct DirCloser {
    void operator()(DIR* dir) const { closedir(dir); }
  };

  std::unique_ptr<DIR, DirCloser> dir_;
};

class PosixReadableFile : public ReadableFile {
 public:
  PosixReadableFile(PosixSyscalls* sys, UniqueFd fd, FileInfo info)
      : sys_(sys), fd_(std::move(fd)), info_(std::move(info)) {}

  const FileInfo& info() const override { return info_; }
  int native_handle() const override { return fd_.get(); }

  StatusOr<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    while (true) {
      const ssize_t n = sys_->Pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoToStatus(errno, "read");
    }
  }

 private:
  PosixSyscalls* const sys_;
  const UniqueFd fd_;
  const FileInfo info_;
};

// The hidden sibling an upload is written to: reserved prefix (R-UPLOAD-17), then
// 64 random bits so that concurrent uploads to one target never share it.
StatusOr<std::string> TemporaryName() {
  uint64_t random;
  // Requests of up to 256 bytes are never short (getrandom(2)).
  if (getrandom(&random, sizeof(random), 0) < 0) return ErrnoToStatus(errno, "create upload");
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, random);
  return std::string(kReservedNamePrefix) + hex;
}

// The renames into `dir` are durable only once the directory is. If this fails
// the new files are visible but may not survive a crash: the contract calls that
// kIoError, whatever the errno, so that the caller treats the outcome as unknown
// (R-UPLOAD-15).
Status FlushDirectory(PosixSyscalls* sys, int dir) {
  if (sys->Fsync(dir) != 0) {
    return Status::Error(StatusCode::kIoError, ErrnoToStatus(errno, "flush directory").message());
  }
  return Status::Ok();
}

// A kept temporary: its directory and name. Removed when destroyed unless
// taken over.
class PosixKeptUpload : public KeptUpload {
 public:
  PosixKeptUpload(UniqueFd parent, std::string temp_name, uint64_t size)
      : parent_(std::move(parent)), temp_name_(std::move(temp_name)), size_(size) {}
  ~PosixKeptUpload() override {
    if (!temp_name_.empty()) unlinkat(parent_.get(), temp_name_.c_str(), 0);
  }
  uint64_t size() const override { return size_; }
  const UniqueFd& parent() const { return parent_; }
  const std::string& temp_name() const { return temp_name_; }
  // The temporary now belongs to a resumed upload.
  void Release() { temp_name_.clear(); }

 private:
  const UniqueFd parent_;
  std::string temp_name_;
  const uint64_t size_;
};

class PosixPendingUpload : public PendingUpload {
 public:
  PosixPendingUpload(PosixSyscalls* sys, UniqueFd parent, UniqueFd file, std::string temp_name,
                     std::string target_name, bool overwrite, uint64_t resumed_size = 0)
      : sys_(sys),
        parent_(std::move(parent)),
        file_(std::move(file)),
        temp_name_(std::move(temp_name)),
        target_name_(std::move(target_name)),
        overwrite_(overwrite),
        resumed_size_(resumed_size),
        write_behind_(resumed_size) {}

  ~PosixPendingUpload() override { DiscardTemporary(); }

  uint64_t resumed_size() const override { return resumed_size_; }

  StatusOr<size_t> ReadBack(uint64_t offset, std::span<uint8_t> out) override {
    while (true) {
      const ssize_t n =
          sys_->Pread(file_.get(), out.data(), out.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoToStatus(errno, "read back");
    }
  }

  StatusOr<std::unique_ptr<KeptUpload>> Keep() override {
    // Only flushed bytes are reported as kept: a resume relies on them.
    if (sys_->Fsync(file_.get()) != 0) return ErrnoToStatus(errno, "flush file");
    struct stat st;
    if (fstat(file_.get(), &st) != 0) return ErrnoToStatus(errno, "keep upload");
    file_.reset();
    std::unique_ptr<KeptUpload> kept = std::make_unique<PosixKeptUpload>(
        std::move(parent_), std::exchange(temp_name_, std::string()),
        static_cast<uint64_t>(st.st_size));
    return kept;
  }

  // Reserves `size` bytes so that a full disk shows up now rather than mid-way.
  // The reservation is only an optimisation (not every filesystem can do it), so
  // only a definite "no room" fails. FALLOC_FL_KEEP_SIZE leaves the file's size
  // at what was actually written.
  Status Reserve(uint64_t size) {
    if (size == 0) return Status::Ok();
    if (sys_->Fallocate(file_.get(), FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size)) == 0) {
      return Status::Ok();
    }
    Status status = ErrnoToStatus(errno, "reserve space");
    return status.code() == StatusCode::kNoSpace ? status : Status::Ok();
  }

  Status Write(std::span<const uint8_t> data) override {
    while (!data.empty()) {
      const ssize_t n = sys_->Write(file_.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, "write");
      }
      // A short write is retried for the rest; a write that makes no progress at
      // all would be retried forever, so it counts as a failing device.
      if (n == 0) return ErrnoToStatus(EIO, "write");
      data = data.subspan(static_cast<size_t>(n));
      FERRY_RETURN_IF_ERROR(write_behind_.Wrote(file_.get(), static_cast<uint64_t>(n)));
    }
    return Status::Ok();
  }

  Status Commit() override {
    Status status = Publish();
    DiscardTemporary();  // a no-op once the temporary has become the target
    return status;
  }

  // The steps of Publish, for a group commit (PosixFileSystem::CommitUploads),
  // which runs each step for every upload of the group before the next step.
  // After a failed step the caller discards the temporary.

  // Starts writing the file's dirty pages back without waiting, so that the
  // flushes that follow overlap and find their blocks already allocated. Only
  // an optimisation: where the file system cannot, FlushFile does the work.
  Status StartFlush() {
    if (sys_->SyncFileRange(file_.get(), 0, 0, SYNC_FILE_RANGE_WRITE) == 0) return Status::Ok();
    if (errno == EINVAL || errno == ENOSYS || errno == ESPIPE) return Status::Ok();
    // As in WriteBehind: once the kernel has reported a write-back error here, a
    // later fsync of this file may not report it again.
    return ErrnoToStatus(errno, "flush file");
  }

  // A failed fsync is never retried: the kernel may have dropped the dirty pages
  // already, and a second fsync would then "succeed" without the data on disk.
  Status FlushFile() {
    if (sys_->Fsync(file_.get()) != 0) return ErrnoToStatus(errno, "flush file");
    file_.reset();
    return Status::Ok();
  }

  Status Move(bool defer_release = false) {
    FERRY_RETURN_IF_ERROR(overwrite_ ? MoveReplacing(defer_release) : MoveNoReplace());
    temp_name_.clear();
    return Status::Ok();
  }

  int parent_fd() const { return parent_.get(); }

  void DiscardTemporary() {
    if (temp_name_.empty()) return;
    unlinkat(parent_.get(), temp_name_.c_str(), 0);
    temp_name_.clear();
  }

 private:
  // Spec R-UPLOAD-11: flush the file, move it into place atomically, flush the
  // directory.
  Status Publish() {
    FERRY_RETURN_IF_ERROR(FlushFile());
    FERRY_RETURN_IF_ERROR(Move(/*defer_release=*/true));
    return FlushDirectory(sys_, parent_.get());
  }

  // With `defer_release`, the file being replaced stays open (O_PATH) until
  // this upload is destroyed, which the session does after sending UploadDone:
  // freeing a large file's blocks takes as long as writing a few hundred MiB,
  // and the client need not wait for it. A group's files are small, and holding
  // one descriptor per grouped upload is not worth it there.
  Status MoveReplacing(bool defer_release) {
    const int dir = parent_.get();
    if (defer_release) {
      replaced_.reset(openat(dir, target_name_.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    if (sys_->Rename(dir, temp_name_.c_str(), dir, target_name_.c_str(), 0) != 0) {
      replaced_.reset();
      return ErrnoToStatus(errno, "commit");
    }
    return Status::Ok();
  }

  // Moves the temporary to the target only if the target does not exist, in one
  // atomic step: a file that appeared since CreateUpload is never clobbered
  // (R-UPLOAD-12).
  Status MoveNoReplace() {
    const int dir = parent_.get();
    if (sys_->Rename(dir, temp_name_.c_str(), dir, target_name_.c_str(), RENAME_NOREPLACE) == 0) {
      return Status::Ok();
    }
    if (errno != EINVAL) return ErrnoToStatus(errno, "commit");
    // This filesystem cannot do RENAME_NOREPLACE. link() is just as atomic, and
    // also fails with EEXIST rather than replace.
    if (sys_->Link(dir, temp_name_.c_str(), dir, target_name_.c_str()) != 0) {
      return ErrnoToStatus(errno, "commit");
    }
    // The data is at the target now; the temporary's name is just a second link.
    unlinkat(dir, temp_name_.c_str(), 0);
    return Status::Ok();
  }

  PosixSyscalls* const sys_;
  UniqueFd parent_;  // readable, not O_PATH: Commit fsyncs it
  UniqueFd file_;
  std::string temp_name_;  // "" once renamed, removed or kept
  const std::string target_name_;
  const bool overwrite_;
  const uint64_t resumed_size_;
  WriteBehind write_behind_;
  UniqueFd replaced_;  // the file this upload replaced, released with the upload
};

// Early errors for an upload to `name`; Commit decides atomically in the end.
Status CheckUploadTarget(int parent, const char* name, bool overwrite) {
  constexpr std::string_view kOperation = "create upload";
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? Status::Ok() : ErrnoToStatus(errno, kOperation);
  }
  // The order is spec R-UPLOAD-4's. A symbolic link counts as an existing file:
  // the rename replaces the link itself, never its target (R-UPLOAD-5).
  if (S_ISDIR(st.st_mode)) return ErrnoToStatus(EISDIR, kOperation);
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return NotARegularFile(kOperation);
  if (!overwrite) return ErrnoToStatus(EEXIST, kOperation);
  return Status::Ok();
}

// Temporaries are only ever created in directories a valid request path can
// name, so none lies deeper than the most components such a path can have.
constexpr size_t kMaxTemporaryDepth = limits::kMaxPathBytes / 2 + 1;

// Removes the temporaries in the directory `fd` (which it takes over) and,
// depth-first, below it. Every name comes from readdir and is opened relative to
// its directory with O_NOFOLLOW, so a symbolic link, even one swapped in during
// the walk, is never followed and the walk never leaves the tree it started in.
void RemoveTemporariesBelow(UniqueFd fd, size_t depth, StaleTemporaryCleanup* cleanup) {
  DIR* dir = fdopendir(fd.get());
  if (dir == nullptr) {
    ++cleanup->failed;
    return;
  }
  fd.release();  // now owned by `dir`
  const int at = dirfd(dir);
  while (true) {
    errno = 0;
    const dirent* entry = readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) ++cleanup->failed;
      break;
    }
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(at, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) ++cleanup->failed;
      continue;
    }
    if (IsReservedName(name)) {
      if (S_ISDIR(st.st_mode)) continue;  // not one of ours
      if (unlinkat(at, entry->d_name, 0) == 0) {
        ++cleanup->removed;
      } else if (errno != ENOENT) {
        ++cleanup->failed;
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode) || depth == kMaxTemporaryDepth) continue;
    UniqueFd child(openat(at, entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) {
      if (errno != ENOENT) ++cleanup->failed;
      continue;
    }
    RemoveTemporariesBelow(std::move(child), depth + 1, cleanup);
  }
  closedir(dir);
}

}  // namespace

StatusOr<std::unique_ptr<PosixFileSystem>> PosixFileSystem::Open(const std::string& root_dir,
                                                                 PosixSyscalls* syscalls) {
  // Only the server's operator sees this one, so it names the directory.
  const std::string operation = "open root " + root_dir;
  UniqueFd root(open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoToStatus(errno, operation);
  UniqueFd probe(RawOpenAt2(root.get(), ".", O_PATH | O_CLOEXEC));
  if (!probe.valid() && errno != ENOSYS) return ErrnoToStatus(errno, operation);
  return std::unique_ptr<PosixFileSystem>(
      new PosixFileSystem(std::move(root), probe.valid(), syscalls));
}

StatusOr<UniqueFd> PosixFileSystem::OpenBeneath(const Path& path, int flags,
                                                std::string_view operation) const {
  if (!have_openat2_) return WalkBeneath(root_.get(), path, flags, operation);
  std::string relative = path.IsRoot() ? "." : path.ToString();
  int base = root_.get();
  UniqueFd parent;
  // The kernel limits one path string to PATH_MAX bytes including its NUL, one
  // less than the protocol allows (R-PATH-1): resolve such a path in two steps,
  // both beneath the root, from the parent directory.
  if (relative.size() >= PATH_MAX) {
    FERRY_ASSIGN_OR_RETURN(parent,
                           OpenBeneath(path.Parent(), O_PATH | O_DIRECTORY | O_CLOEXEC, operation));
    base = parent.get();
    relative = std::string(path.Name());
  }
  for (int attempt = 1;; ++attempt) {
    UniqueFd fd(RawOpenAt2(base, relative.c_str(), flags));
    if (fd.valid()) return fd;
    if (errno != EAGAIN || attempt == kOpenAt2Attempts) return ErrnoToStatus(errno, operation);
  }
}

StatusOr<FileInfo> PosixFileSystem::Stat(const Path& path) {
  // An entry directly under the root needs no resolution beyond its own name:
  // one fstatat instead of openat2 + fstat + close. Only a symbolic link (which
  // may point anywhere) takes the confined path below.
  if (path.components().size() == 1) {
    struct stat st;
    if (fstatat(root_.get(), path.components()[0].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoToStatus(errno, "stat");
    }
    if (!S_ISLNK(st.st_mode)) return ToFileInfo(path.Name(), st);
  }
  FERRY_ASSIGN_OR_RETURN(UniqueFd fd, OpenBeneath(path, O_PATH | O_CLOEXEC, "stat"));
  return StatFd(fd.get(), path.Name(), "stat");
}

StatusOr<std::unique_ptr<DirectoryStream>> PosixFileSystem::OpenDirectory(const Path& path) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd fd,
                         OpenBeneath(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, "list"));
  DIR* dir = fdopendir(fd.get());
  if (dir == nullptr) return ErrnoToStatus(errno, "list");
  fd.release();  // now owned by `dir`
  std::unique_ptr<DirectoryStream> stream = std::make_unique<PosixDirectoryStream>(dir);
  return stream;
}

Status PosixFileSystem::Remove(const Path& path) {
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be removed");
  FERRY_ASSIGN_OR_RETURN(UniqueFd parent,
                         OpenBeneath(path.Parent(), O_PATH | O_DIRECTORY | O_CLOEXEC, "remove"));
  const char* name = path.components().back().c_str();
  // kIsADirectory comes from the entry's type (spec R-ERROR-6), not from the errno
  // unlink happens to give for a directory (EISDIR on Linux, EPERM in POSIX).
  struct stat st;
  if (fstatat(parent.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoToStatus(errno, "remove");
  }
  if (S_ISDIR(st.st_mode)) return ErrnoToStatus(EISDIR, "remove");
  if (unlinkat(parent.get(), name, 0) != 0) return ErrnoToStatus(errno, "remove");
  return Status::Ok();
}

Status PosixFileSystem::MakeDirectory(const Path& path) {
  constexpr std::string_view kOperation = "make directory";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root already exists");
  // O_RDONLY rather than O_PATH: the parent is flushed through this descriptor.
  FERRY_ASSIGN_OR_RETURN(
      UniqueFd parent, OpenBeneath(path.Parent(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kOperation));
  // mkdirat never follows a symbolic link at the final component: a link there,
  // even a dangling one pointing out of the root, gives EEXIST.
  if (mkdirat(parent.get(), path.components().back().c_str(), 0755) != 0) {
    return ErrnoToStatus(errno, kOperation);
  }
  // As for an upload's commit (R-UPLOAD-11): the entry exists now, so a failed
  // flush is kIoError whatever the errno, and the outcome after a crash unknown.
  if (syscalls_->Fsync(parent.get()) != 0) {
    return Status::Error(StatusCode::kIoError, ErrnoToStatus(errno, "flush directory").message());
  }
  return Status::Ok();
}

Status PosixFileSystem::RemoveDirectory(const Path& path) {
  constexpr std::string_view kOperation = "remove directory";
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be removed");
  FERRY_ASSIGN_OR_RETURN(
      UniqueFd parent, OpenBeneath(path.Parent(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kOperation));
  const char* name = path.components().back().c_str();
  // kNotADirectory comes from the entry's type (R-RMDIR-3): a symbolic link is
  // never followed, wherever it points.
  struct stat st;
  if (fstatat(parent.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoToStatus(errno, kOperation);
  }
  if (!S_ISDIR(st.st_mode)) return ErrnoToStatus(ENOTDIR, kOperation);
  if (unlinkat(parent.get(), name, AT_REMOVEDIR) != 0) {
    // POSIX allows EEXIST for a directory that is not empty.
    return ErrnoToStatus(errno == EEXIST ? ENOTEMPTY : errno, kOperation);
  }
  // As for mkdir (R-MKDIR-3): the entry is gone; only its durability is unknown.
  if (syscalls_->Fsync(parent.get()) != 0) {
    return Status::Error(StatusCode::kIoError, ErrnoToStatus(errno, "flush directory").message());
  }
  return Status::Ok();
}

Status PosixFileSystem::Rename(const Path& from, const Path& to, bool overwrite) {
  constexpr std::string_view kOperation = "rename";
  if (from.IsRoot() || to.IsRoot()) {
    return Status::Error(StatusCode::kInvalidPath, "the root cannot be moved or replaced");
  }
  // Readable, not O_PATH: both parents are flushed through these (R-RENAME-5).
  // Each is resolved beneath the root on its own; the final components are
  // never followed, so neither side can leave the root (R-PATH-11).
  FERRY_ASSIGN_OR_RETURN(
      UniqueFd from_dir,
      OpenBeneath(from.Parent(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kOperation));
  FERRY_ASSIGN_OR_RETURN(UniqueFd to_dir,
                         OpenBeneath(to.Parent(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, kOperation));
  const char* from_name = from.components().back().c_str();
  const char* to_name = to.components().back().c_str();
  struct stat source;
  if (fstatat(from_dir.get(), from_name, &source, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoToStatus(errno, kOperation);
  }
  if (overwrite) {
    if (syscalls_->Rename(from_dir.get(), from_name, to_dir.get(), to_name, 0) != 0) {
      // POSIX allows EEXIST for a non-empty directory target.
      return RenameErrnoToStatus(errno == EEXIST ? ENOTEMPTY : errno, kOperation);
    }
  } else {
    FERRY_RETURN_IF_ERROR(
        MoveNoReplace(from_dir.get(), from_name, to_dir.get(), to_name, S_ISDIR(source.st_mode)));
  }
  // The entry has moved; only its durability is unknown if a flush fails
  // (as for an upload, R-UPLOAD-15).
  struct stat from_st, to_st;
  const bool same_dir = fstat(from_dir.get(), &from_st) == 0 && fstat(to_dir.get(), &to_st) == 0 &&
                        from_st.st_dev == to_st.st_dev && from_st.st_ino == to_st.st_ino;
  if (syscalls_->Fsync(to_dir.get()) != 0 || (!same_dir && syscalls_->Fsync(from_dir.get()) != 0)) {
    return Status::Error(StatusCode::kIoError, ErrnoToStatus(errno, "flush directory").message());
  }
  return Status::Ok();
}

// R-RENAME-2: never replaces what is at the target, decided atomically.
Status PosixFileSystem::MoveNoReplace(int from_dir, const char* from_name, int to_dir,
                                      const char* to_name, bool is_directory) {
  constexpr std::string_view kOperation = "rename";
  if (syscalls_->Rename(from_dir, from_name, to_dir, to_name, RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  // EINVAL is either a directory moved into itself or a file system without
  // RENAME_NOREPLACE; the fallbacks below tell them apart.
  if (errno != EINVAL) return RenameErrnoToStatus(errno, kOperation);
  if (!is_directory) {
    // link() fails with EEXIST rather than replace, as atomically. For a moment
    // both names show the entry; then the old one goes.
    if (syscalls_->Link(from_dir, from_name, to_dir, to_name) != 0) {
      return ErrnoToStatus(errno, kOperation);
    }
    if (unlinkat(from_dir, from_name, 0) != 0) {
      const int err = errno;
      unlinkat(to_dir, to_name, 0);  // undo: the entry stays where it was
      return ErrnoToStatus(err, kOperation);
    }
    return Status::Ok();
  }
  // A directory cannot be linked. An empty placeholder claims the target name
  // atomically (mkdir fails if anything is there); a plain rename then replaces
  // only that placeholder.
  if (mkdirat(to_dir, to_name, 0700) != 0) return ErrnoToStatus(errno, kOperation);
  if (syscalls_->Rename(from_dir, from_name, to_dir, to_name, 0) != 0) {
    const int err = errno;
    unlinkat(to_dir, to_name, AT_REMOVEDIR);
    // Something was put into the placeholder meanwhile: it was not there first.
    return RenameErrnoToStatus(err == ENOTEMPTY || err == EEXIST ? EEXIST : err, kOperation);
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<ReadableFile>> PosixFileSystem::OpenForRead(const Path& path) {
  // Classify through an O_PATH descriptor before opening for real: opening a
  // device can have side effects (a tape rewinds, a watchdog starts), and opening
  // a socket fails with ENXIO where the contract wants kNotARegularFile
  // (R-DOWNLOAD-4).
  {
    FERRY_ASSIGN_OR_RETURN(UniqueFd probe, OpenBeneath(path, O_PATH | O_CLOEXEC, "open"));
    FERRY_RETURN_IF_ERROR(StatReadable(probe.get(), path.Name(), "open").status());
  }
  // The path may have been swapped since, so this open must not block on a FIFO
  // either (O_NONBLOCK) and its result is checked again.
  FERRY_ASSIGN_OR_RETURN(UniqueFd fd,
                         OpenBeneath(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, "open"));
  FERRY_ASSIGN_OR_RETURN(FileInfo info, StatReadable(fd.get(), path.Name(), "open"));
  std::unique_ptr<ReadableFile> file =
      std::make_unique<PosixReadableFile>(syscalls_, std::move(fd), std::move(info));
  return file;
}

StatusOr<UniqueFd> PosixFileSystem::OpenUploadParent(const Path& path,
                                                     const UploadOptions& options) const {
  if (path.IsRoot()) return Status::Error(StatusCode::kInvalidPath, "the root cannot be replaced");
  FERRY_ASSIGN_OR_RETURN(
      UniqueFd parent,
      OpenBeneath(path.Parent(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, "create upload"));
  const std::string& name = path.components().back();
  FERRY_RETURN_IF_ERROR(CheckUploadTarget(parent.get(), name.c_str(), options.overwrite));
  // Never hand fallocate a size that turns negative as an off_t.
  if (options.size > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return ErrnoToStatus(EFBIG, "create upload");
  }
  return parent;
}

StatusOr<std::unique_ptr<PendingUpload>> PosixFileSystem::ResumeUpload(
    const Path& path, const UploadOptions& options, std::unique_ptr<KeptUpload> kept) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd parent, OpenUploadParent(path, options));
  auto* posix = dynamic_cast<PosixKeptUpload*>(kept.get());
  struct stat now, then;
  // The kept temporary is used only where it was kept: the path must still lead
  // to the same directory, and the file must be as it was left.
  if (posix != nullptr && posix->size() <= options.size && fstat(parent.get(), &now) == 0 &&
      fstat(posix->parent().get(), &then) == 0 && now.st_dev == then.st_dev &&
      now.st_ino == then.st_ino) {
    UniqueFd file(openat(parent.get(), posix->temp_name().c_str(),
                         O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat st;
    if (file.valid() && fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<uint64_t>(st.st_size) == posix->size() &&
        lseek(file.get(), st.st_size, SEEK_SET) == st.st_size) {
      auto upload = std::make_unique<PosixPendingUpload>(
          syscalls_, std::move(parent), std::move(file), posix->temp_name(),
          path.components().back(), options.overwrite, posix->size());
      posix->Release();
      FERRY_RETURN_IF_ERROR(upload->Reserve(options.size));
      std::unique_ptr<PendingUpload> result = std::move(upload);
      return result;
    }
  }
  kept.reset();  // unusable: remove it and start afresh
  return CreateUpload(path, options);
}

StatusOr<std::unique_ptr<PendingUpload>> PosixFileSystem::CreateUpload(
    const Path& path, const UploadOptions& options) {
  FERRY_ASSIGN_OR_RETURN(UniqueFd parent, OpenUploadParent(path, options));
  const std::string& name = path.components().back();
  FERRY_ASSIGN_OR_RETURN(std::string temp_name, TemporaryName());
  // Readable too: a kept upload's prefix is read back when it resumes.
  UniqueFd file(openat(parent.get(), temp_name.c_str(),
                       O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!file.valid()) return ErrnoToStatus(errno, "create upload");
  auto upload = std::make_unique<PosixPendingUpload>(syscalls_, std::move(parent), std::move(file),
                                                     std::move(temp_name), name, options.overwrite);
  // On failure the upload's destructor removes the temporary.
  FERRY_RETURN_IF_ERROR(upload->Reserve(options.size));
  std::unique_ptr<PendingUpload> result = std::move(upload);
  return result;
}

// Below this many files a group's flushes run one after another: starting
// threads would cost more than the overlap saves.
constexpr size_t kParallelFlushGroup = 8;
constexpr size_t kFlushThreads = 16;

void PosixFileSystem::CommitUploads(std::span<PendingUpload* const> uploads,
                                    std::span<Status> results) {
  std::vector<PosixPendingUpload*> group;
  for (PendingUpload* upload : uploads) {
    auto* posix = dynamic_cast<PosixPendingUpload*>(upload);
    if (posix == nullptr) return FileSystem::CommitUploads(uploads, results);
    group.push_back(posix);
  }
  if (group.size() < 2) return FileSystem::CommitUploads(uploads, results);
  // Each step runs for the whole group before the next (spec R-GROUP-2), so the
  // file system can make them durable together: ext4 commits one journal
  // transaction for all the files' blocks, then one for all the renames, instead
  // of two per file. Every file is flushed on its own (not with syncfs), so that
  // a failure is the failing upload's alone and other programs' dirty data
  // never delays this commit.
  // `threads` above 1 runs the step's calls side by side; the step still ends
  // for the whole group before the next begins.
  const auto step = [&](auto&& action, size_t threads = 1) {
    ParallelEach(group.size(), threads, [&](size_t i) {
      if (!results[i].ok()) return;
      results[i] = action(*group[i]);
      if (!results[i].ok()) group[i]->DiscardTemporary();
    });
  };
  for (Status& result : results) result = Status::Ok();
  step([](PosixPendingUpload& upload) { return upload.StartFlush(); });
  // Each fsync waits for the device to flush its cache, even when the journal
  // commit it needs has already been done by another file's fsync; issued side
  // by side, those waits overlap and the block layer merges the flushes.
  step([](PosixPendingUpload& upload) { return upload.FlushFile(); },
       group.size() < kParallelFlushGroup ? 1 : kFlushThreads);
  step([](PosixPendingUpload& upload) { return upload.Move(); });
  // One flush per directory, after the last move into it; every upload moved
  // into a directory whose flush fails is kIoError.
  std::vector<std::pair<std::pair<dev_t, ino_t>, Status>> outcomes;
  for (size_t i = 0; i < group.size(); ++i) {
    if (!results[i].ok()) continue;
    struct stat st;
    if (fstat(group[i]->parent_fd(), &st) != 0) {
      results[i] = FlushDirectory(syscalls_, group[i]->parent_fd());
      continue;
    }
    const std::pair<dev_t, ino_t> id(st.st_dev, st.st_ino);
    const auto known = std::find_if(outcomes.begin(), outcomes.end(),
                                    [&](const auto& outcome) { return outcome.first == id; });
    if (known != outcomes.end()) {
      results[i] = known->second;
      continue;
    }
    outcomes.emplace_back(id, FlushDirectory(syscalls_, group[i]->parent_fd()));
    results[i] = outcomes.back().second;
  }
}

StatusOr<StaleTemporaryCleanup> PosixFileSystem::RemoveStaleTemporaries() {
  constexpr std::string_view kOperation = "remove stale temporaries";
  UniqueFd root(openat(root_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return ErrnoToStatus(errno, kOperation);
  StaleTemporaryCleanup cleanup;
  RemoveTemporariesBelow(std::move(root), 0, &cleanup);
  return cleanup;
}

}  // namespace ferry
