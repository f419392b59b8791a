// Spec 5.9 (authentication) and the access control of 12.1 (read-only mode, the
// per-address connection limit), against a real ferryd started with
// --token-file, --read-only or --max-connections-per-address.
#include <sys/stat.h>

#include <thread>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kToken = "conformance-token-0123456789";

v1::ClientMessage AuthenticateMessage(std::string_view token) {
  v1::ClientMessage message;
  message.mutable_authenticate()->set_token(std::string(token));
  return message;
}

class AuthConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    FERRY_ASSERT_OK(top_.WriteFile("token", kToken + "\n"));
    ASSERT_EQ(chmod(top_.Path("token").c_str(), 0600), 0);
    ConformanceTest::SetUp();
  }
  std::vector<std::string> ServerArgs() const override {
    return {"--token-file", top_.Path("token").string(), "--auth-failure-delay", "0.01"};
  }
  bool OpenClientInSetUp() const override { return false; }

  // A connection whose handshake is done and which has not authenticated.
  std::unique_ptr<RawConnection> OpenUnauthenticated() {
    auto connection = Connect();
    if (connection == nullptr) return nullptr;
    auto welcome = connection->Handshake();
    if (!welcome.ok()) {
      ADD_FAILURE() << "handshake failed: " << welcome.status().ToString();
      return nullptr;
    }
    return connection;
  }
};

// R-AUTH-1
TEST_F(AuthConformance, WelcomeAsksForTheTokenMethod) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  auto welcome = connection->Handshake();
  ASSERT_THAT(welcome, IsOk());
  EXPECT_THAT(welcome->auth_methods(), ElementsAre("token"));
}

// R-AUTH-2
TEST_F(AuthConformance, RightTokenGetsAuthenticatedAndThenRequestsAreServed) {
  Put("a.txt", "hello");
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, AuthenticateMessage(kToken));
  EXPECT_THAT(reply, HasBody(v1::ServerMessage::kAuthenticated));
  // Authenticated has no fields: its payload is the bare envelope field 11.
  EXPECT_EQ(reply.payload, std::string("\x5a\x00", 2));
  EXPECT_THAT(Call(*connection, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Upload(*connection, "b.txt", "data"), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("b.txt"), "data");
}

// R-AUTH-2: requests pipelined behind the right token are served.
TEST_F(AuthConformance, RequestsPipelinedBehindTheTokenAreServed) {
  Put("a.txt", "hello");
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(Frame(Hello()) + Frame(AuthenticateMessage(kToken)) +
                                      Frame(StatMessage("a.txt"))));
  EXPECT_THAT(Read(*connection), HasBody(v1::ServerMessage::kWelcome));
  EXPECT_THAT(Read(*connection), HasBody(v1::ServerMessage::kAuthenticated));
  EXPECT_THAT(Read(*connection), HasBody(v1::ServerMessage::kStat));
}

class AuthRequiredConformance : public AuthConformance,
                                public ::testing::WithParamInterface<NamedFrame> {};

// R-AUTH-3: every frame kind other than Authenticate and Bye, before the token.
TEST_P(AuthRequiredConformance, FrameBeforeAuthenticatingIsRefusedAndNothingRuns) {
  Put("victim.txt", "still here");
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(GetParam().bytes));
  const ServerFrame reply = Read(*connection);
  if (GetParam().name == "Unparsable") {
    EXPECT_THAT(reply, IsFatalError(v1::MALFORMED_MESSAGE));
  } else {
    EXPECT_THAT(reply, IsFatalError(v1::AUTHENTICATION_REQUIRED));
  }
  EXPECT_TRUE(connection->ExpectClosed());
  EXPECT_EQ(Get("victim.txt"), "still here");
  EXPECT_TRUE(Temporaries().empty());
}

std::vector<NamedFrame> FramesOtherThanByeAndAuthenticate() {
  std::vector<NamedFrame> frames;
  for (NamedFrame& frame : RequestFrames()) {
    if (frame.name != "Bye") frames.push_back(std::move(frame));
  }
  frames.push_back({"Chunk", ChunkFrame("x")});
  frames.push_back({"UploadEnd", Frame(UploadEndMessage(0, kEmptyDigest))});
  frames.push_back({"Cancel", Frame(CancelMessage())});
  return frames;
}

INSTANTIATE_TEST_SUITE_P(AllFrames, AuthRequiredConformance,
                         ::testing::ValuesIn(FramesOtherThanByeAndAuthenticate()),
                         [](const auto& param_info) { return param_info.param.name; });

// R-AUTH-3, R-FRAME-4: before Authenticated, client frames are still limited to
// 65536 bytes, even an Authenticate padded with an unknown field.
TEST_F(AuthConformance, FrameOverTheHandshakeLimitBeforeAuthenticatingIsTooLarge) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  const std::string payload = PadPayload(AuthenticateMessage(kToken).SerializeAsString(), 65537);
  FERRY_ASSERT_OK(connection->SendPayload(payload));
  EXPECT_THAT(Read(*connection), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-AUTH-3, R-FRAME-4: exactly 65536 bytes is still allowed.
TEST_F(AuthConformance, AuthenticateOfExactlyTheHandshakeLimitIsRead) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  const std::string payload = PadPayload(AuthenticateMessage(kToken).SerializeAsString(), 65536);
  FERRY_ASSERT_OK(connection->SendPayload(payload));
  EXPECT_THAT(Read(*connection), HasBody(v1::ServerMessage::kAuthenticated));
  EXPECT_THAT(Upload(*connection, "big.bin", std::string(200000, 'b'), false, 200000),
              HasBody(v1::ServerMessage::kUploadDone));
}

// R-AUTH-3
TEST_F(AuthConformance, ByeBeforeAuthenticatingGetsByeReplyAndClose) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Call(*connection, ByeMessage()), HasBody(v1::ServerMessage::kBye));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-AUTH-5
TEST_F(AuthConformance, WrongTokenIsNotFatalAndTheRightOneThenWorks) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Call(*connection, AuthenticateMessage("not-the-token-at-all")),
              IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken + "x")),
              IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken)),
              HasBody(v1::ServerMessage::kAuthenticated));
  EXPECT_THAT(Call(*connection, StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// R-AUTH-6
TEST_F(AuthConformance, ThirdWrongTokenIsFatal) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Call(*connection, AuthenticateMessage("wrong-1")),
              IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*connection, AuthenticateMessage("wrong-2")),
              IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*connection, AuthenticateMessage("wrong-3")),
              IsFatalError(v1::AUTHENTICATION_FAILED));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-AUTH-6: the count is per connection; a new connection starts again.
TEST_F(AuthConformance, FailuresOnOneConnectionDoNotCountOnAnother) {
  auto first = OpenUnauthenticated();
  ASSERT_NE(first, nullptr);
  EXPECT_THAT(Call(*first, AuthenticateMessage("wrong-1")), IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*first, AuthenticateMessage("wrong-2")), IsError(v1::AUTHENTICATION_FAILED));
  auto second = OpenUnauthenticated();
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(Call(*second, AuthenticateMessage("wrong-1")), IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*second, AuthenticateMessage(kToken)),
              HasBody(v1::ServerMessage::kAuthenticated));
}

// R-AUTH-7
TEST_F(AuthConformance, EmptyOrOverlongTokenIsFatalInvalidArgument) {
  for (const std::string& token : {std::string(), std::string(1025, 't')}) {
    SCOPED_TRACE(token.size());
    auto connection = OpenUnauthenticated();
    ASSERT_NE(connection, nullptr);
    EXPECT_THAT(Call(*connection, AuthenticateMessage(token)), IsFatalError(v1::INVALID_ARGUMENT));
    EXPECT_TRUE(connection->ExpectClosed());
  }
}

// R-AUTH-4: the server's log records the attempts and never the token.
TEST_F(AuthConformance, LogNeverContainsATokenRightOrWrong) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  const std::string wrong = "wrong-token-that-must-not-be-logged";
  EXPECT_THAT(Call(*connection, AuthenticateMessage(wrong)), IsError(v1::AUTHENTICATION_FAILED));
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken)),
              HasBody(v1::ServerMessage::kAuthenticated));
  EXPECT_THAT(Call(*connection, ByeMessage()), HasBody(v1::ServerMessage::kBye));
  ASSERT_TRUE(WaitForLog("cmd=bye"));
  EXPECT_THAT(server_.Log(), HasSubstr("cmd=authenticate"));
  EXPECT_THAT(server_.Log(), HasSubstr("AUTHENTICATION_FAILED"));
  EXPECT_THAT(server_.Log(), Not(HasSubstr(wrong)));
  EXPECT_THAT(server_.Log(), Not(HasSubstr(kToken)));
}

// R-AUTH-9
TEST_F(AuthConformance, AuthenticateAgainInReadyIsUnexpectedAndNotFatal) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken)),
              HasBody(v1::ServerMessage::kAuthenticated));
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken)), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Call(*connection, StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

class AuthDeadlineConformance : public AuthConformance {
 protected:
  std::vector<std::string> ServerArgs() const override {
    std::vector<std::string> args = AuthConformance::ServerArgs();
    args.insert(args.end(), {"--handshake-timeout", "0.3"});
    return args;
  }
};

// R-AUTH-8: the hang guard of Read is far longer than the deadline; nothing here
// measures time.
TEST_F(AuthDeadlineConformance, ClientThatNeverAuthenticatesIsClosedWithTimeout) {
  auto connection = OpenUnauthenticated();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Read(*connection), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-AUTH-9: a server without a token never asks and refuses Authenticate.
class NoAuthConformance : public ConformanceTest {};

TEST_F(NoAuthConformance, ServerWithoutATokenAsksForNothingAndRefusesAuthenticate) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  auto welcome = connection->Handshake();
  ASSERT_THAT(welcome, IsOk());
  EXPECT_THAT(welcome->auth_methods(), IsEmpty());
  EXPECT_THAT(welcome->capabilities(), IsEmpty());
  EXPECT_THAT(Call(*connection, AuthenticateMessage(kToken)), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Call(*connection, StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// ---------------------------------------------------------------------------
// Read-only mode

class ReadOnlyConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--read-only"}; }
  bool OpenClientInSetUp() const override { return false; }
};

// R-ACCESS-1
TEST_F(ReadOnlyConformance, WelcomeAnnouncesReadOnly) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  auto welcome = connection->Handshake();
  ASSERT_THAT(welcome, IsOk());
  EXPECT_THAT(welcome->capabilities(), ElementsAre("read-only"));
  EXPECT_THAT(welcome->auth_methods(), IsEmpty());
}

// R-ACCESS-2
TEST_F(ReadOnlyConformance, RemoveIsPermissionDeniedAndTheFileStays) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, RemoveMessage("a.txt"));
  EXPECT_THAT(reply, IsError(v1::PERMISSION_DENIED));
  EXPECT_EQ(reply.message.error().path(), "a.txt");
  EXPECT_EQ(Get("a.txt"), "hello");
  // Refused before any lookup: a missing file is refused the same way.
  EXPECT_THAT(Call(*connection, RemoveMessage("missing")), IsError(v1::PERMISSION_DENIED));
}

// R-ACCESS-2, R-MKDIR-4: refused before any lookup, whether or not the path exists.
TEST_F(ReadOnlyConformance, MakeDirectoryIsPermissionDeniedAndNothingIsCreated) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, MakeDirectoryMessage("new"));
  EXPECT_THAT(reply, IsError(v1::PERMISSION_DENIED));
  EXPECT_EQ(reply.message.error().path(), "new");
  EXPECT_THAT(Call(*connection, MakeDirectoryMessage("a.txt")), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(*connection, MakeDirectoryMessage("missing/new")),
              IsError(v1::PERMISSION_DENIED));
  EXPECT_FALSE(Exists("new"));
  EXPECT_THAT(Call(*connection, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-ACCESS-2, R-RMDIR-4: refused before any lookup; the directory stays.
TEST_F(ReadOnlyConformance, RemoveDirectoryIsPermissionDeniedAndTheDirectoryStays) {
  std::filesystem::create_directory(root_ / "empty");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, RemoveDirectoryMessage("empty"));
  EXPECT_THAT(reply, IsError(v1::PERMISSION_DENIED));
  EXPECT_EQ(reply.message.error().path(), "empty");
  EXPECT_THAT(Call(*connection, RemoveDirectoryMessage("missing")), IsError(v1::PERMISSION_DENIED));
  EXPECT_TRUE(std::filesystem::is_directory(root_ / "empty"));
}

// R-ACCESS-2, R-RENAME-6: refused before any lookup, Error.path = from.
TEST_F(ReadOnlyConformance, RenameIsPermissionDeniedAndNothingMoves) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, RenameMessage("a.txt", "b.txt", true));
  EXPECT_THAT(reply, IsError(v1::PERMISSION_DENIED));
  EXPECT_EQ(reply.message.error().path(), "a.txt");
  EXPECT_THAT(Call(*connection, RenameMessage("missing", "x")), IsError(v1::PERMISSION_DENIED));
  EXPECT_EQ(Get("a.txt"), "hello");
  EXPECT_FALSE(Exists("b.txt"));
}

// R-ACCESS-2, R-HASH-5: hash only reads, so a read-only server serves it.
TEST_F(ReadOnlyConformance, HashIsServed) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  const ServerFrame reply = Call(*connection, HashMessage("a.txt"));
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kHash));
  EXPECT_EQ(reply.message.hash().digest(), kHelloDigest);
}

// R-ACCESS-2: an upload is refused early, its data phase discarded.
TEST_F(ReadOnlyConformance, UploadIsPermissionDeniedAndNothingIsWritten) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Upload(*connection, "a.txt", "changed", /*overwrite=*/true),
              IsError(v1::PERMISSION_DENIED));
  // Pipelined data after a refused request is discarded up to UploadEnd.
  FERRY_ASSERT_OK(connection->SendRaw(Frame(UploadMessage("b.txt", 4)) + ChunkFrame("data") +
                                      Frame(UploadEndMessage(4, WireDigest("data")))));
  EXPECT_THAT(Read(*connection), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Call(*connection, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(Get("a.txt"), "hello");
  EXPECT_FALSE(Exists("b.txt"));
  EXPECT_TRUE(Temporaries().empty());
}

// R-ACCESS-2: reading goes on as usual.
TEST_F(ReadOnlyConformance, ListStatAndDownloadAreServed) {
  Put("a.txt", "hello");
  auto connection = OpenSession();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendFrame(ListMessage("")));
  EXPECT_THAT(ReadListing(*connection).back(), HasBody(v1::ServerMessage::kList));
  EXPECT_THAT(Call(*connection, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  FERRY_ASSERT_OK(connection->SendFrame(DownloadMessage("a.txt")));
  const DownloadResult download = ReadDownload(*connection);
  EXPECT_EQ(download.data, "hello");
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
}

// ---------------------------------------------------------------------------
// Per-address connection limit

class PerAddressLimitConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--max-connections-per-address", "2"};
  }
};

// R-ACCESS-3
TEST_F(PerAddressLimitConformance, ExtraConnectionIsRefusedAndSaysWhichLimit) {
  Put("a.txt", "hello");
  auto second = OpenSession();
  ASSERT_NE(second, nullptr);
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  const ServerFrame refusal = Read(*third);
  EXPECT_THAT(refusal, IsFatalError(v1::TOO_MANY_CONNECTIONS));
  EXPECT_THAT(refusal.message.error().message(), HasSubstr("per address"));
  EXPECT_TRUE(third->ExpectClosed());
  // Existing sessions go on.
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Upload(*second, "b.txt", "data"), HasBody(v1::ServerMessage::kUploadDone));
}

// R-ACCESS-4
TEST_F(PerAddressLimitConformance, EndedSessionFreesItsSlot) {
  auto second = OpenSession();
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(Call(*second, ByeMessage()), HasBody(v1::ServerMessage::kBye));
  EXPECT_TRUE(second->ExpectClosed());
  // The server notices the end a moment after the client does: retry while it
  // still refuses (hang guard 10 s).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    auto next = Connect();
    ASSERT_NE(next, nullptr);
    auto welcome = next->Handshake();
    if (welcome.ok()) break;
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << welcome.status().ToString();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace
}  // namespace ferry::conformance
