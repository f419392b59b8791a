// The client library against a real Session over a socket pair: transfers,
// verification, and cancellation that leaves the connection usable.
#include "src/client/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include "src/codec/limits.h"
#include "src/fs/in_memory_file_system.h"
#include "src/net/socket.h"
#include "src/server/kept_uploads.h"
#include "src/server/session.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

// Three and a half chunks at the smallest frame limit, so a transfer spans
// several frames and can be cancelled between them.
constexpr uint32_t kFrameBytes = limits::kMinFrameBytes;
constexpr size_t kFileBytes = (kFrameBytes - limits::kChunkOverheadBytes) * 7 / 2;

std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 131 + 7);
  return out;
}

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A download sink that appends what arrives to `*received`.
Client::Sink AppendTo(std::string* received) {
  return [received](std::span<const uint8_t> data) {
    received->append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  };
}

// A download sink that drops what arrives.
Client::Sink Discard() {
  return [](std::span<const uint8_t>) { return Status::Ok(); };
}

// An upload source that hands out `content` from `*offset` on, advancing it.
Client::Source SourceOf(const std::string& content, size_t* offset) {
  return [&content, offset](std::span<uint8_t> out) {
    const size_t n = std::min(out.size(), content.size() - *offset);
    std::copy_n(content.data() + *offset, n, reinterpret_cast<char*>(out.data()));
    *offset += n;
    return StatusOr<size_t>(n);
  };
}

// A client over `stream` that asks for the smallest frames, so that transfers
// span several chunks.
StatusOr<std::unique_ptr<Client>> OpenClient(std::unique_ptr<SocketStream> stream) {
  ClientOptions options;
  options.max_frame_bytes = kFrameBytes;
  return Client::Open(std::move(stream), options);
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this] {
      // A keep-alive before every read of a hash (R-HASH-4), so that hashes
      // here exercise the client's handling of them.
      SessionOptions options;
      options.hash_progress_interval = std::chrono::milliseconds(0);
      Session session(server_stream_.get(), &fs_, options);
      session.Run().IgnoreError();  // the test asserts through the client
    });
    auto client = OpenClient(std::make_unique<SocketStream>(fds[1]));
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }

  void TearDown() override {
    client_.reset();  // closes the client's end; the session sees the client leave
    server_.join();
  }

  static Path P(std::string_view text) { return *Path::Parse(text); }

  InMemoryFileSystem fs_;
  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, DownloadDeliversTheBytesAndTheirDigest) {
  const std::string content = Pattern(kFileBytes);
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), content));
  std::string received;
  auto result = client_->Download("f.bin", AppendTo(&received));
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(received, content);
  EXPECT_EQ(result->digest, DigestOf(Bytes(content)));
}

// R-MKDIR-1, R-MKDIR-2: the reply, or the server's error as a Status, and the
// connection stays usable either way.
TEST_F(ClientTest, MakeDirectoryCreatesOrReportsTheServerError) {
  FERRY_ASSERT_OK(client_->MakeDirectory("d"));
  EXPECT_EQ(fs_.Stat(P("d"))->type, FileType::kDirectory);
  EXPECT_THAT(client_->MakeDirectory("d"), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(client_->MakeDirectory("missing/d"), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(client_->connected());
  FERRY_EXPECT_OK(client_->MakeDirectory("d/e"));
}

// R-RMDIR-1, R-RMDIR-2
TEST_F(ClientTest, RemoveDirectoryRemovesOrReportsTheServerError) {
  FERRY_ASSERT_OK(fs_.AddDirectory(P("empty")));
  FERRY_ASSERT_OK(fs_.AddFile(P("full/f"), "x"));
  FERRY_ASSERT_OK(client_->RemoveDirectory("empty"));
  EXPECT_THAT(fs_.Stat(P("empty")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(client_->RemoveDirectory("full"), StatusIs(StatusCode::kDirectoryNotEmpty));
  EXPECT_TRUE(client_->connected());
  EXPECT_THAT(client_->Stat("full/f"), IsOk());
}

// R-RENAME-1, R-RENAME-2, R-RENAME-3
TEST_F(ClientTest, RenameMovesOrReportsTheServerError) {
  FERRY_ASSERT_OK(fs_.AddFile(P("a"), "a"));
  FERRY_ASSERT_OK(fs_.AddFile(P("b"), "b"));
  FERRY_ASSERT_OK(fs_.AddDirectory(P("d")));
  EXPECT_THAT(client_->Rename("a", "b", false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(client_->Rename("d", "d/x", false), StatusIs(StatusCode::kInvalidPath));
  EXPECT_TRUE(client_->connected());
  FERRY_ASSERT_OK(client_->Rename("a", "d/a", false));
  FERRY_ASSERT_OK(client_->Rename("d/a", "b", true));
  EXPECT_EQ(fs_.ReadFileForTest(P("b")).value(), "a");
  EXPECT_THAT(fs_.Stat(P("d/a")), StatusIs(StatusCode::kNotFound));
}

// R-HASH-1, R-HASH-4: the server's digest equals the download's; keep-alives
// reach the progress callback in order.
TEST_F(ClientTest, HashIsTheDownloadDigestAndReportsProgress) {
  const std::string content = Pattern(kFileBytes);
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), content));
  std::vector<uint64_t> progress;
  TransferOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, kFileBytes);
    progress.push_back(done);
  };
  auto hash = client_->Hash("f.bin", 0, 0, options);
  ASSERT_THAT(hash, IsOk());
  EXPECT_EQ(hash->algorithm, "xxh3-128");
  EXPECT_EQ(hash->digest, DigestOf(Bytes(content)));
  EXPECT_EQ(hash->size, kFileBytes);
  EXPECT_EQ(hash->length, kFileBytes);
  EXPECT_THAT(progress, ::testing::SizeIs(4));  // 3.5 chunks: four reads
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  auto download = client_->Download("f.bin", Discard());
  ASSERT_THAT(download, IsOk());
  EXPECT_EQ(download->digest, hash->digest);
  auto range = client_->Hash("f.bin", 10, 100);
  ASSERT_THAT(range, IsOk());
  EXPECT_EQ(range->digest, DigestOf(Bytes(std::string_view(content).substr(10, 100))));
  EXPECT_EQ(range->offset, 10u);
  EXPECT_THAT(client_->Hash("f.bin", kFileBytes + 1), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(client_->Hash("missing"), StatusIs(StatusCode::kNotFound));
  EXPECT_TRUE(client_->connected());
}

TEST_F(ClientTest, CancelledDownloadIsCancelledAndTheConnectionStaysInStep) {
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), Pattern(kFileBytes)));
  std::atomic<bool> cancel{false};
  TransferOptions options;
  options.cancel = &cancel;
  // Cancel once the first chunk has arrived (R-CANCEL-2, R-CANCEL-3).
  options.progress = [&](uint64_t done, uint64_t) {
    if (done > 0) cancel = true;
  };
  auto result = client_->Download("f.bin", Discard(), options);
  EXPECT_THAT(result, StatusIs(StatusCode::kCancelled));
  ASSERT_TRUE(client_->connected());
  EXPECT_THAT(client_->Stat("f.bin"), IsOk());
}

TEST_F(ClientTest, FailingSinkStopsTheDownloadAndKeepsTheConnection) {
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), Pattern(kFileBytes)));
  auto result = client_->Download("f.bin", [](std::span<const uint8_t>) {
    return Status::Error(StatusCode::kNoSpace, "local disk full");
  });
  EXPECT_THAT(result, StatusIs(StatusCode::kNoSpace));
  ASSERT_TRUE(client_->connected());
  EXPECT_THAT(client_->Stat("f.bin"), IsOk());
}

TEST_F(ClientTest, UploadCommitsExactlyTheSourceBytes) {
  const std::string content = Pattern(kFileBytes);
  size_t offset = 0;
  auto result = client_->Upload("up.bin", content.size(), SourceOf(content, &offset));
  ASSERT_THAT(result, IsOk());
  EXPECT_THAT(fs_.ReadFileForTest(P("up.bin")), IsOkAndHolds(content));
}

TEST_F(ClientTest, CancelledUploadCommitsNothingAndTheConnectionStaysInStep) {
  const std::string content = Pattern(kFileBytes);
  std::atomic<bool> cancel{false};
  TransferOptions options;
  options.cancel = &cancel;
  options.progress = [&](uint64_t done, uint64_t) {
    if (done > 0) cancel = true;
  };
  size_t offset = 0;
  auto result = client_->Upload("up.bin", content.size(), SourceOf(content, &offset), options);
  EXPECT_THAT(result, StatusIs(StatusCode::kCancelled));
  ASSERT_TRUE(client_->connected());
  EXPECT_THAT(client_->Stat("up.bin"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

TEST_F(ClientTest, RefusedUploadReportsTheServerErrorAndTheConnectionStaysInStep) {
  FERRY_ASSERT_OK(fs_.AddFile(P("taken.bin"), "old"));
  auto result = client_->Upload("taken.bin", 3, [](std::span<uint8_t> out) {
    std::copy_n("new", 3, reinterpret_cast<char*>(out.data()));
    return StatusOr<size_t>(3);
  });
  EXPECT_THAT(result, StatusIs(StatusCode::kAlreadyExists));
  ASSERT_TRUE(client_->connected());
  EXPECT_THAT(fs_.ReadFileForTest(P("taken.bin")), IsOkAndHolds("old"));
  EXPECT_THAT(client_->Stat("taken.bin"), IsOk());
}

// --- resume (spec 7.8) ------------------------------------------------------------

// What a client resuming a download holds: the digest of the `kept` bytes, the
// resume request for the rest of a file of `size` bytes last modified at
// `mtime_unix_ns`, and transfer options carrying it. They point at each other,
// so this stays where it was made.
struct KeptDownload {
  KeptDownload(std::string_view kept, uint64_t size, int64_t mtime_unix_ns)
      : resume{kept.size(), size, mtime_unix_ns, &prefix} {
    prefix.Update(Bytes(kept));
    options.resume = &resume;
  }
  KeptDownload(const KeptDownload&) = delete;
  KeptDownload& operator=(const KeptDownload&) = delete;

  StreamingDigest prefix;
  DownloadResume resume;
  TransferOptions options;
};

// R-RESUME-1, R-RESUME-3: only the bytes after the kept prefix arrive, and the
// result is verified against the whole file's digest.
TEST_F(ClientTest, ResumedDownloadReceivesOnlyTheRestAndVerifiesTheWholeFile) {
  const std::string content = Pattern(kFileBytes);
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), content));
  auto info = fs_.Stat(P("f.bin"));
  ASSERT_THAT(info, IsOk());
  const uint64_t kept = kFileBytes / 3;
  KeptDownload download(std::string_view(content).substr(0, kept), info->size, info->mtime_unix_ns);
  TransferOptions& options = download.options;
  DownloadStart announced;
  options.on_begin = [&](const DownloadStart& start) {
    announced = start;
    return Status::Ok();
  };
  std::string received;
  auto result = client_->Download("f.bin", AppendTo(&received), options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(announced.offset, kept);
  EXPECT_EQ(announced.size, content.size());
  EXPECT_EQ(result->resumed_from, kept);
  EXPECT_EQ(result->size, content.size());
  EXPECT_TRUE(received == content.substr(kept));
  EXPECT_EQ(result->digest, DigestOf(Bytes(content)));
}

// R-RESUME-3: a kept prefix that is not the file's start fails verification.
TEST_F(ClientTest, ResumeOntoAWrongPrefixIsAChecksumMismatch) {
  const std::string content = Pattern(kFileBytes);
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), content));
  auto info = fs_.Stat(P("f.bin"));
  ASSERT_THAT(info, IsOk());
  std::string wrong = content.substr(0, 1000);
  wrong[500] ^= 1;
  KeptDownload download(wrong, info->size, info->mtime_unix_ns);
  auto result = client_->Download("f.bin", Discard(), download.options);
  EXPECT_THAT(result, StatusIs(StatusCode::kChecksumMismatch));
  EXPECT_TRUE(client_->connected());
}

// R-RESUME-2: the file changed since the prefix was kept: SOURCE_CHANGED, no
// byte reaches the sink, and the connection stays in step.
TEST_F(ClientTest, ResumeOfAChangedFileIsSourceChanged) {
  FERRY_ASSERT_OK(fs_.AddFile(P("f.bin"), Pattern(kFileBytes)));
  auto info = fs_.Stat(P("f.bin"));
  ASSERT_THAT(info, IsOk());
  StreamingDigest prefix;
  const DownloadResume resume{10, info->size, info->mtime_unix_ns - 1, &prefix};
  TransferOptions options;
  options.resume = &resume;
  bool called = false;
  auto result = client_->Download(
      "f.bin",
      [&](std::span<const uint8_t>) {
        called = true;
        return Status::Ok();
      },
      options);
  EXPECT_THAT(result, StatusIs(StatusCode::kSourceChanged));
  EXPECT_FALSE(called);
  ASSERT_TRUE(client_->connected());
  EXPECT_THAT(client_->Stat("f.bin"), IsOk());
}

// Sessions sharing one file system and one registry of kept uploads, as the
// server's do, each over its own socket pair.
class ResumeClientTest : public ::testing::Test {
 protected:
  ~ResumeClientTest() override {
    for (auto& client : clients_) client.reset();
    for (std::thread& server : servers_) server.join();
  }

  // A new connection; `stream` (if given) gets the client's end, to break it.
  Client* Connect(SocketStream** stream = nullptr) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    auto server_stream = std::make_shared<SocketStream>(fds[0]);
    servers_.emplace_back([this, server_stream] {
      SessionOptions options;
      options.kept_uploads = &kept_;
      Session session(server_stream.get(), &fs_, options);
      session.Run().IgnoreError();
    });
    auto client_stream = std::make_unique<SocketStream>(fds[1]);
    if (stream != nullptr) *stream = client_stream.get();
    auto client = OpenClient(std::move(client_stream));
    EXPECT_THAT(client, IsOk());
    clients_.push_back(client.ok() ? std::move(*client) : nullptr);
    return clients_.back().get();
  }

  // Uploads `content` to "up.bin" resumably on a new connection that breaks
  // half-way, and waits for the server to keep the upload. Returns the resume
  // id on_ready reported.
  std::string UploadHalfThenBreak(const std::string& content) {
    SocketStream* stream = nullptr;
    Client* client = Connect(&stream);
    if (client == nullptr) return "";
    std::string id;
    TransferOptions options;
    options.resumable = true;
    options.on_ready = [&](std::string_view given, uint64_t offset) {
      id = std::string(given);
      EXPECT_EQ(offset, 0u);
      return Status::Ok();
    };
    size_t offset = 0;
    const Client::Source source = SourceOf(content, &offset);
    auto broken = client->Upload(
        "up.bin", content.size(),
        [&](std::span<uint8_t> out) {
          if (offset >= content.size() / 2) stream->Shutdown();  // the connection breaks
          return source(out);
        },
        options);
    EXPECT_FALSE(broken.ok());
    EXPECT_FALSE(client->connected());
    // The session files the upload when it sees the connection end.
    for (int i = 0; i < 10000 && kept_.size() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return id;
  }

  InMemoryFileSystem fs_;
  KeptUploads kept_;
  std::vector<std::thread> servers_;
  std::vector<std::unique_ptr<Client>> clients_;
};

// R-RESUME-6, R-RESUME-7: an upload whose connection breaks is continued on a
// new connection with the id on_ready reported: the client reads the kept
// prefix from its source without sending it, and the file commits whole.
TEST_F(ResumeClientTest, BrokenUploadIsContinuedOnANewConnection) {
  const std::string content = Pattern(kFileBytes);
  const std::string id = UploadHalfThenBreak(content);
  ASSERT_EQ(id.size(), 16u);
  ASSERT_EQ(kept_.size(), 1u);

  Client* second = Connect();
  ASSERT_NE(second, nullptr);
  uint64_t resumed_at = 0;
  TransferOptions options;
  options.resumable = true;
  options.resume_id = id;
  options.on_ready = [&](std::string_view, uint64_t at) {
    resumed_at = at;
    return Status::Ok();
  };
  size_t offset = 0;
  const Client::Source source = SourceOf(content, &offset);
  uint64_t first_progress = UINT64_MAX;
  options.progress = [&](uint64_t done, uint64_t) {
    first_progress = std::min(first_progress, done);
  };
  auto result = second->Upload("up.bin", content.size(), source, options);
  ASSERT_THAT(result, IsOk());
  EXPECT_GT(resumed_at, 0u);
  EXPECT_EQ(result->resumed_from, resumed_at);
  EXPECT_EQ(first_progress, resumed_at);
  EXPECT_EQ(result->digest, DigestOf(Bytes(content)));
  EXPECT_THAT(fs_.ReadFileForTest(*Path::Parse("up.bin")), IsOkAndHolds(content));
  EXPECT_EQ(fs_.PendingUploadsForTest(), 0u);
}

// R-RESUME-7: a source that changed so that the kept prefix is no longer its
// start fails with CHECKSUM_MISMATCH; nothing is committed.
TEST_F(ResumeClientTest, ChangedSourceUnderAKeptPrefixIsAChecksumMismatch) {
  const std::string content = Pattern(kFileBytes);
  const std::string id = UploadHalfThenBreak(content);
  ASSERT_EQ(kept_.size(), 1u);
  std::string changed = content;
  changed[10] ^= 1;  // inside the kept prefix
  size_t changed_offset = 0;
  TransferOptions options;
  options.resumable = true;
  options.resume_id = id;
  Client* second = Connect();
  ASSERT_NE(second, nullptr);
  EXPECT_THAT(second->Upload("up.bin", changed.size(), SourceOf(changed, &changed_offset), options),
              StatusIs(StatusCode::kChecksumMismatch));
  EXPECT_TRUE(second->connected());
  EXPECT_THAT(second->Stat("up.bin"), StatusIs(StatusCode::kNotFound));
}

// A hand-written server for the replies a real Session never gives: it
// completes the handshake, reads one DownloadRequest and answers `content`
// (modified at `mtime_unix_ns`) from `offset` on with the whole file's digest.
class ScriptedServerTest : public ::testing::Test {
 protected:
  void Serve(std::string content, int64_t mtime_unix_ns, uint64_t offset) {
    v1::DownloadBegin begin;
    begin.set_size(content.size());
    begin.set_mtime_unix_ns(mtime_unix_ns);
    begin.set_offset(offset);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this, begin, content] {
      FrameReader reader(server_stream_.get(), limits::kMaxFrameBytesCeiling);
      FrameWriter writer(server_stream_.get());
      DecodedFrame<v1::ClientMessage> frame;
      if (!reader.ReadFrame().ok()) return;  // Hello
      v1::ServerMessage reply;
      v1::Welcome* welcome = reply.mutable_welcome();
      welcome->set_version(1);
      welcome->set_max_frame_bytes(kFrameBytes);
      welcome->set_max_chunk_bytes(kFrameBytes - limits::kChunkOverheadBytes);
      if (!writer.Write(reply).ok()) return;
      auto request = reader.ReadFrame();
      if (!request.ok() || !DecodeClientFrame(*request, &frame).ok()) return;
      requested_offset_ = frame.message.download().offset();
      *reply.mutable_download_begin() = begin;
      if (!writer.Write(reply).ok()) return;
      const std::string rest = content.substr(begin.offset());
      if (!rest.empty() && !writer.WriteChunk(Bytes(rest)).ok()) return;
      reply.mutable_download_end()->set_size(content.size());
      reply.mutable_download_end()->set_xxh3_128(DigestToBytes(DigestOf(Bytes(content))));
      writer.Write(reply).IgnoreError();
      while (reader.ReadFrame().ok()) {
      }
    });
    auto client = OpenClient(std::make_unique<SocketStream>(fds[1]));
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }

  void TearDown() override {
    client_.reset();
    if (server_.joinable()) server_.join();
  }

  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  std::unique_ptr<Client> client_;
  uint64_t requested_offset_ = 0;
};

// R-RESUME-4: a server that does not resume answers offset 0 with the whole
// file; the client is told to drop its prefix and verifies the file from 0.
TEST_F(ScriptedServerTest, ServerThatIgnoresTheOffsetSendsTheWholeFile) {
  const std::string content = "the whole file, sent from its first byte";
  Serve(content, /*mtime_unix_ns=*/5, /*offset=*/0);
  ASSERT_NE(client_, nullptr);
  KeptDownload download("the whole", content.size(), 5);
  TransferOptions& options = download.options;
  uint64_t announced_offset = 99;
  options.on_begin = [&](const DownloadStart& start) {
    announced_offset = start.offset;
    return Status::Ok();
  };
  std::string received;
  auto result = client_->Download("f", AppendTo(&received), options);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(requested_offset_, 9u);
  EXPECT_EQ(announced_offset, 0u);
  EXPECT_EQ(result->resumed_from, 0u);
  EXPECT_EQ(received, content);
}

// R-RESUME-4: a resume at an offset other than the one asked for is a
// protocol violation: the client closes the connection.
TEST_F(ScriptedServerTest, ResumeAtAnotherOffsetIsAViolation) {
  const std::string content = "0123456789abcdef";
  Serve(content, /*mtime_unix_ns=*/5, /*offset=*/4);
  ASSERT_NE(client_, nullptr);
  KeptDownload download("01234567", content.size(), 5);
  auto result = client_->Download("f", Discard(), download.options);
  EXPECT_THAT(result, StatusIs(StatusCode::kUnexpectedMessage));
  EXPECT_FALSE(client_->connected());
}

// R-RESUME-4: an offset the client did not ask for is a violation too.
TEST_F(ScriptedServerTest, UnaskedResumeIsAViolation) {
  const std::string content = "0123456789abcdef";
  Serve(content, /*mtime_unix_ns=*/0, /*offset=*/4);
  ASSERT_NE(client_, nullptr);
  auto result = client_->Download("f", Discard());
  EXPECT_THAT(result, StatusIs(StatusCode::kUnexpectedMessage));
  EXPECT_FALSE(client_->connected());
}

// A server that answers one HashRequest with `replies`; with `expect_cancel`
// it first waits for the client's Cancel.
class ScriptedHashServerTest : public ::testing::Test {
 protected:
  void Serve(std::vector<v1::ServerMessage> replies, bool expect_cancel = false) {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this, replies, expect_cancel] {
      FrameReader reader(server_stream_.get(), limits::kMaxFrameBytesCeiling);
      FrameWriter writer(server_stream_.get());
      DecodedFrame<v1::ClientMessage> frame;
      if (!reader.ReadFrame().ok()) return;  // Hello
      v1::ServerMessage welcome;
      welcome.mutable_welcome()->set_version(1);
      welcome.mutable_welcome()->set_max_frame_bytes(kFrameBytes);
      welcome.mutable_welcome()->set_max_chunk_bytes(kFrameBytes - limits::kChunkOverheadBytes);
      if (!writer.Write(welcome).ok()) return;
      auto request = reader.ReadFrame();
      if (!request.ok() || !DecodeClientFrame(*request, &frame).ok()) return;
      for (size_t i = 0; i < replies.size(); ++i) {
        if (expect_cancel && i + 1 == replies.size()) {
          auto cancel = reader.ReadFrame();
          got_cancel_ =
              cancel.ok() && DecodeClientFrame(*cancel, &frame).ok() && frame.message.has_cancel();
        }
        if (!writer.Write(replies[i]).ok()) return;
      }
      while (reader.ReadFrame().ok()) {
      }
    });
    auto client = OpenClient(std::make_unique<SocketStream>(fds[1]));
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }

  static v1::ServerMessage Reply(uint64_t size, uint64_t hashed, bool in_progress,
                                 std::string digest = {}) {
    v1::ServerMessage message;
    v1::HashReply* hash = message.mutable_hash();
    hash->set_algorithm("xxh3-128");
    hash->set_size(size);
    hash->set_hashed(hashed);
    hash->set_in_progress(in_progress);
    if (!in_progress) hash->set_length(hashed);
    hash->set_digest(std::move(digest));
    return message;
  }

  void TearDown() override {
    client_.reset();
    if (server_.joinable()) server_.join();
  }

  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  std::unique_ptr<Client> client_;
  bool got_cancel_ = false;
};

// R-HASH-3: a cancel during a hash sends Cancel and reads on to the terminal
// reply; the connection stays in step.
TEST_F(ScriptedHashServerTest, CancelIsSentAndTheTerminalReplyRead) {
  v1::ServerMessage cancelled;
  cancelled.mutable_error()->set_code(v1::CANCELLED);
  Serve({Reply(100, 10, true), Reply(100, 20, true), cancelled}, /*expect_cancel=*/true);
  ASSERT_NE(client_, nullptr);
  std::atomic<bool> cancel{false};
  TransferOptions options;
  options.cancel = &cancel;
  options.progress = [&](uint64_t, uint64_t) { cancel = true; };
  EXPECT_THAT(client_->Hash("f", 0, 0, options), StatusIs(StatusCode::kCancelled));
  EXPECT_TRUE(client_->connected());
  client_.reset();
  server_.join();
  EXPECT_TRUE(got_cancel_);
}

// R-HASH-4: replies that contradict the request or themselves are violations.
TEST_F(ScriptedHashServerTest, ImpossibleRepliesAreViolations) {
  const std::string digest = DigestToBytes(DigestOf(Bytes("x")));
  const std::vector<std::pair<std::string, std::vector<v1::ServerMessage>>> cases = {
      {"progress going backwards", {Reply(100, 50, true), Reply(100, 40, true)}},
      {"progress past the range", {Reply(100, 101, true)}},
      {"length short of the range", {Reply(100, 99, false, digest)}},
      {"digest of 15 bytes", {Reply(100, 100, false, digest.substr(1))}},
      {"another algorithm",
       [&] {
         v1::ServerMessage other = Reply(100, 100, false, digest);
         other.mutable_hash()->set_algorithm("sha256");
         return std::vector<v1::ServerMessage>{other};
       }()},
  };
  for (const auto& [name, replies] : cases) {
    SCOPED_TRACE(name);
    Serve(replies);
    ASSERT_NE(client_, nullptr);
    EXPECT_THAT(client_->Hash("f"), StatusIs(StatusCode::kUnexpectedMessage));
    EXPECT_FALSE(client_->connected());
    TearDown();
  }
}

}  // namespace
}  // namespace ferry
