// End to end: mv and hash in the shell, as a person types them, against a real
// ferryd (spec 6.10, 6.11).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class MvHashE2e : public E2eTest {
 protected:
  // The output lines between "connected to ..." and byebye's "bye".
  static std::vector<std::string> Results(const ProcessResult& run) {
    std::vector<std::string> lines = Lines(run.out);
    if (!lines.empty() && lines.front().starts_with("connected to ")) lines.erase(lines.begin());
    if (!lines.empty() && lines.back() == "bye") lines.pop_back();
    return lines;
  }
};

// R-RENAME-1: a plain rename, silent on success.
TEST_F(MvHashE2e, MvRenamesAFile) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "alpha"));
  const ProcessResult run = RunSession("mv a.txt b.txt\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(Results(run), IsEmpty()) << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "a.txt"));
  EXPECT_THAT(ReadFile(root_ / "b.txt"), IsOkAndHolds("alpha"));
}

// R-RENAME-2, R-RENAME-3: an existing file is replaced only with -f.
TEST_F(MvHashE2e, MvReplacesAnExistingFileOnlyWithF) {
  FERRY_ASSERT_OK(WriteFile(root_ / "new.txt", "new"));
  FERRY_ASSERT_OK(WriteFile(root_ / "old.txt", "old"));
  const ProcessResult refused = RunSession("mv new.txt old.txt\n");
  EXPECT_EQ(refused.exit_code, 7) << refused;  // conflict
  EXPECT_THAT(Lines(refused.err), ElementsAre(StartsWith("error: ALREADY_EXISTS: "))) << refused;
  EXPECT_THAT(ReadFile(root_ / "old.txt"), IsOkAndHolds("old"));
  const ProcessResult forced = RunSession("mv -f new.txt old.txt\n");
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_THAT(ReadFile(root_ / "old.txt"), IsOkAndHolds("new"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "new.txt"));
}

// 6.10 (client convenience): a target that is a directory, or ends in '/',
// receives the entry under its own name.
TEST_F(MvHashE2e, MvIntoADirectoryKeepsTheName) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "a"));
  FERRY_ASSERT_OK(WriteFile(root_ / "b.txt", "b"));
  std::filesystem::create_directories(root_ / "docs/old");
  std::filesystem::create_directories(root_ / "dir");
  FERRY_ASSERT_OK(WriteFile(root_ / "dir/c.txt", "c"));
  const ProcessResult run =
      RunSession("mv a.txt docs\nmv b.txt docs/\nmv dir/c.txt /\nmv dir docs/old\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(ReadFile(root_ / "docs/a.txt"), IsOkAndHolds("a"));
  EXPECT_THAT(ReadFile(root_ / "docs/b.txt"), IsOkAndHolds("b"));
  EXPECT_THAT(ReadFile(root_ / "c.txt"), IsOkAndHolds("c"));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "docs/old/dir"));
  // A trailing '/' on a missing directory is the server's NOT_FOUND, not a guess.
  const ProcessResult missing = RunSession("mv c.txt nowhere/\n");
  EXPECT_EQ(missing.exit_code, 5) << missing;  // not found
  EXPECT_THAT(Lines(missing.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << missing;
  EXPECT_TRUE(std::filesystem::exists(root_ / "c.txt"));
}

// R-RENAME-4, R-RENAME-6: typed errors, and a read-only server refuses.
TEST_F(MvHashE2e, MvErrorsAndReadOnlyServer) {
  std::filesystem::create_directories(root_ / "d/sub");
  const ProcessResult run = RunSession("mv d d/sub/x\nmv missing x\nmv d\n");
  EXPECT_EQ(run.exit_code, 2) << run;  // usage: the first failure, the invalid path
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: INVALID_PATH: "), StartsWith("error: NOT_FOUND: "),
                          StartsWith("error: INVALID_ARGUMENT: invalid argument: usage: mv [-f]")))
      << run;
  ServerProcess read_only;
  FERRY_ASSERT_OK(read_only.Start(root_, {"--read-only"}));
  const ProcessResult refused =
      RunScript("connme " + read_only.address() + "\nmv d e\nhash -l missing\nbyebye\n");
  EXPECT_EQ(refused.exit_code, 6) << refused;  // permission
  EXPECT_THAT(Lines(refused.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "),
                                              StartsWith("error: NOT_FOUND: ")))
      << refused;
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "d/sub"));
}

// R-HASH-1: the server's hash of a file equals hash -l of the same content,
// in sha256sum's layout; after a change it differs.
TEST_F(MvHashE2e, HashEqualsHashLOfTheSameContentAndDiffersAfterAChange) {
  FERRY_ASSERT_OK(WriteFile(root_ / "remote.txt", "hello"));
  FERRY_ASSERT_OK(WriteFile(local_ / "same.txt", "hello"));
  FERRY_ASSERT_OK(WriteFile(local_ / "other.txt", "hellO"));
  const ProcessResult run =
      RunSession("hash remote.txt\nhash -l same.txt other.txt\nhash missing remote.txt\n");
  EXPECT_EQ(run.exit_code, 5) << run;  // not found
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
  const std::vector<std::string> lines = Results(run);
  ASSERT_EQ(lines.size(), 4u) << run;
  // 7.4's table: the digest of "hello".
  EXPECT_EQ(lines[0], "b5e9c1ad071b3e7fc779cfaa5e523818  remote.txt");
  EXPECT_EQ(lines[1], "b5e9c1ad071b3e7fc779cfaa5e523818  same.txt");
  EXPECT_NE(lines[2].substr(0, 32), lines[0].substr(0, 32));
  EXPECT_EQ(lines[2].substr(32), "  other.txt");
  EXPECT_EQ(lines[3], lines[0]);
}

// hash -l works without a connection; names are escaped for display.
TEST_F(MvHashE2e, HashLNeedsNoConnectionAndEscapesNames) {
  FERRY_ASSERT_OK(WriteFile(local_ / "tab\there", ""));
  const ProcessResult run = RunScript("hash -l \"tab\there\"\nhash x\n");
  EXPECT_EQ(run.exit_code, 3) << run;  // connection: hash x needs one
  EXPECT_THAT(Lines(run.out), ElementsAre("99aa06d3014798d86001c324468d497f  tab\\x09here")) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: CONNECTION_CLOSED: "))) << run;
}

}  // namespace
}  // namespace ferry
