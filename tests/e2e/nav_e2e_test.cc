// End to end: moving around and many files at once, as a person types them
// against a real ferryd: cd/pwd and paths relative to the remote working
// directory (spec 6.12), lls, wildcards, and recursive transfers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

class NavE2e : public E2eTest {
 protected:
  // The paths of the requests the server logged, in order.
  std::vector<std::string> LoggedPaths() const {
    std::vector<std::string> paths;
    static const std::regex kPath(R"( path="([^"]*)\")");
    for (const std::string& line : Lines(server_.Log())) {
      std::smatch match;
      if (std::regex_search(line, match, kPath)) paths.push_back(match[1]);
    }
    return paths;
  }

  // A tree to copy: files at two depths, an empty directory, a symlink.
  void MakeTree(const std::filesystem::path& top) {
    std::filesystem::create_directories(top / "sub/deeper");
    std::filesystem::create_directories(top / "empty");
    FERRY_ASSERT_OK(WriteFile(top / "a.txt", "alpha"));
    FERRY_ASSERT_OK(WriteFile(top / "sub/b.txt", "bravo!"));
    FERRY_ASSERT_OK(WriteFile(top / "sub/deeper/c.txt", "charlie"));
    std::filesystem::create_symlink("a.txt", top / "link");
  }

  // The tree as MakeTree made it, less the symlink, which no copy carries.
  static TreeSnapshot WithoutSymlinks(TreeSnapshot snapshot) {
    std::erase_if(snapshot,
                  [](const SnapshotEntry& e) { return e.type == SnapshotEntry::Type::kSymlink; });
    return snapshot;
  }
};

// R-CWD-1, R-CWD-2: every verb takes paths relative to the working directory,
// and what reaches the server is the root-relative path.
TEST_F(NavE2e, EveryVerbResolvesPathsAgainstTheWorkingDirectory) {
  std::filesystem::create_directories(root_ / "docs");
  FERRY_ASSERT_OK(WriteFile(local_ / "f.txt", "hello"));
  const ProcessResult run = RunSession(
      "cd docs\npwd\nmkdir new\nupload f.txt\nupload f.txt new/g.txt\nls new\n"
      "size new/g.txt\nstat f.txt\ndownload new/g.txt got.txt\nget f.txt got2.txt\n"
      "put f.txt new/h.txt\nrm new/h.txt\nmkdir new/inner\nrmdir new/inner\n"
      "reget new/g.txt got4.txt\nreput -f f.txt\nreput f.txt new/r.txt\n"
      "cd new\npwd\ndownload ../f.txt got3.txt\ncd ..\npwd\ncd /docs/new\ncd\npwd\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(ReadFile(root_ / "docs/f.txt"), IsOkAndHolds("hello"));
  EXPECT_THAT(ReadFile(root_ / "docs/new/g.txt"), IsOkAndHolds("hello"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "docs/new/h.txt"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "docs/new/inner"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "f.txt"));
  EXPECT_THAT(ReadFile(root_ / "docs/new/r.txt"), IsOkAndHolds("hello"));
  for (const char* got : {"got.txt", "got2.txt", "got3.txt", "got4.txt"}) {
    EXPECT_THAT(ReadFile(local_ / got), IsOkAndHolds("hello")) << got;
  }
  const std::vector<std::string> out = Lines(run.out);
  EXPECT_THAT(out, Contains("/docs"));
  EXPECT_THAT(out, Contains("/docs/new"));
  EXPECT_THAT(out, Contains("g.txt"));
  EXPECT_THAT(out, Contains("5"));
  EXPECT_THAT(out, Contains("    path: docs/f.txt"));
  EXPECT_EQ(out.back(), "bye");
  EXPECT_EQ(out[out.size() - 2], "/") << run;
  for (const std::string& path : LoggedPaths()) {
    EXPECT_FALSE(path.starts_with('/')) << path;
    EXPECT_THAT(path, Not(HasSubstr(".."))) << path;
  }
  EXPECT_THAT(LoggedPaths(), Contains("docs/new/g.txt"));
}

// R-CWD-3: cd into a file or a missing directory fails with its own code and
// leaves the working directory as it was.
TEST_F(NavE2e, CdIntoAFileOrAMissingDirectoryFailsAndStaysPut) {
  std::filesystem::create_directories(root_ / "docs");
  FERRY_ASSERT_OK(WriteFile(root_ / "docs/file.txt", "x"));
  const ProcessResult run = RunSession("cd docs\ncd file.txt\ncd missing\ncd /nope\npwd\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: NOT_A_DIRECTORY: "), StartsWith("error: NOT_FOUND: "),
                          StartsWith("error: NOT_FOUND: ")))
      << run;
  EXPECT_THAT(Lines(run.out), Contains("/docs")) << run;
  EXPECT_THAT(Lines(run.out), Not(Contains("/docs/file.txt"))) << run;
}

// R-CWD-2: ".." stops at the root, and nothing above it is asked for.
TEST_F(NavE2e, DotDotStopsAtTheRoot) {
  std::filesystem::create_directories(root_ / "docs");
  FERRY_ASSERT_OK(WriteFile(outside_ / "secret", "x"));
  FERRY_ASSERT_OK(WriteFile(root_ / "top.txt", "x"));
  const ProcessResult run =
      RunSession("cd docs\ncd ../../..\npwd\nls ../../\ndownload ../../outside/secret\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), Contains("/"));
  EXPECT_THAT(Lines(run.out), Contains("top.txt"));
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
  EXPECT_FALSE(std::filesystem::exists(local_ / "secret"));
  EXPECT_THAT(LoggedPaths(), Contains("outside/secret"));
}

// R-CWD-4: a new connection starts at the root.
TEST_F(NavE2e, ANewConnectionStartsAtTheRoot) {
  std::filesystem::create_directories(root_ / "docs");
  const ProcessResult run = RunSession("cd docs\npwd\n" + ConnectLine() + "pwd\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "/docs", ConnectedLine(), "/", "bye"));
}

// lls lists the local directory with ls's formatter, names escaped.
TEST_F(NavE2e, LlsListsLocalDirectoriesLikeLs) {
  std::filesystem::create_directories(local_ / "sub");
  FERRY_ASSERT_OK(WriteFile(local_ / "b.txt", "12345"));
  FERRY_ASSERT_OK(WriteFile(local_ / "a\nb", "x"));
  FERRY_ASSERT_OK(WriteFile(local_ / "sub/inner.txt", "x"));
  const ProcessResult run = RunScript("lls\nlls sub\nlls -l\nlls -lh b.txt\nlls missing\n");
  EXPECT_NE(run.exit_code, 0) << run;
  const std::vector<std::string> out = Lines(run.out);
  ASSERT_EQ(out.size(), 8u) << run;
  EXPECT_THAT(std::vector<std::string>(out.begin(), out.begin() + 4),
              ElementsAre("a\\x0ab", "b.txt", "sub/", "inner.txt"));
  EXPECT_THAT(out[5], AllOf(StartsWith("-rw"), HasSubstr("  5  "), HasSubstr("b.txt")));
  EXPECT_THAT(out[6], AllOf(StartsWith("drwx"), HasSubstr("sub/")));
  EXPECT_THAT(out[7], AllOf(StartsWith("-rw"), HasSubstr("5"), HasSubstr("b.txt")));
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
}

// R-CWD-5: download *.log fetches the matches, not hidden ones; a quoted
// pattern is a name; no match is NOT_FOUND.
TEST_F(NavE2e, WildcardDownloadFetchesEveryMatchAndQuotedPatternsAreNames) {
  std::filesystem::create_directories(root_ / "logs");
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/a.log", "aa"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/b.log", "bbb"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/.h.log", "h"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/c.txt", "c"));
  FERRY_ASSERT_OK(WriteFile(root_ / "logs/*.log", "star"));
  std::filesystem::create_directories(local_ / "into");
  std::filesystem::create_directories(root_ / "logs/a-dir.log");
  const ProcessResult run = RunSession(
      "cd logs\ndownload [ab]*.log\ndownload \"*.log\" star1\ndownload '*.log' star2\n"
      "download *.pdf\ndownload [ab].log into\ndownload [ab].log nowhere\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(ReadFile(local_ / "a.log"), IsOkAndHolds("aa"));
  EXPECT_THAT(ReadFile(local_ / "b.log"), IsOkAndHolds("bbb"));
  EXPECT_THAT(ReadFile(local_ / "into/a.log"), IsOkAndHolds("aa"));
  EXPECT_THAT(ReadFile(local_ / "into/b.log"), IsOkAndHolds("bbb"));
  EXPECT_THAT(ReadFile(local_ / "star1"), IsOkAndHolds("star"));
  EXPECT_THAT(ReadFile(local_ / "star2"), IsOkAndHolds("star"));
  EXPECT_FALSE(std::filesystem::exists(local_ / ".h.log"));
  EXPECT_FALSE(std::filesystem::exists(local_ / "nowhere"));
  EXPECT_THAT(Lines(run.out), Contains("downloaded 2 files, 5 bytes, 0 failed"));
  // Without -r, a directory the wildcard matched is passed over, as in sftp.
  EXPECT_FALSE(std::filesystem::exists(local_ / "a-dir.log"));
  EXPECT_THAT(
      Lines(run.err),
      ElementsAre(AllOf(StartsWith("warning: skipped a directory"), HasSubstr("logs/a-dir.log/")),
                  AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("*.pdf (no match)")),
                  StartsWith("error: NOT_A_DIRECTORY: ")))
      << run;
}

// R-CWD-5: upload *.txt sends every local match into the remote directory;
// quoted, the pattern is a local name.
TEST_F(NavE2e, WildcardUploadSendsEveryLocalMatch) {
  std::filesystem::create_directories(root_ / "up");
  FERRY_ASSERT_OK(WriteFile(local_ / "one.txt", "1"));
  FERRY_ASSERT_OK(WriteFile(local_ / "two.txt", "22"));
  FERRY_ASSERT_OK(WriteFile(local_ / "skip.bin", "x"));
  std::filesystem::create_directories(local_ / "dir.txt");
  const ProcessResult run =
      RunSession("upload *.txt up\ncd up\nupload *.txt\nupload \"*.txt\"\nupload *.pdf\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(ReadFile(root_ / "up/one.txt"), IsOkAndHolds("1"));
  EXPECT_THAT(ReadFile(root_ / "up/two.txt"), IsOkAndHolds("22"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "up/skip.bin"));
  // The second upload into the same place finds the files there (no -f).
  EXPECT_FALSE(std::filesystem::exists(root_ / "up/dir.txt"));
  EXPECT_THAT(
      Lines(run.err),
      ElementsAre(StartsWith("warning: skipped a directory"),
                  StartsWith("warning: skipped a directory"), StartsWith("error: ALREADY_EXISTS: "),
                  StartsWith("error: ALREADY_EXISTS: "), StartsWith("error: NOT_FOUND: "),
                  AllOf(StartsWith("error: NOT_FOUND: "), HasSubstr("(no match)"))))
      << run;
  EXPECT_THAT(Lines(run.out), Contains("uploaded 0 files, 0 bytes, 2 failed"));
}

// R-CWD-5: rm and stat expand; a quoted pattern removes only the file with
// that very name.
TEST_F(NavE2e, RmAndStatExpandWildcards) {
  for (const char* name : {"x.tmp", "y.tmp", "*.tmp", "keep.txt"}) {
    FERRY_ASSERT_OK(WriteFile(root_ / name, "x"));
  }
  const ProcessResult run = RunSession("rm '*.tmp'\nstat ?.tmp\nrm *.tmp\nrm *.tmp\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "*.tmp"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "x.tmp"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "y.tmp"));
  EXPECT_TRUE(std::filesystem::exists(root_ / "keep.txt"));
  EXPECT_THAT(Lines(run.out), Contains("    path: x.tmp"));
  EXPECT_THAT(Lines(run.out), Contains("    path: y.tmp"));
  EXPECT_THAT(Lines(run.err), ElementsAre(HasSubstr("(no match)"))) << run;
}

// R-CWD-6: download -r copies the tree, empty directories included, skips the
// symlink with a warning, and sums up.
TEST_F(NavE2e, RecursiveDownloadCopiesTheTreeAndSkipsSymlinks) {
  MakeTree(root_ / "tree");
  std::filesystem::create_directories(local_ / "dest");
  const ProcessResult run =
      RunSession("download -r tree\ndownload -r tree dest\nget -r tree fresh\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  auto want = SnapshotTree(root_ / "tree");
  ASSERT_THAT(want, IsOk());
  for (const char* copy : {"tree", "dest/tree", "fresh"}) {
    EXPECT_THAT(SnapshotTree(local_ / copy), IsOkAndHolds(WithoutSymlinks(*want))) << copy;
  }
  EXPECT_THAT(Lines(run.err), Contains(AllOf(StartsWith("warning: skipped a symbolic link: "),
                                             HasSubstr("tree/link"))));
  EXPECT_THAT(Lines(run.out), Contains("downloaded 3 files, 18 bytes, 0 failed"));
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("downloaded tree/sub/deeper/c.txt -> ")));
}

// R-CWD-6: upload -r the same way, from the local side.
TEST_F(NavE2e, RecursiveUploadCopiesTheTreeAndSkipsSymlinks) {
  MakeTree(local_ / "tree");
  std::filesystem::create_directories(root_ / "docs");
  const ProcessResult run =
      RunSession("upload -r tree\ncd docs\nput -r tree\nupload -r tree new\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  auto want = SnapshotTree(local_ / "tree");
  ASSERT_THAT(want, IsOk());
  for (const char* copy : {"tree", "docs/tree", "docs/new"}) {
    EXPECT_THAT(SnapshotTree(root_ / copy), IsOkAndHolds(WithoutSymlinks(*want))) << copy;
  }
  EXPECT_THAT(Lines(run.err), Contains(StartsWith("warning: skipped a symbolic link: ")));
  EXPECT_THAT(Lines(run.out), Contains("uploaded 3 files, 18 bytes, 0 failed"));
}

// A name already there without -f fails alone: the others are still copied,
// the command fails, and -f replaces it.
TEST_F(NavE2e, RecursiveTransferGoesOnPastAFileThatExists) {
  MakeTree(root_ / "tree");
  std::filesystem::create_directories(local_ / "tree/sub");
  FERRY_ASSERT_OK(WriteFile(local_ / "tree/sub/b.txt", "mine"));
  const ProcessResult run = RunSession("download -r tree\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(ReadFile(local_ / "tree/sub/b.txt"), IsOkAndHolds("mine"));
  EXPECT_THAT(ReadFile(local_ / "tree/a.txt"), IsOkAndHolds("alpha"));
  EXPECT_THAT(ReadFile(local_ / "tree/sub/deeper/c.txt"), IsOkAndHolds("charlie"));
  EXPECT_THAT(Lines(run.err), Contains(StartsWith("error: ALREADY_EXISTS: ")));
  EXPECT_THAT(Lines(run.out), Contains("downloaded 2 files, 12 bytes, 1 failed"));

  FERRY_ASSERT_OK(WriteFile(local_ / "tree/a.txt", "changed"));
  const ProcessResult up = RunSession("upload -r tree /\nupload -r -f tree /\n");
  EXPECT_NE(up.exit_code, 0) << up;
  EXPECT_THAT(Lines(up.out), Contains("uploaded 0 files, 0 bytes, 3 failed"));
  EXPECT_THAT(ReadFile(root_ / "tree/a.txt"), IsOkAndHolds("changed"));
  EXPECT_THAT(ReadFile(root_ / "tree/sub/b.txt"), IsOkAndHolds("mine"));

  FERRY_ASSERT_OK(WriteFile(local_ / "tree/a.txt", "edited here"));
  const ProcessResult forced = RunSession("download -r -f tree\n");
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_THAT(ReadFile(local_ / "tree/a.txt"), IsOkAndHolds("changed"));
}

// R-CWD-6: a local symlink where the tree has a directory is never written
// through.
TEST_F(NavE2e, RecursiveDownloadNeverWritesThroughALocalSymlink) {
  MakeTree(root_ / "tree");
  std::filesystem::create_directories(local_ / "tree");
  std::filesystem::create_directory_symlink(outside_, local_ / "tree/sub");
  const ProcessResult run = RunSession("download -r tree\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.err), Contains(StartsWith("error: NOT_A_DIRECTORY: ")));
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(ReadFile(local_ / "tree/a.txt"), IsOkAndHolds("alpha"));
}

// R-CWD-6: a local name the protocol cannot carry fails alone, and a special
// file is skipped with a warning; the rest of the tree still goes.
TEST_F(NavE2e, RecursiveUploadReportsUnsendableNamesAndSkipsSpecialFiles) {
  std::filesystem::create_directories(local_ / "tree");
  FERRY_ASSERT_OK(WriteFile(local_ / "tree/ok.txt", "fine"));
  FERRY_ASSERT_OK(WriteFile(local_ / "tree/bad\nname", "x"));
  ASSERT_EQ(mkfifo((local_ / "tree/pipe").c_str(), 0600), 0);
  const ProcessResult run = RunSession("upload -r tree\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(ReadFile(root_ / "tree/ok.txt"), IsOkAndHolds("fine"));
  EXPECT_THAT(
      Lines(run.err),
      ElementsAre(AllOf(StartsWith("error: INVALID_PATH: "), HasSubstr("bad\\x0aname")),
                  AllOf(StartsWith("warning: skipped a special file: "), HasSubstr("tree/pipe"))))
      << run;
  EXPECT_THAT(Lines(run.out), Contains("uploaded 1 files, 4 bytes, 1 failed"));
  EXPECT_THAT(SnapshotTree(root_ / "tree"), IsOkAndHolds(::testing::SizeIs(1)));
}

// -r copies a file among its sources as it is (download -r * takes the
// files and the trees); -r with -a is refused.
TEST_F(NavE2e, RecursiveTransferTakesFilesAndTreesAlike) {
  MakeTree(root_ / "remote/tree");
  FERRY_ASSERT_OK(WriteFile(root_ / "remote/f.txt", "file"));
  FERRY_ASSERT_OK(WriteFile(local_ / "g.txt", "gee"));
  std::filesystem::create_directories(local_ / "got");
  const ProcessResult run =
      RunSession("cd remote\ndownload -r * got\nupload -r g.txt\ndownload -r -a f.txt\n");
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(ReadFile(local_ / "got/f.txt"), IsOkAndHolds("file"));
  auto want = SnapshotTree(root_ / "remote/tree");
  ASSERT_THAT(want, IsOk());
  EXPECT_THAT(SnapshotTree(local_ / "got/tree"), IsOkAndHolds(WithoutSymlinks(*want)));
  EXPECT_THAT(ReadFile(root_ / "remote/g.txt"), IsOkAndHolds("gee"));
  EXPECT_THAT(Lines(run.out), Contains("downloaded 4 files, 22 bytes, 0 failed"));
  EXPECT_THAT(Lines(run.out), Contains("uploaded 1 files, 3 bytes, 0 failed"));
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("warning: skipped a symbolic link: "),
                                          StartsWith("error: INVALID_ARGUMENT: ")))
      << run;
}

}  // namespace
}  // namespace ferry
