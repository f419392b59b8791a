// Hostile clients against a real ferryd, over raw sockets.
//
// The conformance suite proves what the server answers to each malformed input;
// this suite asks what one hostile peer can do to everybody else. After every
// case the fixture's TearDown checks that the server process is still running,
// that a fresh well-behaved client is served (handshake, stat, list), and that
// nothing in the served tree or in the directory beside it changed unless the
// test said so. Every hostile input sent is counted with CountBadInputs.
//
// ferryd runs with short deadlines so that timeouts arrive quickly; no test
// asserts how long anything took (hang guards only).
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/conformance/conformance_fixture.h"
#include "tests/reliability/tally.h"

namespace ferry::conformance {
namespace {

using ::ferry::reliability::CountBadInputs;
using ::testing::IsEmpty;

constexpr uint32_t kMaximalLength = 0xFFFFFFFF;

// AddressSanitizer reserves terabytes of address space for its shadow memory at
// start-up, so a sanitized ferryd's VmPeak says nothing about what it allocated.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSpaceIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSpaceIsMeaningful = false;
#else
constexpr bool kAddressSpaceIsMeaningful = true;
#endif
#else
constexpr bool kAddressSpaceIsMeaningful = true;
#endif

// A field of /proc/PID/status in kB ("VmHWM", "VmPeak"), or -1.
int64_t ProcStatusKilobytes(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stoll(line.substr(field.size() + 1));
    }
  }
  return -1;
}

class HostilePeerTest : public ConformanceTest {
 protected:
  // Short deadlines (R-TIME-1 to R-TIME-4) and a small connection limit
  // (R-STATE-8), so that every defence is reachable in a test.
  std::vector<std::string> ServerArgs() const override {
    return {"--handshake-timeout", "1.5", "--idle-timeout",    "6",
            "--transfer-timeout",  "1.5", "--max-connections", "6"};
  }
  bool OpenClientInSetUp() const override { return false; }

  void SetUp() override {
    ConformanceTest::SetUp();
    if (HasFatalFailure()) return;
    Put("a.txt", "alpha\n");
    Put("docs/readme.md", "# docs\n");
    FERRY_ASSERT_OK(WriteFile(outside_ / "secret.txt", "outside the root\n"));
    RememberTrees();
  }

  void TearDown() override {
    if (!HasFatalFailure()) {
      EXPECT_TRUE(server_.running()) << "ferryd died";
      ExpectServedNormally();
      auto root = SnapshotTree(root_);
      auto outside = SnapshotTree(outside_);
      FERRY_EXPECT_OK(root.status());
      FERRY_EXPECT_OK(outside.status());
      if (root.ok()) {
        EXPECT_EQ(*root, root_before_) << "the served tree changed";
      }
      if (outside.ok()) {
        EXPECT_EQ(*outside, outside_before_) << "the outside tree changed";
      }
    }
    ConformanceTest::TearDown();
  }

  // The trees as the test expects to leave them; called again by tests that
  // change the served tree on purpose.
  void RememberTrees() {
    auto root = SnapshotTree(root_);
    auto outside = SnapshotTree(outside_);
    FERRY_ASSERT_OK(root.status());
    FERRY_ASSERT_OK(outside.status());
    root_before_ = *root;
    outside_before_ = *outside;
  }

  // A new, well-behaved session does a handshake, a stat and a list. A session
  // that just closed may still hold its slot for a moment (the server frees it
  // after its thread ends), so a TOO_MANY_CONNECTIONS refusal is retried until a
  // hang guard passes.
  void ExpectServedNormally() {
    const auto guard = std::chrono::steady_clock::now() + kHangGuard;
    std::unique_ptr<RawConnection> session;
    while (session == nullptr) {
      auto connection = RawConnection::Connect(server_.port());
      FERRY_ASSERT_OK(connection.status());
      auto welcome = (*connection)->Handshake();
      if (welcome.ok()) {
        session = std::move(*connection);
        break;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), guard)
          << "no well-behaved session: " << welcome.status().ToString();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const ServerFrame stat = Call(*session, StatMessage("a.txt"));
    ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
    EXPECT_EQ(stat.message.stat().info().size(), 6u);
    FERRY_ASSERT_OK(session->SendFrame(ListMessage("")));
    const std::vector<ServerFrame> pages = ReadListing(*session);
    ASSERT_FALSE(pages.empty());
    EXPECT_THAT(pages.back(), HasBody(v1::ServerMessage::kList));
    EXPECT_THAT(Call(*session, ByeMessage()), HasBody(v1::ServerMessage::kBye));
  }

  // Sends one hostile frame header or payload and counts it.
  static void SendHostile(RawConnection& connection, std::string_view bytes) {
    CountBadInputs();
    FERRY_EXPECT_OK(connection.SendRaw(bytes));
  }

  // After a failed upload to `path`: a new path still does not exist, an
  // existing one is still there (its bytes are checked by TearDown's snapshot).
  static void ExpectNotCommitted(RawConnection& session, const std::string& path, bool existed) {
    const ServerFrame stat = Call(session, StatMessage(path));
    if (existed) {
      EXPECT_THAT(stat, HasBody(v1::ServerMessage::kStat));
    } else {
      EXPECT_THAT(stat, IsError(v1::NOT_FOUND));
    }
  }

  TreeSnapshot root_before_;
  TreeSnapshot outside_before_;
};

// R-FRAME-4, R-FRAME-6, R-SEC-3: a length of 2^32 - 1 (before and after the
// handshake, the latter with the largest limit a client may ask for) and one
// byte over the negotiated limit are refused from the header alone. The server
// never maps anything near 4 GiB: its peak virtual size (VmPeak) stays below
// 3 GiB, which an allocation of 2^32 - 1 bytes would exceed, and its peak
// resident size (VmHWM) stays below 256 MiB.
TEST_F(HostilePeerTest, MaximalLengthPrefixIsRefusedWithoutAllocatingIt) {
  auto before_handshake = Connect();
  ASSERT_NE(before_handshake, nullptr);
  SendHostile(*before_handshake, BigEndian32(kMaximalLength));
  EXPECT_THAT(Read(*before_handshake), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(before_handshake->ExpectClosed());

  auto widest = OpenSession(kMaximalLength);
  ASSERT_NE(widest, nullptr);
  SendHostile(*widest, BigEndian32(kMaximalLength));
  EXPECT_THAT(Read(*widest), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(widest->ExpectClosed());

  auto just_over = Connect();
  ASSERT_NE(just_over, nullptr);
  auto welcome = just_over->Handshake();
  FERRY_ASSERT_OK(welcome.status());
  SendHostile(*just_over, BigEndian32(welcome->max_frame_bytes() + 1) + std::string(64, 'x'));
  EXPECT_THAT(Read(*just_over), IsFatalError(v1::MESSAGE_TOO_LARGE));
  EXPECT_TRUE(just_over->ExpectClosed());

  const int64_t peak_virtual_kb = ProcStatusKilobytes(server_.pid(), "VmPeak");
  const int64_t peak_resident_kb = ProcStatusKilobytes(server_.pid(), "VmHWM");
  ASSERT_GT(peak_virtual_kb, 0);
  ASSERT_GT(peak_resident_kb, 0);
  if (kAddressSpaceIsMeaningful) {
    EXPECT_LT(peak_virtual_kb, int64_t{3} << 20) << "ferryd mapped gigabytes";
  }
  EXPECT_LT(peak_resident_kb, int64_t{256} << 10) << "ferryd touched hundreds of MiB";
}

// R-FRAME-2: a zero-length frame is a framing error, fatal before and after
// the handshake.
TEST_F(HostilePeerTest, ZeroLengthFrameIsFatalBeforeAndAfterTheHandshake) {
  auto before_handshake = Connect();
  ASSERT_NE(before_handshake, nullptr);
  SendHostile(*before_handshake, BigEndian32(0));
  EXPECT_THAT(Read(*before_handshake), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(before_handshake->ExpectClosed());

  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  SendHostile(*session, BigEndian32(0));
  EXPECT_THAT(Read(*session), IsFatalError(v1::MALFORMED_FRAME));
  EXPECT_TRUE(session->ExpectClosed());
}

// R-FRAME-7: a frame cut short by the end of the stream is discarded
// unprocessed, before the handshake, in READY and inside an upload's data phase
// (where it would have been the last chunk).
TEST_F(HostilePeerTest, TruncatedFrameThenCloseIsDiscardedUnprocessed) {
  {
    auto connection = Connect();
    ASSERT_NE(connection, nullptr);
    const std::string hello = Frame(Hello());
    SendHostile(*connection, hello.substr(0, hello.size() / 2));
  }
  {
    auto session = OpenSession();
    ASSERT_NE(session, nullptr);
    // An upload request that would create a file, cut before its last byte.
    const std::string upload = Frame(UploadMessage("made.txt", 0));
    SendHostile(*session, upload.substr(0, upload.size() - 1));
    FERRY_ASSERT_OK(session->ShutdownWrite());
    EXPECT_TRUE(session->ExpectClosed());
  }
  {
    auto session = OpenSession();
    ASSERT_NE(session, nullptr);
    ASSERT_THAT(Call(*session, UploadMessage("made.txt", 4)),
                HasBody(v1::ServerMessage::kUploadReady));
    const std::string chunk = ChunkFrame("data");
    SendHostile(*session, chunk.substr(0, chunk.size() - 2));
    FERRY_ASSERT_OK(session->ShutdownWrite());
    EXPECT_TRUE(session->ExpectClosed());
  }
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-TIME-1, R-TIME-2, R-FRAME-7: a frame whose length promises more bytes than
// ever come is ended by the deadline of the state it arrived in.
TEST_F(HostilePeerTest, TruncatedFrameThenSilenceEndsWithFatalTimeout) {
  auto before_handshake = Connect();
  ASSERT_NE(before_handshake, nullptr);
  SendHostile(*before_handshake, BigEndian32(200) + std::string(20, '\x0a'));
  EXPECT_THAT(Read(*before_handshake), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(before_handshake->ExpectClosed());

  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  SendHostile(*session, BigEndian32(200) + std::string(20, '\x0a'));
  EXPECT_THAT(Read(*session), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(session->ExpectClosed());
}

// Pseudo-random bytes: some pure noise, some behind a plausible length prefix,
// some after a valid Hello (so the noise reaches READY's decoder). Each input
// goes to a fresh connection whose sending side is then closed, so every input
// ends. Whatever the server sends must be well-formed frames, never INTERNAL,
// and the server keeps serving. R-SEC-3, R-FRAME-3 to R-FRAME-8.
TEST_F(HostilePeerTest, RandomBytesOnFreshConnectionsNeverDisturbTheServer) {
  constexpr int kInputs = 400;
  std::mt19937_64 random(0x5eedf00d);
  const std::string hello = Frame(Hello());
  for (int input = 0; input < kInputs; ++input) {
    std::string bytes;
    switch (input % 4) {
      case 0:
        break;
      case 1:
        bytes = BigEndian32(static_cast<uint32_t>(random() % 300 + 1));
        break;
      case 2:
        bytes = hello;
        break;
      case 3:
        bytes = hello + BigEndian32(static_cast<uint32_t>(random() % 300 + 1));
        break;
    }
    const size_t noise = random() % 300 + 1;
    for (size_t i = 0; i < noise; ++i) bytes.push_back(static_cast<char>(random()));

    auto connection = Connect();
    ASSERT_NE(connection, nullptr);
    // The server may close while the noise is still being written; that is fine.
    CountBadInputs();
    connection->SendRaw(bytes).IgnoreError();
    connection->ShutdownWrite().IgnoreError();
    while (true) {
      auto frame = connection->ReadFrame();
      if (!frame.ok()) {
        ASSERT_EQ(frame.status().code(), StatusCode::kConnectionClosed)
            << "input " << input << ": " << frame.status().ToString();
        break;
      }
      if (frame->is_error()) {
        EXPECT_NE(frame->message.error().code(), v1::INTERNAL) << "input " << input;
      }
    }
    if (input % 100 == 99) ExpectServedNormally();
  }
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-HELLO-1, R-STATE-1: a request before the handshake is fatal and never
// executed, even one that would create a file.
TEST_F(HostilePeerTest, RequestBeforeTheHandshakeIsFatalAndNotExecuted) {
  for (const v1::ClientMessage& request :
       {StatMessage("a.txt"), RemoveMessage("a.txt"), UploadMessage("made.txt", 0)}) {
    auto connection = Connect();
    ASSERT_NE(connection, nullptr);
    SendHostile(*connection, Frame(request));
    EXPECT_THAT(Read(*connection), IsFatalError(v1::UNEXPECTED_MESSAGE));
    EXPECT_TRUE(connection->ExpectClosed());
  }
}

// R-HELLO-12: a second Hello asking for a smaller frame limit is refused and
// changes nothing: a frame over the limit it asked for is still accepted.
TEST_F(HostilePeerTest, SecondHelloAfterTheHandshakeChangesNothing) {
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  SendHostile(*session, Frame(Hello(1, 1, "again", 65536)));
  EXPECT_THAT(Read(*session), IsError(v1::UNEXPECTED_MESSAGE));
  std::string stat;
  StatMessage("a.txt").SerializeToString(&stat);
  FERRY_ASSERT_OK(session->SendPayload(PadPayload(stat, 65536 + 1000)));
  EXPECT_THAT(Read(*session), HasBody(v1::ServerMessage::kStat));
}

// R-TIME-1: the handshake deadline is absolute; a Hello trickled one byte per
// 100 ms (over 20 s in all) is cut off by it.
TEST_F(HostilePeerTest, TrickledHelloIsCutOffByTheHandshakeDeadline) {
  auto connection = Connect();
  ASSERT_NE(connection, nullptr);
  const std::string hello = Frame(Hello(1, 1, std::string(200, 't')));
  CountBadInputs();
  size_t sent = 0;
  for (const char byte : hello) {
    if (connection->Readable(std::chrono::milliseconds(100))) break;
    if (!connection->SendRaw(std::string(1, byte)).ok()) break;
    ++sent;
  }
  EXPECT_LT(sent, hello.size());
  EXPECT_THAT(Read(*connection), IsFatalError(v1::TIMEOUT));
  EXPECT_TRUE(connection->ExpectClosed());
}

// R-TIME-4, R-STATE-8: a client that asks for a large download and never reads
// blocks only its own connection thread, which the stall deadline ends; another
// client is served meanwhile.
TEST_F(HostilePeerTest, ReaderThatNeverReadsIsDroppedWhileOthersAreServed) {
  constexpr uint64_t kSize = 32 << 20;
  { std::ofstream create(root_ / "huge.bin"); }
  std::filesystem::resize_file(root_ / "huge.bin", kSize);
  RememberTrees();

  auto stalled = OpenSession(0, /*receive_buffer_bytes=*/4096);
  ASSERT_NE(stalled, nullptr);
  CountBadInputs();
  FERRY_ASSERT_OK(stalled->SendFrame(DownloadMessage("huge.bin")));

  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  EXPECT_THAT(Call(*other, StatMessage("huge.bin")), HasBody(v1::ServerMessage::kStat));
  FERRY_ASSERT_OK(other->SendFrame(DownloadMessage("a.txt")));
  const DownloadResult small = ReadDownload(*other);
  EXPECT_EQ(small.data, "alpha\n");
  EXPECT_THAT(small.terminal, HasBody(v1::ServerMessage::kDownloadEnd));

  ASSERT_TRUE(WaitForLog("event=disconnect result=TIMEOUT"));
  FERRY_ASSERT_OK(stalled->SetReceiveBuffer(4 << 20));
  uint64_t received = 0;
  bool ended = false;
  while (true) {
    auto frame = stalled->ReadFrame();
    if (!frame.ok()) break;  // the stream may end inside the chunk being written
    if (frame->is_chunk()) received += frame->chunk_data().size();
    if (frame->message.has_download_end()) ended = true;
    if (frame->is_error()) {
      EXPECT_THAT(*frame, IsFatalError(v1::TIMEOUT));
      break;
    }
  }
  EXPECT_FALSE(ended);
  EXPECT_LT(received, kSize);
}

// R-STATE-8: connections beyond --max-connections get a fatal
// TOO_MANY_CONNECTIONS and are closed; the sessions already open keep working,
// including an upload.
TEST_F(HostilePeerTest, ConnectionFloodBeyondTheLimitIsRefusedAndSessionsContinue) {
  constexpr int kLimit = 6;
  constexpr int kFlood = 12;
  std::vector<std::unique_ptr<RawConnection>> sessions;
  for (int i = 0; i < kLimit; ++i) {
    sessions.push_back(OpenSession());
    ASSERT_NE(sessions.back(), nullptr);
  }
  std::vector<std::unique_ptr<RawConnection>> flood;
  for (int i = 0; i < kFlood; ++i) {
    CountBadInputs();
    flood.push_back(Connect());
    ASSERT_NE(flood.back(), nullptr);
  }
  for (auto& refused : flood) {
    EXPECT_THAT(Read(*refused), IsFatalError(v1::TOO_MANY_CONNECTIONS));
    EXPECT_TRUE(refused->ExpectClosed());
  }
  for (auto& session : sessions) {
    EXPECT_THAT(Call(*session, StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
  }
  EXPECT_THAT(Upload(*sessions.front(), "during-flood.txt", "still here"),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("during-flood.txt"), "still here");
  RememberTrees();
  for (auto& session : sessions) {
    EXPECT_THAT(Call(*session, ByeMessage()), HasBody(v1::ServerMessage::kBye));
  }
}

// R-UPLOAD-7, R-UPLOAD-8, R-UPLOAD-14: chunks beyond the announced size end the
// upload with SIZE_MISMATCH; the rest of the data phase is discarded and
// nothing is committed, neither a new file nor over an existing one.
TEST_F(HostilePeerTest, UploadChunksBeyondTheAnnouncedSizeCommitNothing) {
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  for (const bool overwrite : {false, true}) {
    const std::string path = overwrite ? "a.txt" : "new.bin";
    ASSERT_THAT(Call(*session, UploadMessage(path, 10, overwrite)),
                HasBody(v1::ServerMessage::kUploadReady));
    FERRY_ASSERT_OK(session->SendChunk("012345"));
    SendHostile(*session, ChunkFrame("6789AB"));
    EXPECT_THAT(Read(*session), IsError(v1::SIZE_MISMATCH));
    // The client keeps going as if nothing happened: discarded without reply.
    FERRY_ASSERT_OK(session->SendChunk(std::string(1000, 'z')));
    FERRY_ASSERT_OK(session->SendFrame(UploadEndMessage(10, WireDigest("0123456789"))));
    ExpectNotCommitted(*session, path, overwrite);
  }
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-UPLOAD-9, R-UPLOAD-14: an UploadEnd whose size or digest does not match, or
// that comes before all announced bytes, commits nothing.
TEST_F(HostilePeerTest, UploadEndWithWrongSizeOrDigestCommitsNothing) {
  const std::string content = "0123456789";
  struct Case {
    size_t bytes_sent;
    uint64_t end_size;
    std::string digest;
    v1::ErrorCode expected;
  };
  const std::vector<Case> cases = {
      {10, 10, WireDigest("0123456780"), v1::CHECKSUM_MISMATCH},
      {10, 9, WireDigest(content), v1::SIZE_MISMATCH},
      {10, 11, WireDigest(content), v1::SIZE_MISMATCH},
      {7, 10, WireDigest(content), v1::SIZE_MISMATCH},
      {10, 10, WireDigest(content).substr(0, 15), v1::INVALID_ARGUMENT},
  };
  auto session = OpenSession();
  ASSERT_NE(session, nullptr);
  for (const Case& c : cases) {
    for (const bool overwrite : {false, true}) {
      const std::string path = overwrite ? "a.txt" : "new.bin";
      ASSERT_THAT(Call(*session, UploadMessage(path, content.size(), overwrite)),
                  HasBody(v1::ServerMessage::kUploadReady));
      FERRY_ASSERT_OK(session->SendChunk(content.substr(0, c.bytes_sent)));
      CountBadInputs();
      EXPECT_THAT(Call(*session, UploadEndMessage(c.end_size, c.digest)), IsError(c.expected));
      ExpectNotCommitted(*session, path, overwrite);
    }
  }
  EXPECT_THAT(Temporaries(), IsEmpty());
}

}  // namespace
}  // namespace ferry::conformance
