// End to end: a real ferryd set up by its configuration file, its JSON request
// log read back line by line, and its usage errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "tests/testing/json_object.h"
#include "tests/testing/server_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::HasSubstr;
using testing::JsonMember;
using testing::ParseJsonObject;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

class FerrydConfigE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& dir : {root_, local_}) std::filesystem::create_directory(dir);
  }

  std::string WriteConfig(const std::string& text) {
    const auto path = top_.Path("ferryd.conf");
    EXPECT_THAT(WriteFile(path, text), IsOk());
    return path.string();
  }

  TempDir top_;
  const std::filesystem::path root_ = top_.Path("root");
  const std::filesystem::path local_ = top_.Path("local");
};

TEST_F(FerrydConfigE2e, ReadOnlyAndJsonLogFromTheFileApplyAndEveryLogLineParses) {
  FERRY_ASSERT_OK(WriteFile(root_ / "keep.txt", "kept"));
  ServerProcess server;
  FERRY_ASSERT_OK(
      server.Start(root_, {"--config", WriteConfig("read-only = true\nlog-format = json\n")}));
  const ProcessResult run =
      RunClient("connme " + server.address() + "\nls\nrm keep.txt\nbyebye\n", local_);
  EXPECT_TRUE(std::filesystem::exists(root_ / "keep.txt")) << run;
  ASSERT_EQ(server.Stop(), 0);

  const std::vector<std::string> lines = Lines(server.Log());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "ferryd: stopped");
  std::vector<std::map<std::string, JsonMember>> requests;
  std::vector<std::string> events;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    std::map<std::string, JsonMember> members;
    std::string error;
    ASSERT_TRUE(ParseJsonObject(lines[i], &members, &error)) << error << ": " << lines[i];
    if (members.count("event") != 0) {
      events.push_back(members.at("event").text + " " + members.at("id").text);
    } else {
      requests.push_back(members);
    }
  }
  EXPECT_THAT(events, ::testing::ElementsAre("connect c1", "disconnect c1"));
  ASSERT_EQ(requests.size(), 3u) << server.Log();
  EXPECT_EQ(requests[0].at("cmd").text, "list");
  EXPECT_EQ(requests[0].at("id").text, "c1/1");
  EXPECT_EQ(requests[1].at("cmd").text, "remove");
  EXPECT_EQ(requests[1].at("id").text, "c1/2");
  EXPECT_EQ(requests[1].at("path").text, "keep.txt");
  EXPECT_EQ(requests[1].at("result").text, "PERMISSION_DENIED");
  EXPECT_EQ(requests[2].at("cmd").text, "bye");
  EXPECT_EQ(requests[2].at("id").text, "c1/3");
}

TEST_F(FerrydConfigE2e, AServerConfiguredOnlyByItsFileServesItsRootOnItsAddress) {
  FERRY_ASSERT_OK(WriteFile(root_ / "from-config.txt", "x"));
  auto binary = FerrydBinary();
  FERRY_ASSERT_OK(binary.status());
  const std::string config = WriteConfig("root = " + root_.string() + "\nlisten = 127.0.0.1:0\n");
  auto server = Subprocess::Start(ProcessOptions{{*binary, "--config", config}});
  FERRY_ASSERT_OK(server.status());
  ASSERT_TRUE((*server)->WaitForOutput("\n", std::chrono::seconds(30))) << (*server)->err();
  const std::string first = (*server)->out().substr(0, (*server)->out().find('\n'));
  ASSERT_TRUE(first.starts_with("listening on 127.0.0.1:")) << first;
  const std::string address = first.substr(std::string("listening on ").size());

  const ProcessResult run = RunClient("connme " + address + "\nls\nbyebye\n", local_);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("from-config.txt")) << run;

  FERRY_ASSERT_OK((*server)->Signal(SIGTERM));
  EXPECT_EQ((*server)->Wait(std::chrono::seconds(60)).exit_code, 0);
}

TEST_F(FerrydConfigE2e, AnUnknownKeyStopsTheServerWithAUsageErrorNamingTheLine) {
  auto binary = FerrydBinary();
  FERRY_ASSERT_OK(binary.status());
  const std::string config =
      WriteConfig("root = " + root_.string() + "\n\nlisten-address = 127.0.0.1:0\n");
  const ProcessResult run = RunProcess(ProcessOptions{{*binary, "--config", config}}, "");
  EXPECT_EQ(run.exit_code, 2) << run;
  EXPECT_THAT(run.err, HasSubstr(config + " line 3: unknown setting \"listen-address\"")) << run;
  EXPECT_EQ(run.out, "") << run;
}

TEST_F(FerrydConfigE2e, FerryVerboseNamesTheRequestWhoseLogLineHasTheErrorOfTheServer) {
  ServerProcess server;
  FERRY_ASSERT_OK(server.Start(root_));
  const std::string script =
      "connme " + server.address() + "\nls\nrm missing.txt\nsize gone.txt\nbyebye\n";
  const ProcessResult verbose = RunClient(script, local_, {}, {.args = {"-v"}});
  EXPECT_EQ(verbose.exit_code, 5) << verbose;  // not found
  const std::vector<std::string> errors = Lines(verbose.err);
  ASSERT_EQ(errors.size(), 2u) << verbose;
  EXPECT_THAT(errors[0], HasSubstr("missing.txt"));
  EXPECT_THAT(errors[0], ::testing::EndsWith("(request 2)"));
  EXPECT_THAT(errors[1], HasSubstr("gone.txt"));
  EXPECT_THAT(errors[1], ::testing::EndsWith("(request 3)"));
  // The numbers lead to the server's lines for those requests.
  EXPECT_TRUE(server.WaitForLog(" id=c1/2 cmd=remove path=\"missing.txt\" bytes=0 result=NOT_FOUND",
                                std::chrono::seconds(30)))
      << server.Log();
  EXPECT_TRUE(server.WaitForLog(" id=c1/3 cmd=stat path=\"gone.txt\" bytes=0 result=NOT_FOUND",
                                std::chrono::seconds(30)))
      << server.Log();

  // Without -v the lines stay as they were.
  const ProcessResult quiet = RunClient(script, local_);
  EXPECT_EQ(quiet.exit_code, 5) << quiet;  // not found
  EXPECT_THAT(quiet.err, ::testing::Not(HasSubstr("(request"))) << quiet;
}

TEST_F(FerrydConfigE2e, HelpListsTheConfigFileAndLogFormat) {
  auto binary = FerrydBinary();
  FERRY_ASSERT_OK(binary.status());
  const ProcessResult run = RunProcess(ProcessOptions{{*binary, "--help"}}, "");
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, HasSubstr("--config FILE")) << run;
  EXPECT_THAT(run.out, HasSubstr("--log-format")) << run;
}

}  // namespace
}  // namespace ferry
