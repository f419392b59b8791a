// Spec sections 5.5-5.7: the state x message table, ordering and pipelining,
// the frame held during a download, and the end of a session (with 6.6, bye).
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::SizeIs;

constexpr uint64_t kBigFileBytes = 4 * 1024 * 1024;

class StateConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    Put("victim.txt", "victim");
  }
};

// R-STATE-2
TEST_F(StateConformance, ChunkInReadyIsUnexpectedMessageAndNotFatal) {
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  EXPECT_THAT(Read(client()), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("victim.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-STATE-2
TEST_F(StateConformance, UploadEndInReadyIsUnexpectedMessageAndNotFatal) {
  EXPECT_THAT(Call(client(), UploadEndMessage(5, kHelloDigest)), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("victim.txt")), HasBody(v1::ServerMessage::kStat));
  EXPECT_FALSE(Exists("hello.txt"));
}

// R-HELLO-12
TEST_F(StateConformance, HelloInReadyIsUnexpectedMessageAndNotFatal) {
  EXPECT_THAT(Call(client(), Hello()), IsError(v1::UNEXPECTED_MESSAGE));
  EXPECT_THAT(Call(client(), StatMessage("victim.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-HELLO-12: a second Hello cannot lower the negotiated frame limit...
TEST_F(StateConformance, SecondHelloDoesNotLowerTheFrameLimit) {
  EXPECT_THAT(Call(client(), Hello(1, 1, "again", 65536)), IsError(v1::UNEXPECTED_MESSAGE));
  const std::string big = PadPayload(StatMessage("victim.txt").SerializeAsString(), 100'000);
  ASSERT_EQ(big.size(), 100'000u);
  FERRY_ASSERT_OK(client().SendPayload(big));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-HELLO-12: ...nor raise it.
TEST_F(StateConformance, SecondHelloDoesNotRaiseTheFrameLimit) {
  auto session = OpenSession(65536);
  ASSERT_NE(session, nullptr);
  EXPECT_THAT(Call(*session, Hello(1, 1, "again", 1048640)), IsError(v1::UNEXPECTED_MESSAGE));
  const std::string big = PadPayload(StatMessage("victim.txt").SerializeAsString(), 65537);
  ASSERT_EQ(big.size(), 65537u);
  FERRY_ASSERT_OK(session->SendPayload(big));
  EXPECT_THAT(Read(*session), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(session->ExpectClosed());
}

// R-STATE-4, R-STATE-5: pipelined requests are executed one at a time, in order,
// and answered in order.
TEST_F(StateConformance, PipelinedRequestsAreExecutedAndAnsweredInOrder) {
  std::string frames = Frame(StatMessage("victim.txt")) + Frame(RemoveMessage("victim.txt")) +
                       Frame(StatMessage("victim.txt")) + Frame(ListMessage("")) +
                       Frame(UploadMessage("victim.txt", 5)) + ChunkFrame("hello") +
                       Frame(UploadEndMessage(5, kHelloDigest)) +
                       Frame(DownloadMessage("victim.txt")) + Frame(ByeMessage());
  FERRY_ASSERT_OK(client().SendRaw(frames));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kRemove));
  EXPECT_THAT(Read(client()), IsError(v1::NOT_FOUND));
  const ServerFrame list = Read(client());
  ASSERT_THAT(list, HasBody(v1::ServerMessage::kList));
  EXPECT_TRUE(list.message.list().last());
  EXPECT_EQ(list.message.list().entries_size(), 0);
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadDone));
  const DownloadResult download = ReadDownload(client());
  EXPECT_EQ(download.data, "hello");
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kBye));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-STATE-5: a request pipelined behind an upload waits for the data phase's end.
TEST_F(StateConformance, RequestBehindAnUploadSeesTheCommittedFile) {
  FERRY_ASSERT_OK(client().SendRaw(Frame(UploadMessage("up.txt", 5)) + ChunkFrame("hel") +
                                   ChunkFrame("lo") + Frame(UploadEndMessage(5, kHelloDigest)) +
                                   Frame(StatMessage("up.txt"))));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadDone));
  const ServerFrame stat = Read(client());
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().size(), 5u);
}

// R-STATE-1, R-STATE-6, table 5.5 column DOWNLOADING: a frame that arrives during
// a download is held, then handled exactly as in READY after the download's
// terminal reply.
struct HeldCase {
  NamedFrame frame;
  v1::ServerMessage::BodyCase reply;
  v1::ErrorCode error = v1::ERROR_CODE_UNSPECIFIED;  // when reply is kError
};
void PrintTo(const HeldCase& held, std::ostream* os) { *os << held.frame.name; }

class HeldFrameConformance : public StateConformance,
                             public ::testing::WithParamInterface<HeldCase> {};

TEST_P(HeldFrameConformance, IsAnsweredAfterTheDownloadAsInReady) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", kBigFileBytes, 11).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("big.bin")) + GetParam().frame.bytes));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), kBigFileBytes);
  const ServerFrame reply = Read(client());
  if (GetParam().reply == v1::ServerMessage::kError) {
    EXPECT_THAT(reply, IsError(GetParam().error));
  } else {
    EXPECT_THAT(reply, HasBody(GetParam().reply));
  }
}

std::vector<HeldCase> HeldCases() {
  std::vector<HeldCase> cases;
  for (NamedFrame& frame : RequestFrames()) {
    HeldCase held{std::move(frame), v1::ServerMessage::kError};
    const std::string& name = held.frame.name;
    if (name == "Hello") held.error = v1::UNEXPECTED_MESSAGE;
    if (name == "List") held.reply = v1::ServerMessage::kList;
    if (name == "Stat") held.reply = v1::ServerMessage::kStat;
    if (name == "Remove") held.reply = v1::ServerMessage::kRemove;
    if (name == "MakeDirectory") held.reply = v1::ServerMessage::kMakeDirectory;
    if (name == "RemoveDirectory") held.error = v1::NOT_FOUND;  // there is no victim_dir
    if (name == "Rename") held.error = v1::NOT_FOUND;           // R-RENAME-1: nor here
    if (name == "Hash") held.reply = v1::ServerMessage::kHash;
    if (name == "Download") held.reply = v1::ServerMessage::kDownloadBegin;
    if (name == "Upload") held.reply = v1::ServerMessage::kUploadReady;
    if (name == "Bye") held.reply = v1::ServerMessage::kBye;
    if (name == "NoBody") held.error = v1::UNSUPPORTED;
    if (name == "Unparsable") held.error = v1::MALFORMED_MESSAGE;
    cases.push_back(std::move(held));
  }
  cases.push_back(
      {{"Chunk", ChunkFrame("hello")}, v1::ServerMessage::kError, v1::UNEXPECTED_MESSAGE});
  cases.push_back({{"UploadEnd", Frame(UploadEndMessage(5, kHelloDigest))},
                   v1::ServerMessage::kError,
                   v1::UNEXPECTED_MESSAGE});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Frames, HeldFrameConformance, ::testing::ValuesIn(HeldCases()),
                         [](const auto& test) { return test.param.frame.name; });

// R-STATE-6: a remove held behind a download runs only after it.
TEST_F(StateConformance, RemoveHeldBehindADownloadRunsAfterIt) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", kBigFileBytes, 12).status());
  FERRY_ASSERT_OK(
      client().SendRaw(Frame(DownloadMessage("big.bin")) + Frame(RemoveMessage("big.bin"))));
  const DownloadResult download = ReadDownload(client());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), kBigFileBytes);
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kRemove));
  EXPECT_FALSE(Exists("big.bin"));
}

// R-STATE-6, R-SEC-3: the server reads at most one frame ahead during a download,
// so a framing error two frames ahead is not seen until the held frame is done.
TEST_F(StateConformance, ServerReadsAtMostOneFrameAheadDuringADownload) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", kBigFileBytes, 13).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("big.bin")) +
                                   Frame(StatMessage("victim.txt")) + BigEndian32(0)));
  const DownloadResult download = ReadDownload(client());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), kBigFileBytes);
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Read(client()), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-STATE-1, R-STATE-3, R-UPLOAD-14, table 5.5 column UPLOAD_DATA.
class DataPhaseIntruderConformance : public StateConformance,
                                     public ::testing::WithParamInterface<NamedFrame> {};

TEST_P(DataPhaseIntruderConformance, IsFatalAndTheUploadIsNotCommitted) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 10)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("01234"));
  FERRY_ASSERT_OK(client().SendRaw(GetParam().bytes));
  EXPECT_THAT(Read(client()),
              IsFatalError(GetParam().name == "Unparsable" ? v1::MALFORMED_MESSAGE
                                                           : v1::UNEXPECTED_MESSAGE));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("new.txt"));
  EXPECT_EQ(Get("victim.txt"), "victim");
  EXPECT_THAT(Temporaries(), SizeIs(0));
}

INSTANTIATE_TEST_SUITE_P(Frames, DataPhaseIntruderConformance, ::testing::ValuesIn(RequestFrames()),
                         [](const auto& test) { return test.param.name; });

// R-STATE-1, R-STATE-3, table 5.5 column UPLOAD_DISCARD.
class DiscardPhaseIntruderConformance : public StateConformance,
                                        public ::testing::WithParamInterface<NamedFrame> {};

TEST_P(DiscardPhaseIntruderConformance, IsFatal) {
  EXPECT_THAT(Call(client(), UploadMessage("victim.txt", 10)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendChunk("01234"));
  FERRY_ASSERT_OK(client().SendRaw(GetParam().bytes));
  EXPECT_THAT(Read(client()),
              IsFatalError(GetParam().name == "Unparsable" ? v1::MALFORMED_MESSAGE
                                                           : v1::UNEXPECTED_MESSAGE));
  EXPECT_TRUE(client().ExpectClosed());
  EXPECT_EQ(Get("victim.txt"), "victim");
}

INSTANTIATE_TEST_SUITE_P(Frames, DiscardPhaseIntruderConformance,
                         ::testing::ValuesIn(RequestFrames()),
                         [](const auto& test) { return test.param.name; });

// R-STATE-7, R-ERROR-4: after a fatal error nothing more is processed.
TEST_F(StateConformance, FramesAfterAFatalErrorAreNotProcessed) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(
      client().SendRaw(Frame(StatMessage("victim.txt")) + Frame(RemoveMessage("victim.txt"))));
  EXPECT_THAT(Read(client()), IsFatalError(v1::UNEXPECTED_MESSAGE));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_EQ(Get("victim.txt"), "victim");
}

// R-BYE-1
TEST_F(StateConformance, ByeIsAnsweredWithByeReplyAndTheServerCloses) {
  const ServerFrame reply = Call(client(), ByeMessage());
  EXPECT_THAT(reply, HasBody(v1::ServerMessage::kBye));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-BYE-1, R-STATE-7: the server reads nothing after Bye.
TEST_F(StateConformance, RequestsAfterByeAreNotProcessed) {
  FERRY_ASSERT_OK(client().SendRaw(Frame(ByeMessage()) + Frame(RemoveMessage("victim.txt"))));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kBye));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_EQ(Get("victim.txt"), "victim");
}

// R-BYE-2, R-STATE-9: closing without Bye is a connection loss; the server ends
// that session and keeps serving others.
TEST_F(StateConformance, CloseWithoutByeEndsOnlyThatSession) {
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  FERRY_ASSERT_OK(client().ShutdownWrite());
  EXPECT_TRUE(client().ExpectClosed());
  EXPECT_THAT(Call(*other, StatMessage("victim.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-STATE-9, R-UPLOAD-14: connection loss in a data phase commits nothing and
// removes the temporary.
TEST_F(StateConformance, ConnectionLossDuringAnUploadCommitsNothing) {
  Put("target.txt", "old");
  ASSERT_THAT(Call(client(), UploadMessage("target.txt", 10, /*overwrite=*/true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("0123456789"));
  EXPECT_THAT(Temporaries(), SizeIs(1));
  FERRY_ASSERT_OK(client().ShutdownWrite());
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_EQ(Get("target.txt"), "old");
  EXPECT_THAT(Temporaries(), SizeIs(0));
}

// R-STATE-9: connection loss during a download stops it and discards the held
// frame. The file is far larger than the socket buffers, so the download cannot
// have finished when the client goes.
TEST_F(StateConformance, ConnectionLossDuringADownloadDiscardsTheHeldFrame) {
  const uint64_t size = 64 * 1024 * 1024;
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "huge.bin", size, 14).status());
  auto session = OpenSession(0, /*receive_buffer_bytes=*/4096);
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(
      session->SendRaw(Frame(DownloadMessage("huge.bin")) + Frame(RemoveMessage("victim.txt"))));
  EXPECT_THAT(Read(*session), HasBody(v1::ServerMessage::kDownloadBegin));
  session.reset();  // close with data unread
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_EQ(Get("victim.txt"), "victim");
  EXPECT_THAT(Call(client(), StatMessage("victim.txt")), HasBody(v1::ServerMessage::kStat));
}

}  // namespace
}  // namespace ferry::conformance
