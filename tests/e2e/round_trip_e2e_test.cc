// End to end: what goes up comes back byte for byte, whatever its size or name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "src/codec/limits.h"
#include "tests/e2e/e2e_fixture.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr uint64_t kMiB = 1024 * 1024;
// The largest chunk with the default frame limit; chunk boundaries fall on its multiples.
constexpr uint64_t kChunk = limits::kDefaultMaxFrameBytes - limits::kChunkOverheadBytes;

class RoundTripE2e : public E2eTest {
 protected:
  // Uploads local_/`local` as `remote`, downloads that as local_/`copy`, and
  // expects the server's file and the copy to have `digest`.
  void ExpectRoundTrip(const std::string& local, const std::string& remote, const std::string& copy,
                       const Digest& digest, uint64_t size) {
    const ProcessResult run = RunSession("upload " + Arg(local) + " " + Arg(remote) + "\n" +
                                         "download " + Arg(remote) + " " + Arg(copy) + "\n");
    ASSERT_EQ(run.exit_code, 0) << run;
    EXPECT_THAT(run.err, IsEmpty());
    const std::string bytes = ": " + std::to_string(size) + " bytes (";
    EXPECT_THAT(Lines(run.out),
                ElementsAre(ConnectedLine(), AllOf(StartsWith("uploaded "), HasSubstr(bytes)),
                            AllOf(StartsWith("downloaded "), HasSubstr(bytes)), "bye"))
        << run;
    EXPECT_THAT(DigestOfFile(root_ / remote), IsOkAndHolds(digest));
    EXPECT_THAT(DigestOfFile(local_ / copy), IsOkAndHolds(digest));
  }
};

struct SizeCase {
  const char* name;
  uint64_t size;
};

void PrintTo(const SizeCase& c, std::ostream* os) { *os << c.name; }

class RoundTripSizeE2e : public RoundTripE2e, public ::testing::WithParamInterface<SizeCase> {};

TEST_P(RoundTripSizeE2e, DownloadedCopyIsByteIdenticalToTheUploadedFile) {
  const uint64_t size = GetParam().size;
  auto digest = WriteRandomFile(local_ / "original.bin", size, /*seed=*/size);
  ASSERT_THAT(digest, IsOk());
  ExpectRoundTrip("original.bin", "stored.bin", "copy.bin", *digest, size);
}

INSTANTIATE_TEST_SUITE_P(
    ChunkBoundaries, RoundTripSizeE2e,
    ::testing::Values(SizeCase{"Empty", 0}, SizeCase{"OneByte", 1},
                      SizeCase{"OneMiBMinusOne", kMiB - 1}, SizeCase{"OneMiB", kMiB},
                      SizeCase{"OneMiBPlusOne", kMiB + 1}, SizeCase{"OneChunkMinusOne", kChunk - 1},
                      SizeCase{"OneChunk", kChunk}, SizeCase{"OneChunkPlusOne", kChunk + 1},
                      SizeCase{"TwoChunks", 2 * kChunk},
                      SizeCase{"TwoChunksPlusOne", 2 * kChunk + 1}),
    [](const ::testing::TestParamInfo<SizeCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST_F(RoundTripE2e, QuotedNameWithSpacesRoundTrips) {
  auto digest = WriteRandomFile(local_ / "my holiday file.txt", 4321, 1);
  ASSERT_THAT(digest, IsOk());
  ExpectRoundTrip("my holiday file.txt", "remote copy of it.txt", "back  again.txt", *digest, 4321);
}

TEST_F(RoundTripE2e, JapaneseNameRoundTripsAndListsUnescaped) {
  auto digest = WriteRandomFile(local_ / "日本語.txt", 999, 2);
  ASSERT_THAT(digest, IsOk());
  ExpectRoundTrip("日本語.txt", "日本語.txt", "コピー.txt", *digest, 999);

  const ProcessResult listed = RunSession("ls\n");
  ASSERT_EQ(listed.exit_code, 0) << listed;
  EXPECT_THAT(Lines(listed.out), ElementsAre(ConnectedLine(), "日本語.txt", "bye"));
}

TEST_F(RoundTripE2e, AccentedNamesInBothUnicodeFormsStayDistinct) {
  // "é" precomposed (U+00E9) and decomposed (e + U+0301): different bytes, different files.
  const std::string composed = "\xC3\xA9";
  const std::string decomposed = "e\xCC\x81";
  auto first = WriteRandomFile(local_ / composed, 100, 3);
  auto second = WriteRandomFile(local_ / decomposed, 200, 4);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  ExpectRoundTrip(composed, composed, "copy-composed", *first, 100);
  ExpectRoundTrip(decomposed, decomposed, "copy-decomposed", *second, 200);
}

TEST_F(RoundTripE2e, NameWithABackslashRoundTrips) {
  // On the wire a backslash is an ordinary character, never a separator.
  auto digest = WriteRandomFile(local_ / "back\\slash.txt", 77, 5);
  ASSERT_THAT(digest, IsOk());
  ExpectRoundTrip("back\\slash.txt", "dir\\like\\name.txt", "copy\\of.txt", *digest, 77);
  EXPECT_TRUE(std::filesystem::is_regular_file(root_ / "dir\\like\\name.txt"));
}

TEST_F(RoundTripE2e, FileInASubdirectoryOfTheRootRoundTrips) {
  std::filesystem::create_directories(root_ / "sub" / "deeper");
  auto digest = WriteRandomFile(local_ / "nested.bin", 3 * kMiB + 5, 6);
  ASSERT_THAT(digest, IsOk());
  ExpectRoundTrip("nested.bin", "sub/deeper/nested.bin", "nested-copy.bin", *digest, 3 * kMiB + 5);

  const ProcessResult sized = RunSession("size /sub/deeper/nested.bin\n");
  ASSERT_EQ(sized.exit_code, 0) << sized;
  EXPECT_THAT(Lines(sized.out), ElementsAre(ConnectedLine(), std::to_string(3 * kMiB + 5), "bye"));
}

TEST_F(RoundTripE2e, DownloadWithoutALocalNameUsesTheRemoteBaseName) {
  std::filesystem::create_directories(root_ / "sub");
  auto digest = WriteRandomFile(root_ / "sub" / "report.pdf", 2048, 7);
  ASSERT_THAT(digest, IsOk());

  const ProcessResult run = RunSession("download sub/report.pdf\n");

  ASSERT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(DigestOfFile(local_ / "report.pdf"), IsOkAndHolds(*digest));
}

}  // namespace
}  // namespace ferry
