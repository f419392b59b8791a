// Spec section 7.8: resume. A resumed download sends only what the client lacks
// and its digest covers the whole file; a file that changed is refused, never
// spliced.
#include <string>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

constexpr int64_t kMtime = 1'700'000'000'000'000'000;

class ResumeConformance : public ConformanceTest {
 protected:
  // A file of `size` bytes whose content differs at every offset, and its mtime.
  std::string PutPattern(std::string_view name, size_t size) {
    std::string content(size, '\0');
    for (size_t i = 0; i < size; ++i) content[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
    Put(name, content);
    SetMtime(name, kMtime);
    return content;
  }
};

v1::ClientMessage ResumeMessage(std::string_view path, uint64_t offset, uint64_t expect_size,
                                int64_t expect_mtime) {
  v1::ClientMessage message = DownloadMessage(path);
  message.mutable_download()->set_offset(offset);
  message.mutable_download()->set_expect_size(expect_size);
  message.mutable_download()->set_expect_mtime_unix_ns(expect_mtime);
  return message;
}

// R-RESUME-1, R-RESUME-3, R-DOWNLOAD-5, R-DOWNLOAD-6: at offsets 0, inside the
// first chunk, past it, and at the very end, the chunks carry exactly the bytes
// from the offset on and DownloadEnd has the digest of the whole file.
TEST_F(ResumeConformance, ResumedDownloadSendsTheRestWithTheWholeFilesDigest) {
  const size_t size = 3 * 1048624 + 777;
  const std::string content = PutPattern("big.bin", size);
  for (const uint64_t offset : {uint64_t{0}, uint64_t{1}, uint64_t{4096}, uint64_t{1048624 + 5},
                                uint64_t{size - 1}, uint64_t{size}}) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    FERRY_ASSERT_OK(client().SendFrame(ResumeMessage("big.bin", offset, size, kMtime)));
    const DownloadResult download = ReadDownload(client());
    ASSERT_TRUE(download.begin.has_value()) << ::testing::PrintToString(download.terminal);
    EXPECT_EQ(download.begin->size(), size);
    EXPECT_EQ(download.begin->mtime_unix_ns(), kMtime);
    EXPECT_EQ(download.begin->offset(), offset);
    EXPECT_EQ(download.data.size(), size - offset);
    EXPECT_TRUE(download.data == content.substr(offset));
    if (offset == size) {
      EXPECT_TRUE(download.chunks.empty());
    }
    ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
    EXPECT_EQ(download.terminal.message.download_end().size(), size);
    EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), WireDigest(content));
  }
}

// R-RESUME-1: offset 0 is a plain download whatever the expectations say, and
// DownloadBegin.offset (0) is not even encoded.
TEST_F(ResumeConformance, OffsetZeroIgnoresTheExpectations) {
  Put("hello.txt", "hello");
  FERRY_ASSERT_OK(client().SendFrame(ResumeMessage("hello.txt", 0, 999, 12345)));
  const DownloadResult download = ReadDownload(client());
  ASSERT_TRUE(download.begin.has_value());
  EXPECT_EQ(download.begin->offset(), 0u);
  v1::DownloadBegin plain = *download.begin;
  plain.clear_offset();
  EXPECT_EQ(download.begin->SerializeAsString(), plain.SerializeAsString());
  EXPECT_EQ(download.data, "hello");
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), kHelloDigest);
}

// R-RESUME-2: a file whose size or modification time differs from what the
// client began is refused with SOURCE_CHANGED before any byte, and the session
// goes on in READY.
TEST_F(ResumeConformance, ChangedSourceIsRefusedBeforeAnyByte) {
  const std::string content = PutPattern("data.bin", 10000);
  struct Case {
    const char* what;
    uint64_t expect_size;
    int64_t expect_mtime;
  };
  for (const Case& change : {Case{"size", 9999, kMtime}, Case{"size", 10001, kMtime},
                             Case{"mtime", 10000, kMtime + 1}, Case{"both", 5, 0}}) {
    SCOPED_TRACE(change.what);
    const ServerFrame reply =
        Call(client(), ResumeMessage("data.bin", 1, change.expect_size, change.expect_mtime));
    EXPECT_THAT(reply, IsError(v1::SOURCE_CHANGED));
    EXPECT_EQ(reply.message.error().path(), "data.bin");
  }
  // Still READY, and the unchanged expectation resumes.
  FERRY_ASSERT_OK(client().SendFrame(ResumeMessage("data.bin", 4000, 10000, kMtime)));
  const DownloadResult download = ReadDownload(client());
  EXPECT_TRUE(download.data == content.substr(4000));
}

// R-RESUME-2: the file is rewritten between the two attempts (as an upload
// would, by rename): SOURCE_CHANGED, not the new file's tail.
TEST_F(ResumeConformance, FileReplacedBetweenAttemptsIsSourceChanged) {
  PutPattern("doc.txt", 5000);
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("doc.txt")));
  const DownloadResult first = ReadDownload(client());
  ASSERT_TRUE(first.begin.has_value());
  Put("doc.txt", std::string(5000, 'x'));  // same size, new mtime
  SetMtime("doc.txt", kMtime + 1'000'000'000);
  EXPECT_THAT(Call(client(), ResumeMessage("doc.txt", 2500, first.begin->size(),
                                           first.begin->mtime_unix_ns())),
              IsError(v1::SOURCE_CHANGED));
}

// R-RESUME-2: the checks come after opening the file, in order: an offset past
// expect_size is INVALID_ARGUMENT; a missing file is still NOT_FOUND.
TEST_F(ResumeConformance, OffsetPastTheExpectedSizeIsInvalidArgument) {
  PutPattern("small.bin", 100);
  EXPECT_THAT(Call(client(), ResumeMessage("small.bin", 101, 100, kMtime)),
              IsError(v1::INVALID_ARGUMENT));
  EXPECT_THAT(Call(client(), ResumeMessage("small.bin", 101, 50, kMtime + 7)),
              IsError(v1::INVALID_ARGUMENT));
  EXPECT_THAT(Call(client(), ResumeMessage("missing.bin", 10, 100, kMtime)),
              IsError(v1::NOT_FOUND));
  EXPECT_THAT(Call(client(), ResumeMessage("small.bin", 100, 100, kMtime + 7)),
              IsError(v1::SOURCE_CHANGED));
}

// R-RESUME-3: the server's request log counts only the bytes it sent, so the
// prefix the client kept did not cross the wire again.
TEST_F(ResumeConformance, OnlyTheMissingBytesAreSent) {
  const size_t size = 2 * 1048624 + 10;
  PutPattern("counted.bin", size);
  FERRY_ASSERT_OK(client().SendFrame(ResumeMessage("counted.bin", 1500000, size, kMtime)));
  const DownloadResult download = ReadDownload(client());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_TRUE(WaitForLog(
      "cmd=download path=\"counted.bin\" bytes=" + std::to_string(size - 1500000) + " result=OK"));
}

}  // namespace
}  // namespace ferry::conformance
