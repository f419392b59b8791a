// End to end: a whole session as a person types it, the server's request log,
// and the binaries' --version and --help.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "src/base/version.h"
#include "src/client/client.h"
#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

class SessionE2e : public E2eTest {};

TEST_F(SessionE2e, NewUserUploadsListsSizesDownloadsRemovesAndLeaves) {
  const std::string content = "hello, ferry\n";  // 13 bytes
  FERRY_ASSERT_OK(WriteFile(local_ / "hello.txt", content));

  const ProcessResult run = RunScript(ConnectLine() +
                                      "upload hello.txt\n"
                                      "ls -l\n"
                                      "size hello.txt\n"
                                      "download hello.txt copy.txt\n"
                                      "rm hello.txt\n"
                                      "ls\n"
                                      "byebye\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  // The second ls prints nothing: the root is empty again.
  EXPECT_THAT(
      Lines(run.out),
      ElementsAre(
          ConnectedLine(), MatchesRegex(R"(uploaded hello\.txt -> hello\.txt: 13 bytes \(.+\))"),
          MatchesRegex("-[-rwx]{9} +13  [0-9]{4}-[0-9]{2}-[0-9]{2} "
                       R"([0-9]{2}:[0-9]{2}  hello\.txt)"),
          "13", MatchesRegex(R"(downloaded hello\.txt -> copy\.txt: 13 bytes \(.+\))"), "bye"))
      << run;
  EXPECT_THAT(ReadFile(local_ / "copy.txt"), IsOkAndHolds(content));
  EXPECT_THAT(ReadFile(local_ / "hello.txt"), IsOkAndHolds(content));
  EXPECT_FALSE(std::filesystem::exists(root_ / "hello.txt"));
}

TEST_F(SessionE2e, EndOfInputWithoutByebyeStillEndsCleanly) {
  const ProcessResult run = RunScript(ConnectLine() + "ls\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(Lines(run.out), ElementsAre(ConnectedLine())) << run;
  EXPECT_THAT(run.err, IsEmpty());
}

// The log lines of requests (not connection events), in order.
std::vector<std::string> RequestLines(const std::string& log) {
  std::vector<std::string> requests;
  for (const std::string& line : Lines(log)) {
    if (line.find(" cmd=") != std::string::npos) requests.push_back(line);
  }
  return requests;
}

// Every log line but the last starts with a timestamp; the last says the server stopped.
void ExpectEveryLineIsStampedAndTheLastSaysStopped(const std::string& log) {
  const std::vector<std::string> lines = Lines(log);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "ferryd: stopped");
  const std::regex stamped(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z peer=127\.0\.0\.1:\d+ .*)");
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], stamped)) << "line " << i << ": " << lines[i];
  }
}

TEST_F(SessionE2e, SigtermStopsTheServerWithExitZeroAfterOneLogLinePerRequest) {
  FERRY_ASSERT_OK(WriteFile(local_ / "data.bin", std::string(1000, 'x')));
  const ProcessResult run = RunSession(
      "upload data.bin\n"
      "ls\n"
      "size data.bin\n"
      "download data.bin copy.bin\n"
      "size missing.bin\n"
      "rm data.bin\n");
  ASSERT_EQ(run.exit_code, 5) << run;  // the size of missing.bin failed

  EXPECT_EQ(server_.Stop(), 0);

  const std::string log = server_.Log();
  ExpectEveryLineIsStampedAndTheLastSaysStopped(log);
  // connect, seven requests, disconnect, stopped: nothing else.
  EXPECT_EQ(Lines(log).size(), 10u) << log;
  // POSIX extended regular expressions (gtest's MatchesRegex on Linux).
  // Request ids count the connection's requests from 1 (spec/DESIGN.md, "Request log").
  const std::string kFields = R"([^ ]+ peer=127\.0\.0\.1:[0-9]+ )";
  const std::string kTail = R"( ms=[0-9]+\.[0-9]+)";
  EXPECT_THAT(
      RequestLines(log),
      ElementsAre(
          MatchesRegex(kFields +
                       R"(id=c[0-9]+/1 cmd=upload path="data\.bin" bytes=1000 result=OK)" + kTail),
          MatchesRegex(kFields + R"(id=c[0-9]+/2 cmd=list path="" bytes=0 result=OK)" + kTail),
          MatchesRegex(kFields + R"(id=c[0-9]+/3 cmd=stat path="data\.bin" bytes=0 result=OK)" +
                       kTail),
          MatchesRegex(kFields +
                       R"(id=c[0-9]+/4 cmd=download path="data\.bin" bytes=1000 result=OK)" +
                       kTail),
          MatchesRegex(kFields +
                       R"(id=c[0-9]+/5 cmd=stat path="missing\.bin" bytes=0 result=NOT_FOUND .*)" +
                       kTail),
          MatchesRegex(kFields + R"(id=c[0-9]+/6 cmd=remove path="data\.bin" bytes=0 result=OK)" +
                       kTail),
          // Every line has the same fields, so logs parse with one pattern.
          MatchesRegex(kFields + R"(id=c[0-9]+/7 cmd=bye path="" bytes=0 result=OK)" + kTail)))
      << log;
}

TEST_F(SessionE2e, NamesWithLineBreaksNeverBreakALogLine) {
  // The shell reads one command per line, so a newline can only come through the
  // client library; a carriage return can be typed.
  auto client = Client::Connect(HostPort{"127.0.0.1", server_.port()}, ClientOptions{});
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Stat("evil\nname"), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT((*client)->List("line\nbreak/"), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT((*client)->Remove("two\n\nlines"), StatusIs(StatusCode::kInvalidPath));
  EXPECT_THAT((*client)->Download("fake\n2026-01-01T00:00:00.000Z peer=1.2.3.4:5 cmd=rm",
                                  [](std::span<const uint8_t>) { return Status::Ok(); }),
              StatusIs(StatusCode::kInvalidPath));
  FERRY_EXPECT_OK((*client)->Bye());

  const ProcessResult run = RunSession("size \"carriage\rreturn\"\n");
  EXPECT_EQ(run.exit_code, 2) << run;  // usage
  EXPECT_THAT(Lines(run.err), ElementsAre(MatchesRegex("error: INVALID_PATH: .*"))) << run;

  ASSERT_EQ(server_.Stop(), 0);
  const std::string log = server_.Log();
  ExpectEveryLineIsStampedAndTheLastSaysStopped(log);
  // Two connections (connect, requests, bye, disconnect) and the stop line.
  EXPECT_EQ(Lines(log).size(), (1 + 4 + 1 + 1) + (1 + 1 + 1 + 1) + 1u) << log;
  EXPECT_THAT(log, HasSubstr(R"(path="evil\x0aname")"));
  EXPECT_THAT(log, HasSubstr(R"(path="two\x0a\x0alines")"));
  EXPECT_THAT(log, HasSubstr(R"(path="carriage\x0dreturn")"));
  EXPECT_EQ(log.find('\r'), std::string::npos);
}

ProcessResult RunBinary(const StatusOr<std::string>& binary, const std::string& flag) {
  if (!binary.ok()) return ProcessResult{-1, false, "", binary.status().ToString()};
  return RunProcess(ProcessOptions{{*binary, flag}}, "");
}

TEST(BinariesE2e, FerrydVersionPrintsTheVersionAndExitsZero) {
  const ProcessResult run = RunBinary(FerrydBinary(), "--version");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, StartsWith("ferryd " FERRY_VERSION " (protocol version 1)")) << run;
}

TEST(BinariesE2e, FerrydHelpListsTheOptionsAndExitsZero) {
  const ProcessResult run = RunBinary(FerrydBinary(), "--help");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("--root")) << run;
  EXPECT_THAT(run.out, HasSubstr("--listen")) << run;
  EXPECT_THAT(run.out, HasSubstr("--max-connections")) << run;
}

TEST(BinariesE2e, FerryVersionPrintsTheVersionAndExitsZero) {
  const ProcessResult run = RunBinary(FerryBinary(), "--version");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, StartsWith("ferry " FERRY_VERSION " (protocol version 1)")) << run;
}

TEST(BinariesE2e, FerryHelpListsTheOptionsAndExitsZero) {
  const ProcessResult run = RunBinary(FerryBinary(), "--help");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("--verbose")) << run;
}

}  // namespace
}  // namespace ferry
