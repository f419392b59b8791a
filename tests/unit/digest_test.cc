#include "src/base/digest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {
namespace {

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// Known answers from the xxhsum tool: `printf '' | xxh128sum`, `echo -n abc | xxh128sum`.
TEST(Digest, EmptyInputKnownAnswer) {
  EXPECT_EQ(DigestToHex(DigestOf({})), "99aa06d3014798d86001c324468d497f");
  EXPECT_EQ(DigestToHex(StreamingDigest().Finish()), "99aa06d3014798d86001c324468d497f");
}

TEST(Digest, AbcKnownAnswer) {
  EXPECT_EQ(DigestToHex(DigestOf(Bytes("abc"))), "06b05ab6733a618578af5f94892f3950");
}

TEST(Digest, StreamingInPiecesEqualsOneShot) {
  std::vector<uint8_t> data(100'000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 8));
  const Digest expected = DigestOf(data);
  for (const size_t piece : {size_t{1}, size_t{7}, size_t{240}, size_t{4096}, size_t{99'999}}) {
    StreamingDigest digest;
    for (size_t at = 0; at < data.size(); at += piece) {
      digest.Update(std::span(data).subspan(at, std::min(piece, data.size() - at)));
    }
    EXPECT_EQ(digest.Finish(), expected) << "piece size " << piece;
  }
}

TEST(Digest, FinishDoesNotEndTheStream) {
  StreamingDigest digest;
  digest.Update(Bytes("ab"));
  const Digest partial = digest.Finish();
  EXPECT_EQ(partial, digest.Finish());
  digest.Update(Bytes("c"));
  EXPECT_EQ(digest.Finish(), DigestOf(Bytes("abc")));
}

TEST(Digest, ResetStartsOver) {
  StreamingDigest digest;
  digest.Update(Bytes("something else"));
  digest.Reset();
  digest.Update(Bytes("abc"));
  EXPECT_EQ(digest.Finish(), DigestOf(Bytes("abc")));
}

TEST(Digest, BytesRoundTrip) {
  const Digest digest = DigestOf(Bytes("abc"));
  const std::string bytes = DigestToBytes(digest);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x06);  // canonical form is big-endian
  Digest parsed{};
  ASSERT_TRUE(DigestFromBytes(bytes, &parsed));
  EXPECT_EQ(parsed, digest);
}

TEST(Digest, FromBytesRejectsWrongLengths) {
  const Digest original = DigestOf(Bytes("abc"));
  for (const size_t length : {size_t{0}, size_t{1}, size_t{15}, size_t{17}, size_t{32}}) {
    Digest out = original;
    EXPECT_FALSE(DigestFromBytes(std::string(length, 'x'), &out)) << "length " << length;
    EXPECT_EQ(out, original) << "a rejected input must leave the output alone";
  }
}

}  // namespace
}  // namespace ferry
