// Spec section 8: timeouts. ferryd's deadlines are shortened with its
// --handshake-timeout, --idle-timeout and --transfer-timeout flags so a deadline
// passes quickly. The tests never measure how long anything took: they check
// what the server sends and that it closes. Where a test must keep a deadline
// from passing, its pauses are a small fraction of that deadline.
#include <thread>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::IsEmpty;

constexpr auto kTrickleGap = std::chrono::milliseconds(100);

// Sends `bytes` one at a time with a pause before each, until the server has
// something to say. Returns how many bytes were sent.
size_t Trickle(RawConnection& connection, std::string_view bytes,
               std::chrono::milliseconds gap = kTrickleGap) {
  size_t sent = 0;
  for (const char byte : bytes) {
    if (connection.Readable(gap)) break;
    if (!connection.SendRaw(std::string(1, byte)).ok()) break;
    ++sent;
  }
  return sent;
}

class HandshakeTimeoutConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--handshake-timeout", "0.5"}; }
  bool OpenClientInSetUp() const override { return false; }
};

// R-TIME-1
TEST_F(HandshakeTimeoutConformance, SilentClientGetsFatalTimeout) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  EXPECT_THAT(Read(*connection), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-TIME-1, R-FRAME-7: a partial Hello does not stop the clock.
TEST_F(HandshakeTimeoutConformance, PartialHelloGetsFatalTimeout) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  const std::string hello = Frame(Hello());
  FERRY_ASSERT_OK(connection->SendRaw(hello.substr(0, hello.size() - 1)));
  EXPECT_THAT(Read(*connection), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-TIME-1: the deadline is absolute; a Hello trickled one byte per 100 ms (it
// would take over 20 s) does not extend it.
TEST_F(HandshakeTimeoutConformance, TricklingHelloDoesNotExtendTheDeadline) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  const std::string hello = Frame(Hello(1, 1, std::string(200, 'n')));
  const size_t sent = Trickle(*connection, hello);
  EXPECT_LT(sent, hello.size());
  EXPECT_THAT(Read(*connection), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(connection->ExpectClosed());
}

class IdleTimeoutConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--idle-timeout", "1"}; }
};

// R-TIME-2
TEST_F(IdleTimeoutConformance, IdleSessionGetsFatalTimeout) {
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-TIME-2: the clock restarts with each terminal reply, and runs out again.
TEST_F(IdleTimeoutConformance, SessionIdleAfterAReplyGetsFatalTimeout) {
  EXPECT_THAT(Call(client(), StatMessage("")), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-TIME-2: a partial frame does not reset the timer.
TEST_F(IdleTimeoutConformance, TricklingARequestDoesNotExtendTheDeadline) {
  const std::string stat = Frame(StatMessage(std::string(200, 's')));
  const size_t sent = Trickle(client(), stat);
  EXPECT_LT(sent, stat.size());
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-TIME-2, R-TIME-3: the idle deadline is READY's; a data phase that lasts
// longer than it is governed by the (default, 60 s) receive-stall deadline.
TEST_F(IdleTimeoutConformance, IdleDeadlineDoesNotApplyDuringAnUpload) {
  const std::string content = "0123456789abcdefghij";  // 20 pauses: twice the deadline
  ASSERT_THAT(Call(client(), UploadMessage("slow.txt", content.size())),
              HasBody(v1::ServerMessage::kUploadReady));
  for (const char byte : content) {
    std::this_thread::sleep_for(kTrickleGap);
    FERRY_ASSERT_OK(client().SendChunk(std::string(1, byte)));
  }
  EXPECT_THAT(Call(client(), UploadEndMessage(content.size(), WireDigest(content))),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("slow.txt"), content);
}

class TransferTimeoutConformance : public ConformanceTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--transfer-timeout", "0.5"}; }
};

// R-TIME-3: a stalled data phase gets TIMEOUT and commits nothing.
TEST_F(TransferTimeoutConformance, StalledUploadGetsFatalTimeoutAndCommitsNothing) {
  Put("target.txt", "old");
  ASSERT_THAT(Call(client(), UploadMessage("target.txt", 10, /*overwrite=*/true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("01234"));
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_EQ(Get("target.txt"), "old");
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-TIME-3: a stall inside a chunk frame counts the same.
TEST_F(TransferTimeoutConformance, StallInsideAChunkGetsFatalTimeout) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 10)),
              HasBody(v1::ServerMessage::kUploadReady));
  const std::string chunk = ChunkFrame("0123456789");
  FERRY_ASSERT_OK(client().SendRaw(chunk.substr(0, 8)));
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
  ASSERT_TRUE(WaitForLog("event=disconnect"));
  EXPECT_FALSE(Exists("new.txt"));
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-TIME-3: UPLOAD_DISCARD has the same deadline.
TEST_F(TransferTimeoutConformance, StalledDiscardedDataPhaseGetsFatalTimeout) {
  Put("exists.txt", "x");
  EXPECT_THAT(Call(client(), UploadMessage("exists.txt", 10)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendChunk("01234"));
  EXPECT_THAT(Read(client()), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(client().ExpectClosed());
}

// R-TIME-4: a client that stops reading during a download is dropped.
TEST_F(TransferTimeoutConformance, ClientThatStopsReadingADownloadIsDisconnected) {
  const uint64_t size = 64 * 1024 * 1024;
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "huge.bin", size, 41).status());
  auto session = OpenSession(0, /*receive_buffer_bytes=*/4096);
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendFrame(DownloadMessage("huge.bin")));
  // Read nothing until the server has given up on this client.
  ASSERT_TRUE(WaitForLog("event=disconnect result=TIMEOUT"));
  FERRY_ASSERT_OK(session->SetReceiveBuffer(4 * 1024 * 1024));
  uint64_t received = 0;
  bool ended = false;
  while (true) {
    auto frame = session->ReadFrame();
    if (!frame.ok()) {
      // The stream ends, possibly in the middle of the chunk the server was
      // writing when it gave up.
      EXPECT_THAT(frame, StatusIs(StatusCode::kConnectionClosed));
      break;
    }
    if (frame->is_chunk()) received += frame->chunk_data().size();
    if (frame->message.has_download_end()) ended = true;
    if (frame->is_error()) {
      EXPECT_THAT(*frame, IsFatalError(v1::TIMEOUT));
      EXPECT_TRUE(session->ExpectClosed());
      break;
    }
  }
  EXPECT_FALSE(ended);
  EXPECT_LT(received, size);
  // Other clients are served as before.
  EXPECT_THAT(Call(client(), StatMessage("huge.bin")), HasBody(v1::ServerMessage::kStat));
}

class SlowUploadConformance : public ConformanceTest {
 protected:
  // Long enough that 50 ms pauses never reach it, short enough that the whole
  // trickled upload below outlasts it.
  std::vector<std::string> ServerArgs() const override { return {"--transfer-timeout", "3"}; }
};

// R-TIME-3: the receive-stall deadline is per byte, not per upload: an upload
// that keeps bytes coming may take longer than the deadline.
TEST_F(SlowUploadConformance, UploadThatKeepsBytesComingOutlastsTheStallDeadline) {
  const std::string content(60, 'c');
  ASSERT_THAT(Call(client(), UploadMessage("slow.txt", content.size())),
              HasBody(v1::ServerMessage::kUploadReady));
  const std::string frames =
      ChunkFrame(content) + Frame(UploadEndMessage(content.size(), WireDigest(content)));
  EXPECT_EQ(Trickle(client(), frames, std::chrono::milliseconds(50)), frames.size());
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("slow.txt"), content);
}

}  // namespace
}  // namespace ferry::conformance
