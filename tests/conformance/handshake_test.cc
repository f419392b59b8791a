// Spec sections 5.2-5.4 (handshake and version negotiation, frame-size
// negotiation) and 11 (versions and compatible evolution).
#include <google/protobuf/descriptor.h>

#include "src/base/version.h"
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

class HandshakeConformance : public ConformanceTest {
 protected:
  bool OpenClientInSetUp() const override { return false; }

  // Sends `frame` as the first bytes of a new connection and returns the reply.
  ServerFrame FirstFrame(std::string_view frame) {
    connection_ = Connect();
    if (connection_ == nullptr) return ServerFrame{};
    if (const Status sent = connection_->SendRaw(frame); !sent.ok()) {
      ADD_FAILURE() << sent.ToString();
      return ServerFrame{};
    }
    return Read(*connection_);
  }

  std::unique_ptr<RawConnection> connection_;
};

// R-HELLO-7, R-LIMIT-1, R-LIMIT-3, R-VERSION-5
TEST_F(HandshakeConformance, WelcomeCarriesTheVersionOneValues) {
  const ServerFrame reply = FirstFrame(Frame(Hello(1, 1, "ferry/0.1.0")));
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kWelcome));
  const v1::Welcome& welcome = reply.message.welcome();
  EXPECT_EQ(welcome.version(), 1u);
  EXPECT_EQ(welcome.server_name(), "ferryd/" FERRY_VERSION);
  EXPECT_LE(welcome.server_name().size(), 256u);
  EXPECT_EQ(welcome.max_frame_bytes(), 1048640u);
  EXPECT_EQ(welcome.max_chunk_bytes(), 1048640u - 16);
  EXPECT_EQ(welcome.max_path_bytes(), 4096u);
  EXPECT_EQ(welcome.max_list_entries(), 1000u);
  EXPECT_EQ(welcome.capabilities_size(), 0);
}

// R-HELLO-1
class FirstFrameNotHelloConformance : public HandshakeConformance,
                                      public ::testing::WithParamInterface<NamedFrame> {};

TEST_P(FirstFrameNotHelloConformance, IsFatalUnexpectedMessage) {
  Put("victim.txt", "keep");
  EXPECT_THAT(FirstFrame(GetParam().bytes), IsFatalError(v1::UNEXPECTED_MESSAGE));
  EXPECT_TRUE(connection_->ExpectClosed());
  // R-HELLO-2: nothing was executed.
  EXPECT_EQ(Get("victim.txt"), "keep");
}

std::vector<NamedFrame> NonHelloFrames() {
  std::vector<NamedFrame> frames;
  for (NamedFrame& frame : RequestFrames()) {
    if (frame.name != "Hello" && frame.name != "Unparsable") frames.push_back(std::move(frame));
  }
  frames.push_back({"Chunk", ChunkFrame("hello")});
  frames.push_back({"UploadEnd", Frame(UploadEndMessage(5, kHelloDigest))});
  frames.push_back({"Cancel", Frame(CancelMessage())});
  return frames;
}

INSTANTIATE_TEST_SUITE_P(Frames, FirstFrameNotHelloConformance,
                         ::testing::ValuesIn(NonHelloFrames()),
                         [](const auto& test) { return test.param.name; });

// R-HELLO-1, R-FRAME-8
TEST_F(HandshakeConformance, UnparsableFirstFrameIsFatalMalformedMessage) {
  EXPECT_THAT(FirstFrame(Frame(UnparsablePayload())), IsFatalError(v1::MALFORMED_MESSAGE));
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-FRAME-9, R-HELLO-1: invalid UTF-8 in client_name makes Hello unparsable.
TEST_F(HandshakeConformance, InvalidUtf8InClientNameIsFatalMalformedMessage) {
  const std::string hello = FieldKey(1, 0) + Varint(1) + FieldKey(2, 0) + Varint(1) +
                            LengthDelimited(3, std::string("ferry\xc0\xaf", 7));  // overlong '/'
  EXPECT_THAT(FirstFrame(Frame(LengthDelimited(1, hello))), IsFatalError(v1::MALFORMED_MESSAGE));
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-2, R-HELLO-11: requests pipelined behind a refused Hello are never executed.
TEST_F(HandshakeConformance, RequestsPipelinedBehindARefusedHelloAreNotProcessed) {
  Put("victim.txt", "keep");
  EXPECT_THAT(FirstFrame(Frame(Hello(2, 3)) + Frame(RemoveMessage("victim.txt")) +
                         Frame(UploadMessage("new.txt", 0, true)) +
                         Frame(UploadEndMessage(0, kEmptyDigest))),
              IsFatalError(v1::UNSUPPORTED_VERSION));
  EXPECT_TRUE(connection_->ExpectClosed());
  EXPECT_EQ(Get("victim.txt"), "keep");
  EXPECT_FALSE(Exists("new.txt"));
}

// R-HELLO-11, R-STATE-5
TEST_F(HandshakeConformance, RequestsPipelinedBehindHelloAreAnsweredAfterWelcome) {
  Put("a.txt", "hello");
  EXPECT_THAT(FirstFrame(Frame(Hello()) + Frame(StatMessage("a.txt")) + Frame(ListMessage(""))),
              HasBody(v1::ServerMessage::kWelcome));
  EXPECT_THAT(Read(*connection_), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Read(*connection_), HasBody(v1::ServerMessage::kList));
}

// R-HELLO-3
TEST_F(HandshakeConformance, MinVersionAboveMaxVersionIsFatalInvalidArgument) {
  EXPECT_THAT(FirstFrame(Frame(Hello(2, 1))), IsFatalError(v1::INVALID_ARGUMENT));
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-3, R-HELLO-4: the range check comes before the version check, even when
// the inverted range excludes version 1.
TEST_F(HandshakeConformance, InvertedRangeIsReportedBeforeAnUnsupportedVersion) {
  EXPECT_THAT(FirstFrame(Frame(Hello(5, 3))), IsFatalError(v1::INVALID_ARGUMENT));
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-4, R-VERSION-1
TEST_F(HandshakeConformance, RangeWithoutVersionOneIsFatalUnsupportedVersion) {
  const ServerFrame reply = FirstFrame(Frame(Hello(2, 3, "ferry/9.0")));
  EXPECT_THAT(reply, IsFatalError(v1::UNSUPPORTED_VERSION));
  EXPECT_EQ(reply.message.error().message(), "server speaks versions 1..1");
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-4: a client that leaves both versions unset offers [0, 0].
TEST_F(HandshakeConformance, UnsetVersionsAreFatalUnsupportedVersion) {
  v1::ClientMessage hello;
  hello.mutable_hello()->set_client_name("old");
  const ServerFrame reply = FirstFrame(Frame(hello));
  EXPECT_THAT(reply, IsFatalError(v1::UNSUPPORTED_VERSION));
  EXPECT_EQ(reply.message.error().message(), "server speaks versions 1..1");
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-4, R-HELLO-5: the version check comes before the client_name check.
TEST_F(HandshakeConformance, UnsupportedVersionIsReportedBeforeAnOverlongClientName) {
  EXPECT_THAT(FirstFrame(Frame(Hello(2, 2, std::string(300, 'n')))),
              IsFatalError(v1::UNSUPPORTED_VERSION));
}

// R-HELLO-4, R-HELLO-6: the version check comes before the max_frame_bytes check.
TEST_F(HandshakeConformance, UnsupportedVersionIsReportedBeforeATooSmallFrameLimit) {
  EXPECT_THAT(FirstFrame(Frame(Hello(2, 2, "x", 100))), IsFatalError(v1::UNSUPPORTED_VERSION));
}

// R-VERSION-1: the server picks the highest version both sides speak.
class VersionRangeConformance
    : public HandshakeConformance,
      public ::testing::WithParamInterface<std::pair<uint32_t, uint32_t>> {};

TEST_P(VersionRangeConformance, RangeContainingOneGetsVersionOne) {
  const auto [min, max] = GetParam();
  const ServerFrame reply = FirstFrame(Frame(Hello(min, max)));
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kWelcome));
  EXPECT_EQ(reply.message.welcome().version(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Ranges, VersionRangeConformance,
                         ::testing::Values(std::make_pair(1u, 1u), std::make_pair(0u, 1u),
                                           std::make_pair(1u, 2u),
                                           std::make_pair(0u, 4294967295u)));

// R-HELLO-5
TEST_F(HandshakeConformance, ClientNameOf256BytesIsAccepted) {
  EXPECT_THAT(FirstFrame(Frame(Hello(1, 1, std::string(256, 'n')))),
              HasBody(v1::ServerMessage::kWelcome));
}

// R-HELLO-5
TEST_F(HandshakeConformance, ClientNameOf257BytesIsFatalInvalidArgument) {
  EXPECT_THAT(FirstFrame(Frame(Hello(1, 1, std::string(257, 'n')))),
              IsFatalError(v1::INVALID_ARGUMENT));
  EXPECT_TRUE(connection_->ExpectClosed());
}

// R-HELLO-5, 2.5: the limit counts bytes, not characters.
TEST_F(HandshakeConformance, ClientNameLimitCountsUtf8Bytes) {
  std::string name;
  for (int i = 0; i < 129; ++i) name += "\xc3\xa9";  // 129 characters, 258 bytes
  EXPECT_THAT(FirstFrame(Frame(Hello(1, 1, name))), IsFatalError(v1::INVALID_ARGUMENT));
}

// R-HELLO-5
TEST_F(HandshakeConformance, EmptyClientNameIsAccepted) {
  EXPECT_THAT(FirstFrame(Frame(Hello(1, 1, ""))), HasBody(v1::ServerMessage::kWelcome));
}

// R-HELLO-6, R-HELLO-8: the negotiation table of 5.3, for the default M = 1048640.
class FrameNegotiationConformance
    : public HandshakeConformance,
      public ::testing::WithParamInterface<std::pair<uint32_t, uint32_t>> {};

TEST_P(FrameNegotiationConformance, WelcomeAdvertisesMinOfRequestAndServerLimit) {
  const auto [requested, expected] = GetParam();
  const ServerFrame reply = FirstFrame(Frame(Hello(1, 1, "c", requested)));
  if (expected == 0) {
    EXPECT_THAT(reply, IsFatalError(v1::INVALID_ARGUMENT));
    EXPECT_TRUE(connection_->ExpectClosed());
    return;
  }
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kWelcome));
  EXPECT_EQ(reply.message.welcome().max_frame_bytes(), expected);
  EXPECT_EQ(reply.message.welcome().max_chunk_bytes(), expected - 16);
}

// expected 0: refused with INVALID_ARGUMENT.
INSTANTIATE_TEST_SUITE_P(
    Table, FrameNegotiationConformance,
    ::testing::Values(std::make_pair(0u, 1048640u), std::make_pair(1u, 0u),
                      std::make_pair(65535u, 0u), std::make_pair(65536u, 65536u),
                      std::make_pair(100000u, 100000u), std::make_pair(1048640u, 1048640u),
                      std::make_pair(4194304u, 1048640u), std::make_pair(4294967295u, 1048640u)));

// R-VERSION-2: Welcome is field 1 and Error field 15 of ServerMessage.
TEST_F(HandshakeConformance, WelcomeAndRefusalUseTheStableFieldNumbers) {
  const ServerFrame welcome = FirstFrame(Frame(Hello()));
  ASSERT_FALSE(welcome.payload.empty());
  EXPECT_EQ(static_cast<uint8_t>(welcome.payload[0]), 0x0a);  // field 1, wire type 2
  const ServerFrame refusal = FirstFrame(Frame(Hello(7, 9)));
  ASSERT_FALSE(refusal.payload.empty());
  EXPECT_EQ(static_cast<uint8_t>(refusal.payload[0]), 0x7a);  // field 15, wire type 2
}

// R-VERSION-2, R-FRAME-10: a later client's Hello with extra fields is still read.
TEST_F(HandshakeConformance, HelloWithUnknownFieldsIsAccepted) {
  const std::string hello = Hello().hello().SerializeAsString() + FieldKey(5, 0) + Varint(42) +
                            LengthDelimited(6, "token");
  const ServerFrame reply = FirstFrame(Frame(LengthDelimited(1, hello)));
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kWelcome));
  EXPECT_EQ(reply.message.welcome().version(), 1u);
}

// R-HELLO-2, R-ERROR-5: every Error before Welcome is fatal, whatever its code.
TEST_F(HandshakeConformance, ErrorsBeforeWelcomeAreAllFatal) {
  for (const auto& hello :
       {Hello(0, 0), Hello(3, 2), Hello(1, 1, std::string(257, 'x')), Hello(1, 1, "x", 1)}) {
    SCOPED_TRACE(hello.ShortDebugString());
    const ServerFrame reply = FirstFrame(Frame(hello));
    ASSERT_TRUE(reply.is_error());
    EXPECT_TRUE(reply.message.error().fatal());
    EXPECT_TRUE(connection_->ExpectClosed());
  }
}

// R-VERSION-3: within version 1 the schema only grows. Every field, oneof member
// and enum value version 1 defines keeps its number; additions are allowed.
TEST(VersioningConformance, SchemaKeepsEveryVersionOneNumber) {
  const std::vector<std::pair<std::string, int>> fields = {
      {"ferry.v1.Error.code", 1},
      {"ferry.v1.Error.message", 2},
      {"ferry.v1.Error.path", 3},
      {"ferry.v1.Error.fatal", 4},
      {"ferry.v1.Hello.min_version", 1},
      {"ferry.v1.Hello.max_version", 2},
      {"ferry.v1.Hello.client_name", 3},
      {"ferry.v1.Hello.max_frame_bytes", 4},
      {"ferry.v1.Welcome.version", 1},
      {"ferry.v1.Welcome.server_name", 2},
      {"ferry.v1.Welcome.max_frame_bytes", 3},
      {"ferry.v1.Welcome.max_chunk_bytes", 4},
      {"ferry.v1.Welcome.max_path_bytes", 5},
      {"ferry.v1.Welcome.max_list_entries", 6},
      {"ferry.v1.Welcome.capabilities", 7},
      {"ferry.v1.FileInfo.name", 1},
      {"ferry.v1.FileInfo.type", 2},
      {"ferry.v1.FileInfo.size", 3},
      {"ferry.v1.FileInfo.mtime_unix_ns", 4},
      {"ferry.v1.FileInfo.mode", 5},
      {"ferry.v1.ListRequest.path", 1},
      {"ferry.v1.ListReply.entries", 1},
      {"ferry.v1.ListReply.last", 2},
      {"ferry.v1.StatRequest.path", 1},
      {"ferry.v1.StatReply.info", 1},
      {"ferry.v1.RemoveRequest.path", 1},
      {"ferry.v1.DownloadRequest.path", 1},
      {"ferry.v1.DownloadBegin.size", 1},
      {"ferry.v1.DownloadBegin.mtime_unix_ns", 2},
      {"ferry.v1.DownloadEnd.size", 1},
      {"ferry.v1.DownloadEnd.xxh3_128", 2},
      {"ferry.v1.UploadRequest.path", 1},
      {"ferry.v1.UploadRequest.size", 2},
      {"ferry.v1.UploadRequest.overwrite", 3},
      {"ferry.v1.UploadEnd.size", 1},
      {"ferry.v1.UploadEnd.xxh3_128", 2},
      {"ferry.v1.UploadDone.size", 1},
      {"ferry.v1.UploadDone.xxh3_128", 2},
      {"ferry.v1.Chunk.data", 1},
      {"ferry.v1.ClientMessage.hello", 1},
      {"ferry.v1.ClientMessage.list", 2},
      {"ferry.v1.ClientMessage.stat", 3},
      {"ferry.v1.ClientMessage.remove", 4},
      {"ferry.v1.ClientMessage.download", 5},
      {"ferry.v1.ClientMessage.upload", 6},
      {"ferry.v1.ClientMessage.chunk", 7},
      {"ferry.v1.ClientMessage.upload_end", 8},
      {"ferry.v1.ClientMessage.cancel", 9},
      {"ferry.v1.ClientMessage.bye", 10},
      {"ferry.v1.ServerMessage.welcome", 1},
      {"ferry.v1.ServerMessage.list", 2},
      {"ferry.v1.ServerMessage.stat", 3},
      {"ferry.v1.ServerMessage.remove", 4},
      {"ferry.v1.ServerMessage.download_begin", 5},
      {"ferry.v1.ServerMessage.upload_ready", 6},
      {"ferry.v1.ServerMessage.chunk", 7},
      {"ferry.v1.ServerMessage.download_end", 8},
      {"ferry.v1.ServerMessage.upload_done", 9},
      {"ferry.v1.ServerMessage.bye", 10},
      {"ferry.v1.ServerMessage.error", 15},
  };
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& [name, number] : fields) {
    const google::protobuf::FieldDescriptor* field = pool->FindFieldByName(name);
    ASSERT_NE(field, nullptr) << name << " was removed";
    EXPECT_EQ(field->number(), number) << name;
  }
  const std::vector<std::pair<std::string, int>> values = {
      {"ERROR_CODE_UNSPECIFIED", 0},
      {"NOT_FOUND", 1},
      {"ALREADY_EXISTS", 2},
      {"IS_A_DIRECTORY", 3},
      {"NOT_A_DIRECTORY", 4},
      {"NOT_A_REGULAR_FILE", 5},
      {"PERMISSION_DENIED", 6},
      {"NO_SPACE", 7},
      {"IO_ERROR", 8},
      {"INVALID_PATH", 9},
      {"DIRECTORY_NOT_EMPTY", 10},
      {"BUSY", 11},
      {"INVALID_ARGUMENT", 20},
      {"SIZE_MISMATCH", 21},
      {"CHECKSUM_MISMATCH", 22},
      {"CANCELLED", 23},
      {"MALFORMED_FRAME", 30},
      {"MESSAGE_TOO_LARGE", 31},
      {"MALFORMED_MESSAGE", 32},
      {"UNEXPECTED_MESSAGE", 33},
      {"UNSUPPORTED_VERSION", 34},
      {"UNSUPPORTED", 35},
      {"TIMEOUT", 36},
      {"TOO_MANY_CONNECTIONS", 37},
      {"INTERNAL", 38},
      {"AUTHENTICATION_FAILED", 39},
      {"AUTHENTICATION_REQUIRED", 40},
      {"FILE_TYPE_UNSPECIFIED", 0},
      {"REGULAR", 1},
      {"DIRECTORY", 2},
      {"SYMLINK", 3},
      {"OTHER", 4},
  };
  for (const auto& [name, number] : values) {
    const google::protobuf::EnumValueDescriptor* value =
        pool->FindEnumValueByName("ferry.v1." + name);
    ASSERT_NE(value, nullptr) << name << " was removed";
    EXPECT_EQ(value->number(), number) << name;
  }
}

}  // namespace
}  // namespace ferry::conformance
