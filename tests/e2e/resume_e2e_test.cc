// End to end: transfers interrupted by killing the client, then resumed with
// reget (spec 7.8). Only the missing bytes cross the wire (the server's request
// log counts them), the result is byte-identical, and a source that changed in
// between is detected instead of spliced.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kBigBytes = 96 * kMiB;

class ResumeE2e : public E2eTest {
 protected:
  const std::filesystem::path partial_ = local_ / ".local.bin.ferry-part.data";
  const std::filesystem::path sidecar_ = local_ / ".local.bin.ferry-part.info";

  // Starts `download big.bin local.bin` and kills the client (SIGKILL) once
  // some bytes have arrived. Returns how many bytes the partial kept.
  uint64_t DownloadAndKillTheClient() {
    auto client = StartClient(local_);
    EXPECT_THAT(client, IsOk());
    if (!client.ok()) return 0;
    (*client)->WriteStdin(ConnectLine() + "download big.bin local.bin\n");
    (*client)->CloseStdin();
    EXPECT_TRUE((*client)->FinishInput(seconds(60)));
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    std::error_code ec;
    while (std::chrono::steady_clock::now() < deadline &&
           !(std::filesystem::exists(partial_, ec) &&
             std::filesystem::file_size(partial_, ec) > 0 && !ec)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE((*client)->Signal(SIGKILL).ok());
    const ProcessResult run = (*client)->Wait(seconds(60));
    EXPECT_EQ(run.exit_code, 128 + SIGKILL) << run;
    EXPECT_FALSE(std::filesystem::exists(local_ / "local.bin"))
        << "the download finished before it was interrupted";
    EXPECT_TRUE(std::filesystem::exists(sidecar_));
    return std::filesystem::file_size(partial_, ec);
  }

  std::string DownloadLogLine(uint64_t bytes) const {
    return "cmd=download path=\"big.bin\" bytes=" + std::to_string(bytes) + " result=OK";
  }
};

// R-RESUME-1, R-RESUME-3, R-RESUME-5: the killed client's partial is completed
// by reget; only the rest is sent, and the file is byte-identical.
TEST_F(ResumeE2e, RegetAfterTheClientWasKilledSendsOnlyTheMissingBytes) {
  auto digest = WriteRandomFile(root_ / "big.bin", kBigBytes, /*seed=*/7);
  ASSERT_THAT(digest, IsOk());
  const uint64_t kept = DownloadAndKillTheClient();
  ASSERT_GT(kept, 0u);
  ASSERT_LT(kept, kBigBytes) << "the whole file arrived before the client was killed";

  const ProcessResult run = RunSession("reget big.bin local.bin\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(
      Lines(run.out),
      ElementsAre(ConnectedLine(),
                  AllOf(StartsWith("downloaded big.bin -> local.bin: " + std::to_string(kBigBytes) +
                                   " bytes (resumed after " + std::to_string(kept) + " bytes, "),
                        EndsWith(" MB/s)")),
                  "bye"))
      << run;
  EXPECT_THAT(DigestOfFile(local_ / "local.bin"), IsOkAndHolds(*digest));
  EXPECT_FALSE(std::filesystem::exists(partial_));
  EXPECT_FALSE(std::filesystem::exists(sidecar_));
  EXPECT_TRUE(server_.WaitForLog(DownloadLogLine(kBigBytes - kept), seconds(30))) << server_.Log();
}

// R-RESUME-2, R-RESUME-5: the file on the server was replaced between the two
// attempts: reget reports SOURCE_CHANGED, keeps nothing, and the next attempt
// downloads the new file whole.
TEST_F(ResumeE2e, SourceChangedBetweenAttemptsIsDetectedNotSpliced) {
  ASSERT_THAT(WriteRandomFile(root_ / "big.bin", kBigBytes, /*seed=*/8), IsOk());
  ASSERT_GT(DownloadAndKillTheClient(), 0u);
  // Same size, new content and modification time: what an upload would leave.
  auto fresh = WriteRandomFile(root_ / "big.bin", kBigBytes, /*seed=*/9);
  ASSERT_THAT(fresh, IsOk());
  std::filesystem::last_write_time(
      root_ / "big.bin", std::filesystem::last_write_time(root_ / "big.bin") + seconds(2));

  const ProcessResult changed = RunSession("reget big.bin local.bin\n");
  EXPECT_EQ(changed.exit_code, 7) << changed;  // conflict
  EXPECT_THAT(Lines(changed.err),
              ElementsAre(AllOf(StartsWith("error: SOURCE_CHANGED: "), EndsWith(": big.bin"))))
      << changed;
  EXPECT_FALSE(std::filesystem::exists(local_ / "local.bin"));
  EXPECT_FALSE(std::filesystem::exists(partial_));
  EXPECT_FALSE(std::filesystem::exists(sidecar_));

  const ProcessResult again = RunSession("download -a big.bin local.bin\n");
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(DigestOfFile(local_ / "local.bin"), IsOkAndHolds(*fresh));
  EXPECT_TRUE(server_.WaitForLog(DownloadLogLine(kBigBytes), seconds(30)));
}

// R-RESUME-5: a plain download after an interruption starts again from 0 and
// replaces the stale partial.
TEST_F(ResumeE2e, PlainDownloadAfterAnInterruptionStartsFresh) {
  auto digest = WriteRandomFile(root_ / "big.bin", kBigBytes, /*seed=*/10);
  ASSERT_THAT(digest, IsOk());
  ASSERT_GT(DownloadAndKillTheClient(), 0u);
  const ProcessResult run = RunSession("download big.bin local.bin\n");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("resumed")));
  EXPECT_THAT(DigestOfFile(local_ / "local.bin"), IsOkAndHolds(*digest));
  EXPECT_FALSE(std::filesystem::exists(partial_));
  EXPECT_TRUE(server_.WaitForLog(DownloadLogLine(kBigBytes), seconds(30)));
}

// --- upload -------------------------------------------------------------------------

class ReputE2e : public E2eTest {
 protected:
  Environment Env() const { return {{"FERRY_STATE_DIR", (top_.path() / "state").string()}}; }

  // Starts `upload up.bin` and kills the client (SIGKILL) once the server's
  // temporary holds some bytes. Returns how many bytes the server kept, from
  // its log line for the dropped upload.
  uint64_t UploadAndKillTheClient() {
    auto client = StartClient(local_, Env());
    EXPECT_THAT(client, IsOk());
    if (!client.ok()) return 0;
    (*client)->WriteStdin(ConnectLine() + "upload up.bin\n");
    (*client)->CloseStdin();
    EXPECT_TRUE((*client)->FinishInput(seconds(60)));
    const auto deadline = std::chrono::steady_clock::now() + seconds(60);
    bool started = false;
    while (!started && std::chrono::steady_clock::now() < deadline) {
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
        if (entry.path().filename().string().starts_with(".ferry-part.") &&
            entry.file_size(ec) > 0 && !ec) {
          started = true;
        }
      }
      if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(started) << "no upload started";
    EXPECT_TRUE((*client)->Signal(SIGKILL).ok());
    (*client)->Wait(seconds(60));
    // The session logs the upload once it has kept it.
    const std::string prefix = "cmd=upload path=\"up.bin\" bytes=";
    EXPECT_TRUE(server_.WaitForLog(prefix, seconds(60)));
    const std::string log = server_.Log();
    const size_t at = log.find(prefix);
    if (at == std::string::npos) return 0;
    EXPECT_THAT(log.substr(at), HasSubstr("result=CONNECTION_CLOSED"));
    return std::stoull(log.substr(at + prefix.size()));
  }

  std::string UploadLogLine(uint64_t bytes) const {
    return "cmd=upload path=\"up.bin\" bytes=" + std::to_string(bytes) + " result=OK";
  }
};

// R-RESUME-6, R-RESUME-7, R-RESUME-10: the killed client's upload is completed
// by reput; only the rest crosses the wire and the server's file is the source.
TEST_F(ReputE2e, ReputAfterTheClientWasKilledSendsOnlyTheMissingBytes) {
  auto digest = WriteRandomFile(local_ / "up.bin", kBigBytes, /*seed=*/11);
  ASSERT_THAT(digest, IsOk());
  const uint64_t kept = UploadAndKillTheClient();
  ASSERT_GT(kept, 0u);
  ASSERT_LT(kept, kBigBytes);
  EXPECT_FALSE(std::filesystem::exists(root_ / "up.bin"));

  const ProcessResult run = RunClient(ConnectLine() + "reput up.bin\nbyebye\n", local_, Env());
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out),
              ElementsAre(ConnectedLine(),
                          StartsWith("uploaded up.bin -> up.bin: " + std::to_string(kBigBytes) +
                                     " bytes (resumed after " + std::to_string(kept) + " bytes, "),
                          "bye"))
      << run;
  EXPECT_THAT(DigestOfFile(root_ / "up.bin"), IsOkAndHolds(*digest));
  EXPECT_TRUE(server_.WaitForLog(UploadLogLine(kBigBytes - kept), seconds(30))) << server_.Log();
  // No temporary is left on the server, and no record with the client.
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".ferry-part.")) << entry.path();
  }
  EXPECT_TRUE(std::filesystem::is_empty(top_.path() / "state"));
}

// R-RESUME-10: the local file changed between the attempts: reput sends it
// whole instead of continuing the old bytes, and the server's file is the new one.
TEST_F(ReputE2e, ChangedSourceIsUploadedAfresh) {
  ASSERT_THAT(WriteRandomFile(local_ / "up.bin", kBigBytes, /*seed=*/12), IsOk());
  ASSERT_GT(UploadAndKillTheClient(), 0u);
  auto changed = WriteRandomFile(local_ / "up.bin", kBigBytes, /*seed=*/13);
  ASSERT_THAT(changed, IsOk());
  std::filesystem::last_write_time(
      local_ / "up.bin", std::filesystem::last_write_time(local_ / "up.bin") + seconds(2));

  const ProcessResult run = RunClient(ConnectLine() + "upload -a up.bin\nbyebye\n", local_, Env());
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("resumed")));
  EXPECT_THAT(DigestOfFile(root_ / "up.bin"), IsOkAndHolds(*changed));
  EXPECT_TRUE(server_.WaitForLog(UploadLogLine(kBigBytes), seconds(30)));
}

// R-RESUME-9: kept uploads do not outlive the server: stopping it removes them.
TEST_F(ReputE2e, StoppingTheServerRemovesKeptUploads) {
  ASSERT_THAT(WriteRandomFile(local_ / "up.bin", kBigBytes, /*seed=*/14), IsOk());
  ASSERT_GT(UploadAndKillTheClient(), 0u);
  size_t temporaries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root_)) {
    if (entry.path().filename().string().starts_with(".ferry-part.")) ++temporaries;
  }
  EXPECT_EQ(temporaries, 1u);
  EXPECT_EQ(server_.Stop(), 0);
  EXPECT_TRUE(std::filesystem::is_empty(root_));
}

}  // namespace
}  // namespace ferry
