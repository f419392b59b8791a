// Spec section 10 (limits) with the frame-size limits of 4.3 at their exact
// boundaries, and the connection limit of R-STATE-8.
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

class LimitsConformance : public ConformanceTest {
 protected:
  bool OpenClientInSetUp() const override { return false; }
};

// A Hello frame padded with an unknown field (R-FRAME-10) to exactly `length`.
std::string HelloFrameOfLength(size_t length) {
  const std::string payload = PadPayload(Hello().SerializeAsString(), length);
  EXPECT_EQ(payload.size(), length);
  return Frame(payload);
}

// A stat frame padded the same way.
std::string StatFrameOfLength(std::string_view path, size_t length) {
  const std::string payload = PadPayload(StatMessage(path).SerializeAsString(), length);
  EXPECT_EQ(payload.size(), length);
  return Frame(payload);
}

// R-FRAME-4
TEST_F(LimitsConformance, HelloOfExactly65536BytesIsAccepted) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendRaw(HelloFrameOfLength(65536)));
  EXPECT_THAT(Read(*connection), HasBody(v1::ServerMessage::kWelcome));
}

// R-FRAME-4, R-FRAME-6
TEST_F(LimitsConformance, HelloOf65537BytesIsFatalMessageTooLarge) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  // The server may close before the payload is all sent; that is its right.
  connection->SendRaw(HelloFrameOfLength(65537)).IgnoreError();
  EXPECT_THAT(Read(*connection), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-FRAME-4: the pre-handshake limit holds even for a client that will ask for a
// larger frame limit in that very Hello.
TEST_F(LimitsConformance, PreHandshakeLimitIgnoresTheRequestedFrameLimit) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  const std::string payload = PadPayload(Hello(1, 1, "big", 1048640).SerializeAsString(), 65537);
  ASSERT_EQ(payload.size(), 65537u);
  connection->SendRaw(Frame(payload)).IgnoreError();
  EXPECT_THAT(Read(*connection), IsFatalError(v1::MESSAGE_TOO_LARGE));
}

// R-FRAME-4, R-FRAME-6, R-SEC-3: the largest length is refused from the header
// alone, before the handshake.
TEST_F(LimitsConformance, MaximalLengthBeforeTheHandshakeIsFatalMessageTooLarge) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendHeader(0xFFFFFFFF));
  EXPECT_THAT(Read(*connection), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-FRAME-5, R-FRAME-6, R-SEC-3: and after it.
TEST_F(LimitsConformance, MaximalLengthAfterTheHandshakeIsFatalMessageTooLarge) {
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendHeader(0xFFFFFFFF));
  EXPECT_THAT(Read(*session), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(session->ExpectClosed());
}

// R-FRAME-5, R-HELLO-8, R-LIMIT-1: once the handshake is complete the negotiated
// max_frame_bytes is the limit, to the byte.
class NegotiatedLimitConformance : public LimitsConformance,
                                   public ::testing::WithParamInterface<uint32_t> {
 protected:
  void SetUp() override {
    LimitsConformance::SetUp();
    Put("a.txt", "hello");
  }

  // Opens a session that asks for GetParam() and returns the negotiated limit.
  uint32_t Open() {
    session_ = Connect();
    if (session_ == nullptr) return 0;
    auto welcome = session_->Handshake(GetParam());
    if (!welcome.ok()) {
      ADD_FAILURE() << welcome.status().ToString();
      return 0;
    }
    return welcome->max_frame_bytes();
  }

  std::unique_ptr<RawConnection> session_;
};

TEST_P(NegotiatedLimitConformance, FrameOfExactlyTheLimitIsAccepted) {
  const uint32_t limit = Open();
  ASSERT_GE(limit, 65536u);
  FERRY_ASSERT_OK(session_->SendRaw(StatFrameOfLength("a.txt", limit)));
  EXPECT_THAT(Read(*session_), HasBody(v1::ServerMessage::kStat));
}

TEST_P(NegotiatedLimitConformance, FrameOneByteOverTheLimitIsFatalMessageTooLarge) {
  const uint32_t limit = Open();
  ASSERT_GE(limit, 65536u);
  session_->SendRaw(StatFrameOfLength("a.txt", limit + 1)).IgnoreError();
  EXPECT_THAT(Read(*session_), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(session_->ExpectClosed());
}

// Requested max_frame_bytes: 0 (the default, 1048640), the minimum, and one between.
INSTANTIATE_TEST_SUITE_P(Requested, NegotiatedLimitConformance,
                         ::testing::Values(0u, 65536u, 200000u));

// R-FRAME-5, R-UPLOAD-7: a chunk frame over the limit is a framing error, fatal
// even in a data phase, and commits nothing.
TEST_F(LimitsConformance, ChunkFrameOverTheNegotiatedLimitIsFatal) {
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  ASSERT_THAT(Call(*session, UploadMessage("c.bin", 70000)),
              HasBody(v1::ServerMessage::kUploadReady));
  session->SendChunk(std::string(70000, 'c')).IgnoreError();
  EXPECT_THAT(Read(*session), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(session->ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("c.bin"));
  EXPECT_TRUE(Temporaries().empty());
}

// R-PATH-1, R-LIMIT-1: max_path_bytes (4096) is enforced as advertised, counted
// as sent (a leading '/' included).
TEST_F(LimitsConformance, PathLimitIsEnforcedAsAdvertised) {
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  std::string path = "/";
  while (path.size() < 4097) path += std::string(200, 'p') + "/";
  path.resize(4097);
  ASSERT_NE(path.back(), '/');
  EXPECT_THAT(Call(*session, StatMessage(path)), IsError(v1::INVALID_PATH));
  path.resize(4096);
  ASSERT_NE(path.back(), '/');
  EXPECT_THAT(Call(*session, StatMessage(path)), IsError(v1::NOT_FOUND));
}

class ConnectionLimitConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--max-connections", "2"}; }
};

// R-STATE-8
TEST_F(ConnectionLimitConformance, ConnectionBeyondTheLimitIsRefusedAndOthersKeepWorking) {
  Put("a.txt", "hello");
  auto second = OpenSession();
  ASSERT_NE(second, nullptr);
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  EXPECT_THAT(Read(*third), IsFatalError(v1::TOO_MANY_CONNECTIONS));
  EXPECT_TRUE(third->ExpectClosed());
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Call(*second, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Upload(*second, "b.txt", "data"), HasBody(v1::ServerMessage::kUploadDone));
}

// R-STATE-8: the refused connection's Hello is never read, so never answered.
TEST_F(ConnectionLimitConformance, RefusedConnectionGetsNoWelcomeForItsHello) {
  auto second = OpenSession();
  ASSERT_NE(second, nullptr);
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  FERRY_ASSERT_OK(third->SendFrame(Hello()));
  EXPECT_THAT(Read(*third), IsFatalError(v1::TOO_MANY_CONNECTIONS));
  EXPECT_TRUE(third->ExpectClosed());
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

}  // namespace
}  // namespace ferry::conformance
