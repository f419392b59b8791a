// Client-side wildcards (src/client/glob.h, spec 6.12): matching one name, and
// expanding a typed argument against remote listings or the local disk.
#include "src/client/glob.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;

struct MatchCase {
  std::string_view pattern;
  std::string_view name;
  bool matches;
};

void PrintTo(const MatchCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.pattern) << " vs " << ::testing::PrintToString(c.name);
}

class GlobMatchTable : public ::testing::TestWithParam<MatchCase> {};

// R-CWD-5
TEST_P(GlobMatchTable, MatchesLikeTheShell) {
  EXPECT_EQ(GlobMatch(GetParam().pattern, GetParam().name), GetParam().matches);
}

INSTANTIATE_TEST_SUITE_P(
    Star, GlobMatchTable,
    ::testing::Values(MatchCase{"*", "a", true}, MatchCase{"*", "", true},
                      MatchCase{"*.log", "a.log", true}, MatchCase{"*.log", ".log", true},
                      MatchCase{"*.log", "a.log.gz", false}, MatchCase{"a*b*c", "aXbYbZc", true},
                      MatchCase{"a*b*c", "aXbYc", true}, MatchCase{"a*b*c", "aXcYb", false},
                      MatchCase{"**x", "abx", true}, MatchCase{"a*", "b", false},
                      MatchCase{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false}));

INSTANTIATE_TEST_SUITE_P(
    Question, GlobMatchTable,
    ::testing::Values(MatchCase{"?", "a", true}, MatchCase{"?", "", false},
                      MatchCase{"?", "ab", false}, MatchCase{"a?c", "abc", true},
                      // One character, not one byte: é is two bytes in UTF-8.
                      MatchCase{"caf?", "caf\xC3\xA9", true},
                      MatchCase{"caf??", "caf\xC3\xA9", false},
                      MatchCase{"?\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC", true}));

INSTANTIATE_TEST_SUITE_P(
    Brackets, GlobMatchTable,
    ::testing::Values(MatchCase{"[abc]", "b", true}, MatchCase{"[abc]", "d", false},
                      MatchCase{"[a-c]x", "bx", true}, MatchCase{"[a-c]x", "dx", false},
                      MatchCase{"[!a-c]", "d", true}, MatchCase{"[!a-c]", "a", false},
                      MatchCase{"[^a]", "b", true}, MatchCase{"[]]", "]", true},
                      MatchCase{"[]a]", "a", true}, MatchCase{"[a-]", "-", true},
                      MatchCase{"file[0-9].txt", "file7.txt", true},
                      MatchCase{"file[0-9].txt", "fileA.txt", false},
                      // No closing bracket: '[' is an ordinary byte.
                      MatchCase{"a[b", "a[b", true}, MatchCase{"a[b", "ab", false},
                      MatchCase{"*[", "x[", true}));

INSTANTIATE_TEST_SUITE_P(Literal, GlobMatchTable,
                         ::testing::Values(MatchCase{"abc", "abc", true},
                                           MatchCase{"abc", "abd", false}, MatchCase{"", "", true},
                                           MatchCase{"", "a", false},
                                           MatchCase{"a\\b", "a\\b", true}));

TEST(HasWildcard, SeesStarQuestionAndBracket) {
  EXPECT_TRUE(HasWildcard("*.log"));
  EXPECT_TRUE(HasWildcard("a?"));
  EXPECT_TRUE(HasWildcard("[ab]"));
  EXPECT_FALSE(HasWildcard("plain.txt"));
  EXPECT_FALSE(HasWildcard(""));
}

class ExpandRemotePatternTest : public ::testing::Test {
 protected:
  ExpandRemotePatternTest() {
    tree_[""] = {{"a.log", false}, {"b.log", false}, {".hidden.log", false}, {"c.txt", false},
                 {"logs", true},   {"logs2", true},  {"file.log", true}};
    tree_["logs"] = {{"x.log", false}, {"y.txt", false}};
    tree_["logs2"] = {{"z.log", false}};
  }

  StatusOr<std::vector<std::string>> Expand(std::string_view cwd, std::string_view typed) {
    return ExpandRemotePattern(
        cwd, typed, [this](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
          listed_.push_back(dir);
          auto found = tree_.find(dir);
          if (found == tree_.end()) {
            return Status::Error(StatusCode::kNotFound, dir);
          }
          return found->second;
        });
  }

  std::map<std::string, std::vector<CompletionEntry>> tree_;
  std::vector<std::string> listed_;
};

// R-CWD-5: sorted, root-relative, hidden names only for a pattern with a dot.
TEST_F(ExpandRemotePatternTest, ExpandsTheLastComponentSortedWithoutHiddenNames) {
  // file.log is a directory: marked, as ResolveRemotePath marks one.
  EXPECT_THAT(Expand("", "*.log"), IsOkAndHolds(ElementsAre("a.log", "b.log", "file.log/")));
  EXPECT_THAT(Expand("", ".*.log"), IsOkAndHolds(ElementsAre(".hidden.log")));
  EXPECT_THAT(Expand("", "?.txt"), IsOkAndHolds(ElementsAre("c.txt")));
  EXPECT_THAT(listed_, ElementsAre("", "", ""));
}

// R-CWD-2, R-CWD-5: relative to the working directory; the working directory's
// own components are never patterns.
TEST_F(ExpandRemotePatternTest, ExpandsRelativeToTheWorkingDirectory) {
  EXPECT_THAT(Expand("logs", "*.log"), IsOkAndHolds(ElementsAre("logs/x.log")));
  EXPECT_THAT(Expand("logs", "../[ab].log"), IsOkAndHolds(ElementsAre("a.log", "b.log")));
  EXPECT_THAT(Expand("logs", "/c.*"), IsOkAndHolds(ElementsAre("c.txt")));
  tree_["we*rd"] = {{"q.log", false}};
  EXPECT_THAT(Expand("we*rd", "*"), IsOkAndHolds(ElementsAre("we*rd/q.log")));
}

// R-CWD-5: a component before the last matches directories only; a literal
// component after it is joined as typed, for the server to answer.
TEST_F(ExpandRemotePatternTest, ExpandsDirectoryComponentsThroughDirectoriesOnly) {
  EXPECT_THAT(Expand("", "logs*/*.log"), IsOkAndHolds(ElementsAre("logs/x.log", "logs2/z.log")));
  EXPECT_THAT(Expand("", "*/y.txt"),
              IsOkAndHolds(ElementsAre("file.log/y.txt", "logs/y.txt", "logs2/y.txt")));
}

// R-CWD-5: no match is NOT_FOUND; so is a directory that does not exist.
TEST_F(ExpandRemotePatternTest, NoMatchIsNotFound) {
  EXPECT_THAT(Expand("", "*.pdf"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Expand("", "missing/*"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Expand("", "*.log/*"), StatusIs(StatusCode::kNotFound));
}

// R-CWD-5: local arguments expand against the local disk, hidden names only on
// request, sorted.
TEST(ExpandLocalPattern, ExpandsAgainstTheLocalDisk) {
  TempDir dir;
  for (const char* name : {"b.txt", "a.txt", ".h.txt", "c.log"}) {
    FERRY_ASSERT_OK(WriteFile(dir.Path(name), "x"));
  }
  const std::string top = dir.Path("").string();
  EXPECT_THAT(ExpandLocalPattern(top + "*.txt"),
              IsOkAndHolds(ElementsAre(top + "a.txt", top + "b.txt")));
  EXPECT_THAT(ExpandLocalPattern(top + ".*.txt"), IsOkAndHolds(ElementsAre(top + ".h.txt")));
  EXPECT_THAT(ExpandLocalPattern(top + "*.pdf"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace ferry
