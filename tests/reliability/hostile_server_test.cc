// A hostile server against the client: the Client library, and for what the
// user sees, the real `ferry` binary.
//
// FakeServer is a loopback listener that answers each client frame with bytes
// the test scripts, frame by frame: oversize length prefixes, absurd Welcome
// limits, downloads that lie about their size or digest, listings full of names
// no client should use or print raw, replies that never come, replies of the
// wrong kind. Spec section 12.2 (R-SEC-5 to R-SEC-8) says what a client must
// not trust; each test cites the clause it holds the client to. Every hostile
// reply the fake server sends is counted with CountBadInputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/base/utf8.h"
#include "src/client/client.h"
#include "src/codec/frame.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/socket.h"
#include "tests/reliability/tally.h"
#include "tests/testing/json_object.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::ferry::reliability::CountBadInputs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kHangGuard = std::chrono::seconds(20);

// ---------------------------------------------------------------------------
// Scripted replies

// What the fake server sends for one client frame; `hostile` replies are the
// bad inputs under test (and are counted when sent).
struct Reply {
  std::string bytes;
  bool hostile = false;
};
Reply Hostile(std::string bytes) { return Reply{std::move(bytes), true}; }

std::string Encode(const v1::ServerMessage& message) {
  std::string out;
  EXPECT_TRUE(EncodeFrame(message, &out));
  return out;
}

std::string LengthPrefix(uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

std::string ChunkFrame(std::string_view data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  return std::string(reinterpret_cast<const char*>(header.bytes.data()), header.size) +
         std::string(data);
}

std::string WireDigest(std::string_view data) {
  return DigestToBytes(DigestOf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
}

std::string Welcome(uint32_t max_frame_bytes = limits::kDefaultMaxFrameBytes,
                    uint32_t max_chunk_bytes = limits::kDefaultMaxFrameBytes - 16,
                    uint32_t version = 1, std::string_view server_name = "fake-ferryd") {
  v1::ServerMessage message;
  v1::Welcome* welcome = message.mutable_welcome();
  welcome->set_version(version);
  welcome->set_server_name(std::string(server_name));
  welcome->set_max_frame_bytes(max_frame_bytes);
  welcome->set_max_chunk_bytes(max_chunk_bytes);
  welcome->set_max_path_bytes(4096);
  welcome->set_max_list_entries(1000);
  return Encode(message);
}

std::string DownloadBegin(uint64_t size) {
  v1::ServerMessage message;
  message.mutable_download_begin()->set_size(size);
  return Encode(message);
}

std::string DownloadEnd(uint64_t size, std::string_view digest) {
  v1::ServerMessage message;
  message.mutable_download_end()->set_size(size);
  message.mutable_download_end()->set_xxh3_128(std::string(digest));
  return Encode(message);
}

std::string ListPage(const std::vector<std::string>& names, bool last) {
  v1::ServerMessage message;
  for (const std::string& name : names) {
    v1::FileInfo* entry = message.mutable_list()->add_entries();
    entry->set_name(name);
    entry->set_type(v1::REGULAR);
    entry->set_size(1);
    entry->set_mode(0644);
  }
  message.mutable_list()->set_last(last);
  return Encode(message);
}

std::string StatReply(std::string_view name) {
  v1::ServerMessage message;
  message.mutable_stat()->mutable_info()->set_name(std::string(name));
  message.mutable_stat()->mutable_info()->set_type(v1::REGULAR);
  return Encode(message);
}

std::string ErrorReply(v1::ErrorCode code, std::string_view text, bool fatal = false) {
  v1::ServerMessage message;
  message.mutable_error()->set_code(code);
  message.mutable_error()->set_message(std::string(text));
  message.mutable_error()->set_fatal(fatal);
  return Encode(message);
}

// ---------------------------------------------------------------------------
// FakeServer

using Responder = std::function<Reply(const v1::ClientMessage&)>;

class FakeServer {
 public:
  explicit FakeServer(Responder respond) : respond_(std::move(respond)) {
    auto listener = Listener::Bind(HostPort{"127.0.0.1", 0});
    if (!listener.ok()) {
      ADD_FAILURE() << "cannot listen: " << listener.status().ToString();
      return;
    }
    listener_ = std::move(*listener);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (SocketStream* stream : active_) stream->Shutdown();
    }
    for (std::thread& thread : connections_) thread.join();
  }

  HostPort address() const { return listener_->local_address(); }
  std::string address_text() const { return address().ToString(); }

  // Every non-chunk frame clients sent, in arrival order.
  std::vector<v1::ClientMessage> Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

  // Waits until `n` connections have ended (the client closed them).
  bool WaitForEnded(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kHangGuard, [&] { return ended_ >= n; });
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      auto stream = listener_->Accept(std::chrono::milliseconds(50));
      if (!stream.ok() || *stream == nullptr) continue;
      std::lock_guard<std::mutex> lock(mu_);
      SocketStream* raw = stream->get();
      active_.insert(raw);
      connections_.emplace_back([this, owned = std::shared_ptr<SocketStream>(std::move(*stream))] {
        Serve(owned.get());
      });
    }
  }

  void Serve(SocketStream* stream) {
    stream->SetIoTimeout(kHangGuard);  // a hang guard only
    FrameReader reader(stream, limits::kMaxFrameBytesCeiling);
    DecodedFrame<v1::ClientMessage> frame;
    while (true) {
      auto payload = reader.ReadFrame();
      if (!payload.ok() || !DecodeClientFrame(*payload, &frame).ok()) break;
      if (frame.is_chunk) continue;
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(frame.message);
      }
      const Reply reply = respond_(frame.message);
      if (reply.hostile) CountBadInputs();  // silence may be the hostile reply
      if (reply.bytes.empty()) continue;
      const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(reply.bytes.data()),
                                           reply.bytes.size());
      if (!stream->Write(bytes, {}).ok()) break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(stream);
    ++ended_;
    changed_.notify_all();
  }

  Responder respond_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::set<SocketStream*> active_;
  std::vector<std::thread> connections_;
  std::vector<v1::ClientMessage> received_;
  int ended_ = 0;
};

// A responder that completes the handshake with `welcome` and hands every
// request to `requests`.
Responder After(std::string welcome, std::function<Reply(const v1::ClientMessage&)> requests) {
  return [welcome = std::move(welcome),
          requests = std::move(requests)](const v1::ClientMessage& message) -> Reply {
    if (message.has_hello()) return Reply{welcome};
    if (message.has_bye())
      return Reply{Encode([] {
        v1::ServerMessage bye;
        bye.mutable_bye();
        return bye;
      }())};
    return requests(message);
  };
}

ClientOptions ShortTimeouts() {
  ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  // Short, so the silent-server tests end soon; long enough that a loaded
  // machine does not make a live fake server look silent.
  options.io_timeout = std::chrono::seconds(1);
  return options;
}

StatusOr<std::unique_ptr<Client>> ConnectTo(const FakeServer& server,
                                            const ClientOptions& options = {}) {
  return Client::Connect(server.address(), options);
}

Client::Sink Collect(std::string* out) {
  return [out](std::span<const uint8_t> data) {
    out->append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  };
}

// A field of /proc/self/status in kB, or -1.
int64_t OwnStatusKilobytes(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stoll(line.substr(field.size() + 1));
    }
  }
  return -1;
}

// True if `text` is safe to write to a terminal: valid UTF-8 holding no C0
// control but '\n', no DEL, no C1 control and no bidirectional control
// (R-SEC-6). On failure `where` is the offset of the first offending byte.
bool DisplaySafe(std::string_view text, size_t* where) {
  for (size_t i = 0; i < text.size();) {
    uint32_t c = 0;
    const size_t len = DecodeUtf8(text, i, &c);
    const bool control = (c < 0x20 && c != '\n') || (c >= 0x7F && c <= 0x9F) ||
                         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    if (len == 0 || control) {
      *where = i;
      return false;
    }
    i += len;
  }
  return true;
}

MATCHER(IsDisplaySafe, "holds no raw control bytes or invalid UTF-8") {
  size_t where = 0;
  if (DisplaySafe(arg, &where)) return true;
  *result_listener << "offending byte at offset " << where;
  return false;
}

// ---------------------------------------------------------------------------
// Frame lengths (R-FRAME-4 to R-FRAME-6, R-SEC-7)

// R-SEC-7, R-FRAME-6, R-STATE-11: a length prefix of 2^32 - 1 is refused from the header
// alone, before and after the handshake; the client never maps anything near
// 4 GiB (this process's peak virtual size grows by less than 3 GiB).
TEST(HostileServerTest, MaximalFrameLengthIsATypedErrorWithoutAllocation) {
  // Other tests in this process may have raised its peak before; an allocation
  // of 4 GiB here would lift the peak to at least the current size plus 4 GiB.
  const int64_t size_before_kb = OwnStatusKilobytes("VmSize");
  ASSERT_GT(size_before_kb, 0);
  FakeServer before_welcome(
      [](const v1::ClientMessage&) { return Hostile(LengthPrefix(0xFFFFFFFF)); });
  EXPECT_THAT(ConnectTo(before_welcome), StatusIs(StatusCode::kMessageTooLarge));

  FakeServer after_welcome(
      After(Welcome(limits::kMaxFrameBytesCeiling, limits::kMaxFrameBytesCeiling - 16),
            [](const v1::ClientMessage&) { return Hostile(LengthPrefix(0xFFFFFFFF) + "xyz"); }));
  auto client = ConnectTo(after_welcome);
  FERRY_ASSERT_OK(client.status());
  EXPECT_THAT((*client)->Stat("a.txt"), StatusIs(StatusCode::kMessageTooLarge));
  EXPECT_FALSE((*client)->connected());
  EXPECT_THAT((*client)->Stat("a.txt"), StatusIs(StatusCode::kConnectionClosed));

  const int64_t peak_virtual_kb = OwnStatusKilobytes("VmPeak");
  ASSERT_GT(peak_virtual_kb, 0);
  EXPECT_LT(peak_virtual_kb, size_before_kb + (int64_t{3} << 20));
}

// R-FRAME-5, R-LIMIT-2: the limit in force is the one Welcome announced; one
// byte over it is refused.
TEST(HostileServerTest, FrameOneByteOverTheNegotiatedLimitIsRefused) {
  FakeServer server(After(Welcome(65536, 65520), [](const v1::ClientMessage&) {
    return Hostile(LengthPrefix(65537) + std::string(65537, '\x0a'));
  }));
  auto client = ConnectTo(server);
  FERRY_ASSERT_OK(client.status());
  EXPECT_THAT((*client)->List(""), StatusIs(StatusCode::kMessageTooLarge));
  EXPECT_FALSE((*client)->connected());
}

// R-SEC-7, R-STATE-11, R-SEC-6: the ferry binary turns an oversize frame and a
// reply of the wrong kind into one clean error line each, and carries on with
// the next command (which finds the connection closed) instead of crashing.
TEST(HostileServerTest, FerryReportsFramingViolationsAsErrorLines) {
  FakeServer server(After(Welcome(), [](const v1::ClientMessage& message) {
    if (message.has_stat()) return Hostile(LengthPrefix(0xFFFFFFFF));
    return Hostile(DownloadBegin(3));  // for the listing
  }));
  TempDir cwd;
  const std::string connme = "connme " + server.address_text() + "\n";
  const ProcessResult result =
      RunClient(connme + "size a.txt\nls\n" + connme + "ls\nsize a.txt\n", cwd.path(), {},
                RunClientOptions{{"-v"}, std::chrono::seconds(60)});
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_LT(result.exit_code, 128) << "ferry died of a signal: " << result;
  EXPECT_THAT(result.err, HasSubstr("MESSAGE_TOO_LARGE")) << result;
  EXPECT_THAT(result.err, HasSubstr("UNEXPECTED_MESSAGE")) << result;
  EXPECT_THAT(result.err, HasSubstr("CONNECTION_CLOSED")) << result;
  EXPECT_THAT(result.out, IsDisplaySafe()) << result;
  EXPECT_THAT(result.err, IsDisplaySafe()) << result;
}

// ---------------------------------------------------------------------------
// Welcome (R-HELLO-9)

struct WelcomeCase {
  std::string name;
  uint32_t max_frame_bytes;
  uint32_t max_chunk_bytes;
  uint32_t version;
  bool accepted;
};
void PrintTo(const WelcomeCase& c, std::ostream* os) { *os << c.name; }

class WelcomeLimitsTest : public ::testing::TestWithParam<WelcomeCase> {};

// R-HELLO-9: a Welcome whose limits break (a) to (c) is rejected, and the
// client closes without sending anything after its Hello. The largest legal
// values are accepted as they are (nothing is clamped silently).
TEST_P(WelcomeLimitsTest, AbsurdLimitsAreRejectedAndNothingMoreIsSent) {
  const WelcomeCase& c = GetParam();
  FakeServer server([&](const v1::ClientMessage& message) {
    const std::string welcome = Welcome(c.max_frame_bytes, c.max_chunk_bytes, c.version);
    if (!message.has_hello()) return Reply{};
    return c.accepted ? Reply{welcome} : Hostile(welcome);
  });
  auto client = ConnectTo(server);
  if (c.accepted) {
    FERRY_ASSERT_OK(client.status());
    EXPECT_EQ((*client)->welcome().max_frame_bytes(), c.max_frame_bytes);
    EXPECT_EQ((*client)->welcome().max_chunk_bytes(), c.max_chunk_bytes);
    client->reset();
  } else {
    EXPECT_THAT(client.status().code(),
                ::testing::AnyOf(StatusCode::kUnexpectedMessage, StatusCode::kUnsupportedVersion));
  }
  ASSERT_TRUE(server.WaitForEnded(1));
  const std::vector<v1::ClientMessage> received = server.Received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].has_hello());
}

INSTANTIATE_TEST_SUITE_P(
    Limits, WelcomeLimitsTest,
    ::testing::Values(WelcomeCase{"AllZero", 0, 0, 1, false},
                      WelcomeCase{"FrameZero", 0, 1024, 1, false},
                      WelcomeCase{"FrameBelowMinimum", 65535, 1024, 1, false},
                      WelcomeCase{"FrameMaximal", 0xFFFFFFFF, 1024, 1, false},
                      WelcomeCase{"FrameOverCeiling", limits::kMaxFrameBytesCeiling + 1, 1024, 1,
                                  false},
                      WelcomeCase{"ChunkZero", 65536, 0, 1, false},
                      WelcomeCase{"ChunkOverFrameLessOverhead", 65536, 65521, 1, false},
                      WelcomeCase{"ChunkMaximal", 65536, 0xFFFFFFFF, 1, false},
                      WelcomeCase{"VersionZero", 65536, 65520, 0, false},
                      WelcomeCase{"VersionTwo", 65536, 65520, 2, false},
                      WelcomeCase{"SmallestLegal", 65536, 1, 1, true},
                      WelcomeCase{"LargestLegal", limits::kMaxFrameBytesCeiling,
                                  limits::kMaxFrameBytesCeiling - 16, 1, true}),
    [](const ::testing::TestParamInfo<WelcomeCase>& param) { return param.param.name; });

// R-HELLO-10: capabilities the client does not know are ignored, and an empty
// server name is no reason to refuse the server.
TEST(HostileServerTest, UnknownCapabilitiesAndAnEmptyServerNameAreIgnored) {
  v1::ServerMessage message;
  v1::Welcome* welcome = message.mutable_welcome();
  welcome->set_version(1);
  welcome->set_max_frame_bytes(limits::kDefaultMaxFrameBytes);
  welcome->set_max_chunk_bytes(limits::kDefaultMaxFrameBytes - 16);
  welcome->set_max_path_bytes(4096);
  welcome->set_max_list_entries(1000);
  welcome->add_capabilities("x-unknown-feature");
  welcome->add_capabilities(std::string(300, 'c'));
  welcome->add_capabilities("");
  FakeServer server(
      After(Encode(message), [](const v1::ClientMessage&) { return Reply{StatReply("x")}; }));
  auto client = ConnectTo(server);
  FERRY_ASSERT_OK(client.status());
  FERRY_EXPECT_OK((*client)->Stat("x").status());
}

// ---------------------------------------------------------------------------
// Downloads that lie (R-DOWNLOAD-6, R-DOWNLOAD-7, R-SEC-7, R-SEC-8)

constexpr std::string_view kContent = "0123456789";

// Scripted download replies, keyed by the requested path. "good.bin" is honest
// (the control that shows the fake server can deliver a file at all).
Reply DownloadReplies(const v1::ClientMessage& message) {
  if (!message.has_download()) return Reply{ErrorReply(v1::UNSUPPORTED, "only downloads")};
  const std::string& path = message.download().path();
  const std::string digest = WireDigest(kContent);
  if (path == "good.bin") {
    return Reply{DownloadBegin(10) + ChunkFrame(kContent) + DownloadEnd(10, digest)};
  }
  if (path == "more.bin") {  // 10 bytes after announcing 5
    return Hostile(DownloadBegin(5) + ChunkFrame(kContent) + DownloadEnd(10, digest));
  }
  if (path == "fewer.bin") {  // 5 bytes after announcing 10
    return Hostile(DownloadBegin(10) + ChunkFrame(kContent.substr(0, 5)) + DownloadEnd(10, digest));
  }
  if (path == "end-size.bin") {  // DownloadEnd.size differs from what was sent
    return Hostile(DownloadBegin(10) + ChunkFrame(kContent) + DownloadEnd(11, digest));
  }
  if (path == "digest.bin") {  // one bit of the digest flipped
    std::string wrong = digest;
    wrong[0] = static_cast<char>(wrong[0] ^ 1);
    return Hostile(DownloadBegin(10) + ChunkFrame(kContent) + DownloadEnd(10, wrong));
  }
  if (path == "short-digest.bin") {
    return Hostile(DownloadBegin(10) + ChunkFrame(kContent) +
                   DownloadEnd(10, digest.substr(0, 15)));
  }
  return Reply{ErrorReply(v1::NOT_FOUND, "no such file")};
}

struct LyingDownload {
  std::string path;
  StatusCode expected;
};
const std::vector<LyingDownload>& LyingDownloads() {
  static const std::vector<LyingDownload> cases = {
      {"more.bin", StatusCode::kSizeMismatch},
      {"fewer.bin", StatusCode::kSizeMismatch},
      {"end-size.bin", StatusCode::kSizeMismatch},
      {"digest.bin", StatusCode::kChecksumMismatch},
      {"short-digest.bin", StatusCode::kChecksumMismatch},
  };
  return cases;
}

// R-DOWNLOAD-6, R-SEC-7, R-STATE-11: the client library fails every lying
// download with the typed error, and never hands the sink more than was announced.
TEST(HostileServerTest, LyingDownloadsFailWithSizeOrChecksumMismatch) {
  FakeServer server(After(Welcome(), DownloadReplies));
  for (const LyingDownload& c : LyingDownloads()) {
    SCOPED_TRACE(c.path);
    auto client = ConnectTo(server);
    FERRY_ASSERT_OK(client.status());
    std::string sunk;
    EXPECT_THAT((*client)->Download(c.path, Collect(&sunk)), StatusIs(c.expected));
    if (c.path == "more.bin") {
      EXPECT_LE(sunk.size(), 5u);
    }
  }
  auto client = ConnectTo(server);
  FERRY_ASSERT_OK(client.status());
  std::string sunk;
  FERRY_EXPECT_OK((*client)->Download("good.bin", Collect(&sunk)).status());
  EXPECT_EQ(sunk, kContent);
}

// R-DOWNLOAD-7, R-SEC-8: the ferry binary creates no local file for a lying
// download, leaves no temporary behind, and leaves an existing file it was told
// to overwrite untouched; an honest download still lands.
TEST(HostileServerTest, FerryKeepsNoBytesOfALyingDownload) {
  FakeServer server(After(Welcome(), DownloadReplies));
  TempDir cwd;
  FERRY_ASSERT_OK(cwd.WriteFile("keep.txt", "precious\n"));
  std::string script;
  for (const LyingDownload& c : LyingDownloads()) {
    script += "connme " + server.address_text() + "\ndownload " + c.path + "\n";
    script += "connme " + server.address_text() + "\ndownload -f " + c.path + " keep.txt\n";
  }
  script += "connme " + server.address_text() + "\ndownload good.bin\n";
  const ProcessResult result = RunClient(script, cwd.path());
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_THAT(result.err, HasSubstr("SIZE_MISMATCH")) << result;
  EXPECT_THAT(result.err, HasSubstr("CHECKSUM_MISMATCH")) << result;

  auto snapshot = cwd.Snapshot();
  FERRY_ASSERT_OK(snapshot.status());
  std::vector<std::string> names;
  for (const SnapshotEntry& entry : *snapshot) names.push_back(entry.path);
  EXPECT_THAT(names, ElementsAre("good.bin", "keep.txt"));
  EXPECT_THAT(cwd.ReadFile("keep.txt"), IsOkAndHolds(std::string("precious\n")));
  EXPECT_THAT(cwd.ReadFile("good.bin"), IsOkAndHolds(std::string(kContent)));
}

// ---------------------------------------------------------------------------
// Names and text from the server (R-SEC-5, R-SEC-6)

const std::vector<std::string>& UnsafeNames() {
  static const std::vector<std::string> names = {
      "",
      ".",
      "..",
      "a/b",
      "../../etc/passwd",
      std::string("nul\0byte", 8),
      "\x1b[2J\x1b[31mred",
      "bell\x07",
      "tab\there",
      "new\nline",
      "del\x7f",
      ".ferry-part.temp",
      std::string(256, 'n'),
  };
  return names;
}

// Names that are valid components but must be escaped for display: a C1
// control (U+009B, CSI) and a bidirectional override (U+202E).
const std::vector<std::string> kValidButEscaped = {"csi\xc2\x9b", "\xe2\x80\xaetxt.exe"};

Reply ListingReplies(const v1::ClientMessage& message) {
  if (message.has_list()) {
    const std::vector<std::string>& bad = UnsafeNames();
    const std::vector<std::string> first(bad.begin(), bad.begin() + 7);
    const std::vector<std::string> second(bad.begin() + 7, bad.end());
    std::vector<std::string> page1 = {"ok.txt"};
    page1.insert(page1.end(), first.begin(), first.end());
    std::vector<std::string> page2 = kValidButEscaped;
    page2.insert(page2.end(), second.begin(), second.end());
    return Hostile(ListPage(page1, false) + ListPage(page2, true));
  }
  // An error whose message and path try to drive the terminal.
  return Hostile(ErrorReply(v1::NOT_FOUND, "gone \x1b]0;owned\x07 \xc2\x9b"));
}

// A listing page holding a name that is not UTF-8. FileInfo.name is a protobuf
// string, so the page does not decode at all (R-FRAME-8).
Reply InvalidUtf8Listing(const v1::ClientMessage& message) {
  if (!message.has_list()) return Reply{ErrorReply(v1::NOT_FOUND, "no such file")};
  // Encoded with a placeholder of the same length, then patched, so the frame
  // and field lengths stay right.
  std::string page = ListPage({"ok.txt", "PLACEHLD"}, true);
  page.replace(page.find("PLACEHLD"), 8, "bad\xff\xc0\xaf\x1bJ");
  return Hostile(page);
}

// R-SEC-5: the client library leaves out every entry whose name is not one
// valid component and reports each one; valid names are kept as sent.
TEST(HostileServerTest, ListingSkipsAndReportsUnsafeNames) {
  FakeServer server(After(Welcome(), ListingReplies));
  auto client = ConnectTo(server);
  FERRY_ASSERT_OK(client.status());
  std::vector<std::string> skipped;
  auto entries = (*client)->List("", &skipped);
  FERRY_ASSERT_OK(entries.status());
  std::vector<std::string> names;
  for (const FileInfo& entry : *entries) names.push_back(entry.name);
  EXPECT_THAT(names, ElementsAre("ok.txt", kValidButEscaped[0], kValidButEscaped[1]));
  EXPECT_EQ(skipped, UnsafeNames());
  // The listing was read to its end: the connection is still in step.
  EXPECT_THAT((*client)->Stat("x"), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE((*client)->connected());
}

// R-FRAME-8, R-SEC-5: a name that is not UTF-8 makes its page undecodable; the
// listing fails as MALFORMED_MESSAGE and the client closes the connection.
TEST(HostileServerTest, ListingWithANameThatIsNotUtf8IsRefused) {
  FakeServer server(After(Welcome(), InvalidUtf8Listing));
  auto client = ConnectTo(server);
  FERRY_ASSERT_OK(client.status());
  EXPECT_THAT((*client)->List(""), StatusIs(StatusCode::kMalformedMessage));
  EXPECT_FALSE((*client)->connected());

  TempDir cwd;
  const ProcessResult result = RunClient("connme " + server.address_text() + "\nls\n", cwd.path(),
                                         {}, RunClientOptions{{"-v"}, std::chrono::seconds(60)});
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_THAT(result.out, IsDisplaySafe()) << result;
  EXPECT_THAT(result.err, IsDisplaySafe()) << result;
  EXPECT_THAT(result.err, HasSubstr("MALFORMED_MESSAGE")) << result;
}

// R-SEC-6: nothing the ferry binary prints holds a raw control byte, a bidi
// control or invalid UTF-8, whatever the server put in its name, a listing or
// an error message; the unsafe names are reported, escaped.
TEST(HostileServerTest, FerryPrintsServerTextOnlyEscaped) {
  const std::string evil_name = "evil\x1b[8m\xe2\x80\xae\xc2\x9b";
  CountBadInputs();  // the server name below
  FakeServer server(After(
      Welcome(limits::kDefaultMaxFrameBytes, limits::kDefaultMaxFrameBytes - 16, 1, evil_name),
      ListingReplies));
  TempDir cwd;
  const ProcessResult result =
      RunClient("connme " + server.address_text() + "\nls\nsize missing.txt\n", cwd.path(), {},
                RunClientOptions{{"-v"}, std::chrono::seconds(60)});
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_THAT(result.out, IsDisplaySafe()) << result;
  EXPECT_THAT(result.err, IsDisplaySafe()) << result;
  EXPECT_THAT(result.out, HasSubstr("ok.txt"));
  EXPECT_THAT(result.out, HasSubstr("\\u{202e}"));  // the override, escaped
  EXPECT_THAT(result.err, HasSubstr("NOT_FOUND"));
  size_t warnings = 0;
  for (size_t at = 0; (at = result.err.find("skipped", at)) != std::string::npos; ++at) {
    ++warnings;
  }
  EXPECT_EQ(warnings, UnsafeNames().size()) << result;
  // No name from the listing became a local file.
  auto snapshot = cwd.Snapshot();
  FERRY_ASSERT_OK(snapshot.status());
  EXPECT_TRUE(snapshot->empty());
}

// R-SEC-5, R-SEC-6 with --json: each skipped name is a warning object on
// stdout carrying the name exactly as sent, every line is valid JSON with
// nothing raw in it, and the server's error is an object too.
TEST(HostileServerTest, FerryJsonReportsEachSkippedNameAsAWarningObject) {
  FakeServer server(After(Welcome(), ListingReplies));
  TempDir cwd;
  const ProcessResult result =
      RunClient("connme " + server.address_text() + "\nls\nsize missing.txt\n", cwd.path(), {},
                RunClientOptions{{"--json"}, std::chrono::seconds(60)});
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_THAT(result.out, IsDisplaySafe()) << result;
  EXPECT_EQ(result.err, "") << result;
  std::vector<std::string> listed;
  std::vector<std::string> skipped;
  std::string error_code;
  for (size_t start = 0; start < result.out.size();) {
    const size_t end = result.out.find('\n', start);
    ASSERT_NE(end, std::string::npos) << result;
    std::map<std::string, testing::JsonMember> object;
    std::string error;
    ASSERT_TRUE(testing::ParseJsonObject(result.out.substr(start, end - start), &object, &error))
        << error << ": " << result;
    if (object.count("entries") != 0) {
      for (const auto& entry : object.at("entries").elements) {
        listed.push_back(entry.members.at("name").text);
      }
    }
    if (object.count("warning") != 0) {
      EXPECT_EQ(object.at("command").text, "ls");
      EXPECT_EQ(object.at("warning").members.at("kind").text, "unsafe-name-skipped");
      skipped.push_back(object.at("warning").members.at("name").text);
    }
    if (object.count("error") != 0) error_code = object.at("error").members.at("code").text;
    start = end + 1;
  }
  // The shell sorts by name, bytewise.
  EXPECT_THAT(listed, ElementsAre(kValidButEscaped[0], "ok.txt", kValidButEscaped[1]));
  EXPECT_EQ(skipped, UnsafeNames());
  EXPECT_EQ(error_code, "NOT_FOUND");
}

// ---------------------------------------------------------------------------
// Silence and replies out of turn

// R-TIME-5: a server that stops answering in the middle of a reply: the client
// gives up after its I/O timeout (ClientOptions::io_timeout) with kTimeout, and closes
// the connection, which is no longer in step. The ferry binary has no flag for
// this timeout (it uses the 60 s default), so only the library is tested.
TEST(HostileServerTest, ServerThatStopsAnsweringMidReplyTimesOut) {
  FakeServer silent_handshake([](const v1::ClientMessage&) { return Hostile(""); });
  EXPECT_THAT(ConnectTo(silent_handshake, ShortTimeouts()), StatusIs(StatusCode::kTimeout));

  FakeServer server(After(Welcome(), [](const v1::ClientMessage& message) {
    if (message.has_list()) return Hostile(ListPage({"a", "b"}, /*last=*/false));
    if (message.has_download()) return Hostile(DownloadBegin(100) + ChunkFrame("0123456789"));
    // Half a frame: a length prefix and part of the payload.
    return Hostile(StatReply("x").substr(0, 6));
  }));
  for (const std::string_view request : {"list", "download", "stat"}) {
    SCOPED_TRACE(request);
    auto client = ConnectTo(server, ShortTimeouts());
    FERRY_ASSERT_OK(client.status());
    std::string sunk;
    const Status status = request == "list" ? (*client)->List("").status()
                          : request == "download"
                              ? (*client)->Download("f", Collect(&sunk)).status()
                              : (*client)->Stat("x").status();
    EXPECT_THAT(status, StatusIs(StatusCode::kTimeout));
    EXPECT_FALSE((*client)->connected());
  }
}

// R-HELLO-9, R-STATE-11: a reply of the wrong kind (for a request that was not
// sent) is UNEXPECTED_MESSAGE, and the client closes the connection sending
// nothing further.
TEST(HostileServerTest, ReplyOfTheWrongKindIsUnexpectedMessageAndCloses) {
  FakeServer not_welcome([](const v1::ClientMessage&) { return Hostile(StatReply("x")); });
  EXPECT_THAT(ConnectTo(not_welcome), StatusIs(StatusCode::kUnexpectedMessage));

  FakeServer server(After(Welcome(), [](const v1::ClientMessage& message) {
    if (message.has_stat()) return Hostile(ListPage({"a"}, true));
    if (message.has_remove()) return Hostile(DownloadBegin(3));
    if (message.has_list()) return Hostile(ChunkFrame("abc"));
    // A download interrupted by a stat reply nobody asked for.
    return Hostile(DownloadBegin(10) + ChunkFrame("01234") + StatReply("x"));
  }));
  int connections = 0;
  for (const std::string_view request : {"stat", "remove", "list", "download"}) {
    SCOPED_TRACE(request);
    auto client = ConnectTo(server);
    FERRY_ASSERT_OK(client.status());
    ++connections;
    std::string sunk;
    const Status status = request == "stat"     ? (*client)->Stat("x").status()
                          : request == "remove" ? (*client)->Remove("x")
                          : request == "list"   ? (*client)->List("").status()
                                                : (*client)->Download("f", Collect(&sunk)).status();
    EXPECT_THAT(status, StatusIs(StatusCode::kUnexpectedMessage));
    EXPECT_FALSE((*client)->connected());
  }
  // The client closed each connection itself, without a Bye.
  ASSERT_TRUE(server.WaitForEnded(connections));
  for (const v1::ClientMessage& message : server.Received()) EXPECT_FALSE(message.has_bye());
}

// ---------------------------------------------------------------------------
// Recursive downloads and wildcards from a hostile server (R-CWD-6)

// The root is a directory whose listing holds every unsafe name twice, as a
// file and as a directory, next to one honest file.
Reply HostileTreeReplies(const v1::ClientMessage& message) {
  if (message.has_stat()) {
    if (!message.stat().path().empty()) return Reply{ErrorReply(v1::NOT_FOUND, "no such file")};
    v1::ServerMessage reply;
    reply.mutable_stat()->mutable_info()->set_type(v1::DIRECTORY);
    return Reply{Encode(reply)};
  }
  if (message.has_list()) {
    if (!message.list().path().empty()) return Reply{ListPage({}, true)};
    v1::ServerMessage page;
    for (const v1::FileType type : {v1::REGULAR, v1::DIRECTORY}) {
      for (const std::string& name : UnsafeNames()) {
        v1::FileInfo* entry = page.mutable_list()->add_entries();
        entry->set_name(name);
        entry->set_type(type);
      }
    }
    v1::FileInfo* honest = page.mutable_list()->add_entries();
    honest->set_name("ok.txt");
    honest->set_type(v1::REGULAR);
    honest->set_size(kContent.size());
    page.mutable_list()->set_last(true);
    return Hostile(Encode(page));
  }
  if (message.has_download() && message.download().path() == "ok.txt") {
    return Reply{DownloadBegin(kContent.size()) + ChunkFrame(kContent) +
                 DownloadEnd(kContent.size(), WireDigest(kContent))};
  }
  return Reply{ErrorReply(v1::NOT_FOUND, "no such file")};
}

// R-CWD-6, R-SEC-5: download -r and a wildcard build local paths only from
// names that are single valid components: every unsafe name is skipped with a
// warning (escaped), and nothing lands outside the target directories.
TEST(HostileServerTest, RecursiveDownloadAndWildcardsWriteOnlyBelowTheirTarget) {
  FakeServer server(After(Welcome(), HostileTreeReplies));
  TempDir cwd;
  std::filesystem::create_directory(cwd.Path("wild"));
  const ProcessResult result =
      RunClient("connme " + server.address_text() + "\ndownload -r / tree\ndownload * wild\n",
                cwd.path(), {}, RunClientOptions{{"-v"}, std::chrono::seconds(60)});
  ASSERT_FALSE(result.timed_out) << result;
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, IsDisplaySafe()) << result;
  EXPECT_THAT(result.err, IsDisplaySafe()) << result;
  size_t warnings = 0;
  for (size_t at = 0; (at = result.err.find("skipped", at)) != std::string::npos; ++at) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 2 * UnsafeNames().size()) << result;
  auto snapshot = cwd.Snapshot();
  FERRY_ASSERT_OK(snapshot.status());
  std::vector<std::string> names;
  for (const SnapshotEntry& entry : *snapshot) names.push_back(entry.path);
  EXPECT_THAT(names, ElementsAre("tree", "tree/ok.txt", "wild", "wild/ok.txt"));
  EXPECT_THAT(cwd.ReadFile("tree/ok.txt"), IsOkAndHolds(std::string(kContent)));
}

}  // namespace
}  // namespace ferry
