// What the shell shows (src/client/progress.h, listing.h, shell_output.h): the
// progress line, the ls formats, and every report in both of its renderings,
// text for people and --json for scripts.
#include "src/client/shell_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "src/client/listing.h"
#include "src/client/progress.h"
#include "src/client/time_text.h"
#include "tests/testing/json_object.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;

TEST(HumanSize, BytesBelowOneKibibyteThenOneDecimalBelowTenThenWhole) {
  EXPECT_EQ(HumanSize(0), "0");
  EXPECT_EQ(HumanSize(1023), "1023");
  EXPECT_EQ(HumanSize(1024), "1.0K");
  EXPECT_EQ(HumanSize(1536), "1.5K");
  EXPECT_EQ(HumanSize(10 * 1024), "10K");
  EXPECT_EQ(HumanSize(64ull << 20), "64M");
  EXPECT_EQ(HumanSize(3ull << 30), "3.0G");
  EXPECT_EQ(HumanSize(5ull << 40), "5.0T");
  EXPECT_EQ(HumanSize(5000ull << 40), "5000T");
}

TEST(FormatProgress, ShowsBytesPercentRateAndTimeLeft) {
  // 16 MiB of 64 MiB in 2 s: 8 MiB/s, 48 MiB left = 6 s.
  EXPECT_EQ(FormatProgress(16ull << 20, 64ull << 20, 2.0),
            "    16M / 64M      25%     8.0M/s  ETA 0:06");
}

TEST(FormatProgress, RateAndEtaUnknownBeforeTheFirstByte) {
  EXPECT_EQ(FormatProgress(0, 1000, 0.0), "      0 / 1000      0%       --/s  ETA --:--");
  EXPECT_EQ(FormatProgress(0, 1000, 5.0), "      0 / 1000      0%       --/s  ETA --:--");
}

TEST(FormatProgress, HoursInTheEtaAndDoneAtTheEnd) {
  // 1 MiB/s with 2 GiB left: 2048 s = 0:34:08; 4 GiB left: 1:08:16.
  EXPECT_THAT(FormatProgress(1ull << 20, (1ull << 20) + (2ull << 30), 1.0),
              ::testing::EndsWith("ETA 34:08"));
  EXPECT_THAT(FormatProgress(1ull << 20, (1ull << 20) + (4ull << 30), 1.0),
              ::testing::EndsWith("ETA 1:08:16"));
  EXPECT_THAT(FormatProgress(500, 500, 1.0), ::testing::HasSubstr("100%"));
  EXPECT_THAT(FormatProgress(500, 500, 1.0), ::testing::EndsWith("ETA 0:00"));
  // An empty file is complete.
  EXPECT_THAT(FormatProgress(0, 0, 0.0), ::testing::HasSubstr("100%"));
}

TEST(ProgressBar, DrawsNothingWhenDisabledAndClearsItsLineWhenEnabled) {
  char* text = nullptr;
  size_t size = 0;
  std::FILE* err = open_memstream(&text, &size);
  {
    ProgressBar off(err, false);
    off.Update(5, 10);
    off.Clear();
  }
  std::fflush(err);
  EXPECT_EQ(size, 0u);
  {
    ProgressBar on(err, true);
    on.Update(5, 10);
    on.Update(10, 10);  // the last update is drawn however soon it comes
  }
  std::fclose(err);
  const std::string drawn(text, size);
  std::free(text);
  EXPECT_THAT(drawn, ::testing::StartsWith("\r"));
  EXPECT_THAT(drawn, ::testing::HasSubstr(" 50%"));
  EXPECT_THAT(drawn, ::testing::HasSubstr("100%"));
  EXPECT_THAT(drawn, ::testing::EndsWith("\r\033[K"));  // cleared at the end
}

FileInfo Entry(std::string name, FileType type, uint32_t mode, uint64_t size, int64_t mtime) {
  FileInfo info;
  info.name = std::move(name);
  info.type = type;
  info.mode = mode;
  info.size = size;
  info.mtime_unix_ns = mtime;
  return info;
}

std::string FakeTime(int64_t unix_ns) { return "T" + std::to_string(unix_ns); }

TEST(FormatListing, PlainLsShowsNamesOnlyWithDirectoriesMarked) {
  const std::vector<FileInfo> entries = {Entry("notes.txt", FileType::kRegular, 0644, 33, 1),
                                         Entry("photos", FileType::kDirectory, 0755, 0, 2)};
  EXPECT_THAT(FormatListing(entries, false, false, FakeTime), ElementsAre("notes.txt", "photos/"));
}

TEST(FormatListing, LongFormatAlignsSizesToTheWidest) {
  const std::vector<FileInfo> entries = {
      Entry("notes.txt", FileType::kRegular, 0644, 33, 1),
      Entry("photos", FileType::kDirectory, 0755, 0, 2),
      Entry("report.pdf", FileType::kRegular, 0600, 2400000, 3),
      Entry("link", FileType::kSymlink, 0777, 7, 4),
  };
  EXPECT_THAT(FormatListing(entries, true, false, FakeTime),
              ElementsAre("-rw-r--r--       33  T1  notes.txt", "drwxr-xr-x        0  T2  photos/",
                          "-rw-------  2400000  T3  report.pdf", "lrwxrwxrwx        7  T4  link"));
  EXPECT_THAT(FormatListing(entries, true, true, FakeTime),
              ElementsAre("-rw-r--r--    33  T1  notes.txt", "drwxr-xr-x     0  T2  photos/",
                          "-rw-------  2.3M  T3  report.pdf", "lrwxrwxrwx     7  T4  link"));
}

TEST(FormatListing, ControlCharactersInNamesAreEscaped) {
  const std::vector<FileInfo> entries = {Entry("evil\x1b[2Jname", FileType::kRegular, 0644, 1, 1)};
  const std::vector<std::string> lines = FormatListing(entries, false, false, FakeTime);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].find('\x1b'), std::string::npos) << lines[0];
  EXPECT_THAT(lines[0], ::testing::StartsWith("evil"));
  const std::vector<std::string> long_lines = FormatListing(entries, true, false, FakeTime);
  EXPECT_EQ(long_lines[0].find('\x1b'), std::string::npos) << long_lines[0];
}

TEST(FormatLocalTime, FormatsInTheLocalZoneWithTheFormatGiven) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(FormatLocalTime(0, kListingTimeFormat), "1970-01-01 00:00");
  EXPECT_EQ(FormatLocalTime(1'500'000'000, kStatTimeFormat), "1970-01-01 00:00:01 +0000");
  setenv("TZ", "JST-9", 1);  // UTC+9 as a POSIX rule: no zone database needed
  tzset();
  EXPECT_EQ(FormatLocalTime(0, kListingTimeFormat), "1970-01-01 09:00");
  EXPECT_EQ(FormatLocalTime(0, kStatTimeFormat), "1970-01-01 09:00:00 +0900");
  unsetenv("TZ");
  tzset();
}

TEST(FormatUtcTime, IsRfc3339WithAllNineDigitsWhateverTheZone) {
  setenv("TZ", "JST-9", 1);
  tzset();
  EXPECT_EQ(FormatUtcTime(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatUtcTime(1'741'776'067'123'456'789), "2025-03-12T10:41:07.123456789Z");
  // Before the epoch the seconds round down and the fraction counts up from them.
  EXPECT_EQ(FormatUtcTime(-1), "1969-12-31T23:59:59.999999999Z");
  unsetenv("TZ");
  tzset();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Captures what a ShellOutput writes on its two streams.
class Captured {
 public:
  Captured()
      : out_(open_memstream(&out_text_, &out_size_)),
        err_(open_memstream(&err_text_, &err_size_)) {}
  ~Captured() {
    Close();
    std::free(out_text_);
    std::free(err_text_);
  }
  std::FILE* out() { return out_; }
  std::FILE* err() { return err_; }
  // Closes the streams; call once, before out_text/err_text.
  void Close() {
    if (out_ != nullptr) std::fclose(out_);
    if (err_ != nullptr) std::fclose(err_);
    out_ = err_ = nullptr;
  }
  std::string out_text() const { return std::string(out_text_, out_size_); }
  std::string err_text() const { return std::string(err_text_, err_size_); }

 private:
  char* out_text_ = nullptr;
  size_t out_size_ = 0;
  char* err_text_ = nullptr;
  size_t err_size_ = 0;
  std::FILE* out_;
  std::FILE* err_;
};

using testing::JsonMember;
using Members = std::map<std::string, JsonMember>;

// Each line of `text` parsed as one JSON object; a test failure for any that is not.
std::vector<Members> JsonLines(const std::string& text) {
  std::vector<Members> objects;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "the last line has no newline: " << text;
    const std::string line = text.substr(start, end - start);
    Members members;
    std::string error;
    EXPECT_TRUE(testing::ParseJsonObject(line, &members, &error)) << error << ": " << line;
    objects.push_back(std::move(members));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return objects;
}

// One of each kind of report, the way the shell's handlers make them.
void ReportOneOfEach(ShellOutput& output) {
  output.Chatter("ferry ready.\n");
  output.BeginCommand("size");
  output.Answer(JsonObject().Add("path", "a b").Add("size", uint64_t{5}), "5\n");
  output.BeginCommand("rm");
  output.Done(JsonObject().Add("path", "gone"), "");
  output.BeginCommand("download");
  output.Done(JsonObject().Add("remote", "r").Add("bytes", 3), "downloaded r\n");
  output.BeginCommand("ls");
  output.Warning("unsafe-name-skipped", "skipped an entry: \"x\\x1by\"",
                 JsonObject().Add("name", "x\x1by"));
  output.Error({.status = Status::Error(StatusCode::kNotFound, "stat: no such file"),
                .path = "dir/new\nline",
                .has_path = true,
                .request = 4});
  output.BeginCommand("size");
  output.Error({.status = Status::Error(StatusCode::kInvalidArgument, "size PATH"),
                .subject = "usage: size PATH"});
}

TEST(ShellOutputText, ResultsOnStdoutErrorsAndWarningsOnStderrAsBefore) {
  Captured streams;
  ShellOutput output(streams.out(), streams.err(), {.verbose = true});
  ReportOneOfEach(output);
  streams.Close();
  EXPECT_EQ(streams.out_text(), "ferry ready.\n5\ndownloaded r\n");
  EXPECT_EQ(streams.err_text(),
            "warning: skipped an entry: \"x\\x1by\"\n"
            "error: NOT_FOUND: no such file: dir/new\\x0aline (stat: no such file) (request 4)\n"
            "error: INVALID_ARGUMENT: invalid argument: usage: size PATH (size PATH)\n");
}

TEST(ShellOutputText, QuietDropsWhatWasDoneButNotAnswersOrErrors) {
  Captured streams;
  ShellOutput output(streams.out(), streams.err(), {.quiet = true});
  ReportOneOfEach(output);
  streams.Close();
  EXPECT_EQ(streams.out_text(), "ferry ready.\n5\n");
  // Without -v: neither the detail nor the request number.
  EXPECT_THAT(Lines(streams.err_text()),
              ElementsAre(::testing::StartsWith("warning: "),
                          "error: NOT_FOUND: no such file: dir/new\\x0aline",
                          "error: INVALID_ARGUMENT: invalid argument: usage: size PATH"));
}

TEST(ShellOutputText, AReasonIsShownWithoutVerboseAndNotRepeatedWithIt) {
  const ShellError refused{.status = Status::Error(StatusCode::kUnavailable, "certificate expired"),
                           .path = "host:1",
                           .has_path = true,
                           .reason = "certificate expired"};
  EXPECT_EQ(ShellOutput(stdout, stderr, {}).ErrorLine(refused),
            "error: UNAVAILABLE: cannot connect: host:1 (certificate expired)");
  EXPECT_EQ(ShellOutput(stdout, stderr, {.verbose = true}).ErrorLine(refused),
            "error: UNAVAILABLE: cannot connect: host:1 (certificate expired)");
}

TEST(ShellOutputJson, OneObjectPerReportOnStdoutAndNothingOnStderr) {
  for (const bool quiet : {false, true}) {
    SCOPED_TRACE(quiet ? "quiet" : "not quiet");
    Captured streams;
    ShellOutput output(streams.out(), streams.err(), {.json = true, .quiet = quiet});
    ReportOneOfEach(output);
    streams.Close();
    EXPECT_EQ(streams.err_text(), "");
    const std::vector<Members> lines = JsonLines(streams.out_text());
    ASSERT_EQ(lines.size(), 6u) << streams.out_text();

    EXPECT_EQ(lines[0].at("command").text, "size");
    EXPECT_EQ(lines[0].at("ok").text, "true");
    EXPECT_EQ(lines[0].at("path").text, "a b");
    EXPECT_EQ(lines[0].at("size").text, "5");
    EXPECT_EQ(lines[0].size(), 4u);

    EXPECT_EQ(lines[1].at("command").text, "rm");
    EXPECT_EQ(lines[1].at("path").text, "gone");
    EXPECT_EQ(lines[2].at("command").text, "download");
    EXPECT_EQ(lines[2].at("bytes").text, "3");

    EXPECT_EQ(lines[3].at("command").text, "ls");
    EXPECT_EQ(lines[3].at("ok").text, "true");
    const Members& warning = lines[3].at("warning").members;
    EXPECT_EQ(warning.at("kind").text, "unsafe-name-skipped");
    EXPECT_EQ(warning.at("name").text, "x\x1by");  // raw, decoded from its escape
    EXPECT_THAT(warning.at("message").text, ::testing::HasSubstr("skipped"));

    EXPECT_EQ(lines[4].at("command").text, "ls");
    EXPECT_EQ(lines[4].at("ok").text, "false");
    const Members& error = lines[4].at("error").members;
    EXPECT_EQ(error.at("code").text, "NOT_FOUND");
    EXPECT_EQ(error.at("class").text, "not-found");
    EXPECT_EQ(error.at("exit").text, "5");
    EXPECT_EQ(error.at("message").text, "no such file");
    EXPECT_EQ(error.at("detail").text, "stat: no such file");  // with or without -v
    EXPECT_EQ(error.at("path").text, "dir/new\nline");
    EXPECT_EQ(error.at("request").text, "4");

    const Members& usage = lines[5].at("error").members;
    EXPECT_EQ(lines[5].at("command").text, "size");
    EXPECT_EQ(usage.at("code").text, "INVALID_ARGUMENT");
    EXPECT_EQ(usage.at("class").text, "usage");
    EXPECT_EQ(usage.at("exit").text, "2");
    EXPECT_EQ(usage.at("message").text, "invalid argument: usage: size PATH");
    EXPECT_EQ(usage.count("path"), 0u);
    EXPECT_EQ(usage.count("request"), 0u);
  }
}

TEST(ShellOutputJson, EveryErrorClassHasItsExitNumberAndName) {
  const ShellOutput output(stdout, stderr, {.json = true});
  const std::vector<std::tuple<StatusCode, std::string, int>> cases = {
      {StatusCode::kUnavailable, "connection", 3},
      {StatusCode::kAuthenticationFailed, "authentication", 4},
      {StatusCode::kPermissionDenied, "permission", 6},
      {StatusCode::kAlreadyExists, "conflict", 7},
      {StatusCode::kNoSpace, "space", 8},
      {StatusCode::kChecksumMismatch, "integrity", 9},
      {StatusCode::kCancelled, "interrupted", 130},
  };
  for (const auto& [code, name, number] : cases) {
    const JsonObject object = output.ErrorObject({.status = Status::Error(code, "")});
    Members members;
    std::string error;
    ASSERT_TRUE(testing::ParseJsonObject(object.ToString(), &members, &error)) << error;
    EXPECT_EQ(members.at("code").text, StatusCodeName(code));
    EXPECT_EQ(members.at("class").text, name);
    EXPECT_EQ(members.at("exit").text, std::to_string(number));
    EXPECT_EQ(members.count("detail"), 0u);  // an empty message is left out
  }
}

TEST(FileFields, TypeSizeOctalModeAndTheTimeAsIntegerAndText) {
  JsonObject fields =
      FileFields(Entry("n", FileType::kDirectory, 040755, 4096, 1'741'776'067'123'456'789));
  Members members;
  std::string error;
  ASSERT_TRUE(testing::ParseJsonObject(fields.ToString(), &members, &error)) << error;
  EXPECT_EQ(members.at("type").text, "directory");
  EXPECT_EQ(members.at("size").text, "4096");
  EXPECT_EQ(members.at("mode").text, "0755");
  EXPECT_EQ(members.at("mtime_ns").text, "1741776067123456789");
  EXPECT_EQ(members.at("mtime").text, "2025-03-12T10:41:07.123456789Z");
  const std::vector<std::pair<FileType, std::string>> types = {
      {FileType::kRegular, "file"}, {FileType::kSymlink, "symlink"}, {FileType::kOther, "other"}};
  for (const auto& [type, name] : types) {
    ASSERT_TRUE(testing::ParseJsonObject(FileFields(Entry("n", type, 0, 0, 0)).ToString(), &members,
                                         &error));
    EXPECT_EQ(members.at("type").text, name);
  }
}

}  // namespace
}  // namespace ferry
