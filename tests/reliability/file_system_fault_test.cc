// Every step of an upload and of a download fails in turn, under the real Session
// and Client, over both FileSystem implementations (PosixFileSystem on a real
// disk, InMemoryFileSystem), through FaultInjectionFileSystem.
//
// For each failure: the client gets the typed error the errno maps to (spec 9.1),
// the target is byte-identical or still absent, no temporary is listed or left
// on disk, and the connection stays usable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/base/digest.h"
#include "src/fs/in_memory_file_system.h"
#include "src/fs/posix_file_system.h"
#include "tests/reliability/session_rig.h"
#include "tests/reliability/tally.h"
#include "tests/testing/fault_injection_file_system.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry::reliability {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// The failures a disk gives.
constexpr InjectedErrno kErrnos[] = {
    {ENOSPC, StatusCode::kNoSpace},          {EIO, StatusCode::kIoError},
    {EACCES, StatusCode::kPermissionDenied}, {EDQUOT, StatusCode::kNoSpace},
    {EROFS, StatusCode::kPermissionDenied},
};

constexpr size_t kFileBytes = kRigChunkBytes * 7 / 2;  // four chunks, the last half full

Path P(std::string_view text) { return Path::Parse(text).value(); }

// A FileSystem to wrap, and a look at its storage behind the protocol's back.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual FileSystem* fs() = 0;
  virtual void Put(std::string_view name, const std::string& contents) = 0;
  // The stored bytes, or nullopt if there is no such file.
  virtual std::optional<std::string> Stored(std::string_view name) = 0;
  // Temporaries in storage: files on disk, or the fake's pending uploads.
  virtual size_t Temporaries() = 0;
};

class PosixBackend : public Backend {
 public:
  PosixBackend() : fs_(PosixFileSystem::Open(dir_.path()).value()) {}
  FileSystem* fs() override { return fs_.get(); }
  void Put(std::string_view name, const std::string& contents) override {
    FERRY_EXPECT_OK(dir_.WriteFile(name, contents));
  }
  std::optional<std::string> Stored(std::string_view name) override {
    StatusOr<std::string> contents = dir_.ReadFile(name);
    if (!contents.ok()) return std::nullopt;
    return *contents;
  }
  size_t Temporaries() override { return TemporariesOnDisk(dir_.path()); }

 private:
  TempDir dir_;
  std::unique_ptr<PosixFileSystem> fs_;
};

class InMemoryBackend : public Backend {
 public:
  FileSystem* fs() override { return &fs_; }
  void Put(std::string_view name, const std::string& contents) override {
    FERRY_EXPECT_OK(fs_.AddFile(P(name), contents));
  }
  std::optional<std::string> Stored(std::string_view name) override {
    StatusOr<std::string> contents = fs_.ReadFileForTest(P(name));
    if (!contents.ok()) return std::nullopt;
    return *contents;
  }
  size_t Temporaries() override {
    return fs_.PendingUploadsForTest() + fs_.StaleTemporariesForTest();
  }

 private:
  InMemoryFileSystem fs_;
};

using BackendFactory = std::function<std::unique_ptr<Backend>()>;

struct BackendParam {
  const char* name;
  BackendFactory make;
};

class FileSystemFaultTest : public ::testing::TestWithParam<BackendParam> {
 protected:
  // One trial's world: storage, the fault injector around it, a connected client.
  struct Trial {
    std::unique_ptr<Backend> backend;
    std::unique_ptr<FaultInjectionFileSystem> faults;
    std::unique_ptr<SessionRig> rig;
  };

  Trial NewTrial(const std::optional<std::string>& old_target) {
    Trial trial;
    trial.backend = GetParam().make();
    if (old_target) trial.backend->Put("t.bin", *old_target);
    trial.faults = std::make_unique<FaultInjectionFileSystem>(trial.backend->fs());
    trial.rig = std::make_unique<SessionRig>(trial.faults.get());
    EXPECT_TRUE(trial.rig->ok());
    return trial;
  }

  // What every failed transfer must leave: the target as it was, nothing else
  // listed, no temporary in storage, and a connection that still answers.
  void ExpectCleanAfterFailure(Trial& trial, const std::optional<std::string>& old_target) {
    const std::optional<std::string> stored = trial.backend->Stored("t.bin");
    EXPECT_EQ(stored, old_target);
    if (stored != old_target) {
      CountBytesLost(BytesDiffering(old_target.value_or(""), stored.value_or("")) +
                     (stored.has_value() != old_target.has_value()));
    }
    const size_t temporaries = trial.backend->Temporaries();
    EXPECT_EQ(temporaries, 0u);
    if (temporaries != 0) CountBytesLost(temporaries);
    ASSERT_TRUE(trial.rig->client().connected());
    const StatusOr<std::vector<std::string>> names = trial.rig->ListNames("");
    ASSERT_THAT(names, IsOk());
    if (old_target) {
      EXPECT_THAT(*names, ElementsAre("t.bin"));
      EXPECT_THAT(trial.rig->client().Stat("t.bin"), IsOk());
    } else {
      EXPECT_THAT(*names, ElementsAre());
      EXPECT_THAT(trial.rig->client().Stat("t.bin"), StatusIs(StatusCode::kNotFound));
    }
  }
};

// R-UPLOAD-14, R-DUR-3, R-ERROR-6: a failure at each step of an upload, with and
// without an old target to replace.
TEST_P(FileSystemFaultTest, UploadFailingAtEveryStepChangesNothingAndKeepsTheConnection) {
  const std::string fresh = Pattern(kFileBytes, 1);
  for (const std::optional<std::string>& old_target :
       {std::optional<std::string>(Pattern(kFileBytes / 3, 2)), std::optional<std::string>()}) {
    SCOPED_TRACE(old_target ? "replacing an old target" : "no old target");
    std::vector<FsOperation> steps;
    {
      Trial clean = NewTrial(old_target);
      clean.faults->ClearSteps();
      ASSERT_THAT(clean.rig->Upload("t.bin", fresh, /*overwrite=*/true), IsOk());
      steps = clean.faults->Steps();
      ASSERT_EQ(clean.backend->Stored("t.bin"), fresh);
    }
    // CreateUpload, one Write per chunk, Commit.
    ASSERT_EQ(steps.size(), 6u);
    EXPECT_EQ(steps.front(), FsOperation::kCreateUpload);
    EXPECT_EQ(steps.back(), FsOperation::kCommit);
    for (uint64_t step = 1; step <= steps.size(); ++step) {
      for (const InjectedErrno& injected : kErrnos) {
        SCOPED_TRACE(std::string(FsOperationName(steps[step - 1])) + " (step " +
                     std::to_string(step) + "), errno " + std::to_string(injected.err));
        Trial trial = NewTrial(old_target);
        trial.faults->FailStep(step, injected.err);
        EXPECT_THAT(trial.rig->Upload("t.bin", fresh, /*overwrite=*/true), StatusIs(injected.code));
        ASSERT_TRUE(trial.faults->fired());
        CountFaults();
        ExpectCleanAfterFailure(trial, old_target);
        // The same connection then uploads successfully.
        ASSERT_THAT(trial.rig->Upload("t.bin", fresh, /*overwrite=*/true), IsOk());
        EXPECT_EQ(trial.backend->Stored("t.bin"), fresh);
      }
    }
  }
}

// R-ERROR-6: a failure at each step of a download reaches the
// client as its typed error; the file is untouched and can then be downloaded.
TEST_P(FileSystemFaultTest, DownloadFailingAtEveryStepReportsItAndKeepsTheConnection) {
  const std::string contents = Pattern(kFileBytes, 3);
  std::vector<FsOperation> steps;
  {
    Trial clean = NewTrial(contents);
    clean.faults->ClearSteps();
    ASSERT_THAT(clean.rig->Download("t.bin"), IsOkAndHolds(contents));
    steps = clean.faults->Steps();
  }
  // OpenForRead, one read per chunk.
  ASSERT_EQ(steps.size(), 5u);
  EXPECT_EQ(steps.front(), FsOperation::kOpenForRead);
  for (uint64_t step = 1; step <= steps.size(); ++step) {
    for (const InjectedErrno& injected : kErrnos) {
      SCOPED_TRACE(std::string(FsOperationName(steps[step - 1])) + " (step " +
                   std::to_string(step) + "), errno " + std::to_string(injected.err));
      Trial trial = NewTrial(contents);
      trial.faults->FailStep(step, injected.err);
      EXPECT_THAT(trial.rig->Download("t.bin"), StatusIs(injected.code));
      ASSERT_TRUE(trial.faults->fired());
      CountFaults();
      ExpectCleanAfterFailure(trial, contents);
      EXPECT_THAT(trial.rig->Download("t.bin"), IsOkAndHolds(contents));
    }
  }
}

// R-DOWNLOAD-5: reads that return less than asked are continued, not mistaken
// for the end of the file.
TEST_P(FileSystemFaultTest, ShortReadsStillDeliverEveryByte) {
  const std::string contents = Pattern(kFileBytes, 4);
  Trial trial = NewTrial(contents);
  trial.faults->LimitReads(4093);
  trial.faults->ClearSteps();
  EXPECT_THAT(trial.rig->Download("t.bin"), IsOkAndHolds(contents));
  const size_t reads = trial.faults->Steps().size() - 1;
  EXPECT_GE(reads, kFileBytes / 4093);
  CountFaults();  // one fault: this download's reads were all cut short
}

// R-ERROR-6: stat, listing (opening and reading the directory) and remove report
// the storage's failure as its code; nothing changes and the connection stays.
TEST_P(FileSystemFaultTest, MetadataRequestsReportTheInjectedError) {
  const std::string contents = Pattern(100, 5);
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    Trial trial = NewTrial(contents);
    trial.faults->FailNth(FsOperation::kStat, 1, injected.err);
    EXPECT_THAT(trial.rig->client().Stat("t.bin"), StatusIs(injected.code));
    trial.faults->FailNth(FsOperation::kOpenDirectory, 1, injected.err);
    EXPECT_THAT(trial.rig->client().List(""), StatusIs(injected.code));
    trial.faults->FailNth(FsOperation::kReadDirectory, 2, injected.err);  // after one entry
    EXPECT_THAT(trial.rig->client().List(""), StatusIs(injected.code));
    trial.faults->FailNth(FsOperation::kRemove, 1, injected.err);
    EXPECT_THAT(trial.rig->client().Remove("t.bin"), StatusIs(injected.code));
    ASSERT_TRUE(trial.faults->fired());
    CountFaults(4);
    ExpectCleanAfterFailure(trial, contents);
  }
}

// R-RENAME-1, R-ERROR-6: a failing rename (and a failing read under a hash)
// reports the storage's error; nothing moves and the connection stays.
TEST_P(FileSystemFaultTest, RenameAndHashReportTheInjectedError) {
  const std::string contents = Pattern(kFileBytes, 6);
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    Trial trial = NewTrial(contents);
    trial.faults->FailNth(FsOperation::kRename, 1, injected.err);
    EXPECT_THAT(trial.rig->client().Rename("t.bin", "moved.bin", true), StatusIs(injected.code));
    ASSERT_TRUE(trial.faults->fired());
    trial.faults->FailNth(FsOperation::kRead, 2, injected.err);
    EXPECT_THAT(trial.rig->client().Hash("t.bin"), StatusIs(injected.code));
    ASSERT_TRUE(trial.faults->fired());
    CountFaults(2);
    EXPECT_THAT(trial.rig->client().Stat("moved.bin"), StatusIs(StatusCode::kNotFound));
    ExpectCleanAfterFailure(trial, contents);
    auto hash = trial.rig->client().Hash("t.bin");
    ASSERT_THAT(hash, IsOk());
    EXPECT_EQ(hash->digest,
              DigestOf(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(contents.data()),
                                                contents.size())));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Backends, FileSystemFaultTest,
    ::testing::Values(
        BackendParam{"Posix", [] { return std::unique_ptr<Backend>(new PosixBackend); }},
        BackendParam{"InMemory", [] { return std::unique_ptr<Backend>(new InMemoryBackend); }}),
    [](const ::testing::TestParamInfo<BackendParam>& param) { return param.param.name; });

}  // namespace
}  // namespace ferry::reliability
