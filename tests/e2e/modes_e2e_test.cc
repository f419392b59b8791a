// ferry for scripts, with the real binaries: one-shot mode (`ferry HOST COMMAND
// ARGS`), batch mode (`ferry -b FILE [HOST]`, sftp's semantics), piped input,
// the exit-code table of ferry(1) in each of them, connection settings from the
// environment and the configuration file, and Ctrl-C outside the interactive
// shell.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/codec/frame.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/socket.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/file_size_limit.h"

namespace ferry {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr auto kGuard = seconds(60);

// The documented exit statuses (ferry(1), EXIT STATUS), written out so that a
// change to the table breaks this test as it breaks scripts.
constexpr int kUsage = 2;
constexpr int kConnection = 3;
constexpr int kAuthentication = 4;
constexpr int kNotFound = 5;
constexpr int kPermission = 6;
constexpr int kConflict = 7;
constexpr int kSpace = 8;
constexpr int kIntegrity = 9;
constexpr int kProtocol = 10;
constexpr int kInterrupted = 130;

// A loopback port with nothing listening: one the kernel handed out, closed
// again at once. Another process taking it meanwhile could only make a test
// fail, never pass wrongly.
class RefusingPort {
 public:
  RefusingPort() {
    auto listener = Listener::Bind(HostPort{"127.0.0.1", 0});
    if (listener.ok()) port_ = (*listener)->local_address().port;
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_ = 0;
};

// A server that completes the handshake and then answers every download with
// `download_reply` (and every other request with garbage): the lies a client
// must catch.
class LyingServer {
 public:
  explicit LyingServer(std::string download_reply) : reply_(std::move(download_reply)) {
    auto listener = Listener::Bind(HostPort{"127.0.0.1", 0});
    if (!listener.ok()) {
      ADD_FAILURE() << listener.status().ToString();
      return;
    }
    listener_ = std::move(*listener);
    thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~LyingServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string address() const { return listener_->local_address().ToString(); }

  static std::string Encode(const v1::ServerMessage& message) {
    std::string out;
    EXPECT_TRUE(EncodeFrame(message, &out));
    return out;
  }
  // A download of `content` whose DownloadEnd carries `digest`.
  static std::string Download(std::string_view content, std::string digest) {
    v1::ServerMessage begin;
    begin.mutable_download_begin()->set_size(content.size());
    const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(content.size()));
    v1::ServerMessage end;
    end.mutable_download_end()->set_size(content.size());
    end.mutable_download_end()->set_xxh3_128(std::move(digest));
    return Encode(begin) +
           std::string(reinterpret_cast<const char*>(header.bytes.data()), header.size) +
           std::string(content) + Encode(end);
  }
  static std::string DigestOfText(std::string_view text) {
    return DigestToBytes(DigestOf(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      auto stream = listener_->Accept(std::chrono::milliseconds(50));
      if (!stream.ok() || *stream == nullptr) continue;
      Serve(stream->get());  // one connection at a time is enough here
    }
  }

  void Serve(SocketStream* stream) {
    stream->SetIoTimeout(seconds(20));  // a hang guard only
    FrameReader reader(stream, limits::kMaxFrameBytesCeiling);
    DecodedFrame<v1::ClientMessage> frame;
    while (!stop_) {
      auto payload = reader.ReadFrame();
      if (!payload.ok() || !DecodeClientFrame(*payload, &frame).ok()) return;
      if (frame.is_chunk) continue;
      v1::ServerMessage message;
      std::string bytes;
      if (frame.message.has_hello()) {
        v1::Welcome* welcome = message.mutable_welcome();
        welcome->set_version(1);
        welcome->set_server_name("liar");
        welcome->set_max_frame_bytes(limits::kDefaultMaxFrameBytes);
        welcome->set_max_chunk_bytes(limits::kDefaultMaxFrameBytes - 16);
        welcome->set_max_path_bytes(4096);
        welcome->set_max_list_entries(1000);
        bytes = Encode(message);
      } else if (frame.message.has_bye()) {
        message.mutable_bye();
        bytes = Encode(message);
      } else if (frame.message.has_download()) {
        bytes = reply_;
      } else {
        message.mutable_download_begin()->set_size(1);  // the wrong kind of reply
        bytes = Encode(message);
      }
      const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()),
                                          bytes.size());
      if (!stream->Write(span, {}).ok()) return;
    }
  }

  std::string reply_;
  std::unique_ptr<Listener> listener_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A server that streams an endless download until the client cancels it, and
// then never answers again: a client waiting for the cancel's reply hangs for
// its whole I/O timeout (60 s), unless a second Ctrl-C ends it.
class StallingServer {
 public:
  StallingServer() {
    auto listener = Listener::Bind(HostPort{"127.0.0.1", 0});
    if (!listener.ok()) {
      ADD_FAILURE() << listener.status().ToString();
      return;
    }
    listener_ = std::move(*listener);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StallingServer() {
    stop_ = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stream_) stream_->Shutdown();
    }
    if (thread_.joinable()) thread_.join();
    if (writer_.joinable()) writer_.join();
  }
  std::string address() const { return listener_->local_address().ToString(); }

  bool WaitForCancel() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, kGuard, [&] { return cancelled_; });
  }

 private:
  void Serve() {
    while (!stop_ && stream_ == nullptr) {
      auto accepted = listener_->Accept(std::chrono::milliseconds(50));
      if (!accepted.ok() || *accepted == nullptr) continue;
      std::lock_guard<std::mutex> lock(mu_);
      stream_ = std::move(*accepted);
    }
    if (stream_ == nullptr) return;
    stream_->SetIoTimeout(kGuard);  // a hang guard only
    FrameReader reader(stream_.get(), limits::kMaxFrameBytesCeiling);
    DecodedFrame<v1::ClientMessage> frame;
    while (!stop_) {
      auto payload = reader.ReadFrame();
      if (!payload.ok() || !DecodeClientFrame(*payload, &frame).ok()) return;
      if (frame.is_chunk) continue;
      if (frame.message.has_hello()) {
        v1::ServerMessage message;
        v1::Welcome* welcome = message.mutable_welcome();
        welcome->set_version(1);
        welcome->set_server_name("staller");
        welcome->set_max_frame_bytes(limits::kDefaultMaxFrameBytes);
        welcome->set_max_chunk_bytes(limits::kDefaultMaxFrameBytes - 16);
        welcome->set_max_path_bytes(4096);
        welcome->set_max_list_entries(1000);
        Write(LyingServer::Encode(message));
      } else if (frame.message.has_download()) {
        writer_ = std::thread([this] { Stream(); });
      } else if (frame.message.has_cancel()) {
        std::lock_guard<std::mutex> lock(mu_);
        cancelled_ = true;
        changed_.notify_all();
      }
    }
  }

  // The download: a terabyte announced, 64 KiB at a time until the cancel.
  void Stream() {
    v1::ServerMessage begin;
    begin.mutable_download_begin()->set_size(uint64_t{1} << 40);
    Write(LyingServer::Encode(begin));
    const std::string data(64 * 1024, 's');
    const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
    const std::string chunk =
        std::string(reinterpret_cast<const char*>(header.bytes.data()), header.size) + data;
    while (!stop_) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cancelled_) return;
      }
      if (!Write(chunk)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  bool Write(const std::string& bytes) {
    const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size());
    return stream_->Write(span, {}).ok();
  }

  std::unique_ptr<Listener> listener_;
  std::unique_ptr<SocketStream> stream_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable changed_;
  bool cancelled_ = false;
  std::thread thread_;
  std::thread writer_;
};

class ModesE2e : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "hello"));
    std::filesystem::create_directory(config_home_);
  }

  // Runs `ferry ARGS...` in local_ with `input` on stdin. The environment
  // points away from the user's own settings.
  ProcessResult Ferry(const std::vector<std::string>& args, std::string_view input = "",
                      Environment env = {}) {
    auto binary = FerryBinary();
    if (!binary.ok()) return ProcessResult{-1, false, "", binary.status().ToString()};
    std::vector<std::string> argv = {*binary};
    argv.insert(argv.end(), args.begin(), args.end());
    env.try_emplace("XDG_CONFIG_HOME", config_home_.string());
    for (const char* name :
         {"FERRY_CONFIG", "FERRY_SERVER", "FERRY_TOKEN_FILE", "FERRY_TOKEN", "FERRY_TLS",
          "FERRY_TLS_CA", "FERRY_TLS_PIN", "FERRY_TLS_CERT", "FERRY_TLS_KEY"}) {
      env.try_emplace(name, "");
    }
    return RunProcess(ProcessOptions{argv, local_, env}, input, kGuard);
  }

  std::string WriteBatch(const std::string& name, const std::string& text) {
    const std::filesystem::path path = top_.Path(name);
    EXPECT_THAT(WriteFile(path, text), IsOk());
    return path.string();
  }

  std::string WritePrivate(const std::string& name, const std::string& text) {
    const std::filesystem::path path = top_.Path(name);
    EXPECT_THAT(WriteFile(path, text), IsOk());
    std::filesystem::permissions(path, std::filesystem::perms(0600));
    return path.string();
  }

  // `command` (words without spaces) against `server` in each mode: one-shot,
  // piped after connme, batch after connme, batch given HOST. Each must exit
  // with `expected`.
  void ExpectExitInEveryMode(const std::string& server, const std::vector<std::string>& command,
                             int expected, const std::vector<std::string>& flags = {},
                             const Environment& env = {}) {
    std::string line;
    for (const std::string& word : command) line += (line.empty() ? "" : " ") + word;
    std::vector<std::string> one_shot = flags;
    one_shot.push_back(server);
    one_shot.insert(one_shot.end(), command.begin(), command.end());
    const ProcessResult direct = Ferry(one_shot, "", env);
    EXPECT_EQ(direct.exit_code, expected) << "one-shot " << line << "\n" << direct;

    const ProcessResult piped = Ferry(flags, "connme " + server + "\n" + line + "\nbyebye\n", env);
    EXPECT_EQ(piped.exit_code, expected) << "piped " << line << "\n" << piped;

    std::vector<std::string> batch_flags = flags;
    batch_flags.insert(batch_flags.end(),
                       {"-b", WriteBatch("each.batch", "connme " + server + "\n" + line + "\n")});
    const ProcessResult batch = Ferry(batch_flags, "", env);
    EXPECT_EQ(batch.exit_code, expected) << "batch " << line << "\n" << batch;

    std::vector<std::string> with_host = flags;
    with_host.insert(with_host.end(), {"-b", WriteBatch("host.batch", line + "\n"), server});
    const ProcessResult hosted = Ferry(with_host, "", env);
    EXPECT_EQ(hosted.exit_code, expected) << "batch with HOST " << line << "\n" << hosted;
  }

  const std::filesystem::path config_home_ = top_.Path("xdg");
};

// ---------------------------------------------------------------------------
// One-shot mode

TEST_F(ModesE2e, OneShotRunsOneCommandAndPrintsOnlyItsResult) {
  const ProcessResult run = Ferry({server_.address(), "size", "a.txt"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "5\n") << run;  // no "connected to", no "bye"
  EXPECT_THAT(run.err, IsEmpty()) << run;
  // The server saw a whole session: hello, the request, bye.
  EXPECT_TRUE(server_.WaitForLog("cmd=bye", kGuard)) << server_.Log();
}

TEST_F(ModesE2e, OneShotPassesFlagsAndWordsThroughUnsplit) {
  FERRY_ASSERT_OK(WriteFile(local_ / "my file.txt", "spaces"));
  // One argv word with a space in it is one name: ferry does not split it again.
  const ProcessResult up = Ferry({server_.address(), "upload", "my file.txt", "remote name.txt"});
  EXPECT_EQ(up.exit_code, 0) << up;
  EXPECT_THAT(ReadFile(root_ / "remote name.txt"), IsOkAndHolds(std::string("spaces")));
  // The command's own flags are the command's, not ferry's.
  const ProcessResult forced = Ferry({server_.address(), "upload", "-f", "my file.txt", "a.txt"});
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_THAT(ReadFile(root_ / "a.txt"), IsOkAndHolds(std::string("spaces")));
  const ProcessResult listed = Ferry({"-q", server_.address(), "ls", "-l"});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_THAT(listed.out, HasSubstr("remote name.txt")) << listed;
  EXPECT_THAT(listed.out, HasSubstr("-rw")) << listed;
}

// With --json, one-shot output is the command's objects alone (no connme, no
// byebye object), and argv words expand as wildcards on the client (R-CWD-5):
// the user's shell already had its chance to quote them.
TEST_F(ModesE2e, OneShotJsonIsTheCommandAloneAndArgvWordsExpand) {
  FERRY_ASSERT_OK(WriteFile(root_ / "x.tmp", "1"));
  FERRY_ASSERT_OK(WriteFile(root_ / "y.tmp", "22"));
  const ProcessResult run = Ferry({"--json", server_.address(), "rm", "*.tmp"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty()) << run;
  EXPECT_EQ(run.out,
            "{\"command\":\"rm\",\"ok\":true,\"path\":\"x.tmp\"}\n"
            "{\"command\":\"rm\",\"ok\":true,\"path\":\"y.tmp\"}\n")
      << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "x.tmp"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "y.tmp"));
  EXPECT_TRUE(std::filesystem::exists(root_ / "a.txt"));
  // A failure is one error object and the class's exit status.
  const ProcessResult missing = Ferry({"--json", server_.address(), "size", "nope"});
  EXPECT_EQ(missing.exit_code, 5) << missing;
  EXPECT_THAT(missing.out, StartsWith("{\"command\":\"size\",\"ok\":false,\"error\":{")) << missing;
  EXPECT_EQ(std::count(missing.out.begin(), missing.out.end(), '\n'), 1) << missing;
}

TEST_F(ModesE2e, HelpNeedsNoServer) {
  const ProcessResult run = Ferry({"help", "size"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("size PATH")) << run;
  EXPECT_EQ(Ferry({"help", "frobnicate"}).exit_code, kUsage);
}

TEST_F(ModesE2e, HostWithoutACommandReadsCommandsConnectedToIt) {
  const ProcessResult run = Ferry({server_.address()}, "size a.txt\nsize missing\nsize a.txt\n");
  EXPECT_EQ(run.exit_code, kNotFound) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre("5", "5")) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: NOT_FOUND: "))) << run;
}

// ---------------------------------------------------------------------------
// Exit codes, each class produced for real, in every mode

TEST_F(ModesE2e, UsageErrorsExitTwo) {
  ExpectExitInEveryMode(server_.address(), {"size"}, kUsage);
  ExpectExitInEveryMode(server_.address(), {"frobnicate", "a.txt"}, kUsage);
  // The command line itself.
  EXPECT_EQ(Ferry({"--no-such-flag"}).exit_code, kUsage);
  EXPECT_EQ(
      Ferry({"--tls-ca", top_.Path("absent.pem").string(), server_.address(), "ls"}).exit_code,
      kUsage);
  EXPECT_EQ(Ferry({"-b", top_.Path("absent.batch").string()}).exit_code, kUsage);
  EXPECT_EQ(Ferry({"-b", local_.string()}).exit_code, kUsage);  // a directory
  EXPECT_EQ(Ferry({"-b", WriteBatch("x.batch", "ls\n"), server_.address(), "ls"}).exit_code,
            kUsage);
  // Unusable TLS settings, from flags or the environment.
  EXPECT_EQ(Ferry({"--tls-pin", "nonsense", server_.address(), "ls"}).exit_code, kUsage);
  EXPECT_EQ(Ferry({server_.address(), "ls"}, "", {{"FERRY_TLS", "maybe"}}).exit_code, kUsage);
  const ProcessResult no_server = Ferry({"ls"});
  EXPECT_EQ(no_server.exit_code, kUsage) << no_server;
  EXPECT_THAT(no_server.err, HasSubstr("FERRY_SERVER")) << no_server;
  // A token file others can read is no secret: refused before connecting.
  const std::string open_token = WriteBatch("open.token", "0123456789abcdef0123\n");
  std::filesystem::permissions(open_token, std::filesystem::perms(0644));
  EXPECT_EQ(Ferry({"--token-file", open_token, server_.address(), "ls"}).exit_code, kUsage);
}

TEST_F(ModesE2e, NothingListeningExitsThree) {
  const RefusingPort refusing;
  ExpectExitInEveryMode(refusing.address(), {"ls"}, kConnection);
  const ProcessResult run = Ferry({refusing.address(), "ls"});
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: UNAVAILABLE: cannot connect"))) << run;
  // `ferry HOST` with piped commands: a failed connect ends the run at once
  // instead of failing every line.
  const ProcessResult piped = Ferry({refusing.address()}, "size a.txt\nls\n");
  EXPECT_EQ(piped.exit_code, kConnection) << piped;
  EXPECT_THAT(Lines(piped.err), ElementsAre(StartsWith("error: UNAVAILABLE: cannot connect")))
      << piped;
}

TEST_F(ModesE2e, MissingOrWrongTokenExitsFour) {
  const std::string token = WritePrivate("server.token", "the right token, long enough\n");
  const std::string wrong = WritePrivate("wrong.token", "a wrong token, also long enough\n");
  ServerProcess guarded;
  FERRY_ASSERT_OK(guarded.Start(root_, {"--token-file", token}));
  ExpectExitInEveryMode(guarded.address(), {"ls"}, kAuthentication);
  ExpectExitInEveryMode(guarded.address(), {"ls"}, kAuthentication, {"--token-file", wrong});
  ExpectExitInEveryMode(guarded.address(), {"size", "a.txt"}, 0, {"--token-file", token});
}

TEST_F(ModesE2e, MissingFileExitsFive) {
  ExpectExitInEveryMode(server_.address(), {"size", "missing.txt"}, kNotFound);
  ExpectExitInEveryMode(server_.address(), {"download", "missing.txt"}, kNotFound);
}

TEST_F(ModesE2e, ReadOnlyServerExitsSix) {
  ServerProcess read_only;
  FERRY_ASSERT_OK(read_only.Start(root_, {"--read-only"}));
  ExpectExitInEveryMode(read_only.address(), {"rm", "a.txt"}, kPermission);
  EXPECT_THAT(ReadFile(root_ / "a.txt"), IsOkAndHolds(std::string("hello")));
}

TEST_F(ModesE2e, UploadOntoAnExistingNameExitsSeven) {
  FERRY_ASSERT_OK(WriteFile(local_ / "a.txt", "mine"));
  ExpectExitInEveryMode(server_.address(), {"upload", "a.txt"}, kConflict);
  EXPECT_THAT(ReadFile(root_ / "a.txt"), IsOkAndHolds(std::string("hello")));
}

TEST_F(ModesE2e, ServerOutOfSpaceExitsEight) {
  ServerProcess limited;
  {
    FileSizeLimit limit(100'000);
    FERRY_ASSERT_OK(limited.Start(root_));
  }
  FERRY_ASSERT_OK(WriteFile(local_ / "big.bin", std::string(300'000, 'b')));
  ExpectExitInEveryMode(limited.address(), {"upload", "big.bin"}, kSpace);
  EXPECT_FALSE(std::filesystem::exists(root_ / "big.bin"));
}

TEST_F(ModesE2e, DownloadWithAWrongDigestExitsNine) {
  std::string digest = LyingServer::DigestOfText("0123456789");
  digest[0] = static_cast<char>(digest[0] ^ 1);
  LyingServer liar(LyingServer::Download("0123456789", digest));
  ExpectExitInEveryMode(liar.address(), {"download", "x.bin"}, kIntegrity);
  EXPECT_FALSE(std::filesystem::exists(local_ / "x.bin"));
}

TEST_F(ModesE2e, GarbageFromTheServerExitsTen) {
  LyingServer liar("");
  ExpectExitInEveryMode(liar.address(), {"size", "x.bin"}, kProtocol);
}

// ---------------------------------------------------------------------------
// Ctrl-C outside the interactive shell

class InterruptE2e : public ModesE2e {
 protected:
  void SetUp() override {
    ModesE2e::SetUp();
    // 4 GiB of holes: nothing on the server's disk, far more than one moment's
    // transfer, so the signal lands mid-way.
    { std::ofstream huge(root_ / "huge.bin", std::ios::binary); }
    std::filesystem::resize_file(root_ / "huge.bin", 4ull << 30);
  }

  // Starts ferry with `args` and `input`, waits for the download to be under
  // way, sends SIGINT and returns how ferry ended.
  ProcessResult InterruptDownload(const std::vector<std::string>& args, const std::string& input) {
    auto binary = FerryBinary();
    if (!binary.ok()) return ProcessResult{-1, false, "", binary.status().ToString()};
    std::vector<std::string> argv = {*binary};
    argv.insert(argv.end(), args.begin(), args.end());
    auto client = Subprocess::Start(
        ProcessOptions{argv, local_, {{"XDG_CONFIG_HOME", config_home_.string()}}});
    if (!client.ok()) return ProcessResult{-1, false, "", client.status().ToString()};
    (*client)->WriteStdin(input);
    (*client)->CloseStdin();
    // The input is written only while pumped.
    EXPECT_TRUE((*client)->FinishInput(kGuard));
    if (WaitForNonEmptyPartFile(local_, kGuard).empty()) {
      ADD_FAILURE() << "no download started";
      return (*client)->Wait(kGuard);
    }
    EXPECT_THAT((*client)->Signal(SIGINT), IsOk());
    return (*client)->Wait(kGuard);
  }

  // The server was told, nothing is under the final name, and it goes on serving.
  void ExpectCancelledCleanly() {
    EXPECT_TRUE(server_.WaitForLog("result=CANCELLED", kGuard)) << server_.Log();
    EXPECT_FALSE(std::filesystem::exists(local_ / "huge.bin"));
    for (const auto& entry : std::filesystem::directory_iterator(local_)) {
      EXPECT_THAT(entry.path().filename().string(), HasSubstr(".ferry-part.")) << entry.path();
    }
    const ProcessResult next = Ferry({server_.address(), "size", "huge.bin"});
    EXPECT_EQ(next.exit_code, 0) << next;
    EXPECT_EQ(next.out, "4294967296\n") << next;
  }
};

TEST_F(InterruptE2e, OneShotDownloadCancelsAndExits130) {
  const ProcessResult run = InterruptDownload({server_.address(), "download", "huge.bin"}, "");
  EXPECT_EQ(run.exit_code, kInterrupted) << run;
  EXPECT_THAT(run.err, HasSubstr("error: CANCELLED: interrupted: huge.bin")) << run;
  ExpectCancelledCleanly();
}

TEST_F(InterruptE2e, PipedDownloadCancelsAndTheRestOfTheInputIsNotRun) {
  const ProcessResult run =
      InterruptDownload({}, ConnectLine() + "download huge.bin\nupload never.txt\nbyebye\n");
  EXPECT_EQ(run.exit_code, kInterrupted) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre("error: CANCELLED: interrupted: huge.bin")) << run;
  ExpectCancelledCleanly();
}

TEST_F(InterruptE2e, BatchDownloadCancelsAndExits130) {
  const ProcessResult run = InterruptDownload(
      {"-b", WriteBatch("big.batch", "download huge.bin\nls\n"), server_.address()}, "");
  EXPECT_EQ(run.exit_code, kInterrupted) << run;
  EXPECT_THAT(run.out, IsEmpty()) << run;  // the ls after it never ran
  ExpectCancelledCleanly();
}

// The second Ctrl-C does not wait for the server to acknowledge the first:
// against a server that never answers the cancel, ferry still exits 130 long
// before its 60 s I/O timeout (the 40 s here is a hang guard; the exit follows
// the signal at once).
TEST_F(ModesE2e, SecondCtrlCExitsAtOnce) {
  StallingServer staller;
  auto binary = FerryBinary();
  ASSERT_THAT(binary, IsOk());
  auto client =
      Subprocess::Start(ProcessOptions{{*binary, staller.address(), "download", "endless.bin"},
                                       local_,
                                       {{"XDG_CONFIG_HOME", config_home_.string()}}});
  ASSERT_THAT(client, IsOk());
  ASSERT_FALSE(WaitForNonEmptyPartFile(local_, kGuard).empty()) << (*client)->Wait(kGuard);
  FERRY_ASSERT_OK((*client)->Signal(SIGINT));
  ASSERT_TRUE(staller.WaitForCancel()) << "the first Ctrl-C did not cancel";
  FERRY_ASSERT_OK((*client)->Signal(SIGINT));
  const ProcessResult run = (*client)->Wait(seconds(40));
  EXPECT_FALSE(run.timed_out) << run;
  EXPECT_EQ(run.exit_code, kInterrupted) << run;
  EXPECT_FALSE(std::filesystem::exists(local_ / "endless.bin"));
}

TEST_F(ModesE2e, CtrlCWhileWaitingForInputExits130) {
  auto binary = FerryBinary();
  ASSERT_THAT(binary, IsOk());
  auto client = Subprocess::Start(ProcessOptions{
      {*binary, server_.address()}, local_, {{"XDG_CONFIG_HOME", config_home_.string()}}});
  ASSERT_THAT(client, IsOk());
  // Connected (the handler is installed before connecting), then waiting for
  // a line that never comes.
  (*client)->WriteStdin("size a.txt\n");
  ASSERT_TRUE((*client)->FinishInput(kGuard));
  ASSERT_TRUE(server_.WaitForLog("cmd=stat", kGuard)) << server_.Log();
  FERRY_ASSERT_OK((*client)->Signal(SIGINT));
  const ProcessResult run = (*client)->Wait(kGuard);
  EXPECT_FALSE(run.timed_out) << run;
  EXPECT_EQ(run.exit_code, kInterrupted) << run;
  // Ended by ferry, not by the signal (which also makes 130): it said goodbye.
  EXPECT_TRUE(server_.WaitForLog("cmd=bye", kGuard)) << server_.Log();
}

// ---------------------------------------------------------------------------
// Batch mode

TEST_F(ModesE2e, BatchStopsAtTheFirstFailureWithItsClass) {
  const std::string batch = WriteBatch("stop.batch",
                                       "size a.txt\n"
                                       "size missing.txt\n"
                                       "rm a.txt\n");
  const ProcessResult run = Ferry({"-b", batch, server_.address()});
  EXPECT_EQ(run.exit_code, kNotFound) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre("5")) << run;
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: NOT_FOUND: "),
                          "ferry: " + batch + " line 2 failed; stopping: size missing.txt"))
      << run;
  EXPECT_TRUE(std::filesystem::exists(root_ / "a.txt"));  // rm never ran
}

TEST_F(ModesE2e, BatchIgnoresFailuresOnDashLinesAndSkipsCommentsAndBlanks) {
  const std::string batch = WriteBatch("dash.batch",
                                       "# a comment\n"
                                       "\n"
                                       "-size missing.txt\n"
                                       "  -rm missing.txt\n"
                                       "size a.txt\n"
                                       "-size a.txt\n");
  const ProcessResult run = Ferry({"-b", batch, server_.address()});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre("5", "5")) << run;
  // The ignored failures are still reported.
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: NOT_FOUND: "), StartsWith("error: NOT_FOUND: ")))
      << run;
}

TEST_F(ModesE2e, BatchFromStandardInputWithConnme) {
  const ProcessResult run = Ferry({"-b", "-"}, ConnectLine() + "size a.txt\nbyebye\nsize a.txt\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  // Lines are not echoed; connme and byebye say what they always say.
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(ModesE2e, PipedInputRunsEveryLineAndExitsWithTheFirstFailure) {
  ServerProcess read_only;
  FERRY_ASSERT_OK(read_only.Start(root_, {"--read-only"}));
  const ProcessResult run =
      Ferry({}, "connme " + read_only.address() + "\nrm a.txt\nsize missing\nsize a.txt\nbyebye\n");
  EXPECT_EQ(run.exit_code, kPermission) << run;
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "),
                                          StartsWith("error: NOT_FOUND: ")))
      << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(StartsWith("connected to"), "5", "bye")) << run;
}

// ---------------------------------------------------------------------------
// Settings from the environment and the configuration file

TEST_F(ModesE2e, FerryServerIsTheDefaultForOneShotBatchAndConnme) {
  const Environment env = {{"FERRY_SERVER", server_.address()}};
  const ProcessResult direct = Ferry({"size", "a.txt"}, "", env);
  EXPECT_EQ(direct.exit_code, 0) << direct;
  EXPECT_EQ(direct.out, "5\n") << direct;

  const ProcessResult batch = Ferry({"-b", WriteBatch("b", "size a.txt\n")}, "", env);
  EXPECT_EQ(batch.exit_code, 0) << batch;
  EXPECT_EQ(batch.out, "5\n") << batch;

  const ProcessResult piped = Ferry({}, "connme\nsize a.txt\n", env);
  EXPECT_EQ(piped.exit_code, 0) << piped;
  EXPECT_THAT(Lines(piped.out), ElementsAre(ConnectedLine(), "5")) << piped;
}

TEST_F(ModesE2e, ConfigFileHostSectionGivesAddressAndToken) {
  const std::string token = WritePrivate("server.token", "the right token, long enough\n");
  ServerProcess guarded;
  FERRY_ASSERT_OK(guarded.Start(root_, {"--token-file", token}));
  std::filesystem::create_directories(config_home_ / "ferry");
  FERRY_ASSERT_OK(WriteFile(config_home_ / "ferry/config",
                            "# the default location\n"
                            "[host vault]\n"
                            "address = " +
                                guarded.address() +
                                "\n"
                                "token-file = \"" +
                                token + "\"\n"));
  const ProcessResult run = Ferry({"vault", "size", "a.txt"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "5\n") << run;
  // The name also works as the default server.
  const ProcessResult by_env = Ferry({"size", "a.txt"}, "", {{"FERRY_SERVER", "vault"}});
  EXPECT_EQ(by_env.exit_code, 0) << by_env;
  // And after connme; the same server by its address is another host, which
  // does not get the section's token.
  const ProcessResult piped = Ferry({}, "connme vault\nsize a.txt\n");
  EXPECT_EQ(piped.exit_code, 0) << piped;
  EXPECT_THAT(Lines(piped.out), ElementsAre(StartsWith("connected to " + guarded.address()), "5"))
      << piped;
  const ProcessResult by_address = Ferry({guarded.address(), "size", "a.txt"});
  EXPECT_EQ(by_address.exit_code, kAuthentication) << by_address;
}

TEST_F(ModesE2e, FlagsBeatTheEnvironmentWhichBeatsTheConfigFile) {
  const std::string token = WritePrivate("server.token", "the right token, long enough\n");
  const std::string wrong = WritePrivate("wrong.token", "a wrong token, also long enough\n");
  ServerProcess guarded;
  FERRY_ASSERT_OK(guarded.Start(root_, {"--token-file", token}));
  const std::string wrong_config = WritePrivate(
      "wrong.config", "server = " + guarded.address() + "\ntoken-file = " + wrong + "\n");
  const std::string right_config = WritePrivate(
      "right.config", "server = " + guarded.address() + "\ntoken-file = " + token + "\n");
  // The file alone: its token.
  EXPECT_EQ(Ferry({"--config", right_config, "size", "a.txt"}).exit_code, 0);
  EXPECT_EQ(Ferry({"--config", wrong_config, "size", "a.txt"}).exit_code, kAuthentication);
  // The environment over the file ($FERRY_CONFIG names the file).
  EXPECT_EQ(
      Ferry({"size", "a.txt"}, "", {{"FERRY_CONFIG", wrong_config}, {"FERRY_TOKEN_FILE", token}})
          .exit_code,
      0);
  EXPECT_EQ(
      Ferry({"size", "a.txt"}, "", {{"FERRY_CONFIG", right_config}, {"FERRY_TOKEN_FILE", wrong}})
          .exit_code,
      kAuthentication);
  // The flag over the environment.
  EXPECT_EQ(Ferry({"--token-file", token, "size", "a.txt"}, "",
                  {{"FERRY_CONFIG", wrong_config}, {"FERRY_TOKEN_FILE", wrong}})
                .exit_code,
            0);
  // HOST on the command line over FERRY_SERVER over the file's server.
  const RefusingPort refusing;
  EXPECT_EQ(
      Ferry({"--config", right_config, "size", "a.txt"}, "", {{"FERRY_SERVER", refusing.address()}})
          .exit_code,
      kConnection);
  EXPECT_EQ(Ferry({"--config", right_config, guarded.address(), "size", "a.txt"}, "",
                  {{"FERRY_SERVER", refusing.address()}})
                .exit_code,
            0);
}

TEST_F(ModesE2e, BadConfigFilesAreUsageErrorsNamingFileAndLine) {
  const std::string bad = WritePrivate("bad.config", "server = x\ncolour = blue\n");
  const ProcessResult run = Ferry({"--config", bad, server_.address(), "ls"});
  EXPECT_EQ(run.exit_code, kUsage) << run;
  EXPECT_THAT(run.err, HasSubstr(bad + " line 2: unknown setting \"colour\"")) << run;

  const std::string writable = WritePrivate("open.config", "server = x\n");
  std::filesystem::permissions(writable, std::filesystem::perms(0666));
  const ProcessResult open = Ferry({server_.address(), "ls"}, "", {{"FERRY_CONFIG", writable}});
  EXPECT_EQ(open.exit_code, kUsage) << open;
  EXPECT_THAT(open.err, HasSubstr("may write it")) << open;

  const ProcessResult missing = Ferry({"--config", top_.Path("absent").string(), "-q"});
  EXPECT_EQ(missing.exit_code, kUsage) << missing;

  // A broken file in the default location is an error too, not silently skipped.
  std::filesystem::create_directories(config_home_ / "ferry");
  FERRY_ASSERT_OK(WriteFile(config_home_ / "ferry/config", "[host]\n"));
  EXPECT_EQ(Ferry({server_.address(), "ls"}).exit_code, kUsage);
}

}  // namespace
}  // namespace ferry
