// Spec sections 6.7 and 7.5: cancel.
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::IsEmpty;

// Far more than the socket buffers hold, so a download of it is still running
// when the test sends Cancel.
constexpr uint64_t kHugeBytes = 64 * 1024 * 1024;
constexpr int kTinyReceiveBuffer = 4096;

class CancelConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    Put("a.txt", "hello");
    Put("empty.txt", "");
  }
};

// R-CANCEL-1: in READY, Cancel gets no reply and changes nothing.
TEST_F(CancelConformance, CancelInReadyIsIgnoredWithoutReply) {
  FERRY_ASSERT_OK(client().SendRaw(Frame(CancelMessage()) + Frame(CancelMessage()) +
                                   Frame(StatMessage("a.txt"))));
  // Had either Cancel been answered, that answer would come first (R-STATE-4).
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-CANCEL-2: a Cancel read during a download stops it with CANCELLED, not fatal;
// no DownloadEnd follows and the session is back in READY.
TEST_F(CancelConformance, CancelDuringADownloadEndsItWithCancelled) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "huge.bin", kHugeBytes, 31).status());
  auto session = OpenSession(0, kTinyReceiveBuffer);
  ASSERT_NE(session, nullptr);
  ASSERT_THAT(Call(*session, DownloadMessage("huge.bin")),
              HasBody(v1::ServerMessage::kDownloadBegin));
  FERRY_ASSERT_OK(session->SendFrame(CancelMessage()));
  FERRY_ASSERT_OK(session->SetReceiveBuffer(4 * 1024 * 1024));
  uint64_t received = 0;
  ServerFrame frame;
  while ((frame = Read(*session)).is_chunk()) received += frame.chunk_data().size();
  const v1::Error& error = frame.message.error();
  EXPECT_THAT(frame, IsError(v1::CANCELLED));
  EXPECT_EQ(error.path(), "huge.bin");
  EXPECT_LT(received, kHugeBytes);
  EXPECT_THAT(Call(*session, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-CANCEL-2, R-STATE-6: a Cancel already waiting when the download starts takes
// effect at once.
TEST_F(CancelConformance, CancelPipelinedRightBehindADownloadCancelsIt) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", 8 * 1024 * 1024, 32).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("big.bin")) + Frame(CancelMessage()) +
                                   Frame(StatMessage("a.txt"))));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_THAT(download.terminal, IsError(v1::CANCELLED));
  EXPECT_LT(download.data.size(), 8u * 1024 * 1024);
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-CANCEL-3, 7.5: a download that ends before its Cancel is read finishes with
// DownloadEnd, and the Cancel is then ignored in READY.
TEST_F(CancelConformance, CancelAfterTheDownloadEndedIsIgnored) {
  // An empty file has no chunks, so the server never looks for a Cancel during it.
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("empty.txt")) + Frame(CancelMessage()) +
                                   Frame(StatMessage("a.txt"))));
  const DownloadResult download = ReadDownload(client());
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
  // And after a download the client has read completely.
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("a.txt")));
  EXPECT_THAT(ReadDownload(client()).terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  FERRY_ASSERT_OK(client().SendRaw(Frame(CancelMessage()) + Frame(StatMessage("a.txt"))));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-CANCEL-5, R-STATE-6: a Cancel sent behind a pipelined request is read only
// after the download has ended, so it does not cancel it.
TEST_F(CancelConformance, CancelBehindAHeldRequestDoesNotReachTheDownload) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", 4 * 1024 * 1024, 33).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("big.bin")) + Frame(StatMessage("a.txt")) +
                                   Frame(CancelMessage()) + Frame(StatMessage("empty.txt"))));
  const DownloadResult download = ReadDownload(client());
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.data.size(), 4u * 1024 * 1024);
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
  const ServerFrame second = Read(client());
  ASSERT_THAT(second, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(second.message.stat().info().name(), "empty.txt");
}

// R-CANCEL-5: a Cancel applies to whatever transfer is in progress when it is
// read: here the second download, not the first one it was sent behind.
TEST_F(CancelConformance, CancelAppliesToTheTransferInProgressWhenRead) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "one.bin", 2 * 1024 * 1024, 34).status());
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "two.bin", 2 * 1024 * 1024, 35).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(DownloadMessage("one.bin")) +
                                   Frame(DownloadMessage("two.bin")) + Frame(CancelMessage())));
  const DownloadResult first = ReadDownload(client());
  EXPECT_THAT(first.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  const DownloadResult second = ReadDownload(client());
  ASSERT_TRUE(second.begin.has_value());
  const ServerFrame& terminal = second.terminal;
  EXPECT_THAT(terminal, IsError(v1::CANCELLED));
  EXPECT_EQ(terminal.message.error().path(), "two.bin");
}

// R-CANCEL-4: Cancel in UPLOAD_DATA gets CANCELLED, commits nothing and removes
// the temporary.
TEST_F(CancelConformance, CancelDuringAnUploadCommitsNothing) {
  ASSERT_THAT(Call(client(), UploadMessage("a.txt", 10, /*overwrite=*/true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("01234"));
  const ServerFrame reply = Call(client(), CancelMessage());
  EXPECT_THAT(reply, IsError(v1::CANCELLED));
  EXPECT_EQ(reply.message.error().path(), "a.txt");
  EXPECT_EQ(Get("a.txt"), "hello");
  EXPECT_THAT(Temporaries(), IsEmpty());
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

// R-CANCEL-4: a new file is not created either, even with every byte sent.
TEST_F(CancelConformance, CancelAfterAllBytesOfANewFileCommitsNothing) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  EXPECT_THAT(Call(client(), CancelMessage()), IsError(v1::CANCELLED));
  EXPECT_FALSE(Exists("new.txt"));
  EXPECT_THAT(Temporaries(), IsEmpty());
}

}  // namespace
}  // namespace ferry::conformance
