// Display escaping of untrusted names (src/base/text.h, R-SEC-6): nothing that a
// terminal or a log reader interprets survives, ordinary text does, and the
// escaping is unambiguous.
#include "src/base/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "src/base/utf8.h"

namespace ferry {
namespace {

using namespace std::string_literals;

struct EscapeCase {
  std::string input;
  std::string expected;
};

void PrintTo(const EscapeCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.input); }

class EscapeForDisplayTable : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(EscapeForDisplayTable, Escapes) {
  EXPECT_EQ(EscapeForDisplay(GetParam().input), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Kept, EscapeForDisplayTable,
    ::testing::Values(EscapeCase{"", ""}, EscapeCase{"report 2024.txt", "report 2024.txt"},
                      EscapeCase{"~!@#$%^&*()[]{}<>?'\"", "~!@#$%^&*()[]{}<>?'\""},
                      EscapeCase{"caf\xC3\xA9", "caf\xC3\xA9"},                            // é
                      EscapeCase{"\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC"},  // 日本
                      EscapeCase{"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},  // U+1F600
                      EscapeCase{"\xC2\xA0", "\xC2\xA0"},                  // U+00A0, first after C1
                      EscapeCase{"\xE2\x80\xA9", "\xE2\x80\xA9"},  // U+2029, before bidi range
                      EscapeCase{"\xE2\x80\xAF", "\xE2\x80\xAF"},  // U+202F, after it
                      EscapeCase{"\xE2\x81\xA5", "\xE2\x81\xA5"},  // U+2065
                      EscapeCase{"\xE2\x81\xAA", "\xE2\x81\xAA"}   // U+206A
                      ));

INSTANTIATE_TEST_SUITE_P(C0AndDel, EscapeForDisplayTable,
                         ::testing::Values(EscapeCase{"\0"s, "\\x00"},
                                           EscapeCase{"a\nb", "a\\x0ab"}, EscapeCase{"\r", "\\x0d"},
                                           EscapeCase{"\t", "\\x09"}, EscapeCase{"\x1f", "\\x1f"},
                                           EscapeCase{"\x7f", "\\x7f"},
                                           EscapeCase{"x\x07y", "x\\x07y"}));

INSTANTIATE_TEST_SUITE_P(C1, EscapeForDisplayTable,
                         ::testing::Values(EscapeCase{"\xC2\x80", "\\x80"},
                                           EscapeCase{"\xC2\x85", "\\x85"},  // NEL
                                           EscapeCase{"\xC2\x9B"
                                                      "2J",
                                                      "\\x9b2J"},  // CSI, the one-byte ESC [
                                           EscapeCase{"\xC2\x9F", "\\x9f"}));

INSTANTIATE_TEST_SUITE_P(EscapeSequences, EscapeForDisplayTable,
                         ::testing::Values(EscapeCase{"\x1b[2J", "\\x1b[2J"},
                                           EscapeCase{"\x1b]0;owned\x07", "\\x1b]0;owned\\x07"},
                                           EscapeCase{"ok\x1b[1A\x1b[2Kfake line",
                                                      "ok\\x1b[1A\\x1b[2Kfake line"}));

INSTANTIATE_TEST_SUITE_P(
    Bidi, EscapeForDisplayTable,
    ::testing::Values(
        EscapeCase{"invoice\xE2\x80\xAEgpj.exe", "invoice\\u{202e}gpj.exe"},
        EscapeCase{"\xE2\x80\xAA", "\\u{202a}"}, EscapeCase{"\xE2\x80\xAB", "\\u{202b}"},
        EscapeCase{"\xE2\x80\xAC", "\\u{202c}"}, EscapeCase{"\xE2\x80\xAD", "\\u{202d}"},
        EscapeCase{"\xE2\x81\xA6", "\\u{2066}"}, EscapeCase{"\xE2\x81\xA7", "\\u{2067}"},
        EscapeCase{"\xE2\x81\xA8", "\\u{2068}"}, EscapeCase{"\xE2\x81\xA9", "\\u{2069}"}));

INSTANTIATE_TEST_SUITE_P(
    InvalidUtf8, EscapeForDisplayTable,
    ::testing::Values(EscapeCase{"\xff", "\\xff"},
                      EscapeCase{"a\xfe"
                                 "b",
                                 "a\\xfeb"},
                      EscapeCase{"\x80", "\\x80"},                             // lone continuation
                      EscapeCase{"\xE6\x97", "\\xe6\\x97"},                    // truncated
                      EscapeCase{"\xC0\xAF", "\\xc0\\xaf"},                    // overlong '/'
                      EscapeCase{"\xED\xA0\x80", "\\xed\\xa0\\x80"},           // surrogate
                      EscapeCase{"\xF4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},  // above U+10FFFF
                      EscapeCase{"\xC2"
                                 "A",
                                 "\\xc2A"}));  // lead then ASCII

INSTANTIATE_TEST_SUITE_P(Backslash, EscapeForDisplayTable,
                         ::testing::Values(EscapeCase{"\\", "\\\\"},
                                           EscapeCase{"a\\x0ab", "a\\\\x0ab"}));

TEST(EscapeForDisplay, IsUnambiguous) {
  // A name that spells an escape and the name it would stand for differ once escaped.
  EXPECT_NE(EscapeForDisplay("a\\x0ab"), EscapeForDisplay("a\nb"));
  EXPECT_NE(EscapeForDisplay("\\u{202e}"), EscapeForDisplay("\xE2\x80\xAE"));
  EXPECT_NE(EscapeForDisplay("\xff"), EscapeForDisplay("\xC3\xBF"));  // byte FF vs U+00FF
}

// True if `text` is valid UTF-8 and holds no C0, DEL, C1 or bidi control.
bool IsSafeToPrint(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) return false;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return false;
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return false;
    i += len;
  }
  return true;
}

TEST(EscapeForDisplay, OutputOfAnyTwoBytesIsSafeToPrint) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::string input = {static_cast<char>(a), static_cast<char>(b)};
      ASSERT_TRUE(IsSafeToPrint(EscapeForDisplay(input)))
          << ::testing::PrintToString(input) << " -> " << EscapeForDisplay(input);
    }
  }
}

TEST(EscapeForDisplay, OutputOfEveryThreeByteSequenceIsSafeToPrint) {
  // Covers every BMP code point from U+0800 up, bidi controls included.
  for (int a = 0xE0; a <= 0xEF; ++a) {
    for (int b = 0x80; b <= 0xBF; ++b) {
      for (int c = 0x80; c <= 0xBF; ++c) {
        const std::string input = {static_cast<char>(a), static_cast<char>(b),
                                   static_cast<char>(c)};
        ASSERT_TRUE(IsSafeToPrint(EscapeForDisplay(input))) << ::testing::PrintToString(input);
      }
    }
  }
}

TEST(QuoteForDisplay, LeavesPlainNamesBare) {
  EXPECT_EQ(QuoteForDisplay("a.txt"), "a.txt");
  EXPECT_EQ(QuoteForDisplay("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(QuoteForDisplay, QuotesEmptyAndSpacedNames) {
  EXPECT_EQ(QuoteForDisplay(""), "\"\"");
  EXPECT_EQ(QuoteForDisplay("my file.txt"), "\"my file.txt\"");
  EXPECT_EQ(QuoteForDisplay(" "), "\" \"");
}

TEST(QuoteForDisplay, QuotesAndEscapesDoubleQuotes) {
  EXPECT_EQ(QuoteForDisplay("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(QuoteForDisplay("\""), "\"\\\"\"");
}

TEST(QuoteForDisplay, QuotesSingleQuotesSoTheShellDoesNotReadThemAsQuoting) {
  EXPECT_EQ(QuoteForDisplay("it's"), "\"it's\"");
}

TEST(QuoteForDisplay, EscapesControlsInsideQuotes) {
  EXPECT_EQ(QuoteForDisplay("a b\n"), "\"a b\\x0a\"");
  EXPECT_EQ(QuoteForDisplay("\x1b[2J x"), "\"\\x1b[2J x\"");
}

}  // namespace
}  // namespace ferry
