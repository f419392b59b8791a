// Access control never reaches the filesystem: a StrictMock FileSystem with no
// expectations fails the test on any call at all, so these tests prove that a
// request before authentication (R-AUTH-3) and a mutating request to a read-only
// server (R-ACCESS-2) are refused before any file is touched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "src/server/session.h"
#include "tests/mocks/mock_file_system.h"
#include "tests/testing/session_driver.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::ferry::testing::AuthenticateMessage;
using ::ferry::testing::ClientScript;
using ::ferry::testing::HasBody;
using ::ferry::testing::IsError;
using ::ferry::testing::IsErrorFor;
using ::ferry::testing::RunSession;
using ::ferry::testing::SessionResult;
using ::testing::ElementsAre;
using ::testing::StrictMock;

using Body = v1::ServerMessage::BodyCase;

const std::string kToken = "sixteen bytes or more of secret";

SessionOptions TokenOptions() {
  return ::ferry::testing::TokenOptions(kToken, std::chrono::milliseconds(1));
}

// R-AUTH-3: one connection per request kind that would touch the filesystem.
TEST(SessionAccessMockTest, NoRequestBeforeAuthenticationTouchesTheFileSystem) {
  const std::vector<v1::ClientMessage::BodyCase> kinds = {
      v1::ClientMessage::kList, v1::ClientMessage::kStat, v1::ClientMessage::kRemove,
      v1::ClientMessage::kDownload, v1::ClientMessage::kUpload};
  for (const auto kind : kinds) {
    SCOPED_TRACE(kind);
    StrictMock<MockFileSystem> fs;  // any call fails the test
    ClientScript script;
    script.Hello();
    switch (kind) {
      case v1::ClientMessage::kList:
        script.List("");
        break;
      case v1::ClientMessage::kStat:
        script.Stat("a.txt");
        break;
      case v1::ClientMessage::kRemove:
        script.Remove("a.txt");
        break;
      case v1::ClientMessage::kDownload:
        script.Download("a.txt");
        break;
      default:
        script.Upload("a.txt", 1, /*overwrite=*/true).Chunk("x");
        break;
    }
    const SessionResult result = RunSession(script, &fs, TokenOptions());
    EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::AUTHENTICATION_REQUIRED, true)));
  }
}

// R-AUTH-3, R-AUTH-5, R-AUTH-6: wrong tokens do not unlock anything either.
TEST(SessionAccessMockTest, WrongTokensThenARequestTouchNothing) {
  StrictMock<MockFileSystem> fs;
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage("wrong token number one"))
      .Remove("a.txt")
      .Stat("a.txt");
  const SessionResult result = RunSession(script, &fs, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::AUTHENTICATION_FAILED, false),
                                            IsError(v1::AUTHENTICATION_REQUIRED, true)));
}

// R-ACCESS-2, R-MKDIR-4, R-RMDIR-4, R-RENAME-6: remove, upload, mkdir, rmdir
// and rename are refused before any FileSystem call.
TEST(SessionAccessMockTest, ReadOnlyRefusalsTouchNothing) {
  StrictMock<MockFileSystem> fs;
  SessionOptions options;
  options.read_only = true;
  ClientScript script;
  script.Hello()
      .Remove("a.txt")
      .Upload("a.txt", 5, /*overwrite=*/true)
      .UploadData("hello")
      .Upload("b.txt", 0)
      .UploadEnd(0, ::ferry::testing::DigestBytes(""))
      .MakeDirectory("newdir")
      .RemoveDirectory("olddir")
      .Rename("from.txt", "to.txt", true)
      .Bye();
  const SessionResult result = RunSession(script, &fs, options);
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::PERMISSION_DENIED, "a.txt", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "a.txt", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "b.txt", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "newdir", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "olddir", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "from.txt", false),
                                            HasBody(Body::kBye)));
}

}  // namespace
}  // namespace ferry
