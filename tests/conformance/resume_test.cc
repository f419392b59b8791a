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

// --- upload ---------------------------------------------------------------------

v1::ClientMessage ResumableUploadMessage(std::string_view path, uint64_t size,
                                         std::string_view id = "", bool overwrite = false) {
  v1::ClientMessage message = UploadMessage(path, size, overwrite);
  message.mutable_upload()->set_resumable(true);
  message.mutable_upload()->set_resume_id(std::string(id));
  return message;
}

class UploadResumeConformance : public ResumeConformance {
 protected:
  // On a connection of its own: a resumable upload of `content` (whole size
  // announced) that sends its first `sent` bytes and then drops the
  // connection. Returns the id UploadReady gave, once the server has logged
  // the upload's end.
  std::string UploadAndDrop(std::string_view path, std::string_view content, size_t sent) {
    std::unique_ptr<RawConnection> connection = OpenSession();
    if (connection == nullptr) return "";
    const ServerFrame ready = Call(*connection, ResumableUploadMessage(path, content.size()));
    EXPECT_THAT(ready, HasBody(v1::ServerMessage::kUploadReady));
    EXPECT_EQ(ready.message.upload_ready().offset(), 0u);
    for (size_t at = 0; at < sent; at += 65000) {
      FERRY_EXPECT_OK(
          connection->SendChunk(content.substr(at, std::min<size_t>(65000, sent - at))));
    }
    connection.reset();  // the connection is lost mid-upload
    EXPECT_TRUE(WaitForLog("cmd=upload path=\"" + std::string(path) +
                           "\" bytes=" + std::to_string(sent) + " result=CONNECTION_CLOSED"));
    return ready.message.upload_ready().resume_id();
  }

  // Sends the chunks for content[from, end) and UploadEnd for the whole content.
  ServerFrame Finish(std::string_view content, size_t from) {
    for (size_t at = from; at < content.size(); at += 65000) {
      if (!client().SendChunk(content.substr(at, 65000)).ok()) return ServerFrame{};
    }
    return Call(client(), UploadEndMessage(content.size(), WireDigest(content)));
  }

  static std::string Pattern(size_t size, int seed) {
    std::string out(size, '\0');
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 7 + seed) ^ (i >> 9));
    return out;
  }
};

// R-RESUME-6, R-RESUME-7: the dropped upload's bytes are kept hidden (never
// listed, target untouched); presenting the id continues after them, only the
// rest crosses the wire, and the committed file is the whole content.
TEST_F(UploadResumeConformance, DroppedUploadIsContinuedByItsIdWithoutResendingThePrefix) {
  const std::string content = Pattern(700000, 1);
  const std::string id = UploadAndDrop("big.bin", content, 260000);
  ASSERT_EQ(id.size(), 16u);
  EXPECT_EQ(Temporaries().size(), 1u);
  EXPECT_FALSE(Exists("big.bin"));
  const std::vector<ServerFrame> listing =
      (client().SendFrame(ListMessage("")).ok() ? ReadListing(client())
                                                : std::vector<ServerFrame>{});
  ASSERT_FALSE(listing.empty());
  EXPECT_EQ(listing.back().message.list().entries_size(), 0);

  const ServerFrame ready = Call(client(), ResumableUploadMessage("big.bin", content.size(), id));
  ASSERT_THAT(ready, HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_EQ(ready.message.upload_ready().offset(), 260000u);
  EXPECT_EQ(ready.message.upload_ready().resume_id().size(), 16u);
  EXPECT_NE(ready.message.upload_ready().resume_id(), id);
  const ServerFrame done = Finish(content, 260000);
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(done.message.upload_done().size(), content.size());
  EXPECT_EQ(done.message.upload_done().xxh3_128(), WireDigest(content));
  EXPECT_TRUE(Get("big.bin") == content);
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
  EXPECT_TRUE(WaitForLog("cmd=upload path=\"big.bin\" bytes=" + std::to_string(700000 - 260000) +
                         " result=OK"));
}

// R-RESUME-7: the kept prefix counts towards the digest: a client that sends
// the digest of only what it sent this time gets CHECKSUM_MISMATCH, and
// nothing is committed or left behind.
TEST_F(UploadResumeConformance, UploadEndDigestCoversTheKeptPrefix) {
  const std::string content = Pattern(200000, 2);
  const std::string id = UploadAndDrop("d.bin", content, 100000);
  const ServerFrame ready = Call(client(), ResumableUploadMessage("d.bin", content.size(), id));
  ASSERT_EQ(ready.message.upload_ready().offset(), 100000u);
  FERRY_ASSERT_OK(client().SendChunk(std::string_view(content).substr(100000, 60000)));
  FERRY_ASSERT_OK(client().SendChunk(std::string_view(content).substr(160000)));
  EXPECT_THAT(
      Call(client(),
           UploadEndMessage(content.size(), WireDigest(std::string_view(content).substr(100000)))),
      IsError(v1::CHECKSUM_MISMATCH));
  EXPECT_FALSE(Exists("d.bin"));
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
}

// R-RESUME-8: an id presented for another size, or a second time, or one the
// server never gave, starts afresh at offset 0 with a new id; what the id named
// is removed, never joined to another upload.
TEST_F(UploadResumeConformance, MismatchingSpentOrUnknownIdsStartAfresh) {
  const std::string content = Pattern(150000, 3);
  const std::string id = UploadAndDrop("m.bin", content, 90000);
  ASSERT_EQ(Temporaries().size(), 1u);
  const std::string shorter = content.substr(0, 120000);
  ServerFrame ready = Call(client(), ResumableUploadMessage("m.bin", shorter.size(), id));
  ASSERT_THAT(ready, HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_EQ(ready.message.upload_ready().offset(), 0u);
  EXPECT_NE(ready.message.upload_ready().resume_id(), id);
  ASSERT_THAT(Finish(shorter, 0), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_TRUE(Get("m.bin") == shorter);

  for (const std::string& stale : {id, std::string(16, '\x5a'), std::string("short")}) {
    ready = Call(client(), ResumableUploadMessage("m.bin", content.size(), stale, true));
    ASSERT_THAT(ready, HasBody(v1::ServerMessage::kUploadReady));
    EXPECT_EQ(ready.message.upload_ready().offset(), 0u);
    FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
    EXPECT_THAT(Read(client()), IsError(v1::CANCELLED));
  }
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
}

// R-RESUME-6: Cancel ends a resumable upload for good: nothing is kept.
// Without `resumable`, a lost connection keeps nothing either (R-STATE-9).
TEST_F(UploadResumeConformance, CancelledOrPlainUploadsAreNotKept) {
  const ServerFrame ready = Call(client(), ResumableUploadMessage("c.bin", 1000));
  ASSERT_THAT(ready, HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk(std::string(500, 'c')));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  EXPECT_THAT(Read(client()), IsError(v1::CANCELLED));
  const ServerFrame again = Call(
      client(), ResumableUploadMessage("c.bin", 1000, ready.message.upload_ready().resume_id()));
  EXPECT_EQ(again.message.upload_ready().offset(), 0u);
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  EXPECT_THAT(Read(client()), IsError(v1::CANCELLED));

  std::unique_ptr<RawConnection> plain = OpenSession();
  ASSERT_NE(plain, nullptr);
  const ServerFrame plain_ready = Call(*plain, UploadMessage("p.bin", 1000));
  EXPECT_TRUE(plain_ready.message.upload_ready().resume_id().empty());
  FERRY_ASSERT_OK(plain->SendChunk(std::string(500, 'p')));
  plain.reset();
  EXPECT_TRUE(WaitForLog("cmd=upload path=\"p.bin\" bytes=500 result=CONNECTION_CLOSED"));
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
}

// R-RESUME-8: a resume is checked as any upload (R-UPLOAD-4); an early error
// removes the kept bytes.
TEST_F(UploadResumeConformance, EarlyErrorOnResumeRemovesTheKeptUpload) {
  const std::string content = Pattern(100000, 4);
  const std::string id = UploadAndDrop("e.bin", content, 50000);
  ASSERT_EQ(Temporaries().size(), 1u);
  Put("e.bin", "appeared meanwhile");
  EXPECT_THAT(Call(client(), ResumableUploadMessage("e.bin", content.size(), id)),
              IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
  EXPECT_EQ(Get("e.bin"), "appeared meanwhile");
}

// R-RESUME-8, R-RESUME-9: while one connection continues a kept upload,
// another presenting the same id gets nothing of it (offset 0); the first
// still commits the whole file.
TEST_F(UploadResumeConformance, AnUploadBeingContinuedCannotBeTakenByAnotherConnection) {
  const std::string content = Pattern(300000, 5);
  const std::string id = UploadAndDrop("s.bin", content, 130000);
  const ServerFrame first = Call(client(), ResumableUploadMessage("s.bin", content.size(), id));
  ASSERT_EQ(first.message.upload_ready().offset(), 130000u);
  FERRY_ASSERT_OK(client().SendChunk(std::string_view(content).substr(130000, 50000)));

  std::unique_ptr<RawConnection> other = OpenSession();
  ASSERT_NE(other, nullptr);
  const ServerFrame second =
      Call(*other, ResumableUploadMessage("s.bin", content.size(), id, true));
  ASSERT_THAT(second, HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_EQ(second.message.upload_ready().offset(), 0u);
  FERRY_ASSERT_OK(other->SendFrame(CancelMessage()));
  EXPECT_THAT(Read(*other), IsError(v1::CANCELLED));

  const ServerFrame done = Finish(content, 180000);
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_TRUE(Get("s.bin") == content);
  EXPECT_THAT(Temporaries(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace ferry::conformance
