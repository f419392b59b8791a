// The client's local side of a download: the hidden partial and its sidecar,
// kept only for an interrupted download and resumed only into a matching one
// (spec R-RESUME-5, R-DOWNLOAD-7).
#include "src/client/local_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

class LocalDownloadTest : public ::testing::Test {
 protected:
  std::string Target() const { return dir_.Path("out.bin").string(); }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  // An interrupted download of `remote`: announced as `size` at `mtime`, `data`
  // received, then kept.
  void Interrupt(std::string_view remote, uint64_t size, int64_t mtime, std::string_view data) {
    auto download = LocalDownload::Create(Target(), false);
    ASSERT_THAT(download, IsOk());
    FERRY_ASSERT_OK((*download)->Begin(remote, size, mtime, 0));
    FERRY_ASSERT_OK((*download)->Write(Bytes(data)));
    (*download)->Keep();
  }

  TempDir dir_;
};

// R-RESUME-5: the kept partial is hidden, and a resume of the same remote
// finds it with what the server announced.
TEST_F(LocalDownloadTest, InterruptedDownloadIsKeptHiddenAndResumable) {
  Interrupt("dir/remote.bin", 10, 77, "01234");
  EXPECT_THAT(Names(), ElementsAre(".out.bin.ferry-part.data", ".out.bin.ferry-part.info"));
  auto resumed = LocalDownload::Resume(Target(), false, "dir/remote.bin");
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ((*resumed)->kept_bytes(), 5u);
  EXPECT_EQ((*resumed)->kept_size(), 10u);
  EXPECT_EQ((*resumed)->kept_mtime_unix_ns(), 77);
  StreamingDigest digest;
  FERRY_ASSERT_OK((*resumed)->HashKept(&digest));
  EXPECT_EQ(digest.Finish(), DigestOf(Bytes("01234")));
  FERRY_ASSERT_OK((*resumed)->Begin("dir/remote.bin", 10, 77, 5));
  FERRY_ASSERT_OK((*resumed)->Write(Bytes("56789")));
  FERRY_ASSERT_OK((*resumed)->Commit());
  resumed->reset();
  EXPECT_THAT(Names(), ElementsAre("out.bin"));
  EXPECT_THAT(ReadFile(Target()), IsOkAndHolds("0123456789"));
}

// R-RESUME-5: a partial recorded for another remote path is never resumed into.
TEST_F(LocalDownloadTest, PartialOfAnotherRemoteIsNotResumed) {
  Interrupt("a.bin", 10, 77, "01234");
  auto resumed = LocalDownload::Resume(Target(), false, "b.bin");
  ASSERT_THAT(resumed, IsOk());
  EXPECT_EQ((*resumed)->kept_bytes(), 0u);
  EXPECT_EQ(std::filesystem::file_size(LocalDownload::PartialPathFor(Target())), 0u);
}

// R-RESUME-5: a partial longer than its recorded size, or a torn sidecar, is
// not trusted.
TEST_F(LocalDownloadTest, InconsistentPartialIsNotResumed) {
  Interrupt("a.bin", 3, 77, "01234");
  auto longer = LocalDownload::Resume(Target(), false, "a.bin");
  ASSERT_THAT(longer, IsOk());
  EXPECT_EQ((*longer)->kept_bytes(), 0u);
  longer->reset();

  Interrupt("a.bin", 10, 77, "01234");
  const std::filesystem::path info = dir_.Path(".out.bin.ferry-part.info");
  std::filesystem::resize_file(info, std::filesystem::file_size(info) - 4);  // lose "end\n"
  auto torn = LocalDownload::Resume(Target(), false, "a.bin");
  ASSERT_THAT(torn, IsOk());
  EXPECT_EQ((*torn)->kept_bytes(), 0u);
}

// R-RESUME-5: a download not asked to resume drops the partial and starts at 0.
TEST_F(LocalDownloadTest, FreshDownloadDropsAStalePartial) {
  Interrupt("a.bin", 10, 77, "01234");
  auto fresh = LocalDownload::Create(Target(), false);
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ((*fresh)->kept_bytes(), 0u);
  EXPECT_THAT(Names(), ElementsAre(".out.bin.ferry-part.data"));
  EXPECT_EQ(std::filesystem::file_size(LocalDownload::PartialPathFor(Target())), 0u);
}

// R-RESUME-4, R-RESUME-5: a server that sends the whole file (offset 0) makes
// the kept prefix go.
TEST_F(LocalDownloadTest, BeginAtZeroDropsTheKeptPrefix) {
  Interrupt("a.bin", 10, 77, "01234");
  auto resumed = LocalDownload::Resume(Target(), false, "a.bin");
  ASSERT_THAT(resumed, IsOk());
  ASSERT_EQ((*resumed)->kept_bytes(), 5u);
  FERRY_ASSERT_OK((*resumed)->Begin("a.bin", 4, 78, 0));
  FERRY_ASSERT_OK((*resumed)->Write(Bytes("abcd")));
  FERRY_ASSERT_OK((*resumed)->Commit());
  EXPECT_THAT(ReadFile(Target()), IsOkAndHolds("abcd"));
}

// R-DOWNLOAD-7: a download that fails otherwise leaves nothing, and one that
// never began has nothing worth keeping.
TEST_F(LocalDownloadTest, FailedOrUnbegunDownloadLeavesNothing) {
  {
    auto download = LocalDownload::Create(Target(), false);
    ASSERT_THAT(download, IsOk());
    FERRY_ASSERT_OK((*download)->Begin("a.bin", 10, 77, 0));
    FERRY_ASSERT_OK((*download)->Write(Bytes("01234")));
  }
  EXPECT_THAT(Names(), IsEmpty());
  {
    auto download = LocalDownload::Create(Target(), false);
    ASSERT_THAT(download, IsOk());
    (*download)->Keep();
  }
  EXPECT_THAT(Names(), IsEmpty());
}

// Two writers of one partial would corrupt it: the second is refused and the
// first's partial is left alone.
TEST_F(LocalDownloadTest, SecondDownloadToTheSameTargetIsBusy) {
  auto first = LocalDownload::Create(Target(), false);
  ASSERT_THAT(first, IsOk());
  FERRY_ASSERT_OK((*first)->Begin("a.bin", 10, 77, 0));
  FERRY_ASSERT_OK((*first)->Write(Bytes("012")));
  EXPECT_THAT(LocalDownload::Resume(Target(), false, "a.bin"), StatusIs(StatusCode::kBusy));
  FERRY_ASSERT_OK((*first)->Write(Bytes("3456789")));
  FERRY_ASSERT_OK((*first)->Commit());
  EXPECT_THAT(ReadFile(Target()), IsOkAndHolds("0123456789"));
}

// The destination is only ever the complete file: an existing one is not
// replaced without overwrite, whatever the partial holds.
TEST_F(LocalDownloadTest, ExistingTargetIsNotReplacedUnlessAsked) {
  FERRY_ASSERT_OK(WriteFile(Target(), "old"));
  EXPECT_THAT(LocalDownload::Resume(Target(), false, "a.bin"),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(ReadFile(Target()), IsOkAndHolds("old"));
}

}  // namespace
}  // namespace ferry
