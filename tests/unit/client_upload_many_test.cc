// Client::UploadMany against a real Session over a socket pair: pipelined
// uploads, each with its own result in order, the server committing them in
// groups (R-GROUP-1), a large file among small ones, and the connection usable
// afterwards; and the streaming form the shell uses: uploads asked for one at a
// time, results heard as they arrive, local failures and Ctrl-C.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <optional>
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

// The streaming form: each upload asked for when its turn comes, results heard
// in order as they arrive, the earliest while later uploads are still to be
// asked for (more than one window's worth: the pipeline never holds them all),
// and the server still commits them in groups (R-GROUP-1).
TEST_F(ClientUploadManyTest, StreamingResultsArriveWhileLaterUploadsAreStillToBeAsked) {
  constexpr size_t kFiles = 600;
  std::vector<std::string> contents;
  for (size_t i = 0; i < kFiles; ++i) contents.push_back("streamed " + std::to_string(i));
  std::string events;  // 'n': an upload asked for, 'r': a result heard
  size_t asked = 0;
  std::vector<StatusOr<TransferResult>> results;
  const Status ended = client_->UploadMany(
      [&]() -> std::optional<StatusOr<Client::UploadItem>> {
        if (asked == kFiles) return std::nullopt;
        events += 'n';
        const size_t i = asked++;
        return StatusOr<Client::UploadItem>(
            Client::UploadItem{"s" + std::to_string(i), contents[i].size(), SourceOf(contents[i])});
      },
      [&](const StatusOr<TransferResult>& result) {
        events += 'r';
        results.push_back(result);
      });
  FERRY_ASSERT_OK(ended);
  ASSERT_EQ(results.size(), kFiles);
  for (size_t i = 0; i < kFiles; ++i) {
    SCOPED_TRACE(i);
    ASSERT_THAT(results[i], IsOk());
    EXPECT_EQ(results[i]->digest,
              DigestOf(std::span<const uint8_t>(
                  reinterpret_cast<const uint8_t*>(contents[i].data()), contents[i].size())));
    EXPECT_THAT(Read("s" + std::to_string(i)), IsOkAndHolds(contents[i]));
  }
  EXPECT_LT(events.find('r'), events.rfind('n'));
  EXPECT_GT(fs_.largest_group, 1u);
}

// A failure `next` reports (a local file that cannot be opened) is that
// upload's result, in its place among the others, and nothing is sent for it.
TEST_F(ClientUploadManyTest, StreamingLocalFailureIsItsUploadsResultInOrder) {
  const std::vector<std::string> contents = {"", "two", "three"};  // an empty file too
  size_t asked = 0;
  std::vector<StatusOr<TransferResult>> results;
  const Status ended = client_->UploadMany(
      [&]() -> std::optional<StatusOr<Client::UploadItem>> {
        const size_t i = asked++;
        if (i == 4) return std::nullopt;
        if (i == 1) return StatusOr<Client::UploadItem>(Status::Error(StatusCode::kNotFound, "x"));
        const std::string& content = contents[i == 0 ? 0 : i - 1];
        return StatusOr<Client::UploadItem>(
            Client::UploadItem{"l" + std::to_string(i), content.size(), SourceOf(content)});
      },
      [&](const StatusOr<TransferResult>& result) { results.push_back(result); });
  FERRY_ASSERT_OK(ended);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(results[2], IsOk());
  EXPECT_THAT(results[3], IsOk());
  EXPECT_THAT(Read("l0"), IsOkAndHolds(""));
  EXPECT_THAT(Read("l1"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(Read("l3"), IsOkAndHolds("three"));
}

// Ctrl-C (options.cancel) stops the asking: the uploads already sent were sent
// whole and land, with their results; no later one is asked for or started,
// and the call says kCancelled. The connection stays usable.
TEST_F(ClientUploadManyTest, StreamingCancelSendsNothingMoreAndLeavesNothingHalfSent) {
  std::atomic<bool> cancel{false};
  TransferOptions options;
  options.cancel = &cancel;
  const std::string content = "cancelled batch";
  size_t asked = 0;
  std::vector<StatusOr<TransferResult>> results;
  const Status ended = client_->UploadMany(
      [&]() -> std::optional<StatusOr<Client::UploadItem>> {
        const size_t i = asked++;
        if (i == 4) cancel = true;  // Ctrl-C while the fifth is handed over
        return StatusOr<Client::UploadItem>(
            Client::UploadItem{"c" + std::to_string(i), content.size(), SourceOf(content)});
      },
      [&](const StatusOr<TransferResult>& result) { results.push_back(result); }, options);
  EXPECT_THAT(ended, StatusIs(StatusCode::kCancelled));
  EXPECT_EQ(asked, 5u);
  ASSERT_EQ(results.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_THAT(results[i], IsOk());
    EXPECT_THAT(Read("c" + std::to_string(i)), IsOkAndHolds(content));
  }
  EXPECT_THAT(Read("c5"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(client_->List(""), IsOk());
}

// A file of several chunks goes as Upload does, and Ctrl-C during it cancels it
// cleanly (R-CANCEL): its result is kCancelled, nothing of it is in place, and
// nothing after it is asked for.
TEST_F(ClientUploadManyTest, StreamingCancelDuringALargeFileCancelsIt) {
  std::atomic<bool> cancel{false};
  TransferOptions options;
  options.cancel = &cancel;
  options.progress = [&](uint64_t done, uint64_t) {
    if (done > 0) cancel = true;
  };
  const std::string small = "small";
  const std::string large(4 * client_->welcome().max_chunk_bytes(), 'B');
  size_t asked = 0;
  std::vector<StatusOr<TransferResult>> results;
  const Status ended = client_->UploadMany(
      [&]() -> std::optional<StatusOr<Client::UploadItem>> {
        const size_t i = asked++;
        const std::string& content = i == 1 ? large : small;
        return StatusOr<Client::UploadItem>(
            Client::UploadItem{"k" + std::to_string(i), content.size(), SourceOf(content)});
      },
      [&](const StatusOr<TransferResult>& result) { results.push_back(result); }, options);
  EXPECT_THAT(ended, StatusIs(StatusCode::kCancelled));
  EXPECT_EQ(asked, 2u);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_THAT(results[0], IsOk());
  EXPECT_THAT(results[1], StatusIs(StatusCode::kCancelled));
  EXPECT_THAT(Read("k1"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(client_->Stat("k0"), IsOk());
}

// An error that arrives after later uploads were sent names its own request,
// counted as the server's request log counts them (UploadEnd is not a request
// of its own), so `ferry -v` points at the right log line.
TEST_F(ClientUploadManyTest, APipelinedErrorNamesItsOwnRequest) {
  const std::string content = "x";
  FERRY_ASSERT_OK(client_->MakeDirectory("d"));  // request 1
  std::vector<Client::UploadItem> items;
  for (int i = 0; i < 5; ++i) items.push_back({"r" + std::to_string(i), 1, SourceOf(content)});
  items[2].remote = "d";  // requests 2..6; the third is refused (IS_A_DIRECTORY)
  uint64_t request = 0;
  size_t heard = 0;
  const Status ended = client_->UploadMany(
      [&, asked = size_t{0}]() mutable -> std::optional<StatusOr<Client::UploadItem>> {
        if (asked == items.size()) return std::nullopt;
        return StatusOr<Client::UploadItem>(items[asked++]);
      },
      [&](const StatusOr<TransferResult>& result) {
        if (heard++ == 2) {
          EXPECT_FALSE(result.ok());
          request = client_->TakeErrorRequestNumber();
        }
      });
  FERRY_ASSERT_OK(ended);
  EXPECT_EQ(request, 4u);
  EXPECT_THAT(client_->Stat("missing"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(client_->TakeErrorRequestNumber(), 7u);
}

}  // namespace
}  // namespace ferry
