// Spec 7.6, group commit (R-GROUP-1 to R-GROUP-4): many uploads pipelined on
// one connection. Whether the server groups them or not, every upload gets its
// replies in request order, its own typed error, and its file committed; a
// request of another kind sees every earlier upload in place; and a client that
// waits for a reply before it sends more always gets it (reads carry a hang
// guard, nothing here is timed).
#include <string>
#include <vector>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::IsEmpty;

std::string Contents(int i) { return "file number " + std::to_string(i) + std::string(i, 'x'); }

// The whole of an upload, request to UploadEnd, as one string of frames.
std::string WholeUpload(const std::string& path, const std::string& contents,
                        bool overwrite = false) {
  std::string frames = Frame(UploadMessage(path, contents.size(), overwrite));
  if (!contents.empty()) frames += ChunkFrame(contents);
  return frames + Frame(UploadEndMessage(contents.size(), WireDigest(contents)));
}

class GroupCommitConformance : public ConformanceTest {
 protected:
  // Reads one upload's replies: UploadReady then UploadDone with its digest.
  void ExpectCommitted(const std::string& contents) {
    EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
    const ServerFrame done = Read(client());
    ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
    EXPECT_EQ(done.message.upload_done().size(), contents.size());
    EXPECT_EQ(done.message.upload_done().xxh3_128(), WireDigest(contents));
  }
};

// R-GROUP-1, R-STATE-4, R-UPLOAD-11: sixty uploads sent in one write get their
// replies in request order, and every acknowledged file is complete.
TEST_F(GroupCommitConformance, PipelinedUploadsAreAnsweredInOrderAndCommitted) {
  constexpr int kUploads = 60;
  std::string frames;
  for (int i = 0; i < kUploads; ++i) frames += WholeUpload("f" + std::to_string(i), Contents(i));
  FERRY_ASSERT_OK(client().SendRaw(frames));
  for (int i = 0; i < kUploads; ++i) {
    SCOPED_TRACE(i);
    ExpectCommitted(Contents(i));
    // Acknowledged means in place and complete.
    EXPECT_EQ(Get("f" + std::to_string(i)), Contents(i));
  }
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-GROUP-2, R-UPLOAD-4, R-ERROR-1: errors among pipelined uploads stay each
// upload's own and typed, in order: a bad path, a no-clobber upload to a name an
// earlier upload of the same pipeline created, and a digest mismatch fail alone.
TEST_F(GroupCommitConformance, ErrorsAmongPipelinedUploadsStayPerUploadAndInOrder) {
  std::string frames = WholeUpload("a", Contents(1));
  frames += WholeUpload("bad/../name", Contents(2));  // early error: INVALID_PATH
  frames += WholeUpload("b", Contents(3));
  frames += WholeUpload("a", Contents(4));  // "a" exists by now: ALREADY_EXISTS
  frames += Frame(UploadMessage("c", 5)) + ChunkFrame("hello") +
            Frame(UploadEndMessage(5, WireDigest("world")));  // CHECKSUM_MISMATCH
  frames += WholeUpload("a/under", Contents(5));              // "a" is a file: NOT_A_DIRECTORY
  frames += WholeUpload("d", Contents(6));
  FERRY_ASSERT_OK(client().SendRaw(frames));
  ExpectCommitted(Contents(1));
  EXPECT_THAT(Read(client()), IsError(v1::INVALID_PATH));
  ExpectCommitted(Contents(3));
  EXPECT_THAT(Read(client()), IsError(v1::ALREADY_EXISTS));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_THAT(Read(client()), IsError(v1::CHECKSUM_MISMATCH));
  EXPECT_THAT(Read(client()), IsError(v1::NOT_A_DIRECTORY));
  ExpectCommitted(Contents(6));
  EXPECT_EQ(Get("a"), Contents(1));
  EXPECT_EQ(Get("b"), Contents(3));
  EXPECT_FALSE(Exists("c"));
  EXPECT_EQ(Get("d"), Contents(6));
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-GROUP-4: a request of another kind pipelined behind uploads sees every one
// of them committed, and its reply comes after theirs.
TEST_F(GroupCommitConformance, ARequestOfAnotherKindSeesEveryEarlierUpload) {
  std::string frames;
  for (int i = 0; i < 5; ++i) frames += WholeUpload("g" + std::to_string(i), Contents(i));
  frames += Frame(StatMessage("g4"));
  frames += Frame(ListMessage(""));
  frames += WholeUpload("g5", Contents(5));
  frames += Frame(DownloadMessage("g5"));
  FERRY_ASSERT_OK(client().SendRaw(frames));
  for (int i = 0; i < 5; ++i) ExpectCommitted(Contents(i));
  const ServerFrame stat = Read(client());
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().size(), Contents(4).size());
  size_t listed = 0;
  for (const ServerFrame& page : ReadListing(client())) {
    ASSERT_THAT(page, HasBody(v1::ServerMessage::kList));
    listed += static_cast<size_t>(page.message.list().entries_size());
  }
  EXPECT_EQ(listed, 5u);
  ExpectCommitted(Contents(5));
  const DownloadResult download = ReadDownload(client());
  EXPECT_EQ(download.data, Contents(5));
  EXPECT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
}

// R-GROUP-3, R-UPLOAD-3: a client that sends one whole upload and then only the
// next request, waiting for its UploadReady before it sends that upload's data,
// gets both replies of the first upload and the UploadReady: the server never
// holds a reply waiting for input that has not arrived.
TEST_F(GroupCommitConformance, AClientThatWaitsForAReplyAlwaysGetsIt) {
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(i);
    const std::string first = Contents(2 * i);
    const std::string second = Contents(2 * i + 1);
    FERRY_ASSERT_OK(
        client().SendRaw(WholeUpload("w" + std::to_string(2 * i), first) +
                         Frame(UploadMessage("w" + std::to_string(2 * i + 1), second.size()))));
    ExpectCommitted(first);
    EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
    FERRY_ASSERT_OK(client().SendChunk(second));
    FERRY_ASSERT_OK(client().SendFrame(UploadEndMessage(second.size(), WireDigest(second))));
    const ServerFrame done = Read(client());
    ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
    EXPECT_EQ(Get("w" + std::to_string(2 * i + 1)), second);
  }
}

// R-GROUP-5, R-STATE-7: uploads pipelined right before the client closes its
// sending side are committed and answered, in order, before the server closes.
TEST_F(GroupCommitConformance, UploadsBeforeTheClientLeavesAreCommittedAndAnswered) {
  std::string frames;
  for (int i = 0; i < 10; ++i) frames += WholeUpload("e" + std::to_string(i), Contents(i));
  FERRY_ASSERT_OK(client().SendRaw(frames));
  FERRY_ASSERT_OK(client().ShutdownWrite());
  for (int i = 0; i < 10; ++i) ExpectCommitted(Contents(i));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get("e" + std::to_string(i)), Contents(i));
}

}  // namespace
}  // namespace ferry::conformance
