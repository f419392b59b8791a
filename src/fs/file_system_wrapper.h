// FileSystemWrapper: forwards every call to another FileSystem (in the manner
// of leveldb::EnvWrapper), so a subclass overrides only the calls it changes:
// fault injection in tests, or a read-only policy in front of a real filesystem.
#pragma once

#include "src/fs/file_system.h"

namespace ferry {

class FileSystemWrapper : public FileSystem {
 public:
  // `target` is not owned and must outlive the wrapper.
  explicit FileSystemWrapper(FileSystem* target) : target_(target) {}

  FileSystem* target() const { return target_; }

  StatusOr<FileInfo> Stat(const Path& path) override { return target_->Stat(path); }
  StatusOr<std::unique_ptr<DirectoryStream>> OpenDirectory(const Path& path) override {
    return target_->OpenDirectory(path);
  }
  Status Remove(const Path& path) override { return target_->Remove(path); }
  StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const Path& path) override {
    return target_->OpenForRead(path);
  }
  StatusOr<std::unique_ptr<PendingUpload>> CreateUpload(const Path& path,
                                                        const UploadOptions& options) override {
    return target_->CreateUpload(path, options);
  }

 private:
  FileSystem* target_;
};

}  // namespace ferry
