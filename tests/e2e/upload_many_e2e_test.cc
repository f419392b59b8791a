// End to end: uploads of many files at once (wildcards, upload -r) go with
// their requests pipelined, so that ferryd can commit them in groups (spec 7.6),
// while every file is still reported as if it went alone: one line or JSON
// object each, in order, a failure of its own for a conflict or a missing local
// file, the summary, and the exit code of the first failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/base/digest.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/address.h"
#include "src/net/socket.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/json_object.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::JsonMember;
using testing::ParseJsonObject;
using ::testing::StartsWith;

constexpr int kConflictExit = 7;
constexpr int kNotFoundExit = 5;

// "f007.txt": names that sort as they are numbered.
std::string Numbered(int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "f%03d.txt", i);
  return name;
}

std::string ContentOf(int i) { return "content of file " + std::to_string(i) + "\n"; }

std::string HexDigestOf(const std::string& content) {
  return DigestToHex(DigestOf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(content.data()), content.size())));
}

using JsonLine = std::map<std::string, JsonMember>;

std::vector<JsonLine> ParseLines(const std::string& out) {
  std::vector<JsonLine> objects;
  for (const std::string& line : Lines(out)) {
    JsonLine object;
    std::string error;
    EXPECT_TRUE(ParseJsonObject(line, &object, &error)) << error << ": " << line;
    objects.push_back(std::move(object));
  }
  return objects;
}

class UploadManyE2e : public E2eTest {
 protected:
  void MakeNumberedFiles(int count) {
    for (int i = 0; i < count; ++i) {
      FERRY_ASSERT_OK(WriteFile(local_ / Numbered(i), ContentOf(i)));
    }
  }
};

// Fifty files through one wildcard: each lands with its bytes, each gets its own
// JSON object in name order (remote, local, bytes, digest), then the summary.
TEST_F(UploadManyE2e, FiftyFileWildcardUploadReportsEveryFileAndTheSummary) {
  constexpr int kFiles = 50;
  MakeNumberedFiles(kFiles);
  std::filesystem::create_directories(root_ / "up");
  const ProcessResult run = RunSession("upload *.txt up\n", {.args = {"--json"}});
  ASSERT_EQ(run.exit_code, 0) << run;
  const std::vector<JsonLine> objects = ParseLines(run.out);
  ASSERT_EQ(objects.size(), kFiles + 3u) << run;  // connme, the files, the summary, byebye
  uint64_t bytes = 0;
  for (int i = 0; i < kFiles; ++i) {
    SCOPED_TRACE(i);
    const JsonLine& file = objects[1 + i];
    EXPECT_EQ(file.at("command").text, "upload");
    EXPECT_EQ(file.at("ok").text, "true");
    EXPECT_EQ(file.at("remote").text, "up/" + Numbered(i));
    EXPECT_EQ(file.at("local").text, Numbered(i));
    EXPECT_EQ(file.at("bytes").text, std::to_string(ContentOf(i).size()));
    EXPECT_EQ(file.at("resumed_from").text, "0");
    EXPECT_TRUE(file.contains("seconds"));
    EXPECT_EQ(file.at("digest").text, HexDigestOf(ContentOf(i)));
    EXPECT_THAT(ReadFile(root_ / "up" / Numbered(i)), IsOkAndHolds(ContentOf(i)));
    bytes += ContentOf(i).size();
  }
  const JsonLine& summary = objects[1 + kFiles];
  EXPECT_EQ(summary.at("summary").text, "true");
  EXPECT_EQ(summary.at("ok").text, "true");
  EXPECT_EQ(summary.at("recursive").text, "false");
  EXPECT_EQ(summary.at("files").text, std::to_string(kFiles));
  EXPECT_EQ(summary.at("bytes").text, std::to_string(bytes));
  EXPECT_EQ(summary.at("failed").text, "0");
}

// One file already there (no -f) fails alone, in its place among the others'
// results; the rest land, the command exits with the conflict's code, and -f
// then replaces it.
TEST_F(UploadManyE2e, OneConflictAmongManyFailsAloneWithTheConflictExitCode) {
  constexpr int kFiles = 30;
  MakeNumberedFiles(kFiles);
  std::filesystem::create_directories(root_ / "up");
  FERRY_ASSERT_OK(WriteFile(root_ / "up" / Numbered(17), "already here"));
  const ProcessResult run = RunSession("upload *.txt up\n", {.args = {"--json"}});
  EXPECT_EQ(run.exit_code, kConflictExit) << run;
  const std::vector<JsonLine> objects = ParseLines(run.out);
  ASSERT_EQ(objects.size(), kFiles + 3u) << run;
  for (int i = 0; i < kFiles; ++i) {
    SCOPED_TRACE(i);
    const JsonLine& file = objects[1 + i];
    if (i == 17) {
      EXPECT_EQ(file.at("ok").text, "false");
      EXPECT_EQ(file.at("error").members.at("code").text, "ALREADY_EXISTS");
      EXPECT_EQ(file.at("error").members.at("path").text, "up/" + Numbered(17));
      EXPECT_THAT(ReadFile(root_ / "up" / Numbered(17)), IsOkAndHolds("already here"));
    } else {
      EXPECT_EQ(file.at("remote").text, "up/" + Numbered(i));
      EXPECT_THAT(ReadFile(root_ / "up" / Numbered(i)), IsOkAndHolds(ContentOf(i)));
    }
  }
  EXPECT_EQ(objects[1 + kFiles].at("files").text, std::to_string(kFiles - 1));
  EXPECT_EQ(objects[1 + kFiles].at("failed").text, "1");

  const ProcessResult forced = RunSession("upload -f *.txt up\n");
  EXPECT_EQ(forced.exit_code, 0) << forced;
  EXPECT_THAT(ReadFile(root_ / "up" / Numbered(17)), IsOkAndHolds(ContentOf(17)));
  EXPECT_THAT(Lines(forced.out),
              Contains(StartsWith("uploaded " + std::to_string(kFiles) + " files, ")));
}

// A local source that is gone when its turn comes (a dangling symlink the
// wildcard matched) fails alone with its local path; a directory among the
// matches is skipped with its warning in its place; the rest land.
TEST_F(UploadManyE2e, AMissingLocalSourceAmongManyFailsAloneInItsPlace) {
  constexpr int kFiles = 20;
  MakeNumberedFiles(kFiles);
  std::filesystem::remove(local_ / Numbered(5));
  std::filesystem::create_symlink("nowhere", local_ / Numbered(5));
  std::filesystem::remove(local_ / Numbered(12));
  std::filesystem::create_directory(local_ / Numbered(12));
  const ProcessResult run = RunSession("upload *.txt\n", {.args = {"--json"}});
  EXPECT_EQ(run.exit_code, kNotFoundExit) << run;
  const std::vector<JsonLine> objects = ParseLines(run.out);
  ASSERT_EQ(objects.size(), kFiles + 3u) << run;
  for (int i = 0; i < kFiles; ++i) {
    SCOPED_TRACE(i);
    const JsonLine& file = objects[1 + i];
    if (i == 5) {
      EXPECT_EQ(file.at("error").members.at("code").text, "NOT_FOUND");
      EXPECT_EQ(file.at("error").members.at("path").text, Numbered(5));
      EXPECT_FALSE(std::filesystem::exists(root_ / Numbered(5)));
    } else if (i == 12) {
      EXPECT_EQ(file.at("warning").members.at("kind").text, "directory-skipped");
      EXPECT_EQ(file.at("warning").members.at("path").text, Numbered(12));
    } else {
      EXPECT_EQ(file.at("remote").text, Numbered(i));
      EXPECT_THAT(ReadFile(root_ / Numbered(i)), IsOkAndHolds(ContentOf(i)));
    }
  }
  EXPECT_EQ(objects[1 + kFiles].at("files").text, std::to_string(kFiles - 2));
  EXPECT_EQ(objects[1 + kFiles].at("failed").text, "1");
}

// upload -r: every directory's files go pipelined, a file of several chunks
// among them goes on its own, and the lines come in the tree's order.
TEST_F(UploadManyE2e, RecursiveUploadSendsManySmallFilesAndALargeOne) {
  std::filesystem::create_directories(local_ / "tree/sub");
  for (int i = 0; i < 40; ++i) {
    FERRY_ASSERT_OK(WriteFile(local_ / "tree" / Numbered(i), ContentOf(i)));
    FERRY_ASSERT_OK(WriteFile(local_ / "tree/sub" / Numbered(i), ContentOf(i + 100)));
  }
  const std::string large(3 * 1024 * 1024 + 7, 'L');
  FERRY_ASSERT_OK(WriteFile(local_ / "tree" / Numbered(20), large));
  const ProcessResult run = RunSession("upload -r tree\n");
  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(SnapshotTree(root_ / "tree"), IsOkAndHolds(*SnapshotTree(local_ / "tree")));
  std::vector<std::string> uploaded;
  for (const std::string& line : Lines(run.out)) {
    if (line.starts_with("uploaded tree/")) uploaded.push_back(line.substr(0, line.find(" -> ")));
  }
  ASSERT_EQ(uploaded.size(), 80u) << run;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(uploaded[i], "uploaded tree/" + Numbered(i));
    EXPECT_EQ(uploaded[40 + i], "uploaded tree/sub/" + Numbered(i));
  }
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("uploaded 80 files, ")));
}

// A stand-in server that answers nothing but the first directory an upload -r
// makes until `hold` uploads have arrived whole: a client that waited for each reply before it sent
// the next upload would stall at the first one (and the hang guard would end the test). Then, once
// released, it answers those in order, as ferryd would, and every later upload at once, until the
// client says goodbye or leaves.
class HoldingServer {
 public:
  HoldingServer(int hold, bool release_at_once) : hold_(hold), released_(release_at_once) {
    auto listener = Listener::Bind(*ParseHostPort("127.0.0.1:0", "127.0.0.1"));
    EXPECT_THAT(listener, IsOk());
    listener_ = std::move(*listener);
    thread_ = std::thread([this] {
      StatusOr<int> result = Serve();
      std::lock_guard lock(mu_);
      result_ = std::move(result);
      done_ = true;
      changed_.notify_all();
    });
  }
  ~HoldingServer() {
    Release();
    if (thread_.joinable()) thread_.join();
  }
  std::string address() const { return listener_->local_address().ToString(); }
  // True once `hold` uploads arrived and none was answered; false if the
  // session ended before that.
  bool WaitUntilHolding() {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return holding_ || done_; });
    return holding_;
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    changed_.notify_all();
  }
  // Waits for the session to end: how many uploads arrived whole (an error if
  // one was left half sent).
  StatusOr<int> Finish() {
    thread_.join();
    return result_;
  }

 private:
  StatusOr<int> Serve() {
    FERRY_ASSIGN_OR_RETURN(std::unique_ptr<SocketStream> stream,
                           listener_->Accept(std::chrono::seconds(60)));
    if (stream == nullptr) return Status::Error(StatusCode::kTimeout, "no client came");
    stream->SetIoTimeout(std::chrono::seconds(60));  // hang guard
    FrameReader reader(stream.get(), limits::kDefaultMaxFrameBytes);
    FrameWriter writer(stream.get());
    DecodedFrame<v1::ClientMessage> frame;
    const auto next = [&]() -> Status {
      FERRY_ASSIGN_OR_RETURN(std::span<const uint8_t> payload, reader.ReadFrame());
      return DecodeClientFrame(payload, &frame);
    };
    const auto answer = [&](const v1::UploadEnd& end) -> Status {
      v1::ServerMessage reply;
      reply.mutable_upload_ready();
      FERRY_RETURN_IF_ERROR(writer.Write(reply));
      reply.mutable_upload_done()->set_size(end.size());
      reply.mutable_upload_done()->set_xxh3_128(end.xxh3_128());
      return writer.Write(reply);
    };
    FERRY_RETURN_IF_ERROR(next());  // Hello
    v1::ServerMessage welcome;
    welcome.mutable_welcome()->set_version(limits::kProtocolVersion);
    welcome.mutable_welcome()->set_server_name("holding");
    welcome.mutable_welcome()->set_max_frame_bytes(limits::kDefaultMaxFrameBytes);
    welcome.mutable_welcome()->set_max_chunk_bytes(limits::kDefaultMaxFrameBytes -
                                                   limits::kChunkOverheadBytes);
    welcome.mutable_welcome()->set_max_path_bytes(limits::kMaxPathBytes);
    welcome.mutable_welcome()->set_max_list_entries(limits::kMaxListEntries);
    FERRY_RETURN_IF_ERROR(writer.Write(welcome));
    std::vector<v1::UploadEnd> held;
    int whole = 0;
    bool half_sent = false;  // an UploadRequest whose UploadEnd has not come
    while (true) {
      if (Status read = next(); !read.ok()) {
        if (read.code() != StatusCode::kConnectionClosed) return read;
        break;  // the client left
      }
      if (frame.is_chunk) continue;
      if (frame.message.has_upload()) {
        half_sent = true;
        continue;
      }
      if (frame.message.has_make_directory() && held.empty()) {
        // upload -r makes each directory before it fills it.
        v1::ServerMessage made;
        made.mutable_make_directory();
        FERRY_RETURN_IF_ERROR(writer.Write(made));
        continue;
      }
      if (frame.message.has_bye()) {
        v1::ServerMessage bye;
        bye.mutable_bye();
        FERRY_RETURN_IF_ERROR(writer.Write(bye));
        break;
      }
      if (!frame.message.has_upload_end()) {
        return Status::Error(StatusCode::kUnexpectedMessage, "neither an upload nor bye");
      }
      half_sent = false;
      ++whole;
      if (static_cast<int>(held.size()) < hold_) {
        held.push_back(frame.message.upload_end());
        if (static_cast<int>(held.size()) < hold_) continue;
        std::unique_lock lock(mu_);
        holding_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return released_; });
        lock.unlock();
        for (const v1::UploadEnd& end : held) FERRY_RETURN_IF_ERROR(answer(end));
        continue;
      }
      FERRY_RETURN_IF_ERROR(answer(frame.message.upload_end()));
    }
    if (half_sent) return Status::Error(StatusCode::kInternal, "an upload was left half sent");
    if (static_cast<int>(held.size()) < hold_) {
      return Status::Error(StatusCode::kInternal, "the client stopped before the hold was full");
    }
    return whole;
  }

  const int hold_;
  std::unique_ptr<Listener> listener_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool holding_ = false;
  bool released_;
  bool done_ = false;
  StatusOr<int> result_ = Status::Error(StatusCode::kInternal, "not finished");
  std::thread thread_;
};

// The point of it all: the shell's many-file upload sends every upload before
// it reads the first reply (spec 5.6), which is what lets ferryd commit them in
// groups (R-GROUP-1); the results it prints are the replies' own.
TEST_F(UploadManyE2e, ManyFileUploadIsPipelined) {
  constexpr int kFiles = 50;
  MakeNumberedFiles(kFiles);
  HoldingServer holding(kFiles, /*release_at_once=*/true);
  const ProcessResult run = RunScript("connme " + holding.address() + "\nupload *.txt\nbyebye\n",
                                      {.timeout = std::chrono::seconds(90)});
  EXPECT_THAT(holding.Finish(), IsOkAndHolds(kFiles));
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("uploaded f049.txt -> f049.txt: ")));
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("uploaded 50 files, ")));
}

// upload -r pipelines the files of each directory the same way.
TEST_F(UploadManyE2e, RecursiveUploadIsPipelined) {
  constexpr int kFiles = 50;
  std::filesystem::create_directories(local_ / "tree");
  for (int i = 0; i < kFiles; ++i) {
    FERRY_ASSERT_OK(WriteFile(local_ / "tree" / Numbered(i), ContentOf(i)));
  }
  HoldingServer holding(kFiles, /*release_at_once=*/true);
  const ProcessResult run = RunScript("connme " + holding.address() + "\nupload -r tree\nbyebye\n",
                                      {.timeout = std::chrono::seconds(90)});
  EXPECT_THAT(holding.Finish(), IsOkAndHolds(kFiles));
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("uploaded tree/f049.txt -> tree/f049.txt: ")));
  EXPECT_THAT(Lines(run.out), Contains(StartsWith("uploaded 50 files, ")));
}

// Ctrl-C in the middle of a many-file upload: no new upload is started, none
// is left half sent, those that went are reported (they landed), the next one
// is the cancelled one, and ferry exits 130.
TEST_F(UploadManyE2e, CtrlCStopsAManyFileUploadBetweenFilesAndExits130) {
  constexpr int kFiles = 300;
  constexpr int kHold = 200;  // fewer than the client sends without waiting
  MakeNumberedFiles(kFiles);
  HoldingServer holding(kHold, /*release_at_once=*/false);
  auto binary = FerryBinary();
  ASSERT_THAT(binary, IsOk());
  auto client = Subprocess::Start(
      ProcessOptions{{*binary, holding.address(), "upload", "*.txt"}, local_, {}});
  ASSERT_THAT(client, IsOk());
  const bool holding_now = holding.WaitUntilHolding();
  EXPECT_TRUE(holding_now);
  FERRY_EXPECT_OK((*client)->Signal(SIGINT));
  holding.Release();
  const ProcessResult run = (*client)->Wait(std::chrono::seconds(90));
  const StatusOr<int> whole = holding.Finish();
  ASSERT_TRUE(holding_now) << run;
  EXPECT_EQ(run.exit_code, 130) << run;
  ASSERT_THAT(whole, IsOk()) << run;
  EXPECT_GE(*whole, kHold);
  EXPECT_LT(*whole, kFiles);
  std::vector<std::string> uploaded;
  for (const std::string& line : Lines(run.out)) {
    if (line.starts_with("uploaded f")) uploaded.push_back(line);
  }
  EXPECT_EQ(uploaded.size(), static_cast<size_t>(*whole)) << run;
  EXPECT_THAT(Lines(run.err),
              ElementsAre(AllOf(StartsWith("error: CANCELLED: "), HasSubstr(Numbered(*whole)))))
      << run;
  uint64_t bytes = 0;
  for (int i = 0; i < *whole; ++i) bytes += ContentOf(i).size();
  EXPECT_THAT(Lines(run.out), Contains("uploaded " + std::to_string(*whole) + " files, " +
                                       std::to_string(bytes) + " bytes, 1 failed"));
}

}  // namespace
}  // namespace ferry
