// What the shell shows (src/client/progress.h, listing.h): the progress line and
// the ls formats, as pure functions of their inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/client/listing.h"
#include "src/client/progress.h"
#include "src/client/time_text.h"

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

}  // namespace
}  // namespace ferry
