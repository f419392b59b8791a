// Shared-secret tokens (spec 5.9): reading them from a private file, their length
// bounds, and the digest comparison that decides a match.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "src/auth/token_file.h"
#include "src/auth/token_verifier.h"
#include "src/codec/limits.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kToken = "0123456789abcdef-token";

class TokenFileTest : public ::testing::Test {
 protected:
  // Writes `content` to a file with `mode` and returns its path.
  std::string Write(std::string_view content, mode_t mode = 0600) {
    const std::string path = dir_.Path("token").string();
    EXPECT_THAT(dir_.WriteFile("token", content), IsOk());
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }

  TempDir dir_;
};

TEST_F(TokenFileTest, FirstLineWithoutItsLineEndingIsTheToken) {
  EXPECT_THAT(ReadTokenFile(Write(kToken)), IsOkAndHolds(kToken));
  EXPECT_THAT(ReadTokenFile(Write(kToken + "\n")), IsOkAndHolds(kToken));
  EXPECT_THAT(ReadTokenFile(Write(kToken + "\r\n")), IsOkAndHolds(kToken));
  EXPECT_THAT(ReadTokenFile(Write(kToken + "\nsecond line\n")), IsOkAndHolds(kToken));
}

TEST_F(TokenFileTest, SpacesInsideTheTokenAreKept) {
  EXPECT_THAT(ReadTokenFile(Write(" spaced out token \n")), IsOkAndHolds(" spaced out token "));
}

TEST_F(TokenFileTest, EmptyFileOrEmptyFirstLineIsRefused) {
  EXPECT_THAT(ReadTokenFile(Write("")), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ReadTokenFile(Write("\n" + kToken)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST_F(TokenFileTest, TokenShorterThanSixteenBytesIsRefused) {
  EXPECT_THAT(ReadTokenFile(Write("fifteen bytes!!\n")),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than 16")));
  EXPECT_THAT(ReadTokenFile(Write("sixteen bytes!!!\n")), IsOkAndHolds("sixteen bytes!!!"));
}

TEST_F(TokenFileTest, TokenLongerThanTheWireLimitIsRefused) {
  EXPECT_THAT(ReadTokenFile(Write(std::string(limits::kMaxTokenBytes, 't'))), IsOk());
  EXPECT_THAT(ReadTokenFile(Write(std::string(limits::kMaxTokenBytes + 1, 't'))),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("longer than 1024")));
  EXPECT_THAT(ReadTokenFile(Write(std::string(100000, 't'))),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(TokenFileTest, FileOthersCanReadOrWriteIsRefused) {
  for (const mode_t mode : {0640, 0604, 0620, 0602, 0644, 0666}) {
    SCOPED_TRACE(mode);
    EXPECT_THAT(ReadTokenFile(Write(kToken, mode)),
                StatusIs(StatusCode::kPermissionDenied, HasSubstr("chmod 600")));
  }
  EXPECT_THAT(ReadTokenFile(Write(kToken, 0400)), IsOkAndHolds(kToken));
}

TEST_F(TokenFileTest, MissingFileAndDirectoryAreRefused) {
  EXPECT_THAT(ReadTokenFile(dir_.Path("absent").string()), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(ReadTokenFile(dir_.Path("").string()), Not(IsOk()));
}

TEST_F(TokenFileTest, MessagesNeverContainTheToken) {
  const std::string secret = "short-secret";
  const auto refused = ReadTokenFile(Write(secret));
  ASSERT_THAT(refused, Not(IsOk()));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr(secret)));
  const auto loose = ReadTokenFile(Write(kToken, 0644));
  EXPECT_THAT(loose.status().message(), Not(HasSubstr(kToken)));
}

TEST(CheckToken, BoundsAreSixteenToOneThousandTwentyFourBytes) {
  EXPECT_THAT(CheckToken(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckToken(std::string(15, 'a')), StatusIs(StatusCode::kInvalidArgument));
  FERRY_EXPECT_OK(CheckToken(std::string(16, 'a')));
  FERRY_EXPECT_OK(CheckToken(std::string(1024, 'a')));
  EXPECT_THAT(CheckToken(std::string(1025, 'a')), StatusIs(StatusCode::kInvalidArgument));
}

// R-AUTH-4: a match is exact equality, whatever the lengths.
TEST(TokenVerifier, MatchesExactlyTheExpectedToken) {
  const auto verifier = TokenVerifier::Create(kToken);
  ASSERT_THAT(verifier, IsOk());
  EXPECT_TRUE(verifier->Matches(kToken));
  EXPECT_FALSE(verifier->Matches(""));
  EXPECT_FALSE(verifier->Matches(kToken.substr(0, kToken.size() - 1)));
  EXPECT_FALSE(verifier->Matches(kToken + "x"));
  EXPECT_FALSE(verifier->Matches(kToken + std::string(1, '\0')));
  std::string flipped = kToken;
  flipped[0] ^= 0x20;
  EXPECT_FALSE(verifier->Matches(flipped));
  flipped = kToken;
  flipped.back() ^= 1;
  EXPECT_FALSE(verifier->Matches(flipped));
  EXPECT_FALSE(verifier->Matches(std::string(100000, 'x')));
}

TEST(TokenVerifier, RefusesATokenOutsideTheBounds) {
  EXPECT_THAT(TokenVerifier::Create("short"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(TokenVerifier::Create(std::string(1025, 'a')),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ferry
