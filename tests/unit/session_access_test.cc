// Access control in the server's state machine (spec 5.9, 12.1), driven over
// memory against the in-memory filesystem: token authentication (the
// AUTHENTICATING state) and read-only mode. Clause IDs refer to spec/PROTOCOL.md.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "src/codec/limits.h"
#include "src/fs/in_memory_file_system.h"
#include "src/server/session.h"
#include "tests/testing/session_driver.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::ferry::testing::AuthenticateMessage;
using ::ferry::testing::ClientScript;
using ::ferry::testing::DigestBytes;
using ::ferry::testing::HasBody;
using ::ferry::testing::IsError;
using ::ferry::testing::IsErrorFor;
using ::ferry::testing::RunSessionExpectingFrames;
using ::ferry::testing::SessionResult;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

using Body = v1::ServerMessage::BodyCase;

const std::string kToken = "correct horse battery staple";

Path P(std::string_view text) { return Path::Parse(text).value(); }

class SessionAccessTest : public ::testing::Test {
 protected:
  void SetUp() override { FERRY_ASSERT_OK(fs_.AddFile(P("a.txt"), "hello")); }

  // Options of a server that requires kToken, with a delay short enough for tests.
  static SessionOptions TokenOptions() {
    return ::ferry::testing::TokenOptions(kToken, std::chrono::milliseconds(10));
  }
  static SessionOptions ReadOnlyOptions() {
    SessionOptions options;
    options.read_only = true;
    return options;
  }

  SessionResult Run(const ClientScript& script, SessionOptions options) {
    return RunSessionExpectingFrames(script, &fs_, std::move(options));
  }

  InMemoryFileSystem fs_;
};

// ---------------------------------------------------------------------------
// Authentication (spec 5.9)

// R-AUTH-1
TEST_F(SessionAccessTest, WelcomeOfAServerWithATokenAsksForTheTokenMethod) {
  ClientScript script;
  script.Hello().Bye();
  const SessionResult result = Run(script, TokenOptions());
  ASSERT_THAT(result.messages, SizeIs(2));
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_THAT(result.messages[0].welcome().auth_methods(), ElementsAre("token"));
  EXPECT_THAT(result.messages[0].welcome().capabilities(), IsEmpty());
}

// R-AUTH-1
TEST_F(SessionAccessTest, WelcomeOfAServerWithoutATokenAsksForNothing) {
  ClientScript script;
  script.Hello().Stat("a.txt").Bye();
  const SessionResult result = Run(script, SessionOptions{});
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_THAT(result.messages[0].welcome().auth_methods(), IsEmpty());
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kStat), HasBody(Body::kBye)));
}

// R-AUTH-2
TEST_F(SessionAccessTest, RightTokenIsAuthenticatedAndRequestsAreServed) {
  ClientScript script;
  script.Hello().Message(AuthenticateMessage(kToken)).Stat("a.txt").Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kAuthenticated), HasBody(Body::kStat),
                                            HasBody(Body::kBye)));
  FERRY_EXPECT_OK(result.status);
}

// R-AUTH-3
TEST_F(SessionAccessTest, RequestBeforeAuthenticatingIsFatalAndDoesNotRun) {
  ClientScript script;
  script.Hello().Remove("a.txt").Message(AuthenticateMessage(kToken)).Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::AUTHENTICATION_REQUIRED, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kAuthenticationRequired));
  EXPECT_TRUE(result.stream_shut_down);
  EXPECT_THAT(fs_.ReadFileForTest(P("a.txt")), IsOkAndHolds("hello"));
}

// R-AUTH-3: every frame kind but Authenticate and Bye, each on its own connection.
TEST_F(SessionAccessTest, EveryOtherFrameKindBeforeAuthenticatingIsAuthenticationRequired) {
  const std::vector<std::function<void(ClientScript*)>> frames = {
      [](ClientScript* s) { s->Hello(); },
      [](ClientScript* s) { s->List(""); },
      [](ClientScript* s) { s->Stat("a.txt"); },
      [](ClientScript* s) { s->Remove("a.txt"); },
      [](ClientScript* s) { s->Download("a.txt"); },
      [](ClientScript* s) { s->Upload("b.txt", 1); },
      [](ClientScript* s) { s->Chunk("x"); },
      [](ClientScript* s) { s->UploadEnd(0, DigestBytes("")); },
      [](ClientScript* s) { s->Cancel(); },
      [](ClientScript* s) { s->Frame(std::string("\xA2\x06\x00", 3)); },  // no body set
  };
  for (size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE("frame kind " + std::to_string(i));
    ClientScript script;
    script.Hello();
    frames[i](&script);
    script.Message(AuthenticateMessage(kToken)).Stat("a.txt");
    const SessionResult result = Run(script, TokenOptions());
    EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::AUTHENTICATION_REQUIRED, true)));
  }
  EXPECT_THAT(fs_.ReadFileForTest(P("a.txt")), IsOkAndHolds("hello"));
  EXPECT_THAT(fs_.ReadFileForTest(P("b.txt")), Not(IsOk()));
}

// R-AUTH-3
TEST_F(SessionAccessTest, UnparsablePayloadBeforeAuthenticatingIsFatalMalformedMessage) {
  ClientScript script;
  script.Hello().Frame(std::string("\x12\x05\x0a\x01", 4)).Message(AuthenticateMessage(kToken));
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::MALFORMED_MESSAGE, true)));
}

// R-AUTH-3, R-FRAME-4: until the token matches, the handshake frame limit holds.
TEST_F(SessionAccessTest, FrameOverTheHandshakeLimitBeforeAuthenticatingIsTooLarge) {
  ClientScript script;
  script.Hello().Frame(std::string(limits::kHandshakeMaxFrameBytes + 1, 'x'));
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::MESSAGE_TOO_LARGE, true)));
}

// R-AUTH-3, R-FRAME-5: once authenticated, the negotiated limit applies.
TEST_F(SessionAccessTest, NegotiatedFrameLimitAppliesOnceAuthenticated) {
  const std::string contents(200000, 'c');
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage(kToken))
      .Upload("big", contents.size())
      .UploadData(contents, contents.size())
      .Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kAuthenticated), HasBody(Body::kUploadReady),
                          HasBody(Body::kUploadDone), HasBody(Body::kBye)));
  EXPECT_THAT(fs_.ReadFileForTest(P("big")), IsOkAndHolds(contents));
}

// R-AUTH-3
TEST_F(SessionAccessTest, ByeWhileAuthenticatingGetsByeReplyAndEndsCleanly) {
  ClientScript script;
  script.Hello().Bye().Stat("a.txt");
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kBye)));
  FERRY_EXPECT_OK(result.status);
  EXPECT_TRUE(result.stream_shut_down);
}

// R-AUTH-5
TEST_F(SessionAccessTest, WrongTokenIsNonFatalAndTheRightOneStillWorks) {
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage("not the token at all"))
      .Message(AuthenticateMessage(kToken))
      .Stat("a.txt")
      .Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(),
              ElementsAre(IsError(v1::AUTHENTICATION_FAILED, false), HasBody(Body::kAuthenticated),
                          HasBody(Body::kStat), HasBody(Body::kBye)));
}

// R-AUTH-5: near misses are as wrong as anything else.
TEST_F(SessionAccessTest, PrefixExtensionAndOneByteChangesOfTheTokenAreWrong) {
  std::string changed = kToken;
  changed.back() ^= 1;
  for (const std::string& wrong :
       {kToken.substr(0, kToken.size() - 1), kToken + "x", changed, std::string(1, '\0')}) {
    SCOPED_TRACE(wrong);
    ClientScript script;
    script.Hello().Message(AuthenticateMessage(wrong)).Bye();
    const SessionResult result = Run(script, TokenOptions());
    EXPECT_THAT(result.Replies(),
                ElementsAre(IsError(v1::AUTHENTICATION_FAILED, false), HasBody(Body::kBye)));
  }
}

// R-AUTH-6
TEST_F(SessionAccessTest, ThirdWrongTokenIsFatal) {
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage("wrong token number one"))
      .Message(AuthenticateMessage("wrong token number two"))
      .Message(AuthenticateMessage("wrong token number three"))
      .Message(AuthenticateMessage(kToken))
      .Stat("a.txt");
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::AUTHENTICATION_FAILED, false),
                                            IsError(v1::AUTHENTICATION_FAILED, false),
                                            IsError(v1::AUTHENTICATION_FAILED, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kAuthenticationFailed));
  EXPECT_TRUE(result.stream_shut_down);
}

// R-AUTH-7
TEST_F(SessionAccessTest, EmptyOrOverlongTokenIsFatalInvalidArgument) {
  for (const std::string& token : {std::string(), std::string(limits::kMaxTokenBytes + 1, 'k'),
                                   kToken + std::string(2000, 'k')}) {
    SCOPED_TRACE(token.size());
    ClientScript script;
    script.Hello().Message(AuthenticateMessage(token)).Message(AuthenticateMessage(kToken));
    const SessionResult result = Run(script, TokenOptions());
    EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::INVALID_ARGUMENT, true)));
  }
}

// R-AUTH-7: the bound is inclusive.
TEST_F(SessionAccessTest, TokenOfExactlyTheLimitIsComparedNotRefused) {
  ClientScript script;
  script.Hello().Message(AuthenticateMessage(std::string(limits::kMaxTokenBytes, 'k'))).Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(),
              ElementsAre(IsError(v1::AUTHENTICATION_FAILED, false), HasBody(Body::kBye)));
}

// R-AUTH-8: a client that never authenticates is closed by the handshake deadline.
TEST_F(SessionAccessTest, ClientThatNeverAuthenticatesGetsTimeout) {
  SessionOptions options = TokenOptions();
  options.handshake_timeout = std::chrono::milliseconds(50);
  ClientScript script;
  script.Hello().AfterServerFrames(10).Message(AuthenticateMessage(kToken));
  const SessionResult result = Run(script, options);
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::TIMEOUT, true)));
  EXPECT_THAT(result.status, StatusIs(StatusCode::kTimeout));
}

// R-AUTH-9
TEST_F(SessionAccessTest, AuthenticateInReadyIsUnexpectedAndChangesNothing) {
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage(kToken))
      .Message(AuthenticateMessage(kToken))
      .Message(AuthenticateMessage("wrong token, but it no longer matters"))
      .Stat("a.txt")
      .Bye();
  const SessionResult result = Run(script, TokenOptions());
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kAuthenticated), IsError(v1::UNEXPECTED_MESSAGE, false),
                          IsError(v1::UNEXPECTED_MESSAGE, false), HasBody(Body::kStat),
                          HasBody(Body::kBye)));
}

// R-AUTH-9
TEST_F(SessionAccessTest, AuthenticateToAServerWithoutATokenIsUnexpected) {
  ClientScript script;
  script.Hello().Message(AuthenticateMessage(kToken)).Stat("a.txt").Bye();
  const SessionResult result = Run(script, SessionOptions{});
  EXPECT_THAT(result.Replies(), ElementsAre(IsError(v1::UNEXPECTED_MESSAGE, false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
}

// R-AUTH-4: the log records every attempt, never the token.
TEST_F(SessionAccessTest, AttemptsAreLoggedWithoutTheToken) {
  ClientScript script;
  script.Hello()
      .Message(AuthenticateMessage("the wrong secret value"))
      .Message(AuthenticateMessage(kToken))
      .Bye();
  const SessionResult result = Run(script, TokenOptions());
  ASSERT_THAT(result.records, SizeIs(3));
  EXPECT_EQ(result.records[0].command, "authenticate");
  EXPECT_THAT(result.records[0].result, StatusIs(StatusCode::kAuthenticationFailed));
  EXPECT_EQ(result.records[1].command, "authenticate");
  FERRY_EXPECT_OK(result.records[1].result);
  for (const RequestRecord& record : result.records) {
    EXPECT_THAT(record.path, Not(HasSubstr("secret")));
    EXPECT_THAT(record.path, Not(HasSubstr(kToken)));
    EXPECT_THAT(record.result.message(), Not(HasSubstr("secret")));
  }
  for (const v1::ServerMessage& message : result.messages) {
    EXPECT_THAT(message.SerializeAsString(), Not(HasSubstr("secret")));
    EXPECT_THAT(message.SerializeAsString(), Not(HasSubstr(kToken)));
  }
}

// ---------------------------------------------------------------------------
// Read-only mode (spec 12.1)

// R-ACCESS-1
TEST_F(SessionAccessTest, ReadOnlyServerAnnouncesTheCapability) {
  ClientScript script;
  script.Hello().Bye();
  const SessionResult result = Run(script, ReadOnlyOptions());
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_THAT(result.messages[0].welcome().capabilities(), ElementsAre("read-only"));
}

// R-ACCESS-2
TEST_F(SessionAccessTest, ReadOnlyServerRefusesRemoveAndKeepsTheFile) {
  ClientScript script;
  script.Hello().Remove("a.txt").Stat("a.txt").Bye();
  const SessionResult result = Run(script, ReadOnlyOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::PERMISSION_DENIED, "a.txt", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(result.Replies()[0].error().message(), HasSubstr("read-only"));
  EXPECT_THAT(fs_.ReadFileForTest(P("a.txt")), IsOkAndHolds("hello"));
}

// R-ACCESS-2: the refused upload's data phase is consumed, and the session goes on.
TEST_F(SessionAccessTest, ReadOnlyServerRefusesUploadAndDiscardsItsDataPhase) {
  ClientScript script;
  script.Hello()
      .Upload("a.txt", 3, /*overwrite=*/true)
      .UploadData("new")
      .Upload("b.txt", 2)
      .Chunk("xy")
      .Cancel()
      .Stat("a.txt")
      .Bye();
  const SessionResult result = Run(script, ReadOnlyOptions());
  EXPECT_THAT(result.Replies(), ElementsAre(IsErrorFor(v1::PERMISSION_DENIED, "a.txt", false),
                                            IsErrorFor(v1::PERMISSION_DENIED, "b.txt", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
  EXPECT_THAT(fs_.ReadFileForTest(P("a.txt")), IsOkAndHolds("hello"));
  EXPECT_THAT(fs_.ReadFileForTest(P("b.txt")), Not(IsOk()));
}

// R-ACCESS-2: reading is served as usual.
TEST_F(SessionAccessTest, ReadOnlyServerServesListStatAndDownload) {
  ClientScript script;
  script.Hello().List("").Stat("a.txt").Download("a.txt").Bye();
  const SessionResult result = Run(script, ReadOnlyOptions());
  EXPECT_THAT(result.Replies(),
              ElementsAre(HasBody(Body::kList), HasBody(Body::kStat), HasBody(Body::kDownloadBegin),
                          HasBody(Body::kDownloadEnd), HasBody(Body::kBye)));
  EXPECT_EQ(result.chunk_bytes, "hello");
}

// R-ACCESS-2 with R-AUTH-2: both at once, authentication first.
TEST_F(SessionAccessTest, ReadOnlyAndTokenTogether) {
  SessionOptions options = TokenOptions();
  options.read_only = true;
  ClientScript script;
  script.Hello().Message(AuthenticateMessage(kToken)).Remove("a.txt").Stat("a.txt").Bye();
  const SessionResult result = Run(script, options);
  ASSERT_TRUE(result.messages[0].has_welcome());
  EXPECT_THAT(result.messages[0].welcome().capabilities(), ElementsAre("read-only"));
  EXPECT_THAT(result.messages[0].welcome().auth_methods(), ElementsAre("token"));
  EXPECT_THAT(result.Replies(), ElementsAre(HasBody(Body::kAuthenticated),
                                            IsErrorFor(v1::PERMISSION_DENIED, "a.txt", false),
                                            HasBody(Body::kStat), HasBody(Body::kBye)));
}

}  // namespace
}  // namespace ferry
