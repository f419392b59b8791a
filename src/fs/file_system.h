// FileSystem: the server's only way to touch files (in the manner of leveldb::Env).
//
// Implementations: PosixFileSystem (the real one, confined to a served root),
// InMemoryFileSystem (a fake for tests and fuzzing), MockFileSystem (gMock, in
// tests/mocks). Every method takes a Path that has already passed the protocol's
// path rules and is relative to the served root. Every method is safe to call
// from several threads at once; the objects it returns are used by one thread
// and must not outlive the FileSystem that made them.
//
// Error codes are part of the contract and are checked by the shared contract
// suite (tests/unit/file_system_contract_test.cc) against every implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "src/base/status.h"
#include "src/fs/path.h"

namespace ferry {

enum class FileType { kRegular, kDirectory, kSymlink, kOther };

struct FileInfo {
  std::string name;  // last path component; "" for the root
  FileType type = FileType::kRegular;
  uint64_t size = 0;  // bytes for regular files, 0 otherwise
  int64_t mtime_unix_ns = 0;
  uint32_t mode = 0;  // permission bits (07777)

  bool operator==(const FileInfo&) const = default;
};

// A file opened for a download. Its size is fixed when it is opened: a download
// sends exactly info().size bytes, whatever happens to the file meanwhile.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;

  virtual const FileInfo& info() const = 0;

  // Reads up to out.size() bytes at `offset` and returns how many were read; 0
  // means end of file. kIoError if the storage fails.
  virtual StatusOr<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) = 0;

  // The operating-system descriptor, for zero-copy sends; -1 when there is none.
  virtual int native_handle() const { return -1; }
};

// The entries of one directory, streamed so memory does not grow with its size.
class DirectoryStream {
 public:
  virtual ~DirectoryStream() = default;

  // The next entry, or std::nullopt at the end. Never yields "." or "..", nor
  // reserved names (upload temporaries). An entry that vanishes while being read
  // is skipped. Symbolic links are reported as kSymlink, not followed. kIoError if
  // the storage fails.
  virtual StatusOr<std::optional<FileInfo>> Next() = 0;
};

class KeptUpload;

// An upload in progress. Bytes go to a hidden temporary beside the target; the
// target is untouched until Commit succeeds, and the temporary never outlives the
// object, unless Keep hands it over to a KeptUpload.
class PendingUpload {
 public:
  virtual ~PendingUpload() = default;  // implementations discard an uncommitted temporary

  // Appends bytes. kNoSpace when the disk is full, kIoError when it fails.
  virtual Status Write(std::span<const uint8_t> data) = 0;

  // Makes the bytes durable and visible at the target in one step: flush the
  // file to stable storage, move it over the target, flush the directory. The
  // committed file holds exactly the bytes written. Call it at most once, and
  // Write no more after it.
  // kAlreadyExists if the upload was created without overwrite and the target has
  // appeared since (the check is atomic). kIoError/kNoSpace if flushing the file
  // fails: the target is unchanged. kIoError if flushing the directory after the
  // rename fails: the target then holds the old or the complete new content, never
  // a mix, and which one survives a crash is unknown. On any failure the temporary
  // is gone.
  virtual Status Commit() = 0;

  // Resume (spec 7.8). The members below have defaults so that an
  // implementation without resume stays one: it never keeps a temporary, and
  // ResumeUpload then always starts afresh.

  // Bytes the temporary already held when the upload was opened: 0 from
  // CreateUpload, the kept bytes from ResumeUpload.
  virtual uint64_t resumed_size() const { return 0; }

  // Reads back up to out.size() bytes already in the temporary at `offset`
  // (to hash a kept prefix); 0 at its end. kIoError if the storage fails.
  virtual StatusOr<size_t> ReadBack(uint64_t /*offset*/, std::span<uint8_t> /*out*/) {
    return Status::Error(StatusCode::kUnsupported, "this file system cannot read back an upload");
  }

  // Ends the upload without committing it, and keeps the temporary with every
  // byte written so far, flushed to stable storage first, for ResumeUpload.
  // Call it at most once, instead of Commit; nothing may be called after it.
  // kIoError/kNoSpace if the flush fails, kUnsupported without resume: the
  // temporary is then gone.
  virtual StatusOr<std::unique_ptr<KeptUpload>> Keep();
};

// The temporary of an interrupted upload, kept so that the upload can continue
// (spec 7.8). Destroying it removes the temporary, unless ResumeUpload has
// taken the temporary over. It must not outlive its FileSystem.
class KeptUpload {
 public:
  virtual ~KeptUpload() = default;
  // The bytes it holds, all on stable storage.
  virtual uint64_t size() const = 0;
};

// What FileSystem::RemoveStaleTemporaries did.
struct StaleTemporaryCleanup {
  uint64_t removed = 0;  // temporaries removed
  // Temporaries that could not be removed, and directories that could not be
  // searched for them.
  uint64_t failed = 0;
};

struct UploadOptions {
  uint64_t size = 0;       // bytes that will be written; may be used to reserve space
  bool overwrite = false;  // replace an existing target
};

class FileSystem {
 public:
  FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;
  virtual ~FileSystem() = default;

  // Describes `path`, following symbolic links that stay inside the root.
  // kNotFound if it does not exist; kNotADirectory if a prefix is not a directory;
  // kPermissionDenied if it resolves outside the root or may not be searched.
  virtual StatusOr<FileInfo> Stat(const Path& path) = 0;

  // Opens a directory for listing.
  // kNotFound; kNotADirectory if `path` is not a directory; kPermissionDenied.
  virtual StatusOr<std::unique_ptr<DirectoryStream>> OpenDirectory(const Path& path) = 0;

  // Removes a file or a symbolic link (the link itself, never its target).
  // kInvalidPath for the root; kIsADirectory for a directory; kNotFound;
  // kNotADirectory; kPermissionDenied; kBusy; kIoError.
  virtual Status Remove(const Path& path) = 0;

  // Creates the directory `path` with mode 0755 (less the umask), and flushes
  // its parent to stable storage so that the new entry survives a crash
  // (spec R-MKDIR-3). The parent must exist.
  // kInvalidPath for the root; kNotFound if the parent does not exist;
  // kNotADirectory if a prefix is not a directory; kAlreadyExists if anything
  // (a file, a directory, a symbolic link, dangling or not) is at `path`;
  // kPermissionDenied; kNoSpace; kIoError, also when the entry was made but the
  // flush failed (the directory then exists, but may not survive a crash).
  virtual Status MakeDirectory(const Path& path) = 0;
  // Removes the empty directory `path` (never what a symbolic link points to),
  // and flushes its parent to stable storage (spec R-RMDIR-1).
  // kInvalidPath for the root; kNotFound; kNotADirectory if `path` is not a
  // directory (a symbolic link included) or a prefix is not one;
  // kDirectoryNotEmpty if it holds any entry, reserved ones included;
  // kPermissionDenied; kBusy; kIoError, also when the entry is gone but the
  // flush failed.
  virtual Status RemoveDirectory(const Path& path) = 0;
  // Moves the entry at `from` (never what a symbolic link points to) to `to` in
  // one atomic step, then flushes the directories involved (spec R-RENAME-1,
  // R-RENAME-5). Without `overwrite` an entry at `to` is never replaced, checked
  // atomically with the move; with it, `to` is replaced (a directory only by a
  // directory, and only if empty).
  // kInvalidPath for the root on either side, or `to` inside the directory
  // `from`; kNotFound (`from`, or a prefix or the parent of `to`);
  // kNotADirectory; kIsADirectory; kAlreadyExists; kDirectoryNotEmpty;
  // kPermissionDenied (also across file systems); kNoSpace; kBusy; kIoError,
  // also when the entry moved but a flush failed.
  virtual Status Rename(const Path& from, const Path& to, bool overwrite) = 0;
  // Opens a regular file for reading.
  // kNotFound; kIsADirectory; kNotARegularFile for FIFOs, sockets and devices
  // (never blocks on them); kPermissionDenied; kNotADirectory; kIoError.
  virtual StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const Path& path) = 0;

  // Starts an upload to `path`. The parent directory must exist. Checks run in
  // the order of spec R-UPLOAD-4 and the first failure is returned:
  // kInvalidPath for the root; kNotFound if the parent does not exist,
  // kNotADirectory if a prefix is not a directory, kPermissionDenied if one may
  // not be searched; then the target: kIsADirectory, kNotARegularFile for a
  // special file, kAlreadyExists if it exists and !options.overwrite; then
  // kPermissionDenied if the temporary cannot be created, kNoSpace if space for
  // options.size cannot be reserved.
  // An existing symbolic link at the target is replaced, never written through.
  virtual StatusOr<std::unique_ptr<PendingUpload>> CreateUpload(const Path& path,
                                                                const UploadOptions& options) = 0;

  // Removes every upload temporary (a regular file or link with a reserved name,
  // R-UPLOAD-17) anywhere under the root: after a crash or a kill, the ones the
  // previous server left behind (spec R-DUR-1). It cannot tell a stale temporary
  // from a live one, so call it only while no upload is in progress (before
  // serving). It never follows a symbolic link and never leaves the root; a
  // directory with a reserved name is neither entered nor removed. It keeps going
  // past what it may not search or remove, counting it as failed, and fails
  // (kPermissionDenied, kIoError) only if the root itself cannot be listed.
  virtual StatusOr<StaleTemporaryCleanup> RemoveStaleTemporaries() = 0;

  // Continues an upload to `path` from `kept`, which PendingUpload::Keep of an
  // upload to the same path made. The checks and their errors are CreateUpload's.
  // If the kept temporary is no longer usable (it is gone, its size changed, it
  // holds more than options.size, or `path` now leads to another directory), it
  // is removed and the upload starts empty, as from CreateUpload: the result's
  // resumed_size() tells which. On an error the kept temporary is removed too.
  // The default, for file systems without resume, always starts empty.
  virtual StatusOr<std::unique_ptr<PendingUpload>> ResumeUpload(const Path& path,
                                                                const UploadOptions& options,
                                                                std::unique_ptr<KeptUpload> kept) {
    kept.reset();
    return CreateUpload(path, options);
  }

  // Group commit (spec R-GROUP-2): commits several uploads, all made by this
  // file system, with each outcome exactly what uploads[i]->Commit() alone
  // would give, in results[i] (results.size() == uploads.size()). The effect is
  // that of committing them one after another in order (a later upload to the
  // same target wins; a no-clobber one that finds an earlier one in place fails
  // kAlreadyExists), and a crash at any moment leaves every target old or
  // complete new: all files are flushed before any is moved into place, and
  // each directory is flushed after the last move into it. An implementation
  // may share its flushes between the uploads (one journal commit for all).
  // This default commits them one by one.
  virtual void CommitUploads(std::span<PendingUpload* const> uploads, std::span<Status> results) {
    for (size_t i = 0; i < uploads.size(); ++i) results[i] = uploads[i]->Commit();
  }
};

inline StatusOr<std::unique_ptr<KeptUpload>> PendingUpload::Keep() {
  return Status::Error(StatusCode::kUnsupported, "this file system cannot keep an upload");
}

}  // namespace ferry
