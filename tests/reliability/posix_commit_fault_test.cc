// Faults below the FileSystem interface, on a real disk: the system calls that
// write and commit an upload (write, fallocate, fsync of the file, the atomic
// rename, fsync of the directory) and the read behind a download fail one at a
// time through PosixFileSystem's PosixSyscalls seam, under the real Session and
// Client. Writes are made short, or stall. And a real ferryd runs out of room
// under RLIMIT_FSIZE, where the kernel itself writes short and then refuses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/fs/posix_file_system.h"
#include "tests/reliability/session_rig.h"
#include "tests/reliability/tally.h"
#include "tests/testing/failing_posix_syscalls.h"
#include "tests/testing/file_size_limit.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry::reliability {
namespace {

using ::testing::AnyOf;
using ::testing::ElementsAre;

constexpr size_t kFileBytes = kRigChunkBytes * 7 / 2;  // four chunks

// The failures a disk gives, EFBIG (a file past its size limit) among them.
constexpr InjectedErrno kErrnos[] = {
    {ENOSPC, StatusCode::kNoSpace},          {EIO, StatusCode::kIoError},
    {EACCES, StatusCode::kPermissionDenied}, {EDQUOT, StatusCode::kNoSpace},
    {EROFS, StatusCode::kPermissionDenied},  {EFBIG, StatusCode::kNoSpace},
};

// A served directory on disk whose PosixFileSystem makes its calls through a
// FailingPosixSyscalls, and a client connected to it.
class Disk {
 public:
  explicit Disk(const std::optional<std::string>& old_target) {
    if (old_target) {
      EXPECT_THAT(dir_.WriteFile("t.bin", *old_target), IsOk());
    }
    fs_ = PosixFileSystem::Open(dir_.path(), &syscalls_).value();
    rig_ = std::make_unique<SessionRig>(fs_.get());
    EXPECT_TRUE(rig_->ok());
  }

  FailingPosixSyscalls& syscalls() { return syscalls_; }
  SessionRig& rig() { return *rig_; }
  std::optional<std::string> Target() const {
    StatusOr<std::string> contents = dir_.ReadFile("t.bin");
    if (!contents.ok()) return std::nullopt;
    return *contents;
  }
  size_t Temporaries() const { return TemporariesOnDisk(dir_.path()); }

 private:
  TempDir dir_;
  FailingPosixSyscalls syscalls_;  // outlives fs_, which calls it
  std::unique_ptr<PosixFileSystem> fs_;
  std::unique_ptr<SessionRig> rig_;
};

// Counts and reports a target that is not what it must be.
void ExpectTarget(const Disk& disk, const std::optional<std::string>& expected) {
  const std::optional<std::string> actual = disk.Target();
  EXPECT_EQ(actual.has_value(), expected.has_value());
  if (actual != expected) {
    ADD_FAILURE() << "the target is not byte-identical to what it must be";
    CountBytesLost(BytesDiffering(expected.value_or(""), actual.value_or("")) + 1);
  }
}

void ExpectNoTemporaries(Disk& disk) {
  const size_t temporaries = disk.Temporaries();
  EXPECT_EQ(temporaries, 0u);
  if (temporaries != 0) CountBytesLost(temporaries);
  const StatusOr<std::vector<std::string>> names = disk.rig().ListNames("");
  ASSERT_THAT(names, IsOk());
  for (const std::string& name : *names) EXPECT_EQ(name, "t.bin");
}

// R-UPLOAD-11, R-UPLOAD-14, R-UPLOAD-15, R-DUR-3: each system call of an upload
// fails in turn. Before the rename the old target stays byte-identical (or
// absent); a failed directory flush after it is IO_ERROR with the complete new
// file in place. No temporary is ever left, and the connection stays usable.
TEST(PosixCommitFaultTest, EverySystemCallOfAnUploadFailingLeavesOldOrNewNeverAMix) {
  const std::string fresh = Pattern(kFileBytes, 11);
  for (const std::optional<std::string>& old_target :
       {std::optional<std::string>(Pattern(kFileBytes / 5, 12)), std::optional<std::string>()}) {
    SCOPED_TRACE(old_target ? "replacing an old target" : "no old target");
    // Without overwrite when there is nothing to replace: the no-clobber move.
    const bool overwrite = old_target.has_value();
    std::vector<Syscall> steps;
    {
      Disk clean(old_target);
      clean.syscalls().FailStep(0, 0);
      ASSERT_THAT(clean.rig().Upload("t.bin", fresh, overwrite), IsOk());
      steps = clean.syscalls().Steps();
      ExpectTarget(clean, fresh);
    }
    // fallocate, four writes, fsync file, rename, fsync directory.
    ASSERT_EQ(steps.size(), 8u);
    EXPECT_EQ(steps.front(), Syscall::kFallocate);
    EXPECT_EQ(steps[5], Syscall::kFsync);
    EXPECT_EQ(steps[6], Syscall::kRename);
    EXPECT_EQ(steps[7], Syscall::kFsync);
    for (uint64_t step = 1; step <= steps.size(); ++step) {
      for (const InjectedErrno& injected : kErrnos) {
        SCOPED_TRACE(std::string(SyscallName(steps[step - 1])) + " (step " + std::to_string(step) +
                     "), errno " + std::to_string(injected.err));
        Disk disk(old_target);
        disk.syscalls().FailStep(step, injected.err);
        const StatusOr<TransferResult> result = disk.rig().Upload("t.bin", fresh, overwrite);
        ASSERT_TRUE(disk.syscalls().fired());
        CountFaults();
        const bool reservation = step == 1;
        const bool after_rename = step == steps.size();
        if (reservation && injected.code != StatusCode::kNoSpace) {
          // Reserving space is an optimisation: only "no room" is an answer.
          EXPECT_THAT(result, IsOk());
          ExpectTarget(disk, fresh);
        } else if (after_rename) {
          EXPECT_THAT(result, StatusIs(StatusCode::kIoError));  // R-UPLOAD-15
          ExpectTarget(disk, fresh);
        } else {
          EXPECT_THAT(result, StatusIs(injected.code));
          ExpectTarget(disk, old_target);
        }
        ExpectNoTemporaries(disk);
        ASSERT_TRUE(disk.rig().client().connected());
        EXPECT_THAT(disk.rig().client().Stat(""), IsOk());
      }
    }
  }
}

// R-DUR-3: the kernel may write less than asked; every byte still arrives.
TEST(PosixCommitFaultTest, ShortWritesAreRetriedToCompletion) {
  for (const size_t limit : {size_t{1}, size_t{7}, size_t{4093}}) {
    SCOPED_TRACE("at most " + std::to_string(limit) + " bytes per write");
    const std::string fresh = Pattern(limit == 1 ? 10'000 : kFileBytes, limit);
    Disk disk(Pattern(100, 13));
    disk.syscalls().FailStep(0, 0);
    disk.syscalls().LimitWrites(limit);
    EXPECT_THAT(disk.rig().Upload("t.bin", fresh, /*overwrite=*/true), IsOk());
    ExpectTarget(disk, fresh);
    ExpectNoTemporaries(disk);
    uint64_t writes = 0;
    for (const Syscall call : disk.syscalls().Steps()) writes += call == Syscall::kWrite;
    EXPECT_GE(writes, fresh.size() / limit);
    CountFaults();  // one fault: this upload's writes were all cut short
  }
}

// R-DUR-3: a write that makes no progress is an I/O error, not an endless loop.
TEST(PosixCommitFaultTest, AWriteThatMakesNoProgressIsAnIoError) {
  const std::string old_target = Pattern(100, 14);
  Disk disk(old_target);
  disk.syscalls().StallWrites(true);
  EXPECT_THAT(disk.rig().Upload("t.bin", Pattern(kFileBytes, 15), /*overwrite=*/true),
              StatusIs(StatusCode::kIoError));
  CountFaults();
  ExpectTarget(disk, old_target);
  ExpectNoTemporaries(disk);
}

// R-ERROR-6: a read failing mid-download reaches the client as its code.
TEST(PosixCommitFaultTest, EveryReadOfADownloadFailingIsReported) {
  const std::string contents = Pattern(kFileBytes, 16);
  for (uint64_t step = 1; step <= 4; ++step) {
    for (const InjectedErrno& injected : kErrnos) {
      SCOPED_TRACE("read " + std::to_string(step) + ", errno " + std::to_string(injected.err));
      Disk disk(contents);
      disk.syscalls().FailStep(step, injected.err);
      EXPECT_THAT(disk.rig().Download("t.bin"), StatusIs(injected.code));
      ASSERT_TRUE(disk.syscalls().fired());
      CountFaults();
      ExpectTarget(disk, contents);
      EXPECT_THAT(disk.rig().Download("t.bin"), IsOkAndHolds(contents));
    }
  }
}

// R-ERROR-6: a file that fits in one chunk is sent in one write (DownloadBegin,
// chunk, DownloadEnd); its read failing still reaches the client as its code.
TEST(PosixCommitFaultTest, AFailingReadOfAOneChunkDownloadIsReported) {
  const std::string contents = Pattern(1000, 21);
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    Disk disk(contents);
    disk.syscalls().FailStep(1, injected.err);
    EXPECT_THAT(disk.rig().Download("t.bin"), StatusIs(injected.code));
    ASSERT_TRUE(disk.syscalls().fired());
    CountFaults();
    EXPECT_THAT(disk.rig().Download("t.bin"), IsOkAndHolds(contents));
  }
}

// R-MKDIR-3: mkdir flushes the parent directory, and a failed flush is IO_ERROR
// whatever the errno (the directory exists, its durability is unknown).
TEST(PosixCommitFaultTest, MakeDirectoryWhoseParentFlushFailsIsAnIoError) {
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    TempDir dir;
    FailingPosixSyscalls syscalls;
    std::unique_ptr<PosixFileSystem> fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
    FERRY_ASSERT_OK(fs->MakeDirectory(Path::Parse("clean").value()));
    EXPECT_THAT(syscalls.Steps(), ElementsAre(Syscall::kFsync));
    syscalls.FailStep(1, injected.err);
    EXPECT_THAT(fs->MakeDirectory(Path::Parse("flaky").value()), StatusIs(StatusCode::kIoError));
    ASSERT_TRUE(syscalls.fired());
    CountFaults();
    EXPECT_TRUE(std::filesystem::is_directory(dir.Path("flaky")));
  }
}

// R-RMDIR-1: likewise for rmdir: the directory is gone, the answer IO_ERROR.
TEST(PosixCommitFaultTest, RemoveDirectoryWhoseParentFlushFailsIsAnIoError) {
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    TempDir dir;
    std::filesystem::create_directory(dir.Path("clean"));
    std::filesystem::create_directory(dir.Path("flaky"));
    FailingPosixSyscalls syscalls;
    std::unique_ptr<PosixFileSystem> fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
    FERRY_ASSERT_OK(fs->RemoveDirectory(Path::Parse("clean").value()));
    EXPECT_THAT(syscalls.Steps(), ElementsAre(Syscall::kFsync));
    syscalls.FailStep(1, injected.err);
    EXPECT_THAT(fs->RemoveDirectory(Path::Parse("flaky").value()), StatusIs(StatusCode::kIoError));
    ASSERT_TRUE(syscalls.fired());
    CountFaults();
    EXPECT_FALSE(std::filesystem::exists(dir.Path("flaky")));
  }
}

// R-RENAME-5: the move's own failure leaves everything in place; a failed flush
// of either parent afterwards is IO_ERROR with the entry moved.
TEST(PosixCommitFaultTest, RenameWhoseMoveOrFlushFailsReportsIt) {
  for (const InjectedErrno& injected : kErrnos) {
    SCOPED_TRACE("errno " + std::to_string(injected.err));
    TempDir dir;
    std::filesystem::create_directory(dir.Path("a"));
    std::filesystem::create_directory(dir.Path("b"));
    FERRY_ASSERT_OK(dir.WriteFile("a/f", "moving"));
    FailingPosixSyscalls syscalls;
    std::unique_ptr<PosixFileSystem> fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
    const Path from = Path::Parse("a/f").value();
    const Path to = Path::Parse("b/f").value();
    // Across directories: the move, then a flush of each parent.
    FERRY_ASSERT_OK(fs->Rename(from, to, false));
    EXPECT_THAT(syscalls.Steps(), ElementsAre(Syscall::kRename, Syscall::kFsync, Syscall::kFsync));
    FERRY_ASSERT_OK(fs->Rename(to, from, true));
    syscalls.FailStep(1, injected.err);
    EXPECT_THAT(fs->Rename(from, to, true), StatusIs(injected.code));
    ASSERT_TRUE(syscalls.fired());
    EXPECT_EQ(dir.ReadFile("a/f").value(), "moving");
    EXPECT_FALSE(std::filesystem::exists(dir.Path("b/f")));
    for (const uint64_t flush : {2, 3}) {
      syscalls.FailStep(flush, injected.err);
      EXPECT_THAT(fs->Rename(from, to, true), StatusIs(StatusCode::kIoError));
      ASSERT_TRUE(syscalls.fired());
      EXPECT_EQ(dir.ReadFile("b/f").value(), "moving");
      FERRY_ASSERT_OK(fs->Rename(to, from, true));
    }
    CountFaults(3);
  }
}

// R-DUR-3, R-UPLOAD-14: a real ferryd whose files may not grow past a limit
// (RLIMIT_FSIZE). The kernel writes short up to the limit and then fails with
// EFBIG; the server must neither die of SIGXFSZ nor leave anything behind.
TEST(PosixCommitFaultTest, ServerOverItsFileSizeLimitAnswersNoSpaceAndKeepsServing) {
  constexpr rlim_t kLimit = 100'000;
  TempDir root;
  const std::string old_target = Pattern(5'000, 17);
  FERRY_ASSERT_OK(root.WriteFile("t.bin", old_target));
  ServerProcess server;
  {
    FileSizeLimit limit(kLimit);
    FERRY_ASSERT_OK(server.Start(root.path()));
  }
  auto client = Client::Connect(HostPort{"127.0.0.1", server.port()}, ClientOptions{});
  ASSERT_THAT(client, IsOk());
  // Under the limit, which may not count as a failure...
  const std::string small = Pattern(kLimit / 2, 18);
  // ...and over it: refused when the space is reserved, or when a write crosses
  // the limit (short) and the next one fails.
  const std::string large = Pattern(kLimit * 3, 19);
  for (const std::string* contents : {&large, &small}) {
    size_t offset = 0;
    TransferOptions options;
    options.overwrite = true;
    const StatusOr<TransferResult> result = (*client)->Upload(
        "t.bin", contents->size(),
        [&](std::span<uint8_t> out) {
          const size_t n = std::min(out.size(), contents->size() - offset);
          std::memcpy(out.data(), contents->data() + offset, n);
          offset += n;
          return StatusOr<size_t>(n);
        },
        options);
    if (contents == &large) {
      EXPECT_THAT(result, StatusIs(StatusCode::kNoSpace));
      CountFaults();
      EXPECT_THAT(root.ReadFile("t.bin"), IsOkAndHolds(old_target));
      EXPECT_EQ(TemporariesOnDisk(root.path()), 0u);
      EXPECT_THAT((*client)->Stat("t.bin"), IsOk());
    } else {
      EXPECT_THAT(result, IsOk());
      EXPECT_THAT(root.ReadFile("t.bin"), IsOkAndHolds(small));
    }
  }
}

}  // namespace
}  // namespace ferry::reliability
