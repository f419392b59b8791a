// Spec section 6.11: hash.
#include "src/base/digest.h"
#include "tests/conformance/conformance_fixture.h"

namespace ferry::conformance {
namespace {

namespace fs = std::filesystem;

class HashConformance : public ConformanceTest {
 protected:
  ServerFrame Hash(std::string_view path, uint64_t offset = 0, uint64_t length = 0) {
    return Call(client(), HashMessage(path, offset, length));
  }
};

constexpr uint64_t kBigBytes = 3 * 1024 * 1024 + 17;  // several reads of max_chunk_bytes

// R-HASH-1: the whole file's digest is the download's, with the file's size
// and mtime; R-HASH-4: the terminal reply's fields agree.
TEST_F(HashConformance, WholeFileDigestIsTheDownloadDigest) {
  const auto written = WriteRandomFile(root_ / "big.bin", kBigBytes, 7);
  FERRY_ASSERT_OK(written.status());
  SetMtime("big.bin", 1'700'000'000'123'456'789);
  const ServerFrame reply = Hash("big.bin");
  ASSERT_THAT(reply, HasBody(v1::ServerMessage::kHash));
  const v1::HashReply& hash = reply.message.hash();
  EXPECT_EQ(hash.algorithm(), "xxh3-128");
  EXPECT_EQ(hash.digest(), DigestToBytes(*written));
  EXPECT_EQ(hash.size(), kBigBytes);
  EXPECT_EQ(hash.mtime_unix_ns(), 1'700'000'000'123'456'789);
  EXPECT_EQ(hash.offset(), 0u);
  EXPECT_EQ(hash.length(), kBigBytes);
  EXPECT_EQ(hash.hashed(), kBigBytes);
  EXPECT_FALSE(hash.in_progress());
  FERRY_ASSERT_OK(client().SendFrame(DownloadMessage("big.bin")));
  const DownloadResult download = ReadDownload(client());
  ASSERT_THAT(download.terminal, HasBody(v1::ServerMessage::kDownloadEnd));
  EXPECT_EQ(download.terminal.message.download_end().xxh3_128(), hash.digest());
}

// R-HASH-1: 7.4's table; an empty file is the digest of empty input.
TEST_F(HashConformance, DigestTableValues) {
  Put("hello.txt", "hello");
  Put("empty.txt", "");
  EXPECT_EQ(Hash("hello.txt").message.hash().digest(), kHelloDigest);
  const ServerFrame empty = Hash("empty.txt");
  ASSERT_THAT(empty, HasBody(v1::ServerMessage::kHash));
  EXPECT_EQ(empty.message.hash().digest(), kEmptyDigest);
  EXPECT_EQ(empty.message.hash().length(), 0u);
}

// R-HASH-1: a range; a length past the end is clipped at the size.
TEST_F(HashConformance, RangesAreHashedAndClippedAtTheEnd) {
  Put("hw.txt", "hello world");
  const ServerFrame world = Hash("hw.txt", 6, 5);
  ASSERT_THAT(world, HasBody(v1::ServerMessage::kHash));
  EXPECT_EQ(world.message.hash().digest(), WireDigest("world"));
  EXPECT_EQ(world.message.hash().offset(), 6u);
  EXPECT_EQ(world.message.hash().length(), 5u);
  const ServerFrame head = Hash("hw.txt", 0, 5);
  EXPECT_EQ(head.message.hash().digest(), kHelloDigest);
  const ServerFrame clipped = Hash("hw.txt", 6, 1000);
  EXPECT_EQ(clipped.message.hash().digest(), WireDigest("world"));
  EXPECT_EQ(clipped.message.hash().length(), 5u);
  const ServerFrame tail = Hash("hw.txt", 6);  // length 0: to the end
  EXPECT_EQ(tail.message.hash().digest(), WireDigest("world"));
  const ServerFrame at_end = Hash("hw.txt", 11, 3);
  ASSERT_THAT(at_end, HasBody(v1::ServerMessage::kHash));
  EXPECT_EQ(at_end.message.hash().digest(), kEmptyDigest);
  EXPECT_EQ(at_end.message.hash().size(), 11u);
}

// R-HASH-2: an offset past the size is a bad request; the session goes on.
TEST_F(HashConformance, OffsetPastTheEndIsInvalidArgument) {
  Put("hw.txt", "hello world");
  const ServerFrame reply = Hash("hw.txt", 12);
  EXPECT_THAT(reply, IsError(v1::INVALID_ARGUMENT));
  EXPECT_EQ(reply.message.error().path(), "hw.txt");
  EXPECT_THAT(Hash("hw.txt", UINT64_MAX, UINT64_MAX), IsError(v1::INVALID_ARGUMENT));
  EXPECT_THAT(Hash("hw.txt", 1, UINT64_MAX), HasBody(v1::ServerMessage::kHash));
}

// R-HASH-1, R-PATH-12, R-PATH-13: resolved as a download; the same errors.
TEST_F(HashConformance, ErrorsAreThoseOfDownload) {
  Put("a.txt", "hello");
  Put("d/f", "x");
  MakeFifo("fifo");
  MakeSymlink("a.txt", "link");
  MakeSymlink(outside_, "out");
  Put("moved", "secret");
  fs::rename(root_ / "moved", outside_ / "secret");
  EXPECT_EQ(Hash("link").message.hash().digest(), kHelloDigest);
  EXPECT_THAT(Hash(""), IsError(v1::IS_A_DIRECTORY));
  EXPECT_THAT(Hash("d"), IsError(v1::IS_A_DIRECTORY));
  EXPECT_THAT(Hash("fifo"), IsError(v1::NOT_A_REGULAR_FILE));
  EXPECT_THAT(Hash("missing"), IsError(v1::NOT_FOUND));
  EXPECT_THAT(Hash("a.txt/x"), IsError(v1::NOT_A_DIRECTORY));
  EXPECT_THAT(Hash("out/secret"), IsError(v1::PERMISSION_DENIED));
  EXPECT_THAT(Hash("../outside/secret"), IsError(v1::INVALID_PATH));
  EXPECT_THAT(Hash(".ferry-part.x"), IsError(v1::INVALID_PATH));
}

// R-HASH-3: a request pipelined behind a hash is held and answered after it.
TEST_F(HashConformance, RequestBehindAHashIsAnsweredAfterIt) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", kBigBytes, 8).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(HashMessage("big.bin")) + Frame(StatMessage("big.bin"))));
  ServerFrame reply = Read(client());
  while (reply.message.has_hash() && reply.message.hash().in_progress()) reply = Read(client());
  EXPECT_THAT(reply, HasBody(v1::ServerMessage::kHash));
  EXPECT_THAT(Read(client()), HasBody(v1::ServerMessage::kStat));
}

// R-HASH-3, R-CANCEL-2: Cancel ends a hash with CANCELLED (or, if the hash was
// done first, is ignored in READY); either way exactly one terminal reply, and
// the session goes on.
TEST_F(HashConformance, CancelEndsAHash) {
  FERRY_ASSERT_OK(WriteRandomFile(root_ / "big.bin", 16 * 1024 * 1024, 9).status());
  FERRY_ASSERT_OK(client().SendRaw(Frame(HashMessage("big.bin")) + Frame(CancelMessage())));
  ServerFrame reply = Read(client());
  while (reply.message.has_hash() && reply.message.hash().in_progress()) reply = Read(client());
  if (reply.is_error()) {
    EXPECT_THAT(reply, IsError(v1::CANCELLED));
    EXPECT_EQ(reply.message.error().path(), "big.bin");
  } else {
    EXPECT_THAT(reply, HasBody(v1::ServerMessage::kHash));
  }
  EXPECT_THAT(Call(client(), StatMessage("big.bin")), HasBody(v1::ServerMessage::kStat));
}

}  // namespace
}  // namespace ferry::conformance
