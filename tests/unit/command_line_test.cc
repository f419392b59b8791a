// Splitting a typed line into words (src/client/command_line.h): the quoting rules
// of the ferry shell, and that a name printed with QuoteForDisplay reads back as
// that one name.
#include "src/client/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/base/text.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using Words = std::vector<std::string>;

struct SplitCase {
  std::string_view line;
  Words words;
};

void PrintTo(const SplitCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.line); }

class SplitCommandLineTable : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitCommandLineTable, Splits) {
  EXPECT_THAT(SplitCommandLine(GetParam().line), IsOkAndHolds(GetParam().words));
}

INSTANTIATE_TEST_SUITE_P(Spacing, SplitCommandLineTable,
                         ::testing::Values(SplitCase{"", {}}, SplitCase{"   ", {}},
                                           SplitCase{"\t \t", {}}, SplitCase{"ls", {"ls"}},
                                           SplitCase{"  ls  ", {"ls"}},
                                           SplitCase{"rm a b  c", {"rm", "a", "b", "c"}},
                                           SplitCase{"rm\ta\t\tb", {"rm", "a", "b"}},
                                           SplitCase{"ls dir\r\n", {"ls", "dir"}}));

INSTANTIATE_TEST_SUITE_P(
    Quotes, SplitCommandLineTable,
    ::testing::Values(SplitCase{"upload \"my file.txt\" dest", {"upload", "my file.txt", "dest"}},
                      SplitCase{"\"a\tb\"", {"a\tb"}}, SplitCase{"a\"b c\"d", {"ab cd"}},
                      SplitCase{"\"\"", {""}}, SplitCase{"rm \"\"", {"rm", ""}},
                      SplitCase{"rm \"\" x", {"rm", "", "x"}}, SplitCase{"\"\"\"\"", {""}},
                      SplitCase{"'single' quotes", {"single", "quotes"}},
                      SplitCase{"'a \\ \"b\"'", {"a \\ \"b\""}}, SplitCase{"\"it's\"", {"it's"}},
                      SplitCase{"'x'\"y\"z", {"xyz"}}, SplitCase{"''", {""}}));

INSTANTIATE_TEST_SUITE_P(Backslashes, SplitCommandLineTable,
                         ::testing::Values(SplitCase{"a\\ b", {"a b"}},
                                           SplitCase{"\"a\\\"b\"", {"a\"b"}},
                                           SplitCase{"a\\\"b", {"a\"b"}}, SplitCase{"\\\\", {"\\"}},
                                           SplitCase{"\"a\\\\b\"", {"a\\b"}},
                                           SplitCase{"x\\\ty", {"x\ty"}}, SplitCase{"\\n", {"n"}}));

INSTANTIATE_TEST_SUITE_P(Comments, SplitCommandLineTable,
                         ::testing::Values(SplitCase{"#", {}}, SplitCase{"# ls a", {}},
                                           SplitCase{"   # indented", {}}, SplitCase{"#ls", {}},
                                           SplitCase{"\"quoted # kept\"", {"quoted # kept"}},
                                           SplitCase{"ls #notacomment", {"ls", "#notacomment"}},
                                           SplitCase{"ls a#b", {"ls", "a#b"}},
                                           SplitCase{"\"#x\"", {"#x"}}, SplitCase{"\\#x", {"#x"}}));

TEST(SplitCommandLine, UnclosedQuoteIsInvalidArgument) {
  EXPECT_THAT(SplitCommandLine("ls \"a b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitCommandLine("\""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitCommandLine("a\"\"\""), StatusIs(StatusCode::kInvalidArgument));
}

TEST(SplitCommandLine, UnclosedSingleQuoteIsInvalidArgument) {
  EXPECT_THAT(SplitCommandLine("ls 'a b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitCommandLine("'\"'\""), StatusIs(StatusCode::kInvalidArgument));
}

// Which words were quoted decides which are wildcard patterns: any quote mark
// or backslash in a word makes all of it literal.
TEST(SplitCommandWords, ReportsWhichWordsWereQuotedOrEscaped) {
  EXPECT_THAT(SplitCommandWords("download *.log \"*.txt\" '*.c' \\*.h a\"\"* plain"),
              IsOkAndHolds(ElementsAre(CommandWord{"download", false}, CommandWord{"*.log", false},
                                       CommandWord{"*.txt", true}, CommandWord{"*.c", true},
                                       CommandWord{"*.h", true}, CommandWord{"a*", true},
                                       CommandWord{"plain", false})));
}

TEST(SplitCommandWords, AgreesWithSplitCommandLineOnTheText) {
  for (const std::string_view line : {"rm a \"b c\" 'd e' f\\ g", "# comment", "  x  "}) {
    auto words = SplitCommandWords(line);
    auto texts = SplitCommandLine(line);
    ASSERT_THAT(words, IsOk());
    ASSERT_THAT(texts, IsOk());
    ASSERT_EQ(words->size(), texts->size()) << line;
    for (size_t i = 0; i < texts->size(); ++i) EXPECT_EQ((*words)[i].text, (*texts)[i]) << line;
  }
}

TEST(SplitCommandLine, TrailingBackslashIsInvalidArgument) {
  EXPECT_THAT(SplitCommandLine("ls a\\"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitCommandLine("\\"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(SplitCommandLine("\"a\\"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(SplitCommandLine, EscapedBackslashAtTheEndIsFine) {
  EXPECT_THAT(SplitCommandLine("ls a\\\\"), IsOkAndHolds(ElementsAre("ls", "a\\")));
}

TEST(SplitCommandLine, CommentMarkerAfterQuotedEmptyWordIsAWord) {
  EXPECT_THAT(SplitCommandLine("\"\" #x"), IsOkAndHolds(ElementsAre("", "#x")));
}

class QuotedNameRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(QuotedNameRoundTrip, ReadsBackAsTheSameSingleWord) {
  // What the shell prints for a name can be pasted back as an argument.
  const std::string line = "rm " + QuoteForDisplay(GetParam());
  EXPECT_THAT(SplitCommandLine(line), IsOkAndHolds(ElementsAre("rm", GetParam()))) << line;
}

INSTANTIATE_TEST_SUITE_P(PrintableNames, QuotedNameRoundTrip,
                         ::testing::Values("plain.txt", "my file.txt", "", " ", " lead", "trail ",
                                           "say \"hi\"", "\"", "back\\slash", "\\", "a\\\"b",
                                           "#hash", "it's", "'", "caf\xC3\xA9 menu",
                                           "\xE6\x97\xA5 \xE6\x9C\xAC"));

}  // namespace
}  // namespace ferry
