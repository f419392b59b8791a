// Spec section 4: transport and framing.
#include <thread>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::Each;
using ::testing::Le;
using ::testing::SizeIs;

class FramingConformance : public ConformanceTest {};

// R-FRAME-1, R-FRAME-2
TEST_F(FramingConformance, FramesSentBackToBackInOneWriteAreEachAnswered) {
  Put("a.txt", "hello");
  FERRY_ASSERT_OK(client().SendRaw(Frame(StatMessage("a.txt")) + Frame(StatMessage("b.txt")) +
                                   Frame(ListMessage(""))));
  const ServerFrame stat = Read(client());
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().size(), 5u);
  EXPECT_THAT(Read(client()), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kList));
}

// R-FRAME-1, R-FRAME-7
TEST_F(FramingConformance, FrameArrivingOneByteAtATimeIsReassembled) {
  Put("a.txt", "hello");
  for (const char byte : Frame(StatMessage("a.txt"))) {
    FERRY_ASSERT_OK(client().SendRaw(std::string(1, byte)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-7
TEST_F(FramingConformance, ServerWaitsForTheRestOfAnIncompleteFrame) {
  Put("a.txt", "hello");
  const std::string frame = Frame(StatMessage("a.txt"));
  FERRY_ASSERT_OK(client().SendRaw(frame.substr(0, 6)));
  // A server that acted on the partial frame would have answered by now.
  EXPECT_FALSE(client().Readable(std::chrono::milliseconds(300)));
  FERRY_ASSERT_OK(client().SendRaw(frame.substr(6)));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-7, R-STATE-9
TEST_F(FramingConformance, EndOfStreamInsideAFrameDiscardsThePartialFrameUnprocessed) {
  Put("a.txt", "hello");
  const std::string frame = Frame(RemoveMessage("a.txt"));
  FERRY_ASSERT_OK(client().SendRaw(frame.substr(0, frame.size() - 1)));
  FERRY_ASSERT_OK(client().ShutdownWrite());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_TRUE(Exists("a.txt"));
  EXPECT_EQ(Get("a.txt"), "hello");
}

// R-FRAME-7: an end of stream inside the 4-byte header is a connection loss too.
TEST_F(FramingConformance, EndOfStreamInsideAFrameHeaderEndsTheSession) {
  FERRY_ASSERT_OK(client().SendRaw(std::string("\x00\x00", 2)));
  FERRY_ASSERT_OK(client().ShutdownWrite());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  // The server is still serving others.
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  EXPECT_THAT(Call(*other, StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-3
TEST_F(FramingConformance, ZeroLengthFrameInReadyIsFatalMalformedFrame) {
  FERRY_ASSERT_OK(client().SendHeader(0));
  EXPECT_THAT(Read(client()), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-FRAME-3
TEST_F(FramingConformance, ZeroLengthFrameBeforeTheHandshakeIsFatalMalformedFrame) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  FERRY_ASSERT_OK(connection->SendHeader(0));
  EXPECT_THAT(Read(*connection), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-FRAME-3, R-STATE-6: frame-level errors in the frame read ahead take effect at once.
TEST_F(FramingConformance, ZeroLengthFrameDuringADownloadIsFatalAtOnce) {
  const uint64_t size = 8 * 1024 * 1024;
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", size, 1).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("big.bin")) + BigEndian32(0)));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_THAT(download.terminal, IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_LT(download.data.size(), size);
  EXPECT_TRUE(client().ExpectClosed());
}

// R-FRAME-3, R-UPLOAD-14
TEST_F(FramingConformance, ZeroLengthFrameInAnUploadDataPhaseIsFatalAndCommitsNothing) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hel"));
  FERRY_ASSERT_OK(client().SendHeader(0));
  EXPECT_THAT(Read(client()), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("new.txt"));
  EXPECT_THAT(Temporaries(), SizeIs(0));
}

// R-FRAME-3, R-UPLOAD-8: framing checks still apply while a data phase is discarded.
TEST_F(FramingConformance, ZeroLengthFrameInADiscardedDataPhaseIsFatal) {
  Put("a.txt", "hello");
  EXPECT_THAT(Call(client(), UploadMessage("a.txt", 5)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendHeader(0));
  EXPECT_THAT(Read(client()), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-FRAME-6: the length is judged from the header alone; no payload byte is awaited.
TEST_F(FramingConformance, OversizeHeaderIsAnsweredWithoutWaitingForItsPayload) {
  FERRY_ASSERT_OK(client().SendHeader(1048640 + 1));
  EXPECT_THAT(Read(client()), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-FRAME-8
class UnparsablePayloadConformance
    : public FramingConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(UnparsablePayloadConformance, InReadyIsMalformedMessageAndTheSessionContinues) {
  FERRY_ASSERT_OK(client().SendPayload(GetParam().second));
  EXPECT_THAT(Read(client()), IsError(v1::MALFORMED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

INSTANTIATE_TEST_SUITE_P(
    Payloads, UnparsablePayloadConformance,
    ::testing::Values(
        // A length-delimited field that runs past the payload's end.
        std::make_pair("TruncatedLengthDelimited", std::string("\x12\x05\x0a\x01", 4)),
        // A key whose varint never ends.
        std::make_pair("TruncatedKey", std::string("\x80", 1)),
        // Wire type 7 does not exist.
        std::make_pair("InvalidWireType", std::string("\x0f", 1)),
        // Field number 0 is invalid.
        std::make_pair("FieldNumberZero", std::string("\x02\x00", 2)),
        // An 11-byte varint (longer than protobuf's 10-byte maximum, spec 4.2).
        std::make_pair("OverlongVarint",
                       std::string("\xa0\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 13)),
        // A Chunk envelope whose inner length overruns (not the fixed layout either).
        std::make_pair("BrokenChunk", std::string("\x3a\x09\x0a\x05hello", 9))),
    [](const auto& test) { return std::string(test.param.first); });

// R-FRAME-8, R-STATE-6: a held unparsable frame is answered after the download,
// as in READY, and is not fatal.
TEST_F(FramingConformance, UnparsablePayloadHeldDuringADownloadIsMalformedMessageAfterIt) {
  Put("a.txt", "hello");
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("a.txt")) + Frame(UnparsablePayload())));
  const DownloadResult download = ReadDownload(client());
  EXPECT_EQ(download.data, "hello");
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_THAT(Read(client()), IsError(v1::MALFORMED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-9: invalid UTF-8 in any string field makes the payload unparsable.
TEST_F(FramingConformance, InvalidUtf8InAListPathIsMalformedMessage) {
  // ListRequest { path: 61 ff } written by hand: protobuf setters may refuse it.
  FERRY_ASSERT_OK(
      client().SendPayload(LengthDelimited(2, LengthDelimited(1, std::string("a\xff", 2)))));
  EXPECT_THAT(Read(client()), IsError(v1::MALFORMED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-10
TEST_F(FramingConformance, UnknownFieldsAreIgnoredAtEveryLevel) {
  Put("a.txt", "hello");
  // StatRequest { path: "a.txt", 2: 1, 99: "x" } inside an envelope that also
  // carries unknown fields before and after the body.
  const std::string stat =
      LengthDelimited(1, "a.txt") + FieldKey(2, 0) + Varint(1) + LengthDelimited(99, "x");
  const std::string payload =
      FieldKey(500, 0) + Varint(7) + LengthDelimited(3, stat) + LengthDelimited(600, "future");
  FERRY_ASSERT_OK(client().SendPayload(payload));
  const ServerFrame reply = Read(client());
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(reply.message.stat().info().name(), "a.txt");
  EXPECT_EQ(reply.message.stat().info().size(), 5u);
}

// R-FRAME-11
TEST_F(FramingConformance, EnvelopeWithNoBodyIsUnsupportedAndNotFatal) {
  FERRY_ASSERT_OK(client().SendPayload(NoBodyPayload()));
  EXPECT_THAT(Read(client()), IsError(v1::UNSUPPORTED));
  // Only unknown scalar fields: no body either.
  FERRY_ASSERT_OK(client().SendPayload(FieldKey(100, 0) + Varint(1)));
  EXPECT_THAT(Read(client()), IsError(v1::UNSUPPORTED));
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
}

// R-FRAME-12, R-FRAME-14, R-DOWNLOAD-5
TEST_F(FramingConformance, ServerChunkFramesUseTheFixedLayout) {
  const uint64_t size = 2'500'000;
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", size, 7).status());
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("big.bin")));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), size);
  ASSERT_FALSE(download.chunks.empty());
  for (const ServerFrame& chunk : download.chunks) {
    const std::string& data = chunk.chunk_data();
    EXPECT_GE(data.size(), 1u);
    EXPECT_LE(data.size(), 1048624u);
    const std::string n = Varint(data.size());
    const std::string k = Varint(1 + n.size() + data.size());
    EXPECT_EQ(chunk.payload, "\x3a" + k + "\x0a" + n + data);
  }
}

// R-FRAME-13: any valid protobuf encoding of a Chunk envelope is accepted.
class ChunkEncodingConformance
    : public FramingConformance,
      public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

TEST_P(ChunkEncodingConformance, UploadAcceptsTheEncoding) {
  ASSERT_THAT(Call(client(), UploadMessage("hello.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendPayload(GetParam().second));
  const ServerFrame done = Call(client(), UploadEndMessage(5, kHelloDigest));
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(done.message.upload_done().xxh3_128(), kHelloDigest);
  EXPECT_EQ(Get("hello.txt"), "hello");
}

INSTANTIATE_TEST_SUITE_P(
    Encodings, ChunkEncodingConformance,
    ::testing::Values(
        // Chunk.data's length as a two-byte varint (85 00 = 5).
        std::make_pair("NonShortestDataLength", std::string("\x3a\x08\x0a\x85\x00hello", 10)),
        // The Chunk's length as a two-byte varint.
        std::make_pair("NonShortestChunkLength", std::string("\x3a\x87\x00\x0a\x05hello", 10)),
        // An unknown field inside the Chunk, after the data.
        std::make_pair("UnknownFieldInChunk", LengthDelimited(7, LengthDelimited(1, "hello") +
                                                                     FieldKey(9, 0) + Varint(1))),
        // An unknown field in the envelope, before the chunk.
        std::make_pair("UnknownFieldInEnvelope",
                       FieldKey(200, 0) + Varint(3) +
                           LengthDelimited(7, LengthDelimited(1, "hello"))),
        // The data split over two Chunk fields: protobuf merges the messages and
        // the last data field wins.
        std::make_pair("RepeatedChunkField", LengthDelimited(7, LengthDelimited(1, "xxxxxxxx")) +
                                                 LengthDelimited(7, LengthDelimited(1, "hello")))),
    [](const auto& test) { return std::string(test.param.first); });

// R-FRAME-14, R-HELLO-8: chunks never exceed the negotiated max_chunk_bytes.
TEST_F(FramingConformance, DownloadChunksFitTheNegotiatedChunkLimit) {
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "f.bin", 300'000, 3).status());
  FERRY_ASSERT_OK(session->SendFrame(DownloadMessage("f.bin")));
  const DownloadResult download = ReadDownload(*session);
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), 300'000u);
  std::vector<size_t> sizes;
  for (const ServerFrame& chunk : download.chunks) {
    sizes.push_back(chunk.chunk_data().size());
    EXPECT_LE(chunk.payload.size(), 65536u);
  }
  EXPECT_THAT(sizes, Each(Le(65536u - 16)));
}

// R-FRAME-14, R-UPLOAD-7
TEST_F(FramingConformance, UploadChunkOfExactlyMaxChunkBytesIsAccepted) {
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  const std::string content(65536 - 16, 'z');
  EXPECT_THAT(Upload(*session, "max.bin", content, false, content.size()),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("max.bin"), content);
}

// R-FRAME-14, R-UPLOAD-7
TEST_F(FramingConformance, UploadChunkOneByteOverMaxChunkBytesIsInvalidArgument) {
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  const std::string content(65536 - 16 + 1, 'z');
  ASSERT_LE(ChunkFrame(content).size() - 4, 65536u);  // the frame itself is within limits
  ASSERT_THAT(Call(*session, UploadMessage("over.bin", content.size())),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(session->SendChunk(content));
  EXPECT_THAT(Read(*session), IsError(v1::INVALID_ARGUMENT));
  FERRY_ASSERT_OK(session->SendFrame(UploadEndMessage(content.size(), WireDigest(content))));
  EXPECT_THAT(Call(*session, StatMessage("over.bin")), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Temporaries(), SizeIs(0));
}

}  // namespace
}  // namespace ferry::conformance
