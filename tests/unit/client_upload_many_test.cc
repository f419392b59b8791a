// Client::UploadMany against a real Session over a socket pair: pipelined
// uploads, each with its own result in order, the server committing them in
// groups (R-GROUP-1), a large file among small ones, and the connection usable
// afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/client/client.h"
#include "src/fs/in_memory_file_system.h"
#include "src/net/socket.h"
#include "src/server/session.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

// Records the size of every group the server commits.
class GroupRecordingFileSystem : public InMemoryFileSystem {
 public:
  void CommitUploads(std::span<PendingUpload* const> uploads, std::span<Status> results) override {
    largest_group = std::max(largest_group, uploads.size());
    InMemoryFileSystem::CommitUploads(uploads, results);
  }
  size_t largest_group = 0;
};

Client::Source SourceOf(const std::string& content) {
  return [&content, offset = size_t{0}](std::span<uint8_t> out) mutable {
    const size_t n = std::min(out.size(), content.size() - offset);
    std::copy_n(content.data() + offset, n, reinterpret_cast<char*>(out.data()));
    offset += n;
    return StatusOr<size_t>(n);
  };
}

class ClientUploadManyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server_stream_ = std::make_unique<SocketStream>(fds[0]);
    server_ = std::thread([this] {
      Session session(server_stream_.get(), &fs_, SessionOptions{});
      session.Run().IgnoreError();
    });
    auto client = Client::Open(std::make_unique<SocketStream>(fds[1]), ClientOptions{});
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }
  void TearDown() override {
    client_.reset();
    server_.join();
  }
  StatusOr<std::string> Read(std::string_view path) {
    return fs_.ReadFileForTest(*Path::Parse(path));
  }

  GroupRecordingFileSystem fs_;
  std::unique_ptr<SocketStream> server_stream_;
  std::thread server_;
  std::unique_ptr<Client> client_;
};

// R-GROUP-1, R-STATE-4: five hundred small files, one large one among them, and
// errors of their own for two: every result in order, every file in place, and
// the server committed uploads together.
TEST_F(ClientUploadManyTest, EveryUploadGetsItsOwnResultInOrder) {
  constexpr int kFiles = 500;
  std::vector<std::string> contents;
  for (int i = 0; i < kFiles; ++i) contents.push_back("file " + std::to_string(i));
  contents[250] = std::string(3 * client_->welcome().max_chunk_bytes() + 5, 'L');
  std::vector<Client::UploadItem> items;
  for (int i = 0; i < kFiles; ++i) {
    items.push_back({"f" + std::to_string(i), contents[i].size(), SourceOf(contents[i])});
  }
  items[100].remote = "missing/parent";  // NOT_FOUND
  items[300].remote = "..";              // INVALID_PATH
  const std::vector<StatusOr<TransferResult>> results = client_->UploadMany(items);
  ASSERT_EQ(results.size(), items.size());
  for (int i = 0; i < kFiles; ++i) {
    SCOPED_TRACE(i);
    if (i == 100) {
      EXPECT_THAT(results[i], StatusIs(StatusCode::kNotFound));
    } else if (i == 300) {
      EXPECT_THAT(results[i], StatusIs(StatusCode::kInvalidPath));
    } else {
      ASSERT_THAT(results[i], IsOk());
      EXPECT_EQ(results[i]->size, contents[i].size());
      EXPECT_THAT(Read("f" + std::to_string(i)), IsOkAndHolds(contents[i]));
    }
  }
  EXPECT_GT(fs_.largest_group, 1u);
  EXPECT_THAT(client_->Stat("f0"), IsOk());
}

// A source that runs dry fails its own upload only, before anything is sent.
TEST_F(ClientUploadManyTest, AShortSourceFailsOnlyItsUpload) {
  const std::string a = "aaa", b = "bbb";
  std::vector<Client::UploadItem> items{
      {"a", 3, SourceOf(a)}, {"short", 10, SourceOf(b)}, {"b", 3, SourceOf(b)}};
  const std::vector<StatusOr<TransferResult>> results = client_->UploadMany(items);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(StatusCode::kSizeMismatch));
  EXPECT_THAT(results[2], IsOk());
  EXPECT_THAT(Read("b"), IsOkAndHolds(b));
  EXPECT_THAT(Read("short"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace ferry
