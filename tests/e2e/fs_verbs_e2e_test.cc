// End to end: the directory and file-system verbs of the shell (mkdir, ...)
// as a person types them, against a real ferryd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class FsVerbsE2e : public E2eTest {
 protected:
  // A session against a second, read-only server on the same root.
  ProcessResult RunReadOnly(std::string_view commands) {
    ServerProcess read_only;
    EXPECT_THAT(read_only.Start(root_, {"--read-only"}), IsOk());
    return RunScript("connme " + read_only.address() + "\n" + std::string(commands) + "byebye\n");
  }
};

// R-MKDIR-1: silent on success; the new directories show in ls and take uploads.
TEST_F(FsVerbsE2e, MkdirCreatesDirectoriesThatLsShowsAndUploadsFill) {
  FERRY_ASSERT_OK(WriteFile(local_ / "f.txt", "abc"));
  const ProcessResult run = RunSession(
      "mkdir docs \"with space\"\nmkdir docs/inner\n"
      "upload f.txt docs/inner/f.txt\nls -l docs\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "docs/inner"));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "with space"));
  EXPECT_THAT(ReadFile(root_ / "docs/inner/f.txt"), IsOkAndHolds("abc"));
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run;
  EXPECT_THAT(lines[2], AllOf(StartsWith("drwx"), HasSubstr("inner/"))) << run;
}

// R-MKDIR-1, R-MKDIR-2: each failing path has its own line; the others are made.
TEST_F(FsVerbsE2e, MkdirReportsEachFailureAndExitsNonZero) {
  FERRY_ASSERT_OK(WriteFile(root_ / "taken", "x"));
  const ProcessResult run = RunSession("mkdir taken missing/sub fine\n");
  EXPECT_EQ(run.exit_code, 7) << run;  // the first failure's class: conflict
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: ALREADY_EXISTS: "), StartsWith("error: NOT_FOUND: ")))
      << run;
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "fine"));
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "taken"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "missing"));
}

// R-ACCESS-2, R-MKDIR-4
TEST_F(FsVerbsE2e, ReadOnlyServerRefusesMkdir) {
  const ProcessResult run = RunReadOnly("mkdir new\n");
  EXPECT_EQ(run.exit_code, 6) << run;  // permission
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "))) << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "new"));
}

// R-RMDIR-1, R-RMDIR-2, R-RMDIR-3
TEST_F(FsVerbsE2e, RmdirRemovesEmptyDirectoriesOnly) {
  std::filesystem::create_directories(root_ / "empty");
  std::filesystem::create_directories(root_ / "full/inner");
  FERRY_ASSERT_OK(WriteFile(root_ / "file", "x"));
  const ProcessResult run = RunSession("rmdir empty full file missing\nmkdir again\nrmdir again\n");
  EXPECT_EQ(run.exit_code, 7) << run;  // the first failure's class: conflict
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: DIRECTORY_NOT_EMPTY: "),
                          StartsWith("error: NOT_A_DIRECTORY: "), StartsWith("error: NOT_FOUND: ")))
      << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "empty"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "again"));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "full/inner"));
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "file"));
}

// R-ACCESS-2, R-RMDIR-4
TEST_F(FsVerbsE2e, ReadOnlyServerRefusesRmdir) {
  std::filesystem::create_directories(root_ / "empty");
  const ProcessResult run = RunReadOnly("rmdir empty\n");
  EXPECT_EQ(run.exit_code, 6) << run;  // permission
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "))) << run;
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "empty"));
}

// lcd moves where downloads land and uploads come from; lpwd shows it.
TEST_F(FsVerbsE2e, LcdChangesTheLocalDirectoryForTransfers) {
  std::filesystem::create_directories(local_ / "sub");
  FERRY_ASSERT_OK(WriteFile(local_ / "sub/up.txt", "from sub"));
  FERRY_ASSERT_OK(WriteFile(root_ / "down.txt", "down"));
  const ProcessResult run =
      RunSession("lcd sub\nlpwd\nput up.txt\nget down.txt\nlcd missing\nlpwd\n");
  EXPECT_EQ(run.exit_code, 5) << run;  // not found
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
  const std::string sub = std::filesystem::canonical(local_ / "sub").string();
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 6u) << run;
  EXPECT_EQ(lines[1], sub);
  EXPECT_EQ(lines[4], sub);
  EXPECT_THAT(ReadFile(root_ / "up.txt"), IsOkAndHolds("from sub"));
  EXPECT_THAT(ReadFile(local_ / "sub/down.txt"), IsOkAndHolds("down"));
  EXPECT_FALSE(std::filesystem::exists(local_ / "down.txt"));
}

// get and put are download and upload under the names sftp users type.
TEST_F(FsVerbsE2e, GetAndPutAreDownloadAndUpload) {
  FERRY_ASSERT_OK(WriteFile(local_ / "up.txt", "up"));
  FERRY_ASSERT_OK(WriteFile(root_ / "down.txt", "down"));
  FERRY_ASSERT_OK(WriteFile(local_ / "down.txt", "old"));
  const ProcessResult run = RunSession(
      "put up.txt\nput up.txt\nput -f up.txt\nget down.txt\nget -f down.txt\n"
      "help get\nhelp put\n");
  EXPECT_EQ(run.exit_code, 7) << run;  // conflict
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: ALREADY_EXISTS: "),
                                          StartsWith("error: ALREADY_EXISTS: ")))
      << run;
  EXPECT_THAT(ReadFile(root_ / "up.txt"), IsOkAndHolds("up"));
  EXPECT_THAT(ReadFile(local_ / "down.txt"), IsOkAndHolds("down"));
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 7u) << run;
  EXPECT_THAT(lines[1], StartsWith("uploaded up.txt -> up.txt: 2 bytes")) << run;
  EXPECT_THAT(lines[2], StartsWith("uploaded up.txt -> up.txt: 2 bytes")) << run;
  EXPECT_THAT(lines[3], StartsWith("downloaded down.txt -> down.txt: 4 bytes")) << run;
  EXPECT_THAT(lines[4], AllOf(HasSubstr("get [-f] [-a] [-r] REMOTE... [LOCAL]"),
                              HasSubstr("the same as download")))
      << run;
  EXPECT_THAT(lines[5], AllOf(HasSubstr("put [-f] [-a] [-r] LOCAL... [REMOTE]"),
                              HasSubstr("the same as upload")))
      << run;
}

// stat prints one block per path; a failing path gets an error line.
TEST_F(FsVerbsE2e, StatPrintsTheFileInfoFields) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "hello"));
  std::filesystem::permissions(root_ / "a.txt", std::filesystem::perms(0640));
  std::filesystem::create_directory(root_ / "d");
  std::filesystem::permissions(root_ / "d", std::filesystem::perms(0750));
  const ProcessResult run = RunSession("stat a.txt d missing\n");
  EXPECT_EQ(run.exit_code, 5) << run;  // not found
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 12u) << run;
  EXPECT_EQ(lines[1], "    path: a.txt");
  EXPECT_EQ(lines[2], "    type: regular file");
  EXPECT_EQ(lines[3], "    size: 5 bytes");
  EXPECT_EQ(lines[4], "    mode: 0640 (rw-r-----)");
  EXPECT_THAT(lines[5], testing::MatchesRegex("modified: [0-9]{4}-[0-9]{2}-[0-9]{2} "
                                              "[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}"));
  EXPECT_EQ(lines[6], "    path: d");
  EXPECT_EQ(lines[7], "    type: directory");
  EXPECT_EQ(lines[8], "    size: 0 bytes");
  EXPECT_EQ(lines[9], "    mode: 0750 (rwxr-x---)");
}

}  // namespace
}  // namespace ferry
