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
      "upload f.txt docs/inner/f.txt\nls docs\n");
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
  EXPECT_EQ(run.exit_code, 1) << run;
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
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "))) << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "new"));
}

}  // namespace
}  // namespace ferry
