// The interactive shell as a person uses it: the real ferry on a
// pseudo-terminal against a real ferryd. Keys are written to the terminal's
// master side and the screen is read back from it; every wait is a hang guard.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::chrono::seconds kGuard{60};

// ferry on the slave side of a pseudo-terminal: stdin, stdout and stderr are
// all the terminal, so it edits lines and draws progress.
class PtyClient {
 public:
  PtyClient(const std::filesystem::path& cwd, const std::filesystem::path& state,
            const std::vector<std::string>& args = {}) {
    auto binary = FerryBinary();
    EXPECT_THAT(binary, IsOk());
    if (!binary.ok()) return;
    struct winsize size {};
    size.ws_row = 24;
    size.ws_col = 120;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      if (chdir(cwd.c_str()) != 0) _exit(127);
      setenv("FERRY_STATE_DIR", state.c_str(), 1);
      setenv("TERM", "xterm", 1);
      std::vector<std::string> argv_strings = {*binary};
      argv_strings.insert(argv_strings.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& arg : argv_strings) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    EXPECT_GT(pid_, 0);
  }

  ~PtyClient() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }

  void Type(std::string_view keys) {
    while (!keys.empty()) {
      const ssize_t n = write(master_, keys.data(), keys.size());
      if (n <= 0) return;
      keys.remove_prefix(static_cast<size_t>(n));
    }
  }

  // Reads the screen until what came since the last mark holds `text`; false
  // after the hang guard or when the terminal closes first.
  bool WaitFor(std::string_view text) {
    const auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (screen_.find(text, mark_) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !ReadSome(deadline)) return false;
    }
    return true;
  }

  // Forgets what was seen so far: the next WaitFor looks only at what follows.
  void Mark() { mark_ = screen_.size(); }
  std::string SinceMark() const { return screen_.substr(mark_); }
  const std::string& screen() const { return screen_; }

  // Waits for the exit (hang guard) and returns the exit code, -1 if none.
  int WaitForExit() {
    const auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ReadSome(std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    }
    return -1;
  }

 private:
  bool ReadSome(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{master_, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready <= 0) return ready == 0;
    char buffer[65536];
    const ssize_t n = read(master_, buffer, sizeof(buffer));
    if (n <= 0) return false;  // EIO: the child closed the terminal
    screen_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string screen_;
  size_t mark_ = 0;
};

class InteractiveE2e : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::filesystem::create_directory(state_);
  }

  // Starts ferry on a terminal and connects it; the screen is marked after the
  // connected prompt.
  std::unique_ptr<PtyClient> StartConnected() {
    auto client = std::make_unique<PtyClient>(local_, state_);
    EXPECT_TRUE(client->WaitFor("ferry> ")) << client->screen();
    client->Type("connme " + server_.address() + "\r");
    EXPECT_TRUE(client->WaitFor(Prompt())) << client->screen();
    client->Mark();
    return client;
  }

  // At the root of the served tree (R-CWD-4).
  std::string Prompt() const { return "ferry " + server_.address() + ":/> "; }

  const std::filesystem::path state_ = top_.Path("state");
};

TEST_F(InteractiveE2e, TabCompletesARemoteNameAndTheCompletedCommandRuns) {
  FERRY_ASSERT_OK(WriteFile(root_ / "quarterly report.pdf", "numbers"));
  FERRY_ASSERT_OK(WriteFile(root_ / "other.txt", "x"));
  auto client = StartConnected();

  client->Type("download quar\t");
  // The rest of the name, escaped the way the command line reads it back.
  ASSERT_TRUE(client->WaitFor("terly\\ report.pdf")) << client->screen();
  client->Type("\r");
  ASSERT_TRUE(client->WaitFor("downloaded")) << client->screen();
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_THAT(ReadFile(local_ / "quarterly report.pdf"), IsOkAndHolds(std::string("numbers")));

  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
}

// R-CWD-4: the prompt shows the remote working directory, and Tab completes
// names relative to it.
TEST_F(InteractiveE2e, PromptShowsTheWorkingDirectoryAndTabCompletesInIt) {
  std::filesystem::create_directories(root_ / "docs/deep");
  FERRY_ASSERT_OK(WriteFile(root_ / "docs/deep/memo.txt", "memo"));
  FERRY_ASSERT_OK(WriteFile(root_ / "mismatch.txt", "x"));
  auto client = StartConnected();

  client->Type("cd docs\r");
  ASSERT_TRUE(client->WaitFor("ferry " + server_.address() + ":/docs> ")) << client->screen();
  client->Type("download de\t");
  ASSERT_TRUE(client->WaitFor("ep/")) << client->screen();
  client->Type("m\t");
  ASSERT_TRUE(client->WaitFor("emo.txt ")) << client->screen();
  client->Type("\r");
  ASSERT_TRUE(client->WaitFor("downloaded docs/deep/memo.txt")) << client->screen();
  EXPECT_THAT(ReadFile(local_ / "memo.txt"), IsOkAndHolds(std::string("memo")));
  client->Type("cd\r");
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
}

TEST_F(InteractiveE2e, TabCompletesCommandNamesAndLocalPaths) {
  FERRY_ASSERT_OK(WriteFile(local_ / "upload-me.bin", "payload"));
  auto client = StartConnected();

  client->Type("uplo\t");
  ASSERT_TRUE(client->WaitFor("ad ")) << client->screen();
  client->Type("upload-m\t");
  ASSERT_TRUE(client->WaitFor("e.bin ")) << client->screen();
  client->Type("\r");
  ASSERT_TRUE(client->WaitFor("uploaded upload-me.bin -> upload-me.bin")) << client->screen();
  EXPECT_THAT(ReadFile(root_ / "upload-me.bin"), IsOkAndHolds(std::string("payload")));
}

TEST_F(InteractiveE2e, LargeDownloadDrawsAProgressBarOnTheTerminal) {
  {
    std::ofstream big(root_ / "big.bin", std::ios::binary);
    const std::string block(1 << 20, 'p');
    for (int i = 0; i < 64; ++i) big << block;
  }
  auto client = StartConnected();

  client->Type("download big.bin\r");
  ASSERT_TRUE(client->WaitFor("downloaded big.bin")) << client->screen();
  const std::string shown = client->SinceMark();
  // Drawn in place (carriage return), with the total, percent and ETA.
  EXPECT_THAT(shown, HasSubstr("/ 64M"));
  EXPECT_THAT(shown, HasSubstr("%"));
  EXPECT_THAT(shown, HasSubstr("ETA"));
  EXPECT_THAT(shown, HasSubstr("\r\033[K"));  // and erased before the result line
  EXPECT_EQ(std::filesystem::file_size(local_ / "big.bin"), 64u << 20);
}

TEST_F(InteractiveE2e, CtrlCCancelsADownloadTheServerIsToldAndTheShellGoesOn) {
  // 4 GiB of holes: nothing on the server's disk, far more than one moment's
  // transfer, so the keypress lands mid-way.
  { std::ofstream huge(root_ / "huge.bin", std::ios::binary); }
  std::filesystem::resize_file(root_ / "huge.bin", 4ull << 30);
  auto client = StartConnected();

  client->Type("download huge.bin\r");
  ASSERT_TRUE(client->WaitFor("ETA")) << client->screen();  // the transfer is running
  client->Type("\x03");
  ASSERT_TRUE(client->WaitFor("error: CANCELLED: interrupted: huge.bin")) << client->screen();
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_TRUE(server_.WaitForLog("cmd=download path=\"huge.bin\"", kGuard)) << server_.Log();
  EXPECT_THAT(server_.Log(), HasSubstr("result=CANCELLED"));
  // Nothing under the final name; what arrived is kept only as the hidden
  // partial that reget continues.
  EXPECT_FALSE(std::filesystem::exists(local_ / "huge.bin"));
  for (const auto& entry : std::filesystem::directory_iterator(local_)) {
    EXPECT_THAT(entry.path().filename().string(), HasSubstr(".ferry-part.")) << entry.path();
  }

  // The same connection serves the next command.
  client->Mark();
  client->Type("size huge.bin\r");
  EXPECT_TRUE(client->WaitFor("4294967296")) << client->screen();
  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
}

// Ctrl-C during download -r ends the whole command, not just the file being
// copied: the files after it are not started.
TEST_F(InteractiveE2e, CtrlCStopsARecursiveDownload) {
  std::filesystem::create_directories(root_ / "tree");
  { std::ofstream huge(root_ / "tree/a-huge.bin", std::ios::binary); }
  std::filesystem::resize_file(root_ / "tree/a-huge.bin", 4ull << 30);
  FERRY_ASSERT_OK(WriteFile(root_ / "tree/b-small.txt", "small"));
  auto client = StartConnected();

  client->Type("download -r tree\r");
  ASSERT_TRUE(client->WaitFor("ETA")) << client->screen();
  client->Type("\x03");
  ASSERT_TRUE(client->WaitFor("error: CANCELLED: interrupted: tree/a-huge.bin"))
      << client->screen();
  ASSERT_TRUE(client->WaitFor("downloaded 0 files, 0 bytes, 1 failed")) << client->screen();
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_FALSE(std::filesystem::exists(local_ / "tree/b-small.txt"));
  EXPECT_FALSE(std::filesystem::exists(local_ / "tree/a-huge.bin"));
  EXPECT_THAT(server_.Log(), Not(HasSubstr("b-small.txt")));
  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
}

TEST_F(InteractiveE2e, CtrlCCancelsAnUploadAndTheServerKeepsNoFile) {
  { std::ofstream huge(local_ / "huge.bin", std::ios::binary); }
  std::filesystem::resize_file(local_ / "huge.bin", 4ull << 30);
  auto client = StartConnected();

  client->Type("upload huge.bin\r");
  ASSERT_TRUE(client->WaitFor("ETA")) << client->screen();
  client->Type("\x03");
  ASSERT_TRUE(client->WaitFor("error: CANCELLED: interrupted: huge.bin")) << client->screen();
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_TRUE(server_.WaitForLog("result=CANCELLED", kGuard)) << server_.Log();
  EXPECT_FALSE(std::filesystem::exists(root_ / "huge.bin"));

  client->Mark();
  client->Type("ls\r");
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_THAT(client->SinceMark(), Not(HasSubstr("huge.bin\r\n"))) << client->screen();
  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
}

TEST_F(InteractiveE2e, CtrlCAtThePromptAbandonsTheLine) {
  auto client = StartConnected();
  client->Type("rm everything");
  ASSERT_TRUE(client->WaitFor("rm everything")) << client->screen();
  client->Type("\x03");
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  client->Mark();
  client->Type("help size\r");
  ASSERT_TRUE(client->WaitFor("print a file's size")) << client->screen();
  ASSERT_TRUE(client->WaitFor(Prompt())) << client->screen();
  EXPECT_THAT(client->screen(), Not(HasSubstr("error:")));
  client->Type("byebye\r");
  EXPECT_EQ(client->WaitForExit(), 0) << client->screen();
  EXPECT_THAT(server_.Log(), Not(HasSubstr("cmd=remove")));
}

TEST_F(InteractiveE2e, HistorySurvivesARestart) {
  {
    auto client = StartConnected();
    client->Type("size no-such-file-42\r");
    ASSERT_TRUE(client->WaitFor("NOT_FOUND")) << client->screen();
    client->Type("byebye\r");
    ASSERT_EQ(client->WaitForExit(), 0) << client->screen();
  }
  EXPECT_TRUE(std::filesystem::exists(state_ / "history"));

  PtyClient again(local_, state_);
  ASSERT_TRUE(again.WaitFor("ferry> ")) << again.screen();
  again.Mark();
  // Up twice: byebye, then the size command before it.
  again.Type("\x1b[A");
  ASSERT_TRUE(again.WaitFor("byebye")) << again.screen();
  again.Type("\x1b[A");
  ASSERT_TRUE(again.WaitFor("size no-such-file-42")) << again.screen();
  again.Type("\x15");  // Ctrl-U clears the recalled line
  again.Type("byebye\r");
  EXPECT_EQ(again.WaitForExit(), 0) << again.screen();
}

// `ferry HOST` at a terminal opens the shell connected to HOST, as `sftp HOST`
// does; byebye ends it with status 0.
TEST_F(InteractiveE2e, HostOnTheCommandLineOpensTheShellConnected) {
  FERRY_ASSERT_OK(WriteFile(root_ / "here.txt", "12345"));
  PtyClient client(local_, state_, {server_.address()});
  ASSERT_TRUE(client.WaitFor("connected to " + server_.address())) << client.screen();
  ASSERT_TRUE(client.WaitFor(Prompt())) << client.screen();
  client.Type("size here.txt\r");
  ASSERT_TRUE(client.WaitFor("5\r\n")) << client.screen();
  client.Type("byebye\r");
  EXPECT_EQ(client.WaitForExit(), 0) << client.screen();
}

TEST_F(InteractiveE2e, QuietKeepsResultsAndErrorsOnly) {
  FERRY_ASSERT_OK(WriteFile(local_ / "q.txt", "quiet"));
  const ProcessResult run = RunSession("upload q.txt\nls\nsize missing\n", {.args = {"-q"}});
  EXPECT_EQ(run.exit_code, 5) << run;  // not found
  EXPECT_THAT(Lines(run.out), ::testing::ElementsAre("q.txt")) << run;
  EXPECT_THAT(Lines(run.err), ::testing::ElementsAre(HasSubstr("NOT_FOUND"))) << run;
}

}  // namespace
}  // namespace ferry
