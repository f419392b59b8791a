// gMock doubles for the FileSystem interface and the objects it returns.
//
// The usual pattern is a mock that delegates to a real InMemoryFileSystem, with
// one call overridden to inject a failure:
//
//   InMemoryFileSystem fake;
//   NiceMock<MockFileSystem> fs;
//   fs.DelegateToFake(&fake);
//   EXPECT_CALL(fs, Remove(_)).WillOnce(Return(Status::Error(StatusCode::kBusy, "x")));
//
// Methods returning StatusOr<std::unique_ptr<...>> are move-only and have no
// default value, so actions for them must be lambdas or Return(ByMove(...)).
#pragma once

#include <gmock/gmock.h>

#include <memory>
#include <optional>
#include <span>

#include "src/fs/file_system.h"
#include "src/fs/in_memory_file_system.h"

namespace ferry {

class MockReadableFile : public ReadableFile {
 public:
  MOCK_METHOD(const FileInfo&, info, (), (const, override));
  MOCK_METHOD(StatusOr<size_t>, ReadAt, (uint64_t offset, std::span<uint8_t> out), (override));
  MOCK_METHOD(int, native_handle, (), (const, override));
};

class MockDirectoryStream : public DirectoryStream {
 public:
  MOCK_METHOD(StatusOr<std::optional<FileInfo>>, Next, (), (override));
};

class MockPendingUpload : public PendingUpload {
 public:
  MOCK_METHOD(Status, Write, (std::span<const uint8_t> data), (override));
  MOCK_METHOD(Status, Commit, (), (override));
  MOCK_METHOD(uint64_t, resumed_size, (), (const, override));
  MOCK_METHOD(StatusOr<size_t>, ReadBack, (uint64_t offset, std::span<uint8_t> out), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<KeptUpload>>, Keep, (), (override));
};

class MockKeptUpload : public KeptUpload {
 public:
  MOCK_METHOD(uint64_t, size, (), (const, override));
};

class MockFileSystem : public FileSystem {
 public:
  MOCK_METHOD(StatusOr<FileInfo>, Stat, (const Path& path), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<DirectoryStream>>, OpenDirectory, (const Path& path),
              (override));
  MOCK_METHOD(Status, Remove, (const Path& path), (override));
  MOCK_METHOD(Status, MakeDirectory, (const Path& path), (override));
  MOCK_METHOD(Status, RemoveDirectory, (const Path& path), (override));
  MOCK_METHOD(Status, Rename, (const Path& from, const Path& to, bool overwrite), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<ReadableFile>>, OpenForRead, (const Path& path), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<PendingUpload>>, CreateUpload,
              (const Path& path, const UploadOptions& options), (override));
  MOCK_METHOD(StatusOr<StaleTemporaryCleanup>, RemoveStaleTemporaries, (), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<PendingUpload>>, ResumeUpload,
              (const Path& path, const UploadOptions& options, std::unique_ptr<KeptUpload> kept),
              (override));

  // Makes every call that no EXPECT_CALL claims go to `fake`, which must outlive
  // this mock.
  void DelegateToFake(InMemoryFileSystem* fake) {
    using ::testing::_;
    ON_CALL(*this, Stat(_)).WillByDefault([fake](const Path& path) { return fake->Stat(path); });
    ON_CALL(*this, OpenDirectory(_)).WillByDefault([fake](const Path& path) {
      return fake->OpenDirectory(path);
    });
    ON_CALL(*this, Remove(_)).WillByDefault([fake](const Path& path) {
      return fake->Remove(path);
    });
    ON_CALL(*this, MakeDirectory(_)).WillByDefault([fake](const Path& path) {
      return fake->MakeDirectory(path);
    });
    ON_CALL(*this, RemoveDirectory(_)).WillByDefault([fake](const Path& path) {
      return fake->RemoveDirectory(path);
    });
    ON_CALL(*this, Rename(_, _, _))
        .WillByDefault([fake](const Path& from, const Path& to, bool overwrite) {
          return fake->Rename(from, to, overwrite);
        });
    ON_CALL(*this, OpenForRead(_)).WillByDefault([fake](const Path& path) {
      return fake->OpenForRead(path);
    });
    ON_CALL(*this, CreateUpload(_, _))
        .WillByDefault([fake](const Path& path, const UploadOptions& options) {
          return fake->CreateUpload(path, options);
        });
    ON_CALL(*this, RemoveStaleTemporaries()).WillByDefault([fake] {
      return fake->RemoveStaleTemporaries();
    });
    ON_CALL(*this, ResumeUpload(_, _, _))
        .WillByDefault([fake](const Path& path, const UploadOptions& options,
                              std::unique_ptr<KeptUpload> kept) {
          return fake->ResumeUpload(path, options, std::move(kept));
        });
  }
};

}  // namespace ferry
