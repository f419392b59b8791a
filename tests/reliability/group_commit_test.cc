// Group commit (spec R-GROUP-1 to R-GROUP-5) under faults, on a real disk:
// each system call of a group commit fails in turn through PosixFileSystem's
// PosixSyscalls seam; a target that appears during the uploads fails only its
// own upload; and a real ferryd is killed with SIGKILL while a client pipelines
// many small uploads, so that groups are open at the moment of the kill.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/fs/posix_file_system.h"
#include "src/net/socket.h"
#include "tests/reliability/session_rig.h"
#include "tests/reliability/tally.h"
#include "tests/testing/failing_posix_syscalls.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry::reliability {
namespace {

constexpr InjectedErrno kErrnos[] = {
    {ENOSPC, StatusCode::kNoSpace},
    {EIO, StatusCode::kIoError},
    {EROFS, StatusCode::kPermissionDenied},
};

// Three uploads made by one PosixFileSystem: "a" replaces an old file, "b" is
// new (no-clobber), "c" replaces an old file; each holds its own contents.
struct Group {
  std::vector<std::string> names{"a", "b", "c"};
  std::vector<std::optional<std::string>> old{Pattern(300, 1), std::nullopt, Pattern(500, 3)};
  std::vector<std::string> fresh{Pattern(4096, 11), Pattern(5000, 12), Pattern(1, 13)};
};

void ExpectFile(const TempDir& dir, const std::string& name,
                const std::optional<std::string>& expected) {
  const StatusOr<std::string> actual = dir.ReadFile(name);
  const std::optional<std::string> got =
      actual.ok() ? std::optional<std::string>(*actual) : std::nullopt;
  if (got != expected) {
    ADD_FAILURE() << name << " is not what it must be";
    CountBytesLost(BytesDiffering(expected.value_or(""), got.value_or("")) + 1);
  }
}

// Creates the group's uploads on `fs`, writes their bytes, and commits them together.
std::vector<Status> CommitGroup(FileSystem& fs, const Group& group) {
  std::vector<std::unique_ptr<PendingUpload>> uploads;
  for (size_t i = 0; i < group.names.size(); ++i) {
    auto upload = fs.CreateUpload(Path::Parse(group.names[i]).value(),
                                  UploadOptions{group.fresh[i].size(), group.old[i].has_value()});
    EXPECT_THAT(upload, IsOk());
    if (!upload.ok()) return {};
    const std::string& bytes = group.fresh[i];
    EXPECT_THAT((*upload)->Write(std::span<const uint8_t>(
                    reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())),
                IsOk());
    uploads.push_back(std::move(*upload));
  }
  std::vector<PendingUpload*> pointers;
  for (auto& upload : uploads) pointers.push_back(upload.get());
  std::vector<Status> results(pointers.size());
  fs.CommitUploads(pointers, results);
  return results;
}

// Writes the group's old targets into `dir`.
void WriteOldFiles(const TempDir& dir, const Group& group) {
  for (size_t i = 0; i < group.names.size(); ++i) {
    if (group.old[i]) {
      FERRY_EXPECT_OK(dir.WriteFile(group.names[i], *group.old[i]));
    }
  }
}

// The system calls of the group's uploads and commit when none fails; the
// clean run must commit every upload.
std::vector<Syscall> CleanRunSteps(const Group& group) {
  TempDir dir;
  WriteOldFiles(dir, group);
  FailingPosixSyscalls syscalls;
  auto fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
  syscalls.FailStep(0, 0);
  for (const Status& result : CommitGroup(*fs, group)) EXPECT_THAT(result, IsOk());
  for (size_t i = 0; i < group.names.size(); ++i) ExpectFile(dir, group.names[i], group.fresh[i]);
  return syscalls.Steps();
}

// R-GROUP-2, R-UPLOAD-14, R-UPLOAD-15, R-DUR-3: each system call of a group
// commit fails in turn. The upload whose file flush, write-back or move fails
// gets that failure's code and keeps its old target; the others commit. A
// failed directory flush is IO_ERROR for every upload moved into it, each with
// its complete new file. No temporary is ever left.
TEST(GroupCommitFaultTest, EveryBarrierOfAGroupCommitFailingLeavesEachFileOldOrNew) {
  const Group group;
  const std::vector<Syscall> steps = CleanRunSteps(group);
  // Per upload: fallocate, write; then the group: three write-backs started,
  // three file flushes, three moves, one directory flush.
  ASSERT_EQ(steps.size(), 16u);
  const size_t first_commit_step = 6;
  EXPECT_EQ(steps[first_commit_step], Syscall::kSyncFileRange);
  EXPECT_EQ(steps[first_commit_step + 3], Syscall::kFsync);
  EXPECT_EQ(steps[first_commit_step + 6], Syscall::kRename);
  EXPECT_EQ(steps.back(), Syscall::kFsync);
  for (size_t step = first_commit_step + 1; step <= steps.size(); ++step) {
    for (const InjectedErrno& injected : kErrnos) {
      SCOPED_TRACE(std::string(SyscallName(steps[step - 1])) + " (step " + std::to_string(step) +
                   "), errno " + std::to_string(injected.err));
      TempDir dir;
      WriteOldFiles(dir, group);
      FailingPosixSyscalls syscalls;
      auto fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
      syscalls.FailStep(step, injected.err);
      const std::vector<Status> results = CommitGroup(*fs, group);
      ASSERT_EQ(results.size(), 3u);
      ASSERT_TRUE(syscalls.fired());
      CountFaults();
      const bool directory_flush = step == steps.size();
      // Which upload the failing call belonged to: the commit's steps go
      // upload by upload within each of the three per-file phases.
      const size_t failing = (step - 1 - first_commit_step) % 3;
      for (size_t i = 0; i < 3; ++i) {
        SCOPED_TRACE(group.names[i]);
        if (directory_flush) {
          EXPECT_THAT(results[i], StatusIs(StatusCode::kIoError));  // R-UPLOAD-15
          ExpectFile(dir, group.names[i], group.fresh[i]);
        } else if (i == failing) {
          EXPECT_THAT(results[i], StatusIs(injected.code));
          ExpectFile(dir, group.names[i], group.old[i]);
        } else {
          EXPECT_THAT(results[i], IsOk());
          ExpectFile(dir, group.names[i], group.fresh[i]);
        }
      }
      const size_t temporaries = TemporariesOnDisk(dir.path());
      EXPECT_EQ(temporaries, 0u);
      if (temporaries != 0) CountBytesLost(temporaries);
    }
  }
}

// Twelve uploads, enough that the commit flushes their files side by side
// (PosixFileSystem runs a large group's fsyncs on several threads); every
// other one replaces an old file.
Group LargeGroup() {
  Group group;
  group.names.clear();
  group.old.clear();
  group.fresh.clear();
  for (int i = 0; i < 12; ++i) {
    group.names.push_back("f" + std::to_string(i));
    group.old.push_back(i % 2 == 0 ? std::optional<std::string>(Pattern(100 + i, i))
                                   : std::nullopt);
    group.fresh.push_back(Pattern(4096 + i, 40 + i));
  }
  return group;
}

// R-GROUP-2, R-UPLOAD-14: when a large group's file flushes run side by side
// and one of them fails, which upload it was depends on the threads; but it is
// exactly one, that upload gets the failure's code and keeps its old target,
// and every other upload commits. No temporary is left.
TEST(GroupCommitFaultTest, AFailingFlushAmongParallelFlushesFailsOnlyItsOwnUpload) {
  const Group group = LargeGroup();
  const size_t count = group.names.size();
  const std::vector<Syscall> steps = CleanRunSteps(group);
  // Per upload: fallocate, write; then the group: write-backs started, file
  // flushes, moves, one directory flush.
  ASSERT_EQ(steps.size(), 5 * count + 1);
  const size_t first_flush_step = 3 * count + 1;  // 1-based
  for (size_t step = first_flush_step; step < first_flush_step + count; ++step) {
    ASSERT_EQ(steps[step - 1], Syscall::kFsync);
    const InjectedErrno& injected = kErrnos[step % std::size(kErrnos)];
    SCOPED_TRACE("file flush at step " + std::to_string(step) + ", errno " +
                 std::to_string(injected.err));
    TempDir dir;
    WriteOldFiles(dir, group);
    FailingPosixSyscalls syscalls;
    auto fs = PosixFileSystem::Open(dir.path(), &syscalls).value();
    syscalls.FailStep(step, injected.err);
    const std::vector<Status> results = CommitGroup(*fs, group);
    ASSERT_EQ(results.size(), count);
    ASSERT_TRUE(syscalls.fired());
    CountFaults();
    size_t failed = 0;
    for (size_t i = 0; i < count; ++i) {
      SCOPED_TRACE(group.names[i]);
      if (results[i].ok()) {
        ExpectFile(dir, group.names[i], group.fresh[i]);
        continue;
      }
      ++failed;
      EXPECT_THAT(results[i], StatusIs(injected.code));
      ExpectFile(dir, group.names[i], group.old[i]);
    }
    EXPECT_EQ(failed, 1u);
    const size_t temporaries = TemporariesOnDisk(dir.path());
    EXPECT_EQ(temporaries, 0u);
    if (temporaries != 0) CountBytesLost(temporaries);
  }
}

// R-GROUP-2, R-UPLOAD-12: a no-clobber target that appears while its upload is
// in a group fails that upload alone with ALREADY_EXISTS, and the entry that
// appeared is untouched; the others commit.
TEST(GroupCommitFaultTest, ATargetThatAppearedFailsOnlyItsOwnUpload) {
  Group group;
  group.old = {std::nullopt, std::nullopt, std::nullopt};
  TempDir dir;
  auto fs = PosixFileSystem::Open(dir.path()).value();
  std::vector<std::unique_ptr<PendingUpload>> uploads;
  for (size_t i = 0; i < 3; ++i) {
    auto upload = fs->CreateUpload(Path::Parse(group.names[i]).value(),
                                   UploadOptions{group.fresh[i].size(), false});
    ASSERT_THAT(upload, IsOk());
    const std::string& bytes = group.fresh[i];
    FERRY_ASSERT_OK((*upload)->Write(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())));
    uploads.push_back(std::move(*upload));
  }
  const std::string intruder = Pattern(77, 99);
  FERRY_ASSERT_OK(dir.WriteFile("b", intruder));
  CountFaults();
  std::vector<PendingUpload*> pointers;
  for (auto& upload : uploads) pointers.push_back(upload.get());
  std::vector<Status> results(3);
  fs->CommitUploads(pointers, results);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(results[2], IsOk());
  ExpectFile(dir, "a", group.fresh[0]);
  ExpectFile(dir, "b", intruder);
  ExpectFile(dir, "c", group.fresh[2]);
  uploads.clear();
  EXPECT_EQ(TemporariesOnDisk(dir.path()), 0u);
}

// Pipelines `count` small uploads to a real server and records which ones the
// server acknowledged with UploadDone, until the connection ends.
class PipelinedUploader {
 public:
  PipelinedUploader(uint16_t port, std::vector<std::string> contents)
      : contents_(std::move(contents)), acknowledged_(contents_.size(), false) {
    auto stream = Connect(HostPort{"127.0.0.1", port}, std::chrono::seconds(10));
    EXPECT_THAT(stream, IsOk());
    if (!stream.ok()) return;
    stream_ = std::move(*stream);
    stream_->SetIoTimeout(std::chrono::seconds(30));  // a hang guard only
    FrameWriter writer(stream_.get());
    v1::ClientMessage hello;
    hello.mutable_hello()->set_min_version(limits::kProtocolVersion);
    hello.mutable_hello()->set_max_version(limits::kProtocolVersion);
    EXPECT_THAT(writer.Write(hello), IsOk());
    FrameReader reader(stream_.get(), limits::kHandshakeMaxFrameBytes);
    auto welcome = reader.ReadFrame();
    EXPECT_THAT(welcome, IsOk());
  }

  static std::string Name(size_t i) { return "s" + std::to_string(i); }

  // Sends every upload from another thread while reading replies here; calls
  // `on_done(n)` after the n-th UploadDone.
  template <typename OnDone>
  void Run(OnDone on_done) {
    if (!stream_) return;
    std::thread sender([&] {
      FrameWriter writer(stream_.get());
      for (size_t i = 0; i < contents_.size(); ++i) {
        const std::string& bytes = contents_[i];
        v1::ClientMessage request;
        request.mutable_upload()->set_path(Name(i));
        request.mutable_upload()->set_size(bytes.size());
        request.mutable_upload()->set_overwrite(true);
        v1::ClientMessage end;
        end.mutable_upload_end()->set_size(bytes.size());
        end.mutable_upload_end()->set_xxh3_128(DigestToBytes(DigestOf(std::span<const uint8_t>(
            reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()))));
        if (!writer.Write(request).ok() ||
            !writer
                 .WriteChunk(std::span<const uint8_t>(
                     reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()))
                 .ok() ||
            !writer.Write(end).ok()) {
          return;
        }
      }
    });
    FrameReader reader(stream_.get(), limits::kDefaultMaxFrameBytes);
    DecodedFrame<v1::ServerMessage> frame;
    size_t upload = 0;
    size_t done = 0;
    while (upload < contents_.size()) {
      auto payload = reader.ReadFrame();
      if (!payload.ok() || !DecodeServerFrame(*payload, &frame).ok()) break;
      if (frame.is_chunk || frame.message.has_upload_ready()) continue;
      if (frame.message.has_upload_done()) {
        acknowledged_[upload] = true;
        on_done(++done);
      }
      ++upload;
    }
    stream_->Shutdown();
    sender.join();
  }

  const std::vector<bool>& acknowledged() const { return acknowledged_; }

 private:
  std::vector<std::string> contents_;
  std::vector<bool> acknowledged_;
  std::unique_ptr<SocketStream> stream_;
};

// R-GROUP-5, R-DUR-2: a server killed while a client pipelines small uploads
// (groups open, commits under way) has, for every upload it acknowledged, the
// complete new file in place; every other target is its old content or its
// complete new one; and the restarted server leaves no temporary.
TEST(GroupCommitKillTest, ServerKilledAmidGroupsKeepsEveryAcknowledgedUpload) {
  constexpr int kTrials = 6;
  constexpr size_t kUploads = 200;
  std::mt19937_64 rng(std::random_device{}());
  TempDir root;
  for (size_t i = 0; i < kUploads; ++i) {
    FERRY_ASSERT_OK(root.WriteFile(PipelinedUploader::Name(i), Pattern(100, 1000 + i)));
  }
  ServerProcess server;
  FERRY_ASSERT_OK(server.Start(root.path()));
  uint64_t acknowledged_total = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    const size_t kill_after = std::uniform_int_distribution<size_t>(1, kUploads - 1)(rng);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": kill after " + std::to_string(kill_after) +
                 " acknowledgements");
    std::vector<std::string> old(kUploads);
    std::vector<std::string> fresh(kUploads);
    for (size_t i = 0; i < kUploads; ++i) {
      old[i] = root.ReadFile(PipelinedUploader::Name(i)).value();
      fresh[i] = Pattern(4096, trial * 10'000 + i);
    }
    PipelinedUploader uploader(server.port(), fresh);
    bool killed = false;
    uploader.Run([&](size_t done) {
      if (done == kill_after && !killed) {
        server.Kill();
        killed = true;
      }
    });
    if (!killed) server.Kill();
    CountFaults();
    for (size_t i = 0; i < kUploads; ++i) {
      const std::string name = PipelinedUploader::Name(i);
      const StatusOr<std::string> now = root.ReadFile(name);
      ASSERT_THAT(now, IsOk());
      if (uploader.acknowledged()[i]) {
        ++acknowledged_total;
        if (*now != fresh[i]) {
          ADD_FAILURE() << name << " was acknowledged but is not the new content";
          CountBytesLost(BytesDiffering(fresh[i], *now) + 1);
        }
      } else if (*now != old[i] && *now != fresh[i]) {
        ADD_FAILURE() << name << " is neither old nor complete new";
        CountBytesLost(BytesDiffering(fresh[i], *now) + 1);
      }
    }
    FERRY_ASSERT_OK(server.Start(root.path()));
    EXPECT_EQ(TemporariesOnDisk(root.path()), 0u);
  }
  EXPECT_GT(acknowledged_total, 0u);
}

}  // namespace
}  // namespace ferry::reliability
