// The client library against a real Session over a socket pair: transfers,
// verification, and cancellation that leaves the connection usable.
#include "src/client/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include "src/fs/in_memory_file_system.h"
#include "src/net/socket.h"
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

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this] {
      Session session(server_stream_.get(), &fs_, SessionOptions{});
      session.Run().IgnoreError();  // the test asserts through the client
    });
    ClientOptions options;
    options.max_frame_bytes = kFrameBytes;
    auto client = Client::Open(std::make_unique<SocketStream>(fds[1]), options);
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
  auto result = client_->Download("f.bin", [&](std::span<const uint8_t> data) {
    received.append(reinterpret_cast<const char*>(data.data()), data.size());
    return Status::Ok();
  });
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(received, content);
  EXPECT_EQ(result->digest,
            DigestOf({reinterpret_cast<const uint8_t*>(content.data()), content.size()}));
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
  auto result = client_->Download(
      "f.bin", [](std::span<const uint8_t>) { return Status::Ok(); }, options);
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
  auto result = client_->Upload("up.bin", content.size(), [&](std::span<uint8_t> out) {
    const size_t n = std::min(out.size(), content.size() - offset);
    std::copy_n(content.data() + offset, n, reinterpret_cast<char*>(out.data()));
    offset += n;
    return StatusOr<size_t>(n);
  });
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
  auto result = client_->Upload(
      "up.bin", content.size(),
      [&](std::span<uint8_t> out) {
        const size_t n = std::min(out.size(), content.size() - offset);
        std::copy_n(content.data() + offset, n, reinterpret_cast<char*>(out.data()));
        offset += n;
        return StatusOr<size_t>(n);
      },
      options);
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

}  // namespace
}  // namespace ferry
