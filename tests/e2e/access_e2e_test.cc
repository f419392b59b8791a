// End to end: the real ferry against the real ferryd with access control on —
// a token from a file or the environment, a read-only server, a per-address
// connection limit — and the two programs refusing token files that are not
// private or not long enough.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "src/base/version.h"
#include "src/client/client.h"
#include "src/net/address.h"
#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kToken = "e2e token: long enough and private";

class AccessE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& dir : {root_, local_}) std::filesystem::create_directory(dir);
    FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "hello"));
    token_file_ = WriteToken("token", kToken + "\n", 0600);
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << "--- ferryd log ---\n" << server_.Log() << "------------------\n";
  }

  std::string WriteToken(std::string_view name, std::string_view content, mode_t mode) {
    const std::filesystem::path path = top_.Path(name);
    EXPECT_THAT(WriteFile(path, content), IsOk());
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path.string();
  }

  void StartServer(const std::vector<std::string>& args) {
    FERRY_ASSERT_OK(server_.Start(root_, args));
  }
  void StartTokenServer() {
    StartServer({"--token-file", token_file_, "--auth-failure-delay", "0.01"});
  }

  // connme, `commands`, byebye; with the given environment and flags.
  ProcessResult Run(std::string_view commands, const Environment& env = {},
                    std::vector<std::string> args = {}) {
    RunClientOptions options;
    options.args = std::move(args);
    return RunClient("connme " + server_.address() + "\n" + std::string(commands) + "byebye\n",
                     local_, env, options);
  }
  std::string ConnectedLine() const {
    return "connected to " + server_.address() + " (ferryd/" FERRY_VERSION ", protocol 1)";
  }

  // Runs ferryd with `args` to its exit, for start-up refusals.
  ProcessResult RunServer(const std::vector<std::string>& args) {
    ProcessOptions options;
    options.argv = {FerrydBinary().value(), "--listen", "127.0.0.1:0", "--root", root_.string()};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    return RunProcess(options, "", std::chrono::seconds(30));
  }

  TempDir top_;
  const std::filesystem::path root_ = top_.Path("root");
  const std::filesystem::path local_ = top_.Path("local");
  std::string token_file_;
  ServerProcess server_;
};

TEST_F(AccessE2e, TokenFromTheFlagIsAccepted) {
  StartTokenServer();
  const ProcessResult run = Run("size a.txt\n", {}, {"--token-file", token_file_});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
  EXPECT_THAT(run.err, IsEmpty());
}

TEST_F(AccessE2e, TokenFileFromTheEnvironmentIsAccepted) {
  StartTokenServer();
  const ProcessResult run = Run("size a.txt\n", {{"FERRY_TOKEN_FILE", token_file_}});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(AccessE2e, LiteralTokenFromTheEnvironmentIsAccepted) {
  StartTokenServer();
  const ProcessResult run = Run("size a.txt\n", {{"FERRY_TOKEN", kToken}});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(AccessE2e, TheFlagWinsOverTheEnvironment) {
  StartTokenServer();
  const std::string wrong = WriteToken("wrong", "a different token, also private\n", 0600);
  const ProcessResult run = Run("size a.txt\n", {{"FERRY_TOKEN_FILE", wrong}, {"FERRY_TOKEN", "x"}},
                                {"--token-file", token_file_});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(AccessE2e, WrongTokenIsAClearErrorAndANonZeroExit) {
  StartTokenServer();
  const std::string wrong = WriteToken("wrong", "a different token, also private\n", 0600);
  const ProcessResult run = Run("size a.txt\n", {}, {"--token-file", wrong});
  EXPECT_EQ(run.exit_code, 4) << run;  // authentication
  EXPECT_THAT(Lines(run.err),
              Contains(AllOf(StartsWith("error: AUTHENTICATION_FAILED: wrong token"),
                             HasSubstr(server_.address()))))
      << run;
  EXPECT_THAT(run.out, Not(HasSubstr("connected to"))) << run;
  EXPECT_THAT(run.out + run.err, Not(HasSubstr("a different token")));
}

TEST_F(AccessE2e, NoTokenAgainstATokenServerSaysWhatIsMissing) {
  StartTokenServer();
  const ProcessResult run = Run("size a.txt\n");
  EXPECT_EQ(run.exit_code, 4) << run;  // authentication
  EXPECT_THAT(Lines(run.err), Contains(StartsWith("error: AUTHENTICATION_REQUIRED: the server "
                                                  "requires a token (--token-file)")))
      << run;
  // The reason is the description: said once, not repeated in parentheses.
  EXPECT_THAT(run.err, Not(HasSubstr("(the server requires a token"))) << run;
}

TEST_F(AccessE2e, TokenIsIgnoredByAServerThatDoesNotAskForOne) {
  StartServer({});
  const ProcessResult run = Run("size a.txt\n", {{"FERRY_TOKEN", kToken}});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(AccessE2e, ClientRefusesATokenFileOthersCanRead) {
  StartTokenServer();
  const std::string loose = WriteToken("loose", kToken + "\n", 0644);
  const ProcessResult run = Run("size a.txt\n", {}, {"--token-file", loose});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr("chmod 600")) << run;
  EXPECT_THAT(run.out, IsEmpty()) << run;
}

TEST_F(AccessE2e, ClientRefusesAnOverlongLiteralToken) {
  StartTokenServer();
  const ProcessResult run = Run("size a.txt\n", {{"FERRY_TOKEN", std::string(1025, 't')}});
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr("FERRY_TOKEN")) << run;
}

TEST_F(AccessE2e, ServerRefusesToStartWithAShortEmptyOrPublicTokenFile) {
  const struct {
    std::string content;
    mode_t mode;
    std::string complaint;
  } cases[] = {
      {"", 0600, "empty"},
      {"\n", 0600, "empty"},
      {"fifteen bytes!!\n", 0600, "shorter than 16 bytes"},
      {kToken + "\n", 0640, "chmod 600"},
      {kToken + "\n", 0604, "chmod 600"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.complaint);
    const std::string path = WriteToken("bad-token", c.content, c.mode);
    const ProcessResult run = RunServer({"--token-file", path});
    EXPECT_EQ(run.exit_code, 2) << run;
    EXPECT_THAT(run.err, AllOf(HasSubstr("refusing to start"), HasSubstr(c.complaint))) << run;
    EXPECT_THAT(run.out, Not(HasSubstr("listening"))) << run;
  }
  const ProcessResult missing = RunServer({"--token-file", top_.Path("absent").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing;
  EXPECT_THAT(missing.err, HasSubstr("refusing to start")) << missing;
}

TEST_F(AccessE2e, ReadOnlyServerRefusesUploadAndRmWithPermissionDenied) {
  StartServer({"--read-only"});
  FERRY_ASSERT_OK(WriteFile(local_ / "new.txt", "new"));
  const ProcessResult run =
      Run("upload new.txt\nupload -f new.txt a.txt\nrm a.txt\ndownload a.txt\n", {}, {"-v"});
  EXPECT_EQ(run.exit_code, 6) << run;  // permission
  EXPECT_THAT(Lines(run.err),
              ElementsAre(AllOf(StartsWith("error: PERMISSION_DENIED: "), HasSubstr("read-only")),
                          AllOf(StartsWith("error: PERMISSION_DENIED: "), HasSubstr("read-only")),
                          AllOf(StartsWith("error: PERMISSION_DENIED: "), HasSubstr("read-only"))))
      << run;
  EXPECT_FALSE(std::filesystem::exists(root_ / "new.txt"));
  EXPECT_THAT(ReadFile(root_ / "a.txt"), IsOkAndHolds("hello"));
  // Downloads still work.
  EXPECT_THAT(ReadFile(local_ / "a.txt"), IsOkAndHolds("hello"));
}

TEST_F(AccessE2e, ReadOnlyAndTokenTogether) {
  StartServer({"--read-only", "--token-file", token_file_});
  const ProcessResult run = Run("rm a.txt\nsize a.txt\n", {{"FERRY_TOKEN_FILE", token_file_}});
  EXPECT_EQ(run.exit_code, 6) << run;  // permission
  EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: PERMISSION_DENIED: "))) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(AccessE2e, ConnectionBeyondThePerAddressLimitIsRefusedAndTheFirstGoesOn) {
  StartServer({"--max-connections-per-address", "1"});
  ClientOptions options;
  options.io_timeout = std::chrono::seconds(30);  // hang guard
  auto held = Client::Connect(*ParseHostPort(server_.address(), "127.0.0.1"), options);
  ASSERT_THAT(held, IsOk());
  const ProcessResult run = Run("size a.txt\n", {}, {"-v"});
  EXPECT_EQ(run.exit_code, 3) << run;  // connection
  EXPECT_THAT(Lines(run.err), Contains(AllOf(StartsWith("error: TOO_MANY_CONNECTIONS: "),
                                             HasSubstr("per address"))))
      << run;
  EXPECT_THAT((*held)->Stat("a.txt"), IsOk());
  FERRY_EXPECT_OK((*held)->Bye());
}

}  // namespace
}  // namespace ferry
