// The shell's dispatch of a command given as words (Shell::RunWords and
// Shell::RunArguments): unquoted words are wildcard patterns, quoted ones are
// names, and arguments that arrive already split (a program's argv) all expand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "src/client/shell.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A shell whose output and error lines are captured.
class CapturedShell {
 public:
  CapturedShell()
      : out_(open_memstream(&out_text_, &out_size_)),
        err_(open_memstream(&err_text_, &err_size_)),
        shell_(out_, err_, ShellOptions{}) {}
  ~CapturedShell() {
    std::fclose(out_);
    std::fclose(err_);
    std::free(out_text_);
    std::free(err_text_);
  }

  Shell& shell() { return shell_; }
  std::string out() {
    std::fflush(out_);
    return std::string(out_text_, out_size_);
  }
  std::string err() {
    std::fflush(err_);
    return std::string(err_text_, err_size_);
  }

 private:
  char* out_text_ = nullptr;
  size_t out_size_ = 0;
  char* err_text_ = nullptr;
  size_t err_size_ = 0;
  std::FILE* out_;
  std::FILE* err_;
  Shell shell_;
};

class ShellDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FERRY_ASSERT_OK(dir_.WriteFile("only.txt", "x"));
    FERRY_ASSERT_OK(dir_.WriteFile("*.log", "a file with a star in its name"));
  }
  std::string In(std::string_view name) const { return dir_.Path(name).string(); }

  TempDir dir_;
};

// R-CWD-5: the program's arguments arrive split and unquoted; each may expand.
TEST_F(ShellDispatchTest, RunArgumentsExpandsEveryWord) {
  CapturedShell captured;
  EXPECT_THAT(captured.shell().RunArguments({"lls", In("o*.txt")}), IsOk());
  EXPECT_EQ(captured.out(), "only.txt\n");
  EXPECT_THAT(captured.shell().RunArguments({"lls", In("z*")}), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(captured.err(), HasSubstr("(no match)"));
}

// R-CWD-5: a quoted word is a name, wildcard characters and all.
TEST_F(ShellDispatchTest, RunWordsLeavesQuotedWordsAlone) {
  CapturedShell captured;
  EXPECT_THAT(captured.shell().RunWords({{"lls", false}, {In("*.log"), true}}), IsOk());
  EXPECT_EQ(captured.out(), "*.log\n");
  EXPECT_THAT(captured.shell().RunLine("lls \"" + In("o*.txt") + "\""),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(captured.shell().RunLine("lls " + In("o*.txt")), IsOk());
  EXPECT_EQ(captured.out(), "*.log\nonly.txt\n");
}

// A pattern that matches more names than the command takes is a usage error,
// not a silent choice of one.
TEST_F(ShellDispatchTest, APatternMatchingTooManyNamesIsAUsageError) {
  CapturedShell captured;
  EXPECT_THAT(captured.shell().RunArguments({"lls", In("*")}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(captured.err(), HasSubstr("usage: lls"));
  EXPECT_EQ(captured.out(), "");
}

// Commands that need a server say so before any remote expansion is tried.
TEST_F(ShellDispatchTest, RemoteWordsNeedAConnectionFirst) {
  CapturedShell captured;
  EXPECT_THAT(captured.shell().RunArguments({"rm", "*.log"}),
              StatusIs(StatusCode::kConnectionClosed));
  EXPECT_THAT(captured.err(), HasSubstr("connme"));
}

}  // namespace
}  // namespace ferry
