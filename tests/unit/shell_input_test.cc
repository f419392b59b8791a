// The shell's input side (src/client/line_reader.h, completion.h): piped input
// read line by line exactly as written, and tab completion of command names,
// local and remote paths, written back the way SplitCommandLine reads them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "src/client/command_line.h"
#include "src/client/completion.h"
#include "src/client/line_reader.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

std::vector<std::optional<std::string>> ReadAll(const std::string& text) {
  std::FILE* in = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  PlainLineReader reader(in);
  std::vector<std::optional<std::string>> lines;
  while (true) {
    lines.push_back(reader.ReadLine("ignored> "));
    if (!lines.back()) break;
  }
  std::fclose(in);
  return lines;
}

TEST(PlainLineReader, SplitsAtNewlinesKeepingEmptyLinesAndALastLineWithoutNewline) {
  EXPECT_THAT(ReadAll("ls\n\n size a \nbyebye"),
              ElementsAre(Optional(std::string("ls")), Optional(std::string("")),
                          Optional(std::string(" size a ")), Optional(std::string("byebye")),
                          std::nullopt));
}

TEST(PlainLineReader, KeepsCarriageReturnsAndControlBytesAsWritten) {
  EXPECT_THAT(
      ReadAll("ls\r\nx\x01y\n"),
      ElementsAre(Optional(std::string("ls\r")), Optional(std::string("x\x01y")), std::nullopt));
}

TEST(PlainLineReader, EmptyInputEndsAtOnce) { EXPECT_THAT(ReadAll(""), ElementsAre(std::nullopt)); }

TEST(DefaultHistoryFile, FerryStateDirWinsThenXdgStateHomeThenHome) {
  setenv("FERRY_STATE_DIR", "/state/dir", 1);
  setenv("XDG_STATE_HOME", "/xdg", 1);
  EXPECT_EQ(DefaultHistoryFile(), "/state/dir/history");
  unsetenv("FERRY_STATE_DIR");
  EXPECT_EQ(DefaultHistoryFile(), "/xdg/ferry/history");
  unsetenv("XDG_STATE_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultHistoryFile(), "/home/someone/.local/state/ferry/history");
}

// A lister over a fixed tree that counts how often each directory is listed.
struct FakeTree {
  std::map<std::string, std::vector<CompletionEntry>> dirs;
  std::map<std::string, int> listed;

  DirectoryLister Lister() {
    return [this](const std::string& dir) -> StatusOr<std::vector<CompletionEntry>> {
      ++listed[dir];
      auto found = dirs.find(dir);
      if (found == dirs.end()) return Status::Error(StatusCode::kNotFound, dir);
      return found->second;
    };
  }
};

class CompleterTest : public ::testing::Test {
 protected:
  CompleterTest()
      : completer_({{"connme", "-"},
                    {"ls", "R"},
                    {"download", "RL"},
                    {"upload", "LR"},
                    {"help", "C"},
                    {"byebye", ""}},
                   local_.Lister(), remote_.Lister()) {
    remote_.dirs[""] = {
        {"report.pdf", false}, {"reports", true}, {"my file.txt", false}, {".hidden", false}};
    remote_.dirs["reports"] = {{"2024.csv", false}, {"2025.csv", false}};
    remote_.dirs["/"] = remote_.dirs[""];
    local_.dirs["."] = {{"local.bin", false}, {"src", true}};
    local_.dirs["src"] = {{"main.cc", false}};
  }

  FakeTree local_;
  FakeTree remote_;
  Completer completer_;
};

TEST_F(CompleterTest, FirstWordCompletesCommandNames) {
  const Completion completion = completer_.Complete("do");
  EXPECT_EQ(completion.word_start, 0u);
  EXPECT_THAT(completion.candidates, ElementsAre("download "));
  EXPECT_THAT(completer_.Complete("  ").candidates,
              ElementsAre("byebye ", "connme ", "download ", "help ", "ls ", "upload "));
  EXPECT_THAT(completer_.Complete("xyz").candidates, IsEmpty());
}

TEST_F(CompleterTest, RemoteArgumentIsCompletedFromTheServersListing) {
  const Completion completion = completer_.Complete("download rep");
  EXPECT_EQ(completion.word_start, 9u);
  EXPECT_THAT(completion.candidates, ElementsAre("report.pdf ", "reports/"));
  EXPECT_EQ(CommonPrefix(completion.candidates), "report");
  EXPECT_THAT(remote_.listed, ElementsAre(std::pair<const std::string, int>("", 1)));
  EXPECT_THAT(local_.listed, IsEmpty());
}

TEST_F(CompleterTest, SecondArgumentOfDownloadIsLocalAndFlagsDoNotCount) {
  EXPECT_THAT(completer_.Complete("download -f report.pdf lo").candidates,
              ElementsAre("local.bin "));
  EXPECT_THAT(completer_.Complete("upload src/").candidates, ElementsAre("src/main.cc "));
  EXPECT_THAT(completer_.Complete("upload src/ re").candidates,
              ElementsAre("report.pdf ", "reports/"));
}

TEST_F(CompleterTest, DirectoryPartIsKeptAndListedOnce) {
  const Completion completion = completer_.Complete("ls reports/2");
  EXPECT_EQ(completion.word_start, 3u);
  EXPECT_THAT(completion.candidates, ElementsAre("reports/2024.csv ", "reports/2025.csv "));
  completer_.Complete("ls reports/20");
  EXPECT_EQ(remote_.listed["reports"], 1);  // cached for this line
  completer_.NewLine();
  completer_.Complete("ls reports/20");
  EXPECT_EQ(remote_.listed["reports"], 2);
  EXPECT_THAT(completer_.Complete("ls /rep").candidates, ElementsAre("/report.pdf ", "/reports/"));
}

TEST_F(CompleterTest, NamesWithSpacesAreEscapedSoTheTokenizerReadsThemBack) {
  const Completion completion = completer_.Complete("download my");
  ASSERT_THAT(completion.candidates, ElementsAre("my\\ file.txt "));
  const std::string line = "download " + completion.candidates[0];
  EXPECT_THAT(SplitCommandLine(line), IsOkAndHolds(ElementsAre("download", "my file.txt")));
  // A word already escaped or quoted is read the same way before completing.
  EXPECT_THAT(completer_.Complete("download my\\ f").candidates, ElementsAre("my\\ file.txt "));
  const Completion quoted = completer_.Complete("download \"my f");
  EXPECT_EQ(quoted.word_start, 9u);
  EXPECT_THAT(quoted.candidates, ElementsAre("my\\ file.txt "));
}

TEST_F(CompleterTest, HiddenNamesOnlyWhenTheDotIsTyped) {
  EXPECT_THAT(completer_.Complete("ls ").candidates,
              ElementsAre("my\\ file.txt ", "report.pdf ", "reports/"));
  EXPECT_THAT(completer_.Complete("ls .").candidates, ElementsAre(".hidden "));
}

TEST_F(CompleterTest, HelpCompletesCommandNamesAndArgumentlessCommandsNothing) {
  EXPECT_THAT(completer_.Complete("help up").candidates, ElementsAre("upload "));
  EXPECT_THAT(completer_.Complete("byebye x").candidates, IsEmpty());
  EXPECT_THAT(completer_.Complete("connme 127").candidates, IsEmpty());
  EXPECT_THAT(completer_.Complete("unknown rep").candidates, IsEmpty());
}

TEST_F(CompleterTest, AListingThatFailsOffersNothing) {
  EXPECT_THAT(completer_.Complete("ls nowhere/x").candidates, IsEmpty());
  EXPECT_THAT(completer_.Complete("download -").candidates, IsEmpty());
}

TEST(EscapeWord, EscapesWhatTheTokenizerWouldSplitOrInterpret) {
  EXPECT_EQ(EscapeWord("a b\t\"c\\#"), "a\\ b\\\t\\\"c\\\\\\#");
  for (const std::string name :
       {"a b", "q\"uote", "back\\slash", "#hash", "tab\there", "it's", "*.log", "a?[1]"}) {
    EXPECT_THAT(SplitCommandLine("rm " + EscapeWord(name)), IsOkAndHolds(ElementsAre("rm", name)));
  }
}

TEST(EscapeWord, EscapedWildcardsAreQuotedWordsSoTheyAreNeverExpanded) {
  auto words = SplitCommandWords("rm " + EscapeWord("*.log"));
  ASSERT_THAT(words, IsOk());
  ASSERT_EQ(words->size(), 2u);
  EXPECT_EQ((*words)[1], (CommandWord{"*.log", true}));
}

}  // namespace
}  // namespace ferry
