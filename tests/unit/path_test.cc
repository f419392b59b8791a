// Path::Parse applies the protocol's path rules (spec 3, R-PATH-*); these tests
// are the accept/reject table for them, plus the boundaries of every limit.
#include "src/fs/path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::string_view_literals;

struct AcceptCase {
  std::string_view text;
  std::string_view canonical;  // Path::ToString() of the result
};

void PrintTo(const AcceptCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.text); }

class PathAccepts : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(PathAccepts, ParsesToCanonicalForm) {
  const StatusOr<Path> path = Path::Parse(GetParam().text);
  ASSERT_THAT(path, IsOk());
  EXPECT_EQ(path->ToString(), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PathAccepts,
    ::testing::Values(
        // The root, and the one leading and one trailing slash that mean nothing.
        AcceptCase{"", ""}, AcceptCase{"/", ""}, AcceptCase{"//", ""}, AcceptCase{"a", "a"},
        AcceptCase{"/a", "a"}, AcceptCase{"a/", "a"}, AcceptCase{"/a/b/", "a/b"},
        AcceptCase{"a/b/c", "a/b/c"},
        // Dots are only special as a whole name.
        AcceptCase{"...", "..."}, AcceptCase{".a", ".a"}, AcceptCase{"a.", "a."},
        AcceptCase{"..a/b..", "..a/b.."},
        // No decoding layer: backslashes and percent escapes are literal bytes.
        AcceptCase{"a\\b", "a\\b"}, AcceptCase{"..\\..\\x", "..\\..\\x"},
        AcceptCase{"%2e%2e", "%2e%2e"}, AcceptCase{"%2e%2e/x", "%2e%2e/x"},
        AcceptCase{"..%2f", "..%2f"},
        // Spaces and UTF-8 of every length, up to the last scalar value.
        AcceptCase{" ", " "}, AcceptCase{"a b", "a b"}, AcceptCase{"\xC3\xA9", "\xC3\xA9"},
        AcceptCase{"\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x97\xA5\xE6\x9C\xAC"},
        AcceptCase{"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"},
        AcceptCase{"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},
        AcceptCase{"\xED\x9F\xBF", "\xED\x9F\xBF"},  // U+D7FF, just below the surrogates
        AcceptCase{"\xEE\x80\x80", "\xEE\x80\x80"},  // U+E000, just above them
        // C1 controls are valid UTF-8; names are escaped when printed (src/base/text.h).
        AcceptCase{"\xC2\x9B", "\xC2\x9B"},
        // Only a leading ".ferry-part." is reserved.
        AcceptCase{"ferry-part.x", "ferry-part.x"}, AcceptCase{".ferry-part", ".ferry-part"},
        AcceptCase{"x.ferry-part.y", "x.ferry-part.y"}));

struct RejectCase {
  std::string_view text;
  std::string_view rule;  // a word the error message must contain
};

void PrintTo(const RejectCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.text); }

class PathRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(PathRejects, WithInvalidPathNamingTheRule) {
  EXPECT_THAT(Path::Parse(GetParam().text),
              StatusIs(StatusCode::kInvalidPath, HasSubstr(std::string(GetParam().rule))));
}

INSTANTIATE_TEST_SUITE_P(
    Table, PathRejects,
    ::testing::Values(
        // Empty components: only one leading and one trailing slash are dropped.
        RejectCase{"a//b", "empty"}, RejectCase{"///", "empty"}, RejectCase{"//a", "empty"},
        RejectCase{"a//", "empty"},
        // "." and "..", wherever they are.
        RejectCase{".", "'.'"}, RejectCase{"..", "'..'"}, RejectCase{"/..", "'..'"},
        RejectCase{"a/./b", "'.'"}, RejectCase{"a/../b", "'..'"},
        RejectCase{"../etc/passwd", "'..'"}, RejectCase{"a/../../x", "'..'"},
        RejectCase{"./../x", "'.'"}, RejectCase{"a/..", "'..'"},
        // Control bytes, NUL included (never truncated into a shorter C string).
        RejectCase{"a\0b"sv, "control"}, RejectCase{"a.txt\0../../etc/passwd"sv, "control"},
        RejectCase{"\x01", "control"}, RejectCase{"\t", "control"}, RejectCase{"a\nb", "control"},
        RejectCase{"\r", "control"}, RejectCase{"\x1b[2J", "control"},
        RejectCase{"\x1f", "control"}, RejectCase{"\x7f", "control"},
        RejectCase{"ok/\x7f", "control"},
        // Invalid UTF-8: overlong forms...
        RejectCase{"\xC0\xAF", "UTF-8"}, RejectCase{"\xC1\xBF", "UTF-8"},
        RejectCase{"\xE0\x80\xAF", "UTF-8"}, RejectCase{"\xE0\x9F\xBF", "UTF-8"},
        RejectCase{"\xF0\x80\x80\xAF", "UTF-8"}, RejectCase{"\xF0\x8F\xBF\xBF", "UTF-8"},
        // ...surrogates...
        RejectCase{"\xED\xA0\x80", "UTF-8"}, RejectCase{"\xED\xBF\xBF", "UTF-8"},
        // ...truncated sequences...
        RejectCase{"\xC3", "UTF-8"}, RejectCase{"\xE6\x97", "UTF-8"},
        RejectCase{"a\xF0\x9F\x98", "UTF-8"}, RejectCase{"\xE6\x97/x", "UTF-8"},
        // ...beyond U+10FFFF, stray and impossible bytes.
        RejectCase{"\xF4\x90\x80\x80", "UTF-8"}, RejectCase{"\xF5\x80\x80\x80", "UTF-8"},
        RejectCase{"\xF8\x88\x80\x80\x80", "UTF-8"}, RejectCase{"\x80", "UTF-8"},
        RejectCase{"\x9b", "UTF-8"}, RejectCase{"\xC3\x28", "UTF-8"}, RejectCase{"\xFF", "UTF-8"},
        // Upload temporaries belong to the server, at any depth.
        RejectCase{".ferry-part.", "reserved"}, RejectCase{".ferry-part.0123abcd", "reserved"},
        RejectCase{"a/.ferry-part.x", "reserved"}, RejectCase{".ferry-part.x/y", "reserved"}));

// A path of exactly `bytes` bytes made of 99-byte names (and a shorter last one).
std::string PathOfLength(size_t bytes) {
  std::string path;
  while (bytes - path.size() > 100) path += std::string(99, 'a') + '/';
  path += std::string(bytes - path.size(), 'b');
  return path;
}

TEST(PathLimits, NameOf255BytesIsAccepted) {
  EXPECT_THAT(Path::Parse(std::string(255, 'n')), IsOk());
  EXPECT_THAT(Path::Parse("dir/" + std::string(255, 'n')), IsOk());
}

TEST(PathLimits, NameOf256BytesIsRejected) {
  EXPECT_THAT(Path::Parse(std::string(256, 'n')),
              StatusIs(StatusCode::kInvalidPath, HasSubstr("255")));
  EXPECT_THAT(Path::Parse(std::string(256, 'n') + "/x"), StatusIs(StatusCode::kInvalidPath));
}

TEST(PathLimits, NameLimitCountsBytesNotCharacters) {
  std::string name;
  for (int i = 0; i < 127; ++i) name += "\xC3\xA9";  // 254 bytes
  EXPECT_THAT(Path::Parse(name + "a"), IsOk());
  EXPECT_THAT(Path::Parse(name + "\xC3\xA9"), StatusIs(StatusCode::kInvalidPath));
}

TEST(PathLimits, PathOf4096BytesIsAccepted) {
  ASSERT_EQ(PathOfLength(4096).size(), 4096u);
  EXPECT_THAT(Path::Parse(PathOfLength(4096)), IsOk());
}

TEST(PathLimits, PathOf4097BytesIsRejected) {
  ASSERT_EQ(PathOfLength(4097).size(), 4097u);
  EXPECT_THAT(Path::Parse(PathOfLength(4097)),
              StatusIs(StatusCode::kInvalidPath, HasSubstr("4096")));
}

TEST(PathLimits, LengthIsMeasuredBeforeSlashesAreStripped) {
  EXPECT_THAT(Path::Parse("/" + PathOfLength(4095)), IsOk());
  EXPECT_THAT(Path::Parse("/" + PathOfLength(4096)), StatusIs(StatusCode::kInvalidPath));
}

TEST(PathLimits, ManyShortComponentsWithinTheLimit) {
  std::string text;
  for (int i = 0; i < 2048; ++i) text += "a/";  // 4096 bytes, trailing slash included
  const StatusOr<Path> path = Path::Parse(text);
  ASSERT_THAT(path, IsOk());
  EXPECT_EQ(path->components().size(), 2048u);
}

TEST(PathLimits, TenThousandComponentsAreRejectedByLength) {
  std::string text;
  for (int i = 0; i < 10'000; ++i) text += "a/";
  EXPECT_THAT(Path::Parse(text), StatusIs(StatusCode::kInvalidPath));
}

TEST(Path, RootHasNoComponents) {
  const Path root;
  EXPECT_TRUE(root.IsRoot());
  EXPECT_THAT(root.components(), IsEmpty());
  EXPECT_EQ(root.Name(), "");
  EXPECT_EQ(root.ToString(), "");
  EXPECT_EQ(root.Parent(), root);
  EXPECT_EQ(Path::Parse("/").value(), root);
}

TEST(Path, NameParentChildAndToString) {
  const Path path = Path::Parse("/a/b/c/").value();
  EXPECT_FALSE(path.IsRoot());
  EXPECT_THAT(path.components(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(path.Name(), "c");
  EXPECT_EQ(path.ToString(), "a/b/c");
  EXPECT_EQ(path.Parent().ToString(), "a/b");
  EXPECT_EQ(path.Parent().Name(), "b");
  EXPECT_TRUE(path.Parent().Parent().Parent().IsRoot());
  EXPECT_EQ(path.Child("d").ToString(), "a/b/c/d");
  EXPECT_EQ(Path().Child("x").ToString(), "x");
  EXPECT_EQ(path.Child("d").Parent(), path);
}

TEST(Path, EqualityIsOnComponents) {
  EXPECT_EQ(Path::Parse("/a/b/").value(), Path::Parse("a/b").value());
  EXPECT_NE(Path::Parse("a/b").value(), Path::Parse("a/c").value());
  EXPECT_NE(Path::Parse("a").value(), Path::Parse("a/a").value());
}

TEST(Path, ValidAndReservedNames) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("\xC3\xA9"));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName(".."));
  EXPECT_FALSE(IsValidName("a\nb"));
  EXPECT_FALSE(IsValidName(std::string(256, 'n')));
  EXPECT_FALSE(IsValidName(".ferry-part.1"));
  EXPECT_TRUE(IsReservedName(".ferry-part.1"));
  EXPECT_TRUE(IsReservedName(".ferry-part."));
  EXPECT_FALSE(IsReservedName(".ferry-part"));
  EXPECT_FALSE(IsReservedName("a.ferry-part.1"));
}

}  // namespace
}  // namespace ferry
