// Spec sections 6.4 and 7.2: download.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

constexpr int64_t kMtime = 1'700'000'000'000'000'000;
// Far more than the socket buffers hold, so the server is still sending when the
// test acts on the file.
constexpr uint64_t kHugeBytes = 64 * 1024 * 1024;
constexpr int kTinyReceiveBuffer = 4096;

class DownloadConformance : public ConformanceTest {};

// R-DOWNLOAD-1, R-DOWNLOAD-5, R-DOWNLOAD-6
TEST_F(DownloadConformance, SmallFileComesAsBeginChunksAndEnd) {
  Put("hello.txt", "hello");
  SetMtime("hello.txt", kMtime);
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("hello.txt")));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_EQ(download.begin->size(), 5u);
  EXPECT_EQ(download.begin->mtime_unix_ns(), kMtime);
  EXPECT_EQ(download.data, "hello");
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.terminal.message.download_end().size(), 5u);
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), kHelloDigest);
}

// R-DOWNLOAD-5: an empty file has no chunks and the digest of empty input.
TEST_F(DownloadConformance, EmptyFileHasNoChunks) {
  Put("empty", "");
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("empty")));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_EQ(download.begin->size(), 0u);
  EXPECT_TRUE(download.chunks.empty());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.terminal.message.download_end().size(), 0u);
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), kEmptyDigest);
}

// R-DOWNLOAD-5, R-DOWNLOAD-6, 7.1: a multi-chunk file arrives whole, in order.
TEST_F(DownloadConformance, LargeFileArrivesWholeWithAMatchingDigest) {
  const uint64_t size = 5 * 1048624 + 12345;
  auto digest = WriteRandomFile(root_ / "big.bin", size, 21);
  FERRY_ASSERT_OK(digest.status());
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("big.bin")));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_EQ(download.begin->size(), size);
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_GE(download.chunks.size(), 6u);
  EXPECT_EQ(download.data, Get("big.bin"));
  EXPECT_EQ(download.terminal.message.download_end().size(), size);
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), DigestToBytes(*digest));
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), WireDigest(download.data));
}

// R-PATH-12: download follows a final symlink inside the root.
TEST_F(DownloadConformance, SymlinkInsideTheRootIsFollowed) {
  Put("dir/real.txt", "real");
  MakeSymlink("dir/real.txt", "link");
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("link")));
  EXPECT_EQ(ReadDownload(client()).data, "real");
}

// R-DOWNLOAD-2, 6.4 errors: each refusal replaces DownloadBegin and leaves READY.
struct RefusalCase {
  const char* name;
  const char* path;
  v1::ErrorCode code;
};
void PrintTo(const RefusalCase& refusal, std::ostream* os) { *os << refusal.name; }

class DownloadRefusalConformance : public DownloadConformance,
                                   public ::testing::WithParamInterface<RefusalCase> {
 protected:
  void SetUp() override {
    DownloadConformance::SetUp();
    Put("a.txt", "hello");
    std::filesystem::create_directory(root_ / "dir");
    MakeFifo("fifo");
    MakeSocket("sock");
    FERRY_ASSERT_OK(WriteFile(outside_ / "secret", "secret"));
    MakeSymlink(outside_ / "secret", "out");
    MakeSymlink("dir", "dirlink");
  }
};

TEST_P(DownloadRefusalConformance, IsAnErrorInsteadOfDownloadBegin) {
  const ServerFrame reply = Call(client(), DownloadMessage(GetParam().path));
  EXPECT_THAT(reply, IsError(GetParam().code));
  EXPECT_EQ(reply.message.error().path(), GetParam().path);
  // Still READY: the next request is answered normally.
  EXPECT_THAT(Call(client(), StatMessage("a.txt")), HasBody(v1::ServerMessage::kStat));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DownloadRefusalConformance,
    ::testing::Values(RefusalCase{"Missing", "missing.txt", v1::NOT_FOUND},
                      RefusalCase{"MissingPrefix", "nodir/a.txt", v1::NOT_FOUND},
                      RefusalCase{"PrefixIsAFile", "a.txt/x", v1::NOT_A_DIRECTORY},
                      RefusalCase{"Directory", "dir", v1::IS_A_DIRECTORY},
                      RefusalCase{"SymlinkToDirectory", "dirlink", v1::IS_A_DIRECTORY},
                      RefusalCase{"Root", "", v1::IS_A_DIRECTORY},
                      RefusalCase{"RootSlash", "/", v1::IS_A_DIRECTORY},
                      // R-DOWNLOAD-4: never blocks on a FIFO without a writer.
                      RefusalCase{"Fifo", "fifo", v1::NOT_A_REGULAR_FILE},
                      RefusalCase{"Socket", "sock", v1::NOT_A_REGULAR_FILE},
                      RefusalCase{"LeavesTheRoot", "out", v1::PERMISSION_DENIED},
                      RefusalCase{"BadPath", "a/../a.txt", v1::INVALID_PATH}),
    [](const auto& test) { return std::string(test.param.name); });

// R-DOWNLOAD-4: a FIFO that has a writer is refused all the same.
TEST_F(DownloadConformance, FifoWithAWriterIsNotARegularFile) {
  MakeFifo("fifo");
  // O_RDWR opens a FIFO without waiting for a peer; this keeps a writer present.
  const int fd = open((root_ / "fifo").c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "data", 4), 4);
  EXPECT_THAT(Call(client(), DownloadMessage("fifo")), IsError(v1::NOT_A_REGULAR_FILE));
  close(fd);
}

// R-DOWNLOAD-3: a file that shrinks during the download ends it with IO_ERROR,
// which is not fatal.
TEST_F(DownloadConformance, FileThatShrinksEndsTheDownloadWithIoError) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "huge.bin", kHugeBytes, 22).status());
  auto session = OpenSession(0, kTinyReceiveBuffer);
  ASSERT_NE(session, nullptr);
  ASSERT_THAT(Call(*session, DownloadMessage("huge.bin")),
              HasBody(v1::ServerMessage::kDownloadBegin));
  std::filesystem::resize_file(root_ / "huge.bin", 1000);
  std::string data;
  ServerFrame frame;
  while ((frame = Read(*session)).is_chunk()) data += frame.chunk_data();
  EXPECT_THAT(frame, IsError(v1::IO_ERROR));
  EXPECT_LT(data.size(), kHugeBytes);
  EXPECT_THAT(Call(*session, StatMessage("huge.bin")), HasBody(v1::ServerMessage::kStat));
}

// R-DOWNLOAD-5: DownloadBegin.size is fixed at open; bytes appended later are not sent.
TEST_F(DownloadConformance, BytesAppendedDuringTheDownloadAreNotSent) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "huge.bin", kHugeBytes, 23).status());
  auto session = OpenSession(0, kTinyReceiveBuffer);
  ASSERT_NE(session, nullptr);
  FERRY_ASSERT_OK(session->SendFrame(DownloadMessage("huge.bin")));
  const ServerFrame begin = Read(*session);
  ASSERT_THAT(begin, HasBody(v1::ServerMessage::kDownloadBegin));
  EXPECT_EQ(begin.message.download_begin().size(), kHugeBytes);
  {
    std::FILE* file = std::fopen((root_ / "huge.bin").c_str(), "ab");
    ASSERT_NE(file, nullptr);
    const std::string extra(1024 * 1024, 'E');
    ASSERT_EQ(std::fwrite(extra.data(), 1, extra.size(), file), extra.size());
    std::fclose(file);
  }
  FERRY_ASSERT_OK(session->SetReceiveBuffer(4 * 1024 * 1024));
  std::string data;
  ServerFrame frame;
  while ((frame = Read(*session)).is_chunk()) data += frame.chunk_data();
  ASSERT_THAT(frame, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(data.size(), kHugeBytes);
  EXPECT_EQ(frame.message.download_end().size(), kHugeBytes);
  EXPECT_EQ(frame.message.download_end().xxh3_128(), WireDigest(data));
}

}  // namespace
}  // namespace ferry::conformance
