// Group commit in the Session (spec R-GROUP-1, R-GROUP-3, R-GROUP-4), over
// memory: a file system that records the groups it is asked to commit shows
// that pipelined uploads are committed together, within the bounds, and that a
// client that waits for a reply is never kept waiting for its own input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "src/fs/in_memory_file_system.h"
#include "tests/testing/session_driver.h"
#include "tests/testing/status_matchers.h"

namespace ferry::testing {
namespace {

using ::ferry::IsOk;
using ::ferry::IsOkAndHolds;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Le;

// An in-memory file system that records the size of every group it commits.
class GroupRecordingFileSystem : public InMemoryFileSystem {
 public:
  void CommitUploads(std::span<PendingUpload* const> uploads, std::span<Status> results) override {
    groups.push_back(uploads.size());
    InMemoryFileSystem::CommitUploads(uploads, results);
  }
  std::vector<size_t> groups;
};

std::string Contents(int i) { return "contents of " + std::to_string(i); }

// R-GROUP-1, R-GROUP-4: ten uploads sent at once are committed as one group,
// when the stat behind them arrives, and answered in order before the stat.
TEST(SessionGroupCommitTest, PipelinedUploadsAreCommittedAsOneGroup) {
  GroupRecordingFileSystem fs;
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 10; ++i) {
    script.Upload("f" + std::to_string(i), Contents(i).size()).UploadData(Contents(i));
  }
  script.Stat("f9").Bye();
  const SessionResult result = RunSessionExpectingFrames(script, &fs);
  EXPECT_THAT(result.status, IsOk());
  EXPECT_THAT(fs.groups, ElementsAre(10u));
  const std::vector<v1::ServerMessage> replies = result.Replies();
  ASSERT_EQ(replies.size(), 22u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(replies[2 * i], HasBody(v1::ServerMessage::kUploadReady));
    ASSERT_THAT(replies[2 * i + 1], HasBody(v1::ServerMessage::kUploadDone));
    EXPECT_EQ(replies[2 * i + 1].upload_done().xxh3_128(), DigestBytes(Contents(i)));
  }
  EXPECT_THAT(replies[20], HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(replies[20].stat().info().size(), Contents(9).size());
  // The request log keeps request order, each upload with its own result.
  ASSERT_EQ(result.records.size(), 12u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(result.records[i].path, "f" + std::to_string(i));
    EXPECT_THAT(result.records[i].result, IsOk());
  }
  EXPECT_EQ(result.records[10].command, "stat");
}

// R-GROUP-3: a group never holds more than 256 uploads.
TEST(SessionGroupCommitTest, AGroupIsBoundedInUploads) {
  GroupRecordingFileSystem fs;
  ClientScript script;
  script.Hello();
  for (int i = 0; i < 600; ++i) script.Upload("f" + std::to_string(i), 1).UploadData("x");
  script.Bye();
  const SessionResult result = RunSessionExpectingFrames(script, &fs);
  EXPECT_THAT(result.status, IsOk());
  EXPECT_THAT(fs.groups, Each(Le(256u)));
  EXPECT_EQ(std::accumulate(fs.groups.begin(), fs.groups.end(), size_t{0}), 600u);
  EXPECT_GE(fs.groups.size(), 3u);
}

// Short timeouts for scripts whose input is gated on the replies: a server
// that waited for input with a reply held would time out (a hang guard only).
SessionOptions GatedInputOptions() {
  SessionOptions options;
  options.idle_timeout = std::chrono::seconds(2);
  options.transfer_timeout = std::chrono::seconds(2);
  return options;
}

// The replies to two one-byte uploads, each answered, then Bye.
auto TwoUploadsThenBye() {
  return ElementsAre(HasBody(v1::ServerMessage::kUploadReady),
                     HasBody(v1::ServerMessage::kUploadDone),
                     HasBody(v1::ServerMessage::kUploadReady),
                     HasBody(v1::ServerMessage::kUploadDone), HasBody(v1::ServerMessage::kBye));
}

// R-GROUP-3: the client sends a whole upload and the next request, then waits
// for that request's UploadReady before it sends its data. The server must not
// wait for input with the first upload's reply held: the session completes
// (a server that waited would time out on the gated input).
TEST(SessionGroupCommitTest, AReplyIsNeverHeldWhileTheServerWaitsForInput) {
  GroupRecordingFileSystem fs;
  ClientScript script;
  script.Hello().Upload("a", 1).UploadData("a").Upload("b", 1);
  // Welcome, UploadReady(a), UploadDone(a), UploadReady(b).
  script.AfterServerFrames(4).UploadData("b").Bye();
  const SessionResult result = RunSessionExpectingFrames(script, &fs, GatedInputOptions());
  EXPECT_THAT(result.status, IsOk());
  EXPECT_THAT(result.Replies(), TwoUploadsThenBye());
  EXPECT_THAT(fs.ReadFileForTest(Path::Parse("a").value()), IsOkAndHolds(std::string("a")));
}

// R-GROUP-3: the first bytes of the next frame are not the frame. A client
// whose next frame is cut short (the rest waits for this reply) still gets the
// reply: the server does not wait inside a frame with the group open.
TEST(SessionGroupCommitTest, APartialNextFrameDoesNotHoldTheGroup) {
  GroupRecordingFileSystem fs;
  ClientScript next;
  next.Upload("b", 1);
  const std::string request = next.bytes();
  ClientScript script;
  script.Hello().Upload("a", 1).UploadData("a").Raw(request.substr(0, 3));
  // Welcome, UploadReady(a), UploadDone(a).
  script.AfterServerFrames(3).Raw(request.substr(3)).UploadData("b").Bye();
  const SessionResult result = RunSessionExpectingFrames(script, &fs, GatedInputOptions());
  EXPECT_THAT(result.status, IsOk());
  EXPECT_THAT(result.Replies(), TwoUploadsThenBye());
}

}  // namespace
}  // namespace ferry::testing
