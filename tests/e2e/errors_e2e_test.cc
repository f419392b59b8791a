// End to end: every failure a person can cause at the prompt prints one line
// "error: CODE: what: subject", changes nothing it should not, and leaves the
// session usable; the run then exits 1.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class ErrorsE2e : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    // A later command must still work after the failure: this file's size.
    FERRY_ASSERT_OK(WriteFile(root_ / "probe.txt", "probe"));
  }

  // connme, `command`, the probe's size, byebye.
  ProcessResult RunFailingCommand(const std::string& command,
                                  const RunClientOptions& options = {}) {
    return RunSession(command + "\nsize probe.txt\n", options);
  }

  // Exactly one error line, "error: CODE: ..." naming `subject` (when not empty),
  // the probe's size printed after it, and the exit status of CODE's class in
  // the documented table (ferry(1), EXIT STATUS).
  void ExpectOneErrorAndTheSessionGoesOn(const ProcessResult& run, const std::string& code,
                                         const std::string& subject) {
    static const std::map<std::string, int> kDocumentedExit = {
        {"INVALID_ARGUMENT", 2},  {"INVALID_PATH", 2},   {"NOT_FOUND", 5},
        {"PERMISSION_DENIED", 6}, {"ALREADY_EXISTS", 7}, {"IS_A_DIRECTORY", 7}};
    ASSERT_EQ(kDocumentedExit.count(code), 1u) << code;
    EXPECT_EQ(run.exit_code, kDocumentedExit.at(code)) << run;
    EXPECT_FALSE(run.timed_out);
    if (subject.empty()) {
      EXPECT_THAT(Lines(run.err), ElementsAre(StartsWith("error: " + code + ": "))) << run;
    } else {
      EXPECT_THAT(Lines(run.err),
                  ElementsAre(AllOf(StartsWith("error: " + code + ": "), EndsWith(": " + subject))))
          << run;
    }
    EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
  }
};

TEST_F(ErrorsE2e, DownloadOfAMissingFileIsNotFoundAndLeavesNothingLocally) {
  const ProcessResult run = RunFailingCommand("download missing.txt");

  ExpectOneErrorAndTheSessionGoesOn(run, "NOT_FOUND", "missing.txt");
  // Not even the hidden temporary the download would have been written to.
  EXPECT_THAT(SnapshotTree(local_), IsOkAndHolds(IsEmpty()));
}

TEST_F(ErrorsE2e, SizeOfADirectoryIsIsADirectory) {
  std::filesystem::create_directory(root_ / "photos");

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("size photos"), "IS_A_DIRECTORY", "photos");
}

TEST_F(ErrorsE2e, RmOfADirectoryIsIsADirectoryAndKeepsIt) {
  std::filesystem::create_directory(root_ / "photos");
  FERRY_ASSERT_OK(WriteFile(root_ / "photos" / "cat.jpg", "meow"));

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("rm photos"), "IS_A_DIRECTORY", "photos");
  EXPECT_THAT(ReadFile(root_ / "photos" / "cat.jpg"), IsOkAndHolds("meow"));
}

TEST_F(ErrorsE2e, RmOfAMissingFileIsNotFound) {
  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("rm missing.txt"), "NOT_FOUND",
                                    "missing.txt");
}

TEST_F(ErrorsE2e, RmOfSeveralFilesRemovesTheExistingOnesAndReportsTheMissingOne) {
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "a"));
  FERRY_ASSERT_OK(WriteFile(root_ / "b.txt", "b"));

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("rm a.txt missing.txt b.txt"), "NOT_FOUND",
                                    "missing.txt");
  EXPECT_FALSE(std::filesystem::exists(root_ / "a.txt"));
  EXPECT_FALSE(std::filesystem::exists(root_ / "b.txt"));
}

TEST_F(ErrorsE2e, LsOfAMissingDirectoryIsNotFound) {
  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("ls no/such/dir"), "NOT_FOUND",
                                    "no/such/dir");
}

TEST_F(ErrorsE2e, UploadOntoAnExistingFileWithoutForceIsAlreadyExistsAndKeepsTheRemoteFile) {
  FERRY_ASSERT_OK(WriteFile(root_ / "taken.txt", "the server's version"));
  FERRY_ASSERT_OK(WriteFile(local_ / "taken.txt", "a newer local version"));
  auto root_before = SnapshotTree(root_);
  ASSERT_THAT(root_before, IsOk());

  const ProcessResult run = RunFailingCommand("upload taken.txt");

  ExpectOneErrorAndTheSessionGoesOn(run, "ALREADY_EXISTS", "taken.txt");
  // Unchanged, and no temporary left beside it.
  EXPECT_THAT(SnapshotTree(root_), IsOkAndHolds(*root_before));
}

TEST_F(ErrorsE2e, UploadWithForceReplacesTheRemoteFile) {
  FERRY_ASSERT_OK(WriteFile(root_ / "taken.txt", "the server's version"));
  FERRY_ASSERT_OK(WriteFile(local_ / "taken.txt", "a newer local version"));

  const ProcessResult run = RunSession("upload -f taken.txt\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(ReadFile(root_ / "taken.txt"), IsOkAndHolds("a newer local version"));
}

TEST_F(ErrorsE2e, DownloadOntoAnExistingLocalFileWithoutForceIsAlreadyExistsAndKeepsIt) {
  FERRY_ASSERT_OK(WriteFile(root_ / "report.txt", "the server's version"));
  FERRY_ASSERT_OK(WriteFile(local_ / "report.txt", "my local version"));
  auto local_before = SnapshotTree(local_);
  ASSERT_THAT(local_before, IsOk());

  const ProcessResult run = RunFailingCommand("download report.txt");

  ExpectOneErrorAndTheSessionGoesOn(run, "ALREADY_EXISTS", "report.txt");
  EXPECT_THAT(SnapshotTree(local_), IsOkAndHolds(*local_before));
}

TEST_F(ErrorsE2e, DownloadWithForceReplacesTheLocalFile) {
  FERRY_ASSERT_OK(WriteFile(root_ / "report.txt", "the server's version"));
  FERRY_ASSERT_OK(WriteFile(local_ / "report.txt", "my local version"));

  const ProcessResult run = RunSession("download -f report.txt\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(ReadFile(local_ / "report.txt"), IsOkAndHolds("the server's version"));
  EXPECT_THAT(SnapshotTree(local_), IsOkAndHolds(testing::SizeIs(1)));
}

TEST_F(ErrorsE2e, UploadOfAMissingLocalFileIsNotFoundAndChangesNothingRemote) {
  auto root_before = SnapshotTree(root_);
  ASSERT_THAT(root_before, IsOk());

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand("upload not-here.txt"), "NOT_FOUND",
                                    "not-here.txt");
  EXPECT_THAT(SnapshotTree(root_), IsOkAndHolds(*root_before));
}

// A command that names something outside the root, and the subject its error line names.
struct EscapeCase {
  const char* name;
  const char* command;
  const char* subject;  // "" when the error line names nothing
};

void PrintTo(const EscapeCase& c, std::ostream* os) { *os << c.name; }

class PathEscapeE2e : public ErrorsE2e, public ::testing::WithParamInterface<EscapeCase> {};

TEST_P(PathEscapeE2e, IsInvalidPathAndTouchesNothing) {
  FERRY_ASSERT_OK(WriteFile(local_ / "mine.txt", "local bytes"));
  FERRY_ASSERT_OK(WriteFile(outside_ / "passwd", "not to be read"));
  auto everything_before = top_.Snapshot();
  ASSERT_THAT(everything_before, IsOk());

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand(GetParam().command), "INVALID_PATH",
                                    GetParam().subject);
  EXPECT_THAT(top_.Snapshot(), IsOkAndHolds(*everything_before));
}

INSTANTIATE_TEST_SUITE_P(DotDotAndRoot, PathEscapeE2e,
                         ::testing::Values(EscapeCase{"RmRoot", "rm /", "\"\""},
                                           // Reported with no subject: the name is empty.
                                           EscapeCase{"RmEmptyName", "rm \"\"", ""}),
                         [](const ::testing::TestParamInfo<EscapeCase>& param_info) {
                           return std::string(param_info.param.name);
                         });

// R-CWD-1, R-CWD-2: ".." never climbs above the root. The client resolves it
// before sending, stopping at the root, so the request names a path inside the
// root (here one that does not exist), and nothing outside is touched. The
// server's own refusal of ".." (R-PATH-4) is proved with raw frames in
// tests/conformance.
class ClampedEscapeE2e : public ErrorsE2e, public ::testing::WithParamInterface<EscapeCase> {};

TEST_P(ClampedEscapeE2e, StopsAtTheRootAndTouchesNothing) {
  FERRY_ASSERT_OK(WriteFile(local_ / "mine.txt", "local bytes"));
  FERRY_ASSERT_OK(WriteFile(outside_ / "passwd", "not to be read"));
  auto everything_before = top_.Snapshot();
  ASSERT_THAT(everything_before, IsOk());

  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand(GetParam().command), "NOT_FOUND",
                                    GetParam().subject);
  EXPECT_THAT(top_.Snapshot(), IsOkAndHolds(*everything_before));
}

INSTANTIATE_TEST_SUITE_P(
    DotDot, ClampedEscapeE2e,
    ::testing::Values(EscapeCase{"DownloadDotDot", "download ../outside/passwd", "outside/passwd"},
                      EscapeCase{"DownloadEtcPasswd", "download ../etc/passwd", "etc/passwd"},
                      EscapeCase{"LsParent", "ls ../../missing", "missing"},
                      EscapeCase{"SizeThroughDotDot", "size a/../../x", "x"},
                      EscapeCase{"UploadDotDot", "upload mine.txt ../outside/mine.txt",
                                 "outside/mine.txt"}),
    [](const ::testing::TestParamInfo<EscapeCase>& param_info) {
      return std::string(param_info.param.name);
    });

// The root holds symlinks that lead outside it; following them must be refused.
class SymlinkEscapeE2e : public ErrorsE2e {
 protected:
  void SetUp() override {
    ErrorsE2e::SetUp();
    std::filesystem::create_directory(outside_ / "dir");
    FERRY_ASSERT_OK(WriteFile(outside_ / "secret.txt", "top secret"));
    FERRY_ASSERT_OK(WriteFile(outside_ / "dir" / "inner.txt", "also secret"));
    FERRY_ASSERT_OK(WriteFile(local_ / "new.txt", "planted"));
    std::filesystem::create_symlink("../outside/secret.txt", root_ / "escape");
    std::filesystem::create_symlink("../outside", root_ / "escape_dir");
    std::filesystem::create_symlink(outside_ / "secret.txt", root_ / "absolute");
    auto before = SnapshotTree(outside_);
    ASSERT_THAT(before, IsOk());
    outside_before_ = *before;
    auto local_before = SnapshotTree(local_);
    ASSERT_THAT(local_before, IsOk());
    local_before_ = *local_before;
  }

  TreeSnapshot outside_before_;
  TreeSnapshot local_before_;
};

struct SymlinkCase {
  const char* name;
  const char* command;
  const char* subject;
};

void PrintTo(const SymlinkCase& c, std::ostream* os) { *os << c.name; }

class SymlinkEscapeCaseE2e : public SymlinkEscapeE2e,
                             public ::testing::WithParamInterface<SymlinkCase> {};

TEST_P(SymlinkEscapeCaseE2e, IsPermissionDeniedAndChangesNothingOutsideOrLocally) {
  ExpectOneErrorAndTheSessionGoesOn(RunFailingCommand(GetParam().command), "PERMISSION_DENIED",
                                    GetParam().subject);
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(outside_before_));
  EXPECT_THAT(SnapshotTree(local_), IsOkAndHolds(local_before_));
}

INSTANTIATE_TEST_SUITE_P(
    ThroughSymlinks, SymlinkEscapeCaseE2e,
    ::testing::Values(SymlinkCase{"DownloadRelativeLink", "download escape", "escape"},
                      SymlinkCase{"DownloadAbsoluteLink", "download absolute", "absolute"},
                      SymlinkCase{"DownloadThroughDirLink", "download escape_dir/secret.txt",
                                  "escape_dir/secret.txt"},
                      SymlinkCase{"SizeRelativeLink", "size escape", "escape"},
                      SymlinkCase{"SizeAbsoluteLink", "size absolute", "absolute"},
                      SymlinkCase{"LsDirLink", "ls escape_dir", "escape_dir"},
                      SymlinkCase{"LsThroughDirLink", "ls escape_dir/dir", "escape_dir/dir"},
                      SymlinkCase{"RmThroughDirLink", "rm escape_dir/secret.txt",
                                  "escape_dir/secret.txt"},
                      SymlinkCase{"UploadThroughDirLink", "upload new.txt escape_dir/new.txt",
                                  "escape_dir/new.txt"}),
    [](const ::testing::TestParamInfo<SymlinkCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST_F(SymlinkEscapeE2e, RmOfALinkLeadingOutsideRemovesOnlyTheLink) {
  const ProcessResult run = RunSession("rm escape\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(root_ / "escape")));
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(outside_before_));
}

TEST_F(SymlinkEscapeE2e, ForcedUploadOntoALinkLeadingOutsideReplacesTheLinkNotItsTarget) {
  const ProcessResult run = RunSession("upload -f new.txt escape\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(root_ / "escape")));
  EXPECT_THAT(ReadFile(root_ / "escape"), IsOkAndHolds("planted"));
  EXPECT_THAT(SnapshotTree(outside_), IsOkAndHolds(outside_before_));
}

TEST_F(ErrorsE2e, CommandBeforeConnmeIsNotConnectedAndConnmeStillWorks) {
  RunClientOptions verbose;
  verbose.args = {"-v"};  // adds the client's own words: "(not connected)"
  const ProcessResult run =
      RunScript("size probe.txt\n" + ConnectLine() + "size probe.txt\nbyebye\n", verbose);

  EXPECT_EQ(run.exit_code, 3) << run;  // connection
  EXPECT_THAT(Lines(run.err), ElementsAre(AllOf(StartsWith("error: CONNECTION_CLOSED: "),
                                                HasSubstr("connme"), EndsWith("(not connected)"))))
      << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(ErrorsE2e, UnknownCommandIsInvalidArgumentAndTheSessionGoesOn) {
  const ProcessResult run = RunFailingCommand("frobnicate probe.txt");

  ExpectOneErrorAndTheSessionGoesOn(run, "INVALID_ARGUMENT",
                                    "unknown command frobnicate (try help)");
}

struct UsageCase {
  const char* name;
  const char* command;
  const char* usage;
};

void PrintTo(const UsageCase& c, std::ostream* os) { *os << c.name; }

class UsageE2e : public ErrorsE2e, public ::testing::WithParamInterface<UsageCase> {};

TEST_P(UsageE2e, WrongArgumentCountPrintsTheUsageAndTheSessionGoesOn) {
  FERRY_ASSERT_OK(WriteFile(local_ / "a", "a"));
  auto everything_before = top_.Snapshot();
  ASSERT_THAT(everything_before, IsOk());

  const ProcessResult run = RunFailingCommand(GetParam().command);

  ExpectOneErrorAndTheSessionGoesOn(run, "INVALID_ARGUMENT",
                                    "usage: " + std::string(GetParam().usage));
  EXPECT_THAT(top_.Snapshot(), IsOkAndHolds(*everything_before));
}

INSTANTIATE_TEST_SUITE_P(
    Commands, UsageE2e,
    ::testing::Values(UsageCase{"SizeWithoutPath", "size", "size PATH"},
                      UsageCase{"SizeWithTwoPaths", "size a b", "size PATH"},
                      UsageCase{"LsWithTwoPaths", "ls a b", "ls [-l] [-h] [PATH]"},
                      UsageCase{"RmWithoutPath", "rm", "rm PATH..."},
                      UsageCase{"DownloadWithoutPath", "download",
                                "download [-f] [-a] [-r] REMOTE... [LOCAL]"},
                      UsageCase{"DownloadWithOnlyForce", "download -f",
                                "download [-f] [-a] [-r] REMOTE... [LOCAL]"},
                      UsageCase{"DownloadWithThreePaths", "download a b c",
                                "download [-f] [-a] [-r] REMOTE... [LOCAL]"},
                      UsageCase{"ForcedDownloadWithThreePaths", "download -f a b c",
                                "download [-f] [-a] [-r] REMOTE... [LOCAL]"},
                      UsageCase{"ResumedDownloadWithThreePaths", "download -a -f a b c",
                                "download [-f] [-a] [-r] REMOTE... [LOCAL]"},
                      UsageCase{"RegetWithoutPath", "reget -f", "reget [-f] REMOTE [LOCAL]"},
                      UsageCase{"ReputWithThreePaths", "reput a b c", "reput [-f] LOCAL [REMOTE]"},
                      UsageCase{"ForcedUploadWithThreePaths", "upload -f a b c",
                                "upload [-f] [-a] [-r] LOCAL... [REMOTE]"},
                      UsageCase{"UploadWithThreePaths", "upload a b c",
                                "upload [-f] [-a] [-r] LOCAL... [REMOTE]"},
                      UsageCase{"ConnmeWithTwoAddresses", "connme a b", "connme [HOST[:PORT]]"},
                      UsageCase{"ByebyeWithAnArgument", "byebye now", "byebye"}),
    [](const ::testing::TestParamInfo<UsageCase>& param_info) {
      return std::string(param_info.param.name);
    });

// A TCP port on 127.0.0.1 that refuses connections for as long as this object
// lives: bound, so nobody else gets it, but not listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

TEST_F(ErrorsE2e, ConnmeToAPortWhereNothingListensIsUnavailable) {
  const RefusingPort refusing;
  ASSERT_NE(refusing.port(), 0);
  const std::string target = "127.0.0.1:" + std::to_string(refusing.port());

  const ProcessResult run =
      RunScript("connme " + target + "\n" + ConnectLine() + "size probe.txt\nbyebye\n");

  EXPECT_EQ(run.exit_code, 3) << run;  // connection
  EXPECT_THAT(Lines(run.err), ElementsAre("error: UNAVAILABLE: cannot connect: " + target)) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "bye")) << run;
}

TEST_F(ErrorsE2e, SeveralFailuresInOneRunEachGetTheirOwnLine) {
  std::filesystem::create_directory(root_ / "photos");

  const ProcessResult run = RunSession(
      "size missing.txt\n"
      "size probe.txt\n"
      "rm photos\n"
      "rm /\n"
      "size probe.txt\n");

  EXPECT_EQ(run.exit_code, 5) << run;  // not found
  EXPECT_THAT(Lines(run.err),
              ElementsAre(StartsWith("error: NOT_FOUND: "), StartsWith("error: IS_A_DIRECTORY: "),
                          StartsWith("error: INVALID_PATH: ")))
      << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine(), "5", "5", "bye")) << run;
}

}  // namespace
}  // namespace ferry
