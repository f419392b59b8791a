#include "tests/testing/fault_injection_file_system.h"

#include <algorithm>
#include <string>

#include "src/fs/errno_status.h"

namespace ferry {

std::string_view FsOperationName(FsOperation operation) {
  switch (operation) {
    case FsOperation::kStat:
      return "stat";
    case FsOperation::kOpenDirectory:
      return "open directory";
    case FsOperation::kReadDirectory:
      return "read directory";
    case FsOperation::kRemove:
      return "remove";
    case FsOperation::kOpenForRead:
      return "open for read";
    case FsOperation::kRead:
      return "read";
    case FsOperation::kCreateUpload:
      return "create upload";
    case FsOperation::kWrite:
      return "write";
    case FsOperation::kCommit:
      return "commit";
    case FsOperation::kRemoveStaleTemporaries:
      return "remove stale temporaries";
    case FsOperation::kMakeDirectory:
      return "make directory";
    case FsOperation::kRemoveDirectory:
      return "remove directory";
    case FsOperation::kRename:
      return "rename";
  }
  return "?";
}

class FaultInjectionFileSystem::Stream : public DirectoryStream {
 public:
  Stream(FaultInjectionFileSystem* fs, std::unique_ptr<DirectoryStream> inner)
      : fs_(fs), inner_(std::move(inner)) {}

  StatusOr<std::optional<FileInfo>> Next() override {
    FERRY_RETURN_IF_ERROR(fs_->Enter(FsOperation::kReadDirectory));
    return inner_->Next();
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::unique_ptr<DirectoryStream> inner_;
};

class FaultInjectionFileSystem::File : public ReadableFile {
 public:
  File(FaultInjectionFileSystem* fs, std::unique_ptr<ReadableFile> inner)
      : fs_(fs), inner_(std::move(inner)) {}

  const FileInfo& info() const override { return inner_->info(); }

  StatusOr<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    FERRY_RETURN_IF_ERROR(fs_->Enter(FsOperation::kRead));
    const size_t limit = fs_->read_limit();
    if (limit != 0 && out.size() > limit) out = out.first(limit);
    return inner_->ReadAt(offset, out);
  }

  // No descriptor: every byte must pass through ReadAt to be counted.
  int native_handle() const override { return -1; }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::unique_ptr<ReadableFile> inner_;
};

class FaultInjectionFileSystem::Upload : public PendingUpload {
 public:
  Upload(FaultInjectionFileSystem* fs, std::unique_ptr<PendingUpload> inner)
      : fs_(fs), inner_(std::move(inner)) {}

  Status Write(std::span<const uint8_t> data) override {
    const Status injected = fs_->Enter(FsOperation::kWrite);
    if (injected.ok()) return inner_->Write(data);
    // Half the bytes land before the failure, as when the disk fills mid-write.
    inner_->Write(data.first(data.size() / 2)).IgnoreError();
    return injected;
  }

  // A failing commit is never passed on: destroying the wrapped upload then
  // discards its temporary, which is what a failed commit must leave.
  Status Commit() override {
    FERRY_RETURN_IF_ERROR(fs_->Enter(FsOperation::kCommit));
    return inner_->Commit();
  }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::unique_ptr<PendingUpload> inner_;
};

void FaultInjectionFileSystem::FailStep(uint64_t step, int err) {
  std::lock_guard lock(mu_);
  steps_.clear();
  fail_step_ = step;
  by_kind_ = false;
  fail_errno_ = err;
  fired_ = false;
}

void FaultInjectionFileSystem::FailNth(FsOperation operation, uint64_t nth, int err) {
  std::lock_guard lock(mu_);
  steps_.clear();
  fail_step_ = 0;
  by_kind_ = true;
  fail_kind_ = operation;
  fail_nth_ = nth;
  kind_calls_ = 0;
  fail_errno_ = err;
  fired_ = false;
}

void FaultInjectionFileSystem::LimitReads(size_t bytes) {
  std::lock_guard lock(mu_);
  read_limit_ = bytes;
}

std::vector<FsOperation> FaultInjectionFileSystem::Steps() const {
  std::lock_guard lock(mu_);
  return steps_;
}

void FaultInjectionFileSystem::ClearSteps() {
  std::lock_guard lock(mu_);
  steps_.clear();
}

bool FaultInjectionFileSystem::fired() const {
  std::lock_guard lock(mu_);
  return fired_;
}

size_t FaultInjectionFileSystem::read_limit() const {
  std::lock_guard lock(mu_);
  return read_limit_;
}

Status FaultInjectionFileSystem::Enter(FsOperation operation) {
  std::lock_guard lock(mu_);
  steps_.push_back(operation);
  bool fire = false;
  if (by_kind_) {
    fire = operation == fail_kind_ && ++kind_calls_ == fail_nth_;
  } else {
    fire = fail_step_ != 0 && steps_.size() == fail_step_;
  }
  if (!fire || fired_) return Status::Ok();
  fired_ = true;
  return ErrnoToStatus(fail_errno_, "injected " + std::string(FsOperationName(operation)));
}

StatusOr<FileInfo> FaultInjectionFileSystem::Stat(const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kStat));
  return inner_->Stat(path);
}

StatusOr<std::unique_ptr<DirectoryStream>> FaultInjectionFileSystem::OpenDirectory(
    const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kOpenDirectory));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<DirectoryStream> inner, inner_->OpenDirectory(path));
  std::unique_ptr<DirectoryStream> stream = std::make_unique<Stream>(this, std::move(inner));
  return stream;
}

Status FaultInjectionFileSystem::Remove(const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kRemove));
  return inner_->Remove(path);
}

Status FaultInjectionFileSystem::MakeDirectory(const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kMakeDirectory));
  return inner_->MakeDirectory(path);
}

Status FaultInjectionFileSystem::RemoveDirectory(const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kRemoveDirectory));
  return inner_->RemoveDirectory(path);
}

Status FaultInjectionFileSystem::Rename(const Path& from, const Path& to, bool overwrite) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kRename));
  return inner_->Rename(from, to, overwrite);
}

StatusOr<std::unique_ptr<ReadableFile>> FaultInjectionFileSystem::OpenForRead(const Path& path) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kOpenForRead));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ReadableFile> inner, inner_->OpenForRead(path));
  std::unique_ptr<ReadableFile> file = std::make_unique<File>(this, std::move(inner));
  return file;
}

StatusOr<std::unique_ptr<PendingUpload>> FaultInjectionFileSystem::CreateUpload(
    const Path& path, const UploadOptions& options) {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kCreateUpload));
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<PendingUpload> inner, inner_->CreateUpload(path, options));
  std::unique_ptr<PendingUpload> upload = std::make_unique<Upload>(this, std::move(inner));
  return upload;
}

StatusOr<StaleTemporaryCleanup> FaultInjectionFileSystem::RemoveStaleTemporaries() {
  FERRY_RETURN_IF_ERROR(Enter(FsOperation::kRemoveStaleTemporaries));
  return inner_->RemoveStaleTemporaries();
}

}  // namespace ferry
