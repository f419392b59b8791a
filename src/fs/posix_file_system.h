// PosixFileSystem: the served root on a real Linux filesystem.
//
// Confinement (spec R-SEC-1, R-PATH-10, R-PATH-11) is the kernel's job, not
// string checking: every path is resolved
// by openat2(2) relative to a descriptor for the root, with RESOLVE_BENEATH (no
// absolute paths, no ".." above the root, no symbolic link leading out) and
// RESOLVE_NO_MAGICLINKS (no /proc/self/fd-style jumps). Because the kernel checks
// each step as it walks, swapping a directory for a symbolic link in the middle
// of a request cannot make it escape. Nothing here ever resolves a path relative
// to the process's working directory.
//
// On kernels without openat2 (before Linux 5.6) paths are instead walked one
// component at a time from the root with O_NOFOLLOW. That refuses every symbolic
// link, including those that stay inside the root: kPermissionDenied.
//
// This file and posix_syscalls.cc are the only ones in ferry that call open,
// read, write, unlink and friends.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "src/fs/file_system.h"
#include "src/fs/posix_syscalls.h"
#include "src/fs/unique_fd.h"

namespace ferry {

class PosixFileSystem : public FileSystem {
 public:
  // Serves the directory `root_dir`. kNotFound if it does not exist,
  // kNotADirectory if it is not a directory, kPermissionDenied if it may not be
  // reached. The directory is held open, so renaming it later changes nothing.
  // Every call that moves an upload's bytes or commits it goes through
  // `syscalls` (tests pass one that fails on demand); it must outlive this object.
  static StatusOr<std::unique_ptr<PosixFileSystem>> Open(
      const std::string& root_dir, PosixSyscalls* syscalls = PosixSyscalls::Real());

  StatusOr<FileInfo> Stat(const Path& path) override;
  StatusOr<std::unique_ptr<DirectoryStream>> OpenDirectory(const Path& path) override;
  Status Remove(const Path& path) override;
  Status MakeDirectory(const Path& path) override;
  Status RemoveDirectory(const Path& path) override;
  Status Rename(const Path& from, const Path& to, bool overwrite) override;
  StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const Path& path) override;
  StatusOr<std::unique_ptr<PendingUpload>> CreateUpload(const Path& path,
                                                        const UploadOptions& options) override;
  StatusOr<StaleTemporaryCleanup> RemoveStaleTemporaries() override;
  StatusOr<std::unique_ptr<PendingUpload>> ResumeUpload(const Path& path,
                                                        const UploadOptions& options,
                                                        std::unique_ptr<KeptUpload> kept) override;
  // Flushes every file (write-back started for all first), then moves them all,
  // then flushes each directory once.
  void CommitUploads(std::span<PendingUpload* const> uploads, std::span<Status> results) override;

 private:
  PosixFileSystem(UniqueFd root, bool have_openat2, PosixSyscalls* syscalls)
      : root_(std::move(root)), have_openat2_(have_openat2), syscalls_(syscalls) {}

  // open(2) of `path` with `flags`, resolved beneath the root; failures are
  // reported as failures of `operation`.
  StatusOr<UniqueFd> OpenBeneath(const Path& path, int flags, std::string_view operation) const;
  // The parent directory of an upload to `path`, after the checks of R-UPLOAD-4.
  StatusOr<UniqueFd> OpenUploadParent(const Path& path, const UploadOptions& options) const;
  // Rename without replacing: renameat2(RENAME_NOREPLACE), or where the file
  // system lacks it a step just as atomic against an existing target (R-RENAME-2).
  Status MoveNoReplace(int from_dir, const char* from_name, int to_dir, const char* to_name,
                       bool is_directory);

  const UniqueFd root_;
  const bool have_openat2_;
  PosixSyscalls* const syscalls_;
};

}  // namespace ferry
