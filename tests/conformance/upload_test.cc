// Spec sections 6.5, 7.3, 7.4 and 7.6: upload, its data phase, the digest and
// the commit guarantees. Every failing upload is checked for its aftermath: the
// target unchanged and no ".ferry-part." temporary left behind (R-UPLOAD-14).
#include <cstdint>
#include <limits>

#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

class UploadConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    Put("old.txt", "old content");
  }

  // The session is usable and in READY: the next request gets its own reply.
  void ExpectReady(RawConnection& connection) {
    EXPECT_THAT(Call(connection, StatMessage("old.txt")), HasBody(v1::ServerMessage::kStat));
  }

  // Nothing was committed: old.txt is intact and no temporary is left.
  void ExpectNothingCommitted() {
    EXPECT_EQ(Get("old.txt"), "old content");
    EXPECT_THAT(Temporaries(), IsEmpty());
  }
};

// R-UPLOAD-1, R-UPLOAD-6, R-UPLOAD-11, R-UPLOAD-16
TEST_F(UploadConformance, UploadThatWaitsForReadyIsCommitted) {
  ASSERT_THAT(Call(client(), UploadMessage("hello.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  const ServerFrame done = Call(client(), UploadEndMessage(5, kHelloDigest));
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(done.message.upload_done().size(), 5u);
  EXPECT_EQ(done.message.upload_done().xxh3_128(), kHelloDigest);
  // Visible under its name as soon as UploadDone is sent, to every client.
  EXPECT_EQ(Get("hello.txt"), "hello");
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  const ServerFrame stat = Call(*other, StatMessage("hello.txt"));
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().size(), 5u);
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-UPLOAD-3: the whole data phase may follow the request without waiting.
TEST_F(UploadConformance, FullyPipelinedUploadIsCommitted) {
  FERRY_ASSERT_OK(client().SendRaw(Frame(UploadMessage("p.txt", 5)) + ChunkFrame("hello") +
                                   Frame(UploadEndMessage(5, kHelloDigest))));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadReady));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("p.txt"), "hello");
}

// 7.1, R-UPLOAD-6: any split into chunks of 1..max_chunk_bytes is accepted.
TEST_F(UploadConformance, AnySplitIntoChunksIsAccepted) {
  std::string content;
  for (int i = 0; i < 3000; ++i) content += static_cast<char>('a' + i % 26);
  EXPECT_THAT(Upload(client(), "ones.txt", content.substr(0, 200), false, 1),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("ones.txt"), content.substr(0, 200));
  EXPECT_THAT(Upload(client(), "odd.txt", content, false, 777),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("odd.txt"), content);
}

// R-UPLOAD-6, 7.1, 7.4: an empty file has no chunks and the empty-input digest.
TEST_F(UploadConformance, EmptyUploadHasNoChunks) {
  ASSERT_THAT(Call(client(), UploadMessage("empty.txt", 0)),
              HasBody(v1::ServerMessage::kUploadReady));
  const ServerFrame done = Call(client(), UploadEndMessage(0, kEmptyDigest));
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(done.message.upload_done().size(), 0u);
  EXPECT_EQ(done.message.upload_done().xxh3_128(), kEmptyDigest);
  EXPECT_TRUE(Exists("empty.txt"));
  EXPECT_EQ(Get("empty.txt"), "");
}

// R-UPLOAD-16: UploadDone describes the committed file, across many chunks.
TEST_F(UploadConformance, LargeUploadIsCommittedWithItsDigest) {
  std::string content(3 * 1048624 + 99, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 7919) >> 3);
  const ServerFrame done = Upload(client(), "big.bin", content, false, 1048624);
  ASSERT_THAT(done, HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(done.message.upload_done().size(), content.size());
  EXPECT_EQ(done.message.upload_done().xxh3_128(), WireDigest(content));
  EXPECT_EQ(Get("big.bin"), content);
}

// R-UPLOAD-4, R-UPLOAD-1, R-UPLOAD-2, R-UPLOAD-8: each early error is the upload's
// only reply; the pipelined data phase is dropped, and nothing changes on disk.
struct EarlyErrorCase {
  const char* name;
  std::string path;
  uint64_t size;
  bool overwrite;
  v1::ErrorCode code;
};
void PrintTo(const EarlyErrorCase& early, std::ostream* os) { *os << early.name; }

class EarlyErrorConformance : public UploadConformance,
                              public ::testing::WithParamInterface<EarlyErrorCase> {
 protected:
  void SetUp() override {
    UploadConformance::SetUp();
    std::filesystem::create_directory(root_ / "dir");
    MakeFifo("fifo");
    MakeSymlink(outside_, "out");
  }
};

TEST_P(EarlyErrorConformance, IsTheOnlyReplyAndTheDataPhaseIsDiscarded) {
  const EarlyErrorCase& early = GetParam();
  const auto before = SnapshotTree(top_.path());
  FERRY_ASSERT_OK(before.status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(UploadMessage(early.path, early.size, early.overwrite)) +
                                   ChunkFrame("hello") + Frame(UploadEndMessage(5, kHelloDigest)) +
                                   Frame(StatMessage("old.txt"))));
  const ServerFrame reply = Read(client());
  EXPECT_THAT(reply, IsError(early.code));
  EXPECT_EQ(reply.message.error().path(), early.path);
  // The chunk and UploadEnd got no reply: the next frame answers the stat.
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
  EXPECT_THAT(SnapshotTree(top_.path()), IsOkAndHolds(*before));
}

constexpr uint64_t kMaxFileSize = std::numeric_limits<int64_t>::max();

INSTANTIATE_TEST_SUITE_P(
    Errors, EarlyErrorConformance,
    ::testing::Values(
        EarlyErrorCase{"BadSyntax", "a//b", 5, false, v1::INVALID_PATH},
        EarlyErrorCase{"Root", "", 5, true, v1::INVALID_PATH},
        EarlyErrorCase{"RootSlash", "/", 5, true, v1::INVALID_PATH},
        EarlyErrorCase{"Reserved", ".ferry-part.x", 5, true, v1::INVALID_PATH},
        EarlyErrorCase{"ReservedDeep", "dir/.ferry-part.1234", 5, true, v1::INVALID_PATH},
        EarlyErrorCase{"SizeAboveTheLargestFile", "big.bin", kMaxFileSize + 1, false,
                       v1::INVALID_ARGUMENT},
        EarlyErrorCase{"SizeAllOnes", "big.bin", UINT64_MAX, true, v1::INVALID_ARGUMENT},
        EarlyErrorCase{"ParentMissing", "nodir/x.txt", 5, false, v1::NOT_FOUND},
        EarlyErrorCase{"PrefixIsAFile", "old.txt/x.txt", 5, false, v1::NOT_A_DIRECTORY},
        EarlyErrorCase{"ParentLeavesTheRoot", "out/x.txt", 5, true, v1::PERMISSION_DENIED},
        EarlyErrorCase{"TargetIsADirectory", "dir", 5, true, v1::IS_A_DIRECTORY},
        EarlyErrorCase{"TargetIsADirectoryNoOverwrite", "dir", 5, false, v1::IS_A_DIRECTORY},
        EarlyErrorCase{"TargetIsAFifo", "fifo", 5, true, v1::NOT_A_REGULAR_FILE},
        EarlyErrorCase{"TargetIsAFifoNoOverwrite", "fifo", 5, false, v1::NOT_A_REGULAR_FILE},
        EarlyErrorCase{"TargetExists", "old.txt", 5, false, v1::ALREADY_EXISTS},
        EarlyErrorCase{"NoRoomForTheSize", "huge.bin", kMaxFileSize, false, v1::NO_SPACE},
        // Order of the checks (R-UPLOAD-4): syntax, then size, then the parent,
        // then the target, then the temporary.
        EarlyErrorCase{"SyntaxBeforeSize", "a//b", UINT64_MAX, false, v1::INVALID_PATH},
        EarlyErrorCase{"SizeBeforeParent", "nodir/x", UINT64_MAX, false, v1::INVALID_ARGUMENT},
        EarlyErrorCase{"ParentBeforeTarget", "old.txt/dir", 5, false, v1::NOT_A_DIRECTORY},
        EarlyErrorCase{"TargetBeforeSpace", "old.txt", kMaxFileSize, false, v1::ALREADY_EXISTS}),
    [](const auto& test) { return std::string(test.param.name); });

// R-UPLOAD-5: an existing symlink at the target counts as an existing entry.
TEST_F(UploadConformance, SymlinkAtTheTargetIsAnExistingEntry) {
  FERRY_ASSERT_OK(WriteFile(outside_ / "secret", "secret"));
  MakeSymlink("old.txt", "inside");
  MakeSymlink(outside_ / "secret", "outside");
  MakeSymlink("missing", "dangling");
  for (const char* link : {"inside", "outside", "dangling"}) {
    SCOPED_TRACE(link);
    EXPECT_THAT(Upload(client(), link, "new"), IsError(v1::ALREADY_EXISTS));
    EXPECT_TRUE(std::filesystem::is_symlink(root_ / link));
  }
  EXPECT_THAT(ReadFile(outside_ / "secret"), IsOkAndHolds(std::string("secret")));
  ExpectNothingCommitted();
}

// R-UPLOAD-5: with overwrite the link itself is replaced; nothing is written
// through it.
TEST_F(UploadConformance, OverwriteReplacesASymlinkAndNeverWritesThroughIt) {
  FERRY_ASSERT_OK(WriteFile(outside_ / "secret", "secret"));
  MakeSymlink("old.txt", "inside");
  MakeSymlink(outside_ / "secret", "outside");
  MakeSymlink("missing", "dangling");
  for (const char* link : {"inside", "outside", "dangling"}) {
    SCOPED_TRACE(link);
    EXPECT_THAT(Upload(client(), link, "new", /*overwrite=*/true),
                HasBody(v1::ServerMessage::kUploadDone));
    EXPECT_FALSE(std::filesystem::is_symlink(root_ / link));
    EXPECT_EQ(Get(link), "new");
  }
  EXPECT_THAT(ReadFile(outside_ / "secret"), IsOkAndHolds(std::string("secret")));
  EXPECT_FALSE(Exists("missing"));
  ExpectNothingCommitted();
}

// R-UPLOAD-4 (3), R-UPLOAD-11: overwrite = true replaces an existing file.
TEST_F(UploadConformance, OverwriteReplacesAnExistingFile) {
  EXPECT_THAT(Upload(client(), "old.txt", "brand new", /*overwrite=*/true),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("old.txt"), "brand new");
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-UPLOAD-13: until the atomic move the target is unchanged.
TEST_F(UploadConformance, TargetIsUnchangedUntilUploadEnd) {
  ASSERT_THAT(Call(client(), UploadMessage("old.txt", 9, true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("brand"));
  FERRY_ASSERT_OK(client().SendChunk(" new"));
  // Whatever the server has done with the chunks so far, without UploadEnd the
  // target is still the old file, for other clients and on disk.
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  const ServerFrame stat = Call(*other, StatMessage("old.txt"));
  ASSERT_THAT(stat, HasBody(v1::ServerMessage::kStat));
  EXPECT_EQ(stat.message.stat().info().size(), 11u);
  EXPECT_EQ(Get("old.txt"), "old content");
  EXPECT_THAT(Call(client(), UploadEndMessage(9, WireDigest("brand new"))),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_EQ(Get("old.txt"), "brand new");
}

// R-UPLOAD-17, R-PATH-7, R-LIST-4: the temporary lives next to the target under a
// reserved name that no request can reach and no listing shows.
TEST_F(UploadConformance, TemporaryHasAReservedNameHiddenFromRequests) {
  std::filesystem::create_directory(root_ / "d");
  ASSERT_THAT(Call(client(), UploadMessage("d/t.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("he"));
  const std::vector<std::string> temporaries = Temporaries();
  ASSERT_THAT(temporaries, ElementsAre(StartsWith("d/.ferry-part.")));
  const std::string name = std::filesystem::path(temporaries[0]).filename().string();
  auto other = OpenSession();
  ASSERT_NE(other, nullptr);
  const ServerFrame list = Call(*other, ListMessage("d"));
  ASSERT_THAT(list, HasBody(v1::ServerMessage::kList));
  EXPECT_EQ(list.message.list().entries_size(), 0);
  EXPECT_THAT(Call(*other, StatMessage("d/" + name)), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Call(*other, RemoveMessage("d/" + name)), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Call(*other, DownloadMessage("d/" + name)), IsError(v1::INVALID_PATH));
  FERRY_ASSERT_OK(client().SendChunk("llo"));
  EXPECT_THAT(Call(client(), UploadEndMessage(5, kHelloDigest)),
              HasBody(v1::ServerMessage::kUploadDone));
  EXPECT_THAT(Temporaries(), IsEmpty());
}

// R-UPLOAD-7, R-UPLOAD-14: the chunk that overflows the announced size fails at
// once; the rest of the data phase is discarded.
TEST_F(UploadConformance, MoreBytesThanAnnouncedIsSizeMismatchAtOnce) {
  ASSERT_THAT(Call(client(), UploadMessage("old.txt", 5, true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hel"));
  FERRY_ASSERT_OK(client().SendChunk("lo!"));
  EXPECT_THAT(Read(client()), IsError(v1::SIZE_MISMATCH));
  EXPECT_THAT(Temporaries(), IsEmpty());  // removed before the Error was sent
  FERRY_ASSERT_OK(client().SendChunk("more"));
  FERRY_ASSERT_OK(client().SendFrame(UploadEndMessage(5, kHelloDigest)));
  ExpectReady(client());
  ExpectNothingCommitted();
}

// R-UPLOAD-7
TEST_F(UploadConformance, EmptyChunkIsInvalidArgumentAtOnce) {
  ASSERT_THAT(Call(client(), UploadMessage("old.txt", 5, true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk(""));
  EXPECT_THAT(Read(client()), IsError(v1::INVALID_ARGUMENT));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  FERRY_ASSERT_OK(client().SendFrame(UploadEndMessage(5, kHelloDigest)));
  ExpectReady(client());
  ExpectNothingCommitted();
}

// R-UPLOAD-8, R-UPLOAD-2: in UPLOAD_DISCARD chunks are dropped unchecked: empty,
// oversize, or beyond the announced size.
TEST_F(UploadConformance, DiscardedChunksAreDroppedWithoutAnyCheck) {
  EXPECT_THAT(Call(client(), UploadMessage("old.txt", 5)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendChunk(""));
  FERRY_ASSERT_OK(client().SendChunk(std::string(1048624 + 1, 'x')));  // over max_chunk_bytes
  FERRY_ASSERT_OK(client().SendChunk("far more than five bytes"));
  FERRY_ASSERT_OK(client().SendFrame(UploadEndMessage(99, "not a digest")));
  ExpectReady(client());
  ExpectNothingCommitted();
}

// R-UPLOAD-8, R-UPLOAD-10, R-CANCEL-4: Cancel ends a discarded data phase without a reply.
TEST_F(UploadConformance, CancelEndsADiscardedDataPhaseWithoutReply) {
  EXPECT_THAT(Call(client(), UploadMessage("old.txt", 5)), IsError(v1::ALREADY_EXISTS));
  FERRY_ASSERT_OK(client().SendChunk("hel"));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  ExpectReady(client());
  ExpectNothingCommitted();
}

// R-UPLOAD-8: after R-UPLOAD-7 the data phase is discarded the same way.
TEST_F(UploadConformance, DataPhaseAfterAMidwayErrorIsDiscarded) {
  ASSERT_THAT(Call(client(), UploadMessage("new.txt", 2)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("abc"));
  EXPECT_THAT(Read(client()), IsError(v1::SIZE_MISMATCH));
  FERRY_ASSERT_OK(client().SendChunk(""));
  FERRY_ASSERT_OK(client().SendFrame(CancelMessage()));
  ExpectReady(client());
  EXPECT_FALSE(Exists("new.txt"));
  ExpectNothingCommitted();
}

// R-UPLOAD-9 and its order of checks; every failure leaves the target unchanged.
struct EndCase {
  const char* name;
  std::string sent;        // the bytes sent in chunks
  uint64_t end_size;       // UploadEnd.size
  std::string end_digest;  // UploadEnd.xxh3_128
  v1::ErrorCode code;
};
void PrintTo(const EndCase& end, std::ostream* os) { *os << end.name; }

class UploadEndConformance : public UploadConformance,
                             public ::testing::WithParamInterface<EndCase> {};

TEST_P(UploadEndConformance, FailsWithoutCommitting) {
  const EndCase& end = GetParam();
  ASSERT_THAT(Call(client(), UploadMessage("old.txt", 5, /*overwrite=*/true)),
              HasBody(v1::ServerMessage::kUploadReady));
  if (!end.sent.empty()) {
    FERRY_ASSERT_OK(client().SendChunk(end.sent));
  }
  const ServerFrame reply = Call(client(), UploadEndMessage(end.end_size, end.end_digest));
  EXPECT_THAT(reply, IsError(end.code));
  EXPECT_EQ(reply.message.error().path(), "old.txt");
  ExpectNothingCommitted();
  ExpectReady(client());
}

INSTANTIATE_TEST_SUITE_P(
    Checks, UploadEndConformance,
    ::testing::Values(
        EndCase{"FewerBytesThanAnnounced", "hell", 5, WireDigest("hell"), v1::SIZE_MISMATCH},
        EndCase{"NoBytesAtAll", "", 5, kEmptyDigest, v1::SIZE_MISMATCH},
        EndCase{"EndSizeDiffers", "hello", 4, kHelloDigest, v1::SIZE_MISMATCH},
        EndCase{"DigestTooShort", "hello", 5, kHelloDigest.substr(0, 15), v1::INVALID_ARGUMENT},
        EndCase{"DigestTooLong", "hello", 5, kHelloDigest + "x", v1::INVALID_ARGUMENT},
        EndCase{"DigestMissing", "hello", 5, "", v1::INVALID_ARGUMENT},
        EndCase{"DigestDiffers", "hello", 5, WireDigest("jello"), v1::CHECKSUM_MISMATCH},
        EndCase{"DigestOfEmptyInput", "hello", 5, kEmptyDigest, v1::CHECKSUM_MISMATCH},
        // Order: size before digest length before digest value.
        EndCase{"SizeBeforeDigestLength", "hell", 5, "short", v1::SIZE_MISMATCH},
        EndCase{"DigestLengthBeforeValue", "hello", 5, std::string(17, '\0'),
                v1::INVALID_ARGUMENT}),
    [](const auto& test) { return std::string(test.param.name); });

// R-UPLOAD-12, R-UPLOAD-14: without overwrite, a target that appears during the
// upload wins; it is left untouched.
TEST_F(UploadConformance, TargetThatAppearsDuringTheUploadIsAlreadyExistsAtCommit) {
  ASSERT_THAT(Call(client(), UploadMessage("race.txt", 5)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  Put("race.txt", "someone else");
  EXPECT_THAT(Call(client(), UploadEndMessage(5, kHelloDigest)), IsError(v1::ALREADY_EXISTS));
  EXPECT_EQ(Get("race.txt"), "someone else");
  EXPECT_THAT(Temporaries(), IsEmpty());
  ExpectReady(client());
}

// R-UPLOAD-14: a directory that appears at the target fails the commit.
TEST_F(UploadConformance, DirectoryThatAppearsAtTheTargetIsIsADirectoryAtCommit) {
  ASSERT_THAT(Call(client(), UploadMessage("race", 5, /*overwrite=*/true)),
              HasBody(v1::ServerMessage::kUploadReady));
  FERRY_ASSERT_OK(client().SendChunk("hello"));
  Put("race/inner.txt", "inner");
  EXPECT_THAT(Call(client(), UploadEndMessage(5, kHelloDigest)), IsError(v1::IS_A_DIRECTORY));
  EXPECT_EQ(Get("race/inner.txt"), "inner");
  EXPECT_THAT(Temporaries(), IsEmpty());
  ExpectReady(client());
}

// R-UPLOAD-4 (2): there is no implicit directory creation.
TEST_F(UploadConformance, MissingParentIsNotCreated) {
  EXPECT_THAT(Upload(client(), "a/b/c.txt", "x"), IsError(v1::NOT_FOUND));
  EXPECT_FALSE(Exists("a"));
}

}  // namespace
}  // namespace ferry::conformance
