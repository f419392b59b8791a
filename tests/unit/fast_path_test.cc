// The performance paths keep the guarantees of the plain ones: write-behind
// never loses or reorders a byte and reports I/O errors; the AVX2 digest equals
// the library's; a root-level stat still never follows a link out of the root.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "src/base/digest.h"
#include "src/fs/posix_file_system.h"
#include "src/fs/write_behind.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace ferry {
namespace {

std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 131 + i / 977) & 0xFF);
  return out;
}

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

TEST(WriteBehindUpload, ManyWindowsCommitExactlyTheBytesWritten) {
  TempDir dir;
  auto fs = PosixFileSystem::Open(dir.path().string());
  ASSERT_TRUE(fs.ok());
  const std::string content = Pattern(3 * WriteBehind::kWindowBytes + 12345);
  auto upload = (*fs)->CreateUpload(*Path::Parse("big"), UploadOptions{content.size(), false});
  ASSERT_TRUE(upload.ok());
  // Uneven writes, so windows end in the middle of one.
  for (size_t at = 0; at < content.size();) {
    const size_t n = std::min<size_t>(content.size() - at, 1000003);
    ASSERT_TRUE((*upload)->Write(Bytes(content).subspan(at, n)).ok());
    at += n;
  }
  ASSERT_TRUE((*upload)->Commit().ok());
  std::ifstream in(dir.Path("big"), std::ios::binary);
  const std::string committed((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(DigestOf(Bytes(committed)), DigestOf(Bytes(content)));
}

// Descriptors of this process open on the inode `ino` of `dev` that no name
// links to any more.
int OpenUnlinkedDescriptors(dev_t dev, ino_t ino) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    struct stat st;
    if (stat(entry.path().c_str(), &st) == 0 && st.st_dev == dev && st.st_ino == ino &&
        st.st_nlink == 0) {
      ++count;
    }
  }
  return count;
}

// A replacing upload commits without freeing the replaced file's blocks: the
// upload holds the old file until it is destroyed, which the session does after
// UploadDone is sent, so the client does not wait for a large file to be freed.
TEST(ReplacedFileRelease, TheReplacedFileIsFreedWithTheUploadNotByTheCommit) {
  TempDir dir;
  FERRY_ASSERT_OK(dir.WriteFile("target", Pattern(100000)));
  struct stat old_file;
  ASSERT_EQ(stat(dir.Path("target").c_str(), &old_file), 0);
  auto fs = PosixFileSystem::Open(dir.path().string());
  ASSERT_TRUE(fs.ok());
  const std::string content = Pattern(5000);
  auto upload = (*fs)->CreateUpload(*Path::Parse("target"), UploadOptions{content.size(), true});
  ASSERT_TRUE(upload.ok());
  ASSERT_TRUE((*upload)->Write(Bytes(content)).ok());
  ASSERT_TRUE((*upload)->Commit().ok());
  std::ifstream in(dir.Path("target"), std::ios::binary);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), content);
  EXPECT_EQ(OpenUnlinkedDescriptors(old_file.st_dev, old_file.st_ino), 1);
  upload->reset();
  EXPECT_EQ(OpenUnlinkedDescriptors(old_file.st_dev, old_file.st_ino), 0);
}

// A new target replaces nothing, and a failed move releases what it held.
TEST(ReplacedFileRelease, NothingIsHeldWithoutAReplacedFile) {
  TempDir dir;
  auto fs = PosixFileSystem::Open(dir.path().string());
  ASSERT_TRUE(fs.ok());
  const auto open_descriptors = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                         std::filesystem::directory_iterator());
  };
  auto upload = (*fs)->CreateUpload(*Path::Parse("fresh"), UploadOptions{3, true});
  ASSERT_TRUE(upload.ok());
  ASSERT_TRUE((*upload)->Write(Bytes("abc")).ok());
  const auto before = open_descriptors();
  ASSERT_TRUE((*upload)->Commit().ok());
  // Commit closes the file and holds nothing new.
  EXPECT_EQ(open_descriptors(), before - 1);
}

TEST(WriteBehind, FileSystemsThatCannotAreLeftToTheFsync) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  WriteBehind write_behind;  // sync_file_range on a pipe: ESPIPE
  EXPECT_TRUE(write_behind.Wrote(pipe_fds[1], 3 * WriteBehind::kWindowBytes).ok());
  EXPECT_TRUE(write_behind.Wrote(pipe_fds[1], 3 * WriteBehind::kWindowBytes).ok());
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST(WriteBehind, ErrorsAreTheUploadsErrors) {
  WriteBehind write_behind;
  EXPECT_FALSE(write_behind.Wrote(-1, WriteBehind::kWindowBytes).ok());  // EBADF
}

TEST(WriteBehind, WindowsCountFromWhereWritingStarted) {
  // A write-behind for a file continued at 100 MiB starts its first window only
  // once a window's worth has been written past that point.
  WriteBehind write_behind(uint64_t{100} << 20);
  EXPECT_TRUE(write_behind.Wrote(-1, WriteBehind::kWindowBytes - 1).ok());
  EXPECT_FALSE(write_behind.Wrote(-1, 1).ok());  // now it acts (EBADF)
}

TEST(WriteBehind, NothingHappensBeforeAWindowFills) {
  WriteBehind write_behind;  // a bad descriptor is never touched below one window
  EXPECT_TRUE(write_behind.Wrote(-1, WriteBehind::kWindowBytes - 1).ok());
}

TEST(StreamingDigestFastPath, UnevenPiecesMatchTheOneShotDigest) {
  // StreamingDigest may take the AVX2 build of XXH3; DigestOf is always the
  // packaged library's. Sizes cross XXH3's 1 KiB stripe blocks and its buffer.
  const std::string content = Pattern((3 << 20) + 4099);
  for (size_t piece : {1u, 63u, 64u, 255u, 1024u, 4097u, 65536u, 1048583u}) {
    StreamingDigest digest;
    for (size_t at = 0; at < content.size(); at += piece) {
      digest.Update(Bytes(content).subspan(at, std::min(piece, content.size() - at)));
    }
    EXPECT_EQ(digest.Finish(), DigestOf(Bytes(content))) << "pieces of " << piece;
  }
}

TEST(RootLevelStat, FollowsLinksOnlyWithinTheRoot) {
  TempDir outside, root;
  ASSERT_TRUE(outside.WriteFile("secret", "secret!").ok());
  ASSERT_TRUE(root.WriteFile("file", "12345").ok());
  std::filesystem::create_symlink(outside.Path("secret"), root.Path("out"));
  std::filesystem::create_symlink("file", root.Path("in"));
  auto fs = PosixFileSystem::Open(root.path().string());
  ASSERT_TRUE(fs.ok());
  auto file = (*fs)->Stat(*Path::Parse("file"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->size, 5u);
  EXPECT_EQ(file->type, FileType::kRegular);
  EXPECT_EQ(file->name, "file");
  auto in = (*fs)->Stat(*Path::Parse("in"));
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->size, 5u);
  EXPECT_EQ(in->name, "in");
  EXPECT_EQ((*fs)->Stat(*Path::Parse("out")).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ((*fs)->Stat(*Path::Parse("missing")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ferry
