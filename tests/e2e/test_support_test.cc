// The helpers every process-level suite relies on (tests/testing/temp_dir.h,
// tests/testing/server_process.h) do what they promise, failures included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>

#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(TempDirTest, RemovesItsWholeTreeEvenWhenPartsAreReadOnly) {
  fs::path kept;
  {
    TempDir dir;
    kept = dir.path();
    fs::create_directories(dir.Path("a/b"));
    FERRY_ASSERT_OK(dir.WriteFile("a/b/file", "x"));
    fs::permissions(dir.Path("a/b"), fs::perms::owner_read | fs::perms::owner_exec);
    fs::permissions(dir.Path("a"), fs::perms::owner_read | fs::perms::owner_exec);
  }
  EXPECT_FALSE(fs::exists(kept));
}

TEST(TempDirTest, RandomFilesAreDeterministicPerSeedAndDigestedCorrectly) {
  TempDir dir;
  auto first = dir.WriteRandomFile("first", 100'003, 7);
  auto again = dir.WriteRandomFile("again", 100'003, 7);
  auto other = dir.WriteRandomFile("other", 100'003, 8);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(again, IsOkAndHolds(*first));
  EXPECT_THAT(other, IsOkAndHolds(Not(*first)));
  EXPECT_THAT(DigestOfFile(dir.Path("first")), IsOkAndHolds(*first));
  EXPECT_EQ(fs::file_size(dir.Path("first")), 100'003u);
}

TEST(TempDirTest, ReadFileReturnsExactlyWhatWasWritten) {
  TempDir dir;
  const std::string bytes("a\0b\nc", 5);
  FERRY_ASSERT_OK(dir.WriteFile("f", bytes));
  EXPECT_THAT(dir.ReadFile("f"), IsOkAndHolds(bytes));
  EXPECT_THAT(dir.ReadFile("missing"), Not(IsOk()));
}

TEST(SnapshotTest, SeesAOneByteChangeThatKeepsTheSize) {
  TempDir dir;
  FERRY_ASSERT_OK(dir.WriteFile("f", "abc"));
  auto before = dir.Snapshot();
  ASSERT_THAT(before, IsOk());
  FERRY_ASSERT_OK(dir.WriteFile("f", "abd"));
  EXPECT_THAT(dir.Snapshot(), IsOkAndHolds(Not(*before)));
}

TEST(SnapshotTest, ListsEveryEntryRecursivelyAndRecordsSymlinksUnfollowed) {
  TempDir dir;
  fs::create_directories(dir.Path("d/e"));
  FERRY_ASSERT_OK(dir.WriteFile("d/e/f", "12345"));
  fs::create_symlink("/etc/passwd", dir.Path("link"));

  auto snapshot = dir.Snapshot();

  using Type = SnapshotEntry::Type;
  ASSERT_THAT(snapshot, IsOk());
  EXPECT_THAT(
      *snapshot,
      ElementsAre(
          AllOf(Field(&SnapshotEntry::path, "d"), Field(&SnapshotEntry::type, Type::kDirectory)),
          AllOf(Field(&SnapshotEntry::path, "d/e"), Field(&SnapshotEntry::type, Type::kDirectory)),
          AllOf(Field(&SnapshotEntry::path, "d/e/f"), Field(&SnapshotEntry::type, Type::kFile),
                Field(&SnapshotEntry::size, 5u)),
          AllOf(Field(&SnapshotEntry::path, "link"), Field(&SnapshotEntry::type, Type::kSymlink),
                Field(&SnapshotEntry::size, 11u))));

  fs::remove(dir.Path("link"));
  fs::create_symlink("/etc/hosts", dir.Path("link"));
  EXPECT_THAT(dir.Snapshot(), IsOkAndHolds(Not(*snapshot)));
}

TEST(SubprocessTest, FeedsStdinAndCapturesBothOutputsAndTheExitCode) {
  const ProcessResult run =
      RunProcess(ProcessOptions{{"/bin/sh", "-c", "cat; echo oops >&2; exit 3"}}, "hello\n");
  EXPECT_EQ(run.exit_code, 3) << run;
  EXPECT_EQ(run.out, "hello\n");
  EXPECT_EQ(run.err, "oops\n");
  EXPECT_FALSE(run.timed_out);
}

TEST(SubprocessTest, MegabytesEachWayDoNotDeadlock) {
  const std::string input(4 << 20, 'z');
  const ProcessResult run = RunProcess(ProcessOptions{{"/bin/cat"}}, input);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out.size(), input.size());
  EXPECT_EQ(run.out, input);
}

TEST(SubprocessTest, RunsInTheGivenDirectoryWithTheGivenEnvironment) {
  TempDir dir;
  ProcessOptions options{{"/bin/sh", "-c", "pwd; echo \"$FERRY_TEST_VALUE\""}};
  options.cwd = dir.path();
  options.env = {{"FERRY_TEST_VALUE", "forty two"}};
  const ProcessResult run = RunProcess(options, "");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, fs::canonical(dir.path()).string() + "\nforty two\n");
}

TEST(SubprocessTest, HangGuardKillsAChildThatNeverExits) {
  const ProcessResult run =
      RunProcess(ProcessOptions{{"/bin/sleep", "1000"}}, "", milliseconds(200));
  EXPECT_TRUE(run.timed_out);
  EXPECT_EQ(run.exit_code, 128 + SIGKILL);
}

TEST(SubprocessTest, AProgramThatCannotRunIsReportedWithoutRunning) {
  const ProcessResult run = RunProcess(ProcessOptions{{"/nonexistent/program"}}, "");
  EXPECT_EQ(run.exit_code, -1);
  EXPECT_THAT(run.err, HasSubstr("No such file or directory"));
}

TEST(SubprocessTest, SignalledChildReportsOneHundredTwentyEightPlusTheSignal) {
  auto process = Subprocess::Start(ProcessOptions{{"/bin/sleep", "1000"}});
  ASSERT_THAT(process, IsOk());
  FERRY_ASSERT_OK((*process)->Signal(SIGTERM));
  EXPECT_EQ((*process)->Wait(seconds(30)).exit_code, 128 + SIGTERM);
  EXPECT_THAT((*process)->Signal(SIGTERM), StatusIs(StatusCode::kNotFound));
}

TEST(ServerProcessTest, StartsOnAFreePortAndStopsWithExitZeroOnce) {
  TempDir root;
  ServerProcess server;
  FERRY_ASSERT_OK(server.Start(root.path()));
  EXPECT_TRUE(server.running());
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));

  EXPECT_EQ(server.Stop(), 0);
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_THAT(server.Log(), HasSubstr("ferryd: stopped"));
}

TEST(ServerProcessTest, StartFailsWithTheServersOwnWordsWhenTheRootIsMissing) {
  TempDir dir;
  ServerProcess server;
  EXPECT_THAT(server.Start(dir.Path("missing")),
              StatusIs(StatusCode::kUnavailable, HasSubstr("--root")));
  EXPECT_FALSE(server.running());
}

TEST(ServerProcessTest, KillEndsTheServerWithSigkill) {
  TempDir root;
  ServerProcess server;
  FERRY_ASSERT_OK(server.Start(root.path()));
  EXPECT_EQ(server.Kill(), 128 + SIGKILL);
  EXPECT_FALSE(server.running());
}

}  // namespace
}  // namespace ferry
