// The performance paths keep the protocol's bytes and guarantees: a chunk sent
// from a file is the frame WriteChunk would write, byte for byte; a file that
// ends early fails the send; write-behind never loses or reorders a byte and
// reports I/O errors; a root-level stat still never follows a link out of the
// root; a socket read that polls first still sees data and end-of-stream.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "src/base/digest.h"
#include "src/codec/frame_io.h"
#include "src/fs/posix_file_system.h"
#include "src/fs/write_behind.h"
#include "src/net/memory_stream.h"
#include "src/net/socket.h"
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

class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    writer_ = std::make_unique<SocketStream>(fds[0]);
    reader_ = std::make_unique<SocketStream>(fds[1]);
    writer_->SetIoTimeout(std::chrono::seconds(30));  // hang guard
    reader_->SetIoTimeout(std::chrono::seconds(30));
  }

  // Reads until the writer side is shut down.
  std::string ReadAll() {
    std::string out;
    std::vector<uint8_t> buffer(1 << 16);
    while (true) {
      auto got = reader_->ReadSome(buffer);
      if (!got.ok()) break;
      out.append(reinterpret_cast<const char*>(buffer.data()), *got);
    }
    return out;
  }

  // Runs `send` on its own thread (it may block on a full socket) and returns
  // everything it wrote.
  std::string Capture(const std::function<void()>& send) {
    std::thread sender([&] {
      send();
      shutdown(writer_->fd(), SHUT_WR);
    });
    std::string out = ReadAll();
    sender.join();
    return out;
  }

  std::unique_ptr<SocketStream> writer_;
  std::unique_ptr<SocketStream> reader_;
  TempDir dir_;
};

TEST_F(SocketPair, WriteFromFileSendsTheHeaderThenExactlyTheFileRange) {
  const std::string content = Pattern(3 << 20);
  ASSERT_TRUE(dir_.WriteFile("data", content).ok());
  const int fd = open(dir_.Path("data").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string header = "HEADER";
  StatusOr<size_t> sent = Status::Ok();
  const std::string got =
      Capture([&] { sent = writer_->WriteFromFile(Bytes(header), fd, 12345, (2 << 20) + 7); });
  close(fd);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(*sent, (2u << 20) + 7);
  EXPECT_EQ(got, header + content.substr(12345, (2 << 20) + 7));
}

TEST_F(SocketPair, WriteFromFileSaysHowMuchAShorterFileGave) {
  ASSERT_TRUE(dir_.WriteFile("short", Pattern(1000)).ok());
  const int fd = open(dir_.Path("short").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  StatusOr<size_t> sent = Status::Ok();
  const std::string got =
      Capture([&] { sent = writer_->WriteFromFile(Bytes(std::string("H")), fd, 0, 2000); });
  close(fd);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 1000u);
  EXPECT_EQ(got, "H" + Pattern(1000));
}

TEST_F(SocketPair, ChunkFromAFileThatShrankIsCompletedFromTheBytesRead) {
  // The bytes were read (and hashed) before the file was cut short: the frame
  // still carries exactly them, so the stream stays in step.
  const std::string content = Pattern(50000);
  ASSERT_TRUE(dir_.WriteFile("data", content).ok());
  const int fd = open(dir_.Path("data").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(truncate(dir_.Path("data").c_str(), 20000), 0);
  MemoryStream expected_stream("");
  ASSERT_TRUE(FrameWriter(&expected_stream).WriteChunk(Bytes(content).subspan(10000)).ok());
  const std::string got = Capture([&] {
    EXPECT_TRUE(FrameWriter(writer_.get())
                    .WriteChunkFromFile(Bytes(content).subspan(10000), fd, 10000)
                    .ok());
  });
  close(fd);
  EXPECT_EQ(got, expected_stream.output());
}

TEST_F(SocketPair, ChunkFromFileIsByteForByteTheChunkFrame) {
  const std::string content = Pattern(1 << 20);
  ASSERT_TRUE(dir_.WriteFile("data", content).ok());
  const int fd = open(dir_.Path("data").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string piece = content.substr(4096, 300000);
  MemoryStream expected_stream("");
  ASSERT_TRUE(FrameWriter(&expected_stream).WriteChunk(Bytes(piece)).ok());
  const std::string got = Capture([&] {
    EXPECT_TRUE(FrameWriter(writer_.get()).WriteChunkFromFile(Bytes(piece), fd, 4096).ok());
  });
  close(fd);
  EXPECT_EQ(got, expected_stream.output());
}

TEST(ChunkFromFile, StreamsWithoutZeroCopyWriteTheGivenBytes) {
  // A memory stream (like TLS) cannot send from a file: the bytes in hand go.
  TempDir dir;
  ASSERT_TRUE(dir.WriteFile("data", "file bytes").ok());
  const int fd = open(dir.Path("data").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string data = "file bytes";
  MemoryStream from_file(""), plain(""), no_fd("");
  ASSERT_TRUE(FrameWriter(&from_file).WriteChunkFromFile(Bytes(data), fd, 0).ok());
  ASSERT_TRUE(FrameWriter(&no_fd).WriteChunkFromFile(Bytes(data), -1, 0).ok());
  ASSERT_TRUE(FrameWriter(&plain).WriteChunk(Bytes(data)).ok());
  close(fd);
  EXPECT_EQ(from_file.output(), plain.output());
  EXPECT_EQ(no_fd.output(), plain.output());
}

TEST_F(SocketPair, ReadAfterAShortReadStillWaitsForLaterBytesAndSeesTheEnd) {
  std::vector<uint8_t> buffer(100);
  ASSERT_TRUE(writer_->Write(Bytes(std::string("first")), {}).ok());
  auto got = reader_->ReadSome(buffer);  // short: the next read polls first
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 5u);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_TRUE(writer_->Write(Bytes(std::string("second")), {}).ok());
    shutdown(writer_->fd(), SHUT_WR);
  });
  got = reader_->ReadSome(buffer);
  later.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::string(buffer.begin(), buffer.begin() + static_cast<long>(*got)), "second");
  EXPECT_EQ(reader_->ReadSome(buffer).status().code(), StatusCode::kConnectionClosed);
}

TEST_F(SocketPair, ReadThatPollsFirstStillTimesOut) {
  std::vector<uint8_t> buffer(100);
  ASSERT_TRUE(writer_->Write(Bytes(std::string("x")), {}).ok());
  ASSERT_TRUE(reader_->ReadSome(buffer).ok());
  reader_->SetIoTimeout(std::chrono::milliseconds(10));
  EXPECT_EQ(reader_->ReadSome(buffer).status().code(), StatusCode::kTimeout);
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
