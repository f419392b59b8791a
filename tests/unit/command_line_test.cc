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
                      SplitCase{"'single' quotes", {"'single'", "quotes"}}));

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
                                           "#hash", "caf\xC3\xA9 menu",
                                           "\xE6\x97\xA5 \xE6\x9C\xAC"));

}  // namespace
}  // namespace ferry
