// FaultInjectionFileSystem: wraps any FileSystem and makes a chosen call fail, in
// the manner of leveldb's FaultInjectionTestEnv.
//
// Every call through the wrapper, and through the streams, files and uploads it
// hands out, is one numbered step of one kind (FsOperation). A clean run records
// the steps (Steps()); a test then arms a fault at step 1, 2, ... N in turn and
// checks what each failure leaves behind. An armed fault fires once: the call
// returns the Status that the errno it names maps to through the one errno table
// (src/fs/errno_status.h), and is otherwise not made, except that a failing Write
// first passes half of its bytes on, as a disk that fills up mid-write would.
// ReadAt can also be made short, to prove callers loop.
//
// Thread-safe; the objects it returns must not outlive it or the wrapped
// FileSystem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "src/fs/file_system.h"

namespace ferry {

enum class FsOperation {
  kStat,
  kOpenDirectory,
  kReadDirectory,  // DirectoryStream::Next
  kRemove,
  kOpenForRead,
  kRead,  // ReadableFile::ReadAt
  kCreateUpload,
  kWrite,   // PendingUpload::Write
  kCommit,  // PendingUpload::Commit
  kRemoveStaleTemporaries,
  kMakeDirectory,
  kRemoveDirectory,
  kRename,
};

std::string_view FsOperationName(FsOperation operation);

class FaultInjectionFileSystem : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(FileSystem* inner) : inner_(inner) {}

  // Makes the `step`th call from now on (1-based, counting every kind) fail with
  // `err`. Forgets the steps recorded so far.
  void FailStep(uint64_t step, int err);
  // Makes the `nth` call of kind `operation` from now on fail with `err`.
  void FailNth(FsOperation operation, uint64_t nth, int err);
  // Makes every ReadAt ask the wrapped file for at most `bytes` bytes (0: no limit).
  void LimitReads(size_t bytes);

  // The calls since the last FailStep, FailNth or ClearSteps, in order.
  std::vector<FsOperation> Steps() const;
  void ClearSteps();
  // Whether the armed fault has fired.
  bool fired() const;

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

 private:
  class Stream;
  class File;
  class Upload;

  // Records one call of `operation`; the injected failure if it is the armed one.
  Status Enter(FsOperation operation);
  size_t read_limit() const;

  FileSystem* const inner_;
  mutable std::mutex mu_;
  std::vector<FsOperation> steps_;
  // The armed fault: by overall step, or by kind and count.
  uint64_t fail_step_ = 0;
  bool by_kind_ = false;
  FsOperation fail_kind_ = FsOperation::kStat;
  uint64_t fail_nth_ = 0;
  uint64_t kind_calls_ = 0;
  int fail_errno_ = 0;
  bool fired_ = false;
  size_t read_limit_ = 0;
};

}  // namespace ferry
