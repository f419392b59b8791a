// The client's remote working directory (src/client/remote_path.h, spec 6.12):
// what a typed path becomes before it is sent, and Tab completion relative to
// the working directory.
#include "src/client/remote_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "src/fs/path.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;

struct ResolveCase {
  std::string_view cwd;
  std::string_view typed;
  std::string_view sent;
};

void PrintTo(const ResolveCase& c, std::ostream* os) {
  *os << "cwd " << ::testing::PrintToString(c.cwd) << " typed "
      << ::testing::PrintToString(c.typed);
}

class ResolveRemotePathTable : public ::testing::TestWithParam<ResolveCase> {};

// R-CWD-1, R-CWD-2
TEST_P(ResolveRemotePathTable, ResolvesLexicallyToARootRelativePath) {
  EXPECT_EQ(ResolveRemotePath(GetParam().cwd, GetParam().typed), GetParam().sent);
}

INSTANTIATE_TEST_SUITE_P(Relative, ResolveRemotePathTable,
                         ::testing::Values(ResolveCase{"", "a.txt", "a.txt"},
                                           ResolveCase{"docs", "a.txt", "docs/a.txt"},
                                           ResolveCase{"docs/img", "x/y", "docs/img/x/y"},
                                           ResolveCase{"docs", "./a.txt", "docs/a.txt"},
                                           ResolveCase{"docs", "x//y", "docs/x/y"},
                                           ResolveCase{"docs", "sub/", "docs/sub/"},
                                           ResolveCase{"docs", "*.log", "docs/*.log"}));

INSTANTIATE_TEST_SUITE_P(Absolute, ResolveRemotePathTable,
                         ::testing::Values(ResolveCase{"docs", "/a.txt", "a.txt"},
                                           ResolveCase{"docs", "/", ""},
                                           ResolveCase{"docs/img", "/other/x", "other/x"},
                                           ResolveCase{"docs", "//x", "x"}));

// A directory by its form keeps one trailing '/', so "into" and "as" differ;
// the root stays "".
INSTANTIATE_TEST_SUITE_P(
    DotsAndDirectories, ResolveRemotePathTable,
    ::testing::Values(ResolveCase{"docs", "", "docs/"}, ResolveCase{"", "", ""},
                      ResolveCase{"docs", ".", "docs/"}, ResolveCase{"docs/img", "..", "docs/"},
                      ResolveCase{"docs", "..", ""}, ResolveCase{"a/b", "../c", "a/c"},
                      ResolveCase{"a/b", "../../x/./y/..", "x/"},
                      ResolveCase{"a", "x/../../../..", ""},
                      ResolveCase{"", "../../etc/passwd", "etc/passwd"},
                      ResolveCase{"a", "/../x", "x"}));

// R-CWD-1: whatever is typed, what is sent never climbs out of the root and
// always passes the server's own path rules (no '.', '..' or empty component).
TEST(ResolveRemotePath, WhatIsSentIsAlwaysAValidRootRelativePath) {
  for (const std::string_view cwd : {"", "a", "a/b/c"}) {
    for (const std::string_view typed :
         {"..", "../..", "/..", "./.././x", "x/../..", "a//b/./", "...", "..a", "/./", ""}) {
      const std::string sent = ResolveRemotePath(cwd, typed);
      EXPECT_FALSE(sent.starts_with('/')) << cwd << " " << typed;
      EXPECT_THAT(Path::Parse(sent), IsOk()) << cwd << " " << typed << " -> " << sent;
    }
  }
}

TEST(RemotePath, JoinBaseNameAndDisplay) {
  EXPECT_EQ(JoinRemotePath("", "a"), "a");
  EXPECT_EQ(JoinRemotePath("d", "a"), "d/a");
  EXPECT_EQ(JoinRemotePath("d/", "a"), "d/a");
  EXPECT_EQ(RemoteBaseName("d/e/f.txt"), "f.txt");
  EXPECT_EQ(RemoteBaseName("d/e/"), "e");
  EXPECT_EQ(RemoteBaseName(""), "");
  EXPECT_EQ(WithoutTrailingSlash("d/e/"), "d/e");
  EXPECT_THAT(SplitRemoteComponents("/a//b/"), ElementsAre("a", "b"));
}

// R-CWD-4
TEST(RemotePath, TheWorkingDirectoryIsShownFromTheRoot) {
  EXPECT_EQ(DisplayRemoteDirectory(""), "/");
  EXPECT_EQ(DisplayRemoteDirectory("docs/img"), "/docs/img");
}

// Tab completion of a remote argument lists the directory the typed part names
// relative to the working directory, as the protocol names it.
TEST(ListRelativeToWorkingDirectory, ListsTheTypedDirectoryResolvedAgainstTheCwd) {
  std::string cwd = "docs";
  std::vector<std::string> asked;
  const DirectoryLister lister = ListRelativeToWorkingDirectory(
      [&] { return cwd; },
      [&](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
        asked.push_back(dir);
        return std::vector<CompletionEntry>{{"x", false}};
      });
  for (const std::string typed : {"", "img/", "/", "/other", "..", "../up/"}) {
    ASSERT_THAT(lister(typed), IsOk());
  }
  cwd = "";
  ASSERT_THAT(lister("img"), IsOk());
  EXPECT_THAT(asked, ElementsAre("docs", "docs/img", "", "other", "", "up", "img"));
}

// The completer keeps what was typed and offers names from the working
// directory's listing.
TEST(ListRelativeToWorkingDirectory, CompleterOffersNamesFromTheWorkingDirectory) {
  std::map<std::string, std::vector<CompletionEntry>> tree = {
      {"", {{"top.txt", false}}},
      {"docs", {{"report.pdf", false}, {"img", true}}},
      {"docs/img", {{"logo.png", false}}}};
  auto list = [&](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
    auto found = tree.find(dir);
    if (found == tree.end()) return Status::Error(StatusCode::kNotFound, dir);
    return found->second;
  };
  Completer completer({{"download", "RL"}}, nullptr,
                      ListRelativeToWorkingDirectory([] { return "docs"; }, list));
  EXPECT_THAT(completer.Complete("download re").candidates, ElementsAre("report.pdf "));
  EXPECT_THAT(completer.Complete("download im").candidates, ElementsAre("img/"));
  EXPECT_THAT(completer.Complete("download img/l").candidates, ElementsAre("img/logo.png "));
  EXPECT_THAT(completer.Complete("download ../t").candidates, ElementsAre("../top.txt "));
  EXPECT_THAT(completer.Complete("download /t").candidates, ElementsAre("/top.txt "));
}

}  // namespace
}  // namespace ferry
