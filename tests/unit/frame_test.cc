// The frame codec (src/codec/frame.h, messages.h): the hand-written chunk header is
// byte for byte what protobuf emits (spec 4.5, R-FRAME-12), the fast path finds
// the data only in that layout and every other valid encoding still decodes
// (R-FRAME-13), and broken varints are refused.
#include "src/codec/frame.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAreArray;

std::span<const uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string Str(std::span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const uint8_t b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::string Data(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 31 + 7);
  return data;
}

// The whole frame EncodeChunkFrameHeader describes: header, then the data.
std::string ChunkFrame(const std::string& data) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data.size()));
  return Str(header.view()) + data;
}

// ---------------------------------------------------------------------------
// The fixed encoding (spec 4.5 table)

struct HeaderCase {
  uint32_t data_size;
  std::string_view payload_header;  // hex, as in the spec's table
  uint32_t frame_length;            // L
};

void PrintTo(const HeaderCase& c, std::ostream* os) { *os << "N=" << c.data_size; }

class ChunkHeaderTable : public ::testing::TestWithParam<HeaderCase> {};

TEST_P(ChunkHeaderTable, MatchesTheSpecByteForByte) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(GetParam().data_size);
  const std::span<const uint8_t> bytes = header.view();
  ASSERT_GE(bytes.size(), limits::kFrameHeaderBytes);
  EXPECT_EQ(DecodeFrameLength(bytes.first<4>()), GetParam().frame_length);
  EXPECT_EQ(Hex(bytes.subspan(limits::kFrameHeaderBytes)), GetParam().payload_header);
}

INSTANTIATE_TEST_SUITE_P(
    Spec45, ChunkHeaderTable,
    ::testing::Values(HeaderCase{1, "3a 03 0a 01", 5}, HeaderCase{5, "3a 07 0a 05", 9},
                      HeaderCase{125, "3a 7f 0a 7d", 129}, HeaderCase{126, "3a 80 01 0a 7e", 131},
                      HeaderCase{128, "3a 83 01 0a 80 01", 134},
                      HeaderCase{16384, "3a 84 80 01 0a 80 80 01", 16392},
                      HeaderCase{1048624, "3a b4 80 40 0a b0 80 40", 1048632}));

TEST(ChunkFrame, HelloExampleIsTheSpecDump) {
  EXPECT_EQ(Hex(Bytes(ChunkFrame("hello"))), "00 00 00 09 3a 07 0a 05 68 65 6c 6c 6f");
}

// Sizes at every varint-length boundary of N and of K = N + 1 + |varint(N)|, and
// the largest chunks of the default and the ceiling frame limits.
const uint32_t kSizes[] = {1,
                           5,
                           125,
                           126,
                           127,
                           128,
                           129,
                           16380,
                           16381,
                           16382,
                           16383,
                           16384,
                           16385,
                           65520,
                           limits::kDefaultMaxFrameBytes - limits::kChunkOverheadBytes,
                           limits::kMaxFrameBytesCeiling - limits::kChunkOverheadBytes};

class ChunkSize : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ChunkSize, HeaderPlusDataIsWhatProtobufEmitsForBothEnvelopes) {
  const std::string data = Data(GetParam());
  const std::string frame = ChunkFrame(data);

  v1::ServerMessage server;
  server.mutable_chunk()->set_data(data);
  std::string server_frame;
  ASSERT_TRUE(EncodeFrame(server, &server_frame));
  EXPECT_TRUE(frame == server_frame) << "ServerMessage encoding differs for N=" << GetParam();

  v1::ClientMessage client;
  client.mutable_chunk()->set_data(data);
  std::string client_frame;
  ASSERT_TRUE(EncodeFrame(client, &client_frame));
  EXPECT_TRUE(frame == client_frame) << "ClientMessage encoding differs for N=" << GetParam();
}

TEST_P(ChunkSize, HeaderFitsTheChunkOverheadSoAFullChunkFitsItsFrame) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(GetParam());
  EXPECT_LE(header.size, kMaxChunkFrameHeaderBytes);
  // R-FRAME-14: the chunk header (without the length prefix) is at most 10 bytes.
  EXPECT_LE(header.size - limits::kFrameHeaderBytes, 10u);
  EXPECT_LE(header.size - limits::kFrameHeaderBytes, limits::kChunkOverheadBytes);
}

TEST_P(ChunkSize, ParseCanonicalChunkFindsExactlyTheData) {
  const std::string data = Data(GetParam());
  const std::string frame = ChunkFrame(data);
  const std::span<const uint8_t> payload = Bytes(frame).subspan(limits::kFrameHeaderBytes);
  const auto parsed = ParseCanonicalChunk(payload);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->data(), payload.data() + payload.size() - data.size());  // a view, no copy
  EXPECT_TRUE(Str(*parsed) == data);
}

TEST_P(ChunkSize, DecodersReportAChunkViewingTheData) {
  const std::string data = Data(GetParam());
  const std::string frame = ChunkFrame(data);
  const std::span<const uint8_t> payload = Bytes(frame).subspan(limits::kFrameHeaderBytes);
  DecodedFrame<v1::ClientMessage> client;
  FERRY_ASSERT_OK(DecodeClientFrame(payload, &client));
  EXPECT_TRUE(client.is_chunk);
  EXPECT_TRUE(Str(client.chunk) == data);
  DecodedFrame<v1::ServerMessage> server;
  FERRY_ASSERT_OK(DecodeServerFrame(payload, &server));
  EXPECT_TRUE(server.is_chunk);
  EXPECT_TRUE(Str(server.chunk) == data);
}

INSTANTIATE_TEST_SUITE_P(Boundaries, ChunkSize, ::testing::ValuesIn(kSizes));

TEST(ChunkFrame, EmptyDataHasAWellFormedHeader) {
  // Never sent (R-FRAME-14), but the receiver must recognise it to refuse it.
  const std::string frame = ChunkFrame("");
  EXPECT_EQ(Hex(Bytes(frame)), "00 00 00 04 3a 02 0a 00");
  const auto parsed = ParseCanonicalChunk(Bytes(frame).subspan(4));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->empty());
}

// ---------------------------------------------------------------------------
// Other encodings of a chunk: not the fast path, still a chunk (R-FRAME-13)

struct OtherEncoding {
  const char* name;
  std::string payload;
  std::string data;  // what a full protobuf parse finds
};

void PrintTo(const OtherEncoding& c, std::ostream* os) { *os << c.name; }

std::vector<OtherEncoding> OtherEncodings() {
  using namespace std::string_literals;
  return {
      // An unknown envelope field (100, length-delimited) after the chunk.
      {"UnknownFieldAfterChunk",
       "\x3A\x05\x0A\x03"
       "abc"
       "\xA2\x06\x01"
       "z"s,
       "abc"},
      // ... and before it.
      {"UnknownFieldBeforeChunk",
       "\xA2\x06\x01"
       "z"
       "\x3A\x05\x0A\x03"
       "abc"s,
       "abc"},
      // An unknown field inside the Chunk, after the data (K covers it).
      {"UnknownFieldInsideChunk",
       "\x3A\x09\x0A\x03"
       "abc"
       "\x10\x05\x18\x01"s,
       "abc"},
      // The chunk field twice: protobuf merges, and the last data wins.
      {"ChunkTwice",
       "\x3A\x05\x0A\x03"
       "abc"
       "\x3A\x05\x0A\x03"
       "xyz"s,
       "xyz"},
      // The data field twice inside one chunk: the last wins.
      {"DataTwice",
       "\x3A\x0A\x0A\x03"
       "abc"
       "\x0A\x03"
       "xyz"s,
       "xyz"},
      // A chunk with no data field at all.
      {"ChunkWithoutData", "\x3A\x00"s, ""},
      // Another body (bye, field 10 in both envelopes), then a chunk: the oneof
      // keeps the last member.
      {"ByeThenChunk",
       "\x52\x00"
       "\x3A\x05\x0A\x03"
       "abc"s,
       "abc"},
  };
}

class NonCanonicalChunk : public ::testing::TestWithParam<OtherEncoding> {};

TEST_P(NonCanonicalChunk, IsNotTakenByTheFastPath) {
  EXPECT_FALSE(ParseCanonicalChunk(Bytes(GetParam().payload)).has_value());
}

TEST_P(NonCanonicalChunk, DecodesAsAChunkThroughTheFullParser) {
  DecodedFrame<v1::ClientMessage> client;
  FERRY_ASSERT_OK(DecodeClientFrame(Bytes(GetParam().payload), &client));
  EXPECT_TRUE(client.is_chunk);
  EXPECT_EQ(Str(client.chunk), GetParam().data);
  DecodedFrame<v1::ServerMessage> server;
  FERRY_ASSERT_OK(DecodeServerFrame(Bytes(GetParam().payload), &server));
  EXPECT_TRUE(server.is_chunk);
  EXPECT_EQ(Str(server.chunk), GetParam().data);
}

INSTANTIATE_TEST_SUITE_P(Encodings, NonCanonicalChunk, ::testing::ValuesIn(OtherEncodings()),
                         [](const ::testing::TestParamInfo<OtherEncoding>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ChunkFrame, NonMinimalVarintsGiveTheSameDataOnBothPaths) {
  // K = 5 and N = 3 written with a redundant continuation byte each. Valid
  // protobuf; a fast path may accept it as long as the lengths add up.
  using namespace std::string_literals;
  const std::string payload =
      "\x3A\x86\x00\x0A\x83\x00"
      "abc"s;
  const auto fast = ParseCanonicalChunk(Bytes(payload));
  if (fast.has_value()) {
    EXPECT_EQ(Str(*fast), "abc");
  }
  v1::ClientMessage parsed;
  ASSERT_TRUE(parsed.ParseFromString(payload));
  EXPECT_EQ(parsed.chunk().data(), "abc");
  DecodedFrame<v1::ClientMessage> decoded;
  FERRY_ASSERT_OK(DecodeClientFrame(Bytes(payload), &decoded));
  EXPECT_EQ(Str(decoded.chunk), "abc");
}

// ---------------------------------------------------------------------------
// Broken payloads: refused by both paths

struct BrokenPayload {
  const char* name;
  std::string payload;
};

void PrintTo(const BrokenPayload& c, std::ostream* os) { *os << c.name; }

std::vector<BrokenPayload> BrokenPayloads() {
  using namespace std::string_literals;
  return {
      {"TruncatedOuterVarint", "\x3A\x80"s},
      {"TruncatedInnerVarint", "\x3A\x02\x0A\x80"s},
      {"OuterLengthPastTheEnd",
       "\x3A\x09\x0A\x03"
       "abc"s},
      {"InnerLengthPastTheChunk",
       "\x3A\x05\x0A\x07"
       "abc"s},
      {"OverlongOuterVarint", "\x3A\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01"s},
      {"OuterVarintAbove32Bits",
       "\x3A\xFF\xFF\xFF\xFF\x1F"
       "abc"s},
      {"OnlyTheTag", "\x3A"s},
  };
}

class BrokenChunk : public ::testing::TestWithParam<BrokenPayload> {};

TEST_P(BrokenChunk, IsNotAFastPathChunkAndDoesNotDecode) {
  EXPECT_FALSE(ParseCanonicalChunk(Bytes(GetParam().payload)).has_value());
  DecodedFrame<v1::ClientMessage> client;
  EXPECT_THAT(DecodeClientFrame(Bytes(GetParam().payload), &client),
              StatusIs(StatusCode::kMalformedMessage));
  DecodedFrame<v1::ServerMessage> server;
  EXPECT_THAT(DecodeServerFrame(Bytes(GetParam().payload), &server),
              StatusIs(StatusCode::kMalformedMessage));
}

INSTANTIATE_TEST_SUITE_P(Payloads, BrokenChunk, ::testing::ValuesIn(BrokenPayloads()),
                         [](const ::testing::TestParamInfo<BrokenPayload>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ParseCanonicalChunk, RefusesPayloadsThatAreNotChunks) {
  using namespace std::string_literals;
  EXPECT_FALSE(ParseCanonicalChunk({}).has_value());
  EXPECT_FALSE(ParseCanonicalChunk(Bytes("\x1A\x03\x0A\x01"
                                         "a"s))
                   .has_value());  // stat
  EXPECT_FALSE(ParseCanonicalChunk(Bytes("\x3A\x05\x12\x03"
                                         "abc"s))
                   .has_value());  // field 2
}

// ---------------------------------------------------------------------------
// Other messages, and frames in general

TEST(DecodeFrame, NonChunkMessageIsDecodedAndClearsAPreviousChunk) {
  DecodedFrame<v1::ClientMessage> frame;
  const std::string chunk = ChunkFrame("abc");
  FERRY_ASSERT_OK(DecodeClientFrame(Bytes(chunk).subspan(4), &frame));
  ASSERT_TRUE(frame.is_chunk);

  v1::ClientMessage stat;
  stat.mutable_stat()->set_path("a.txt");
  const std::string payload = stat.SerializeAsString();
  FERRY_ASSERT_OK(DecodeClientFrame(Bytes(payload), &frame));
  EXPECT_FALSE(frame.is_chunk);
  EXPECT_TRUE(frame.chunk.empty());
  EXPECT_EQ(frame.message.stat().path(), "a.txt");

  // And back: the fast path must not leave the stat behind.
  FERRY_ASSERT_OK(DecodeClientFrame(Bytes(chunk).subspan(4), &frame));
  EXPECT_TRUE(frame.is_chunk);
  EXPECT_FALSE(frame.message.has_stat());
}

TEST(DecodeFrame, StringThatIsNotUtf8IsMalformedMessage) {
  // R-FRAME-9
  using namespace std::string_literals;
  DecodedFrame<v1::ClientMessage> frame;
  EXPECT_THAT(DecodeClientFrame(Bytes("\x1A\x04\x0A\x02"
                                      "a\xFF"s),
                                &frame),
              StatusIs(StatusCode::kMalformedMessage));
}

TEST(EncodeFrame, PrefixesTheSerialisedMessageWithItsBigEndianLength) {
  v1::ServerMessage message;
  message.mutable_error()->set_code(v1::NOT_FOUND);
  message.mutable_error()->set_message(std::string(300, 'm'));
  std::string frame = "stale contents that must be replaced";
  ASSERT_TRUE(EncodeFrame(message, &frame));
  const std::string payload = message.SerializeAsString();
  ASSERT_EQ(frame.size(), 4 + payload.size());
  EXPECT_EQ(DecodeFrameLength(Bytes(frame).first<4>()), payload.size());
  EXPECT_EQ(frame.substr(4), payload);
}

TEST(EncodeFrame, ByeIsTheSpecDump) {
  v1::ClientMessage bye;
  bye.mutable_bye();
  std::string frame;
  ASSERT_TRUE(EncodeFrame(bye, &frame));
  EXPECT_EQ(Hex(Bytes(frame)), "00 00 00 02 52 00");  // spec 13.8
}

TEST(DecodeFrameLength, IsUnsignedBigEndian) {
  const uint8_t zero[4] = {0, 0, 0, 0};
  const uint8_t small[4] = {0, 0, 1, 0};
  const uint8_t mixed[4] = {0x12, 0x34, 0x56, 0x78};
  const uint8_t top[4] = {0x80, 0, 0, 0};
  const uint8_t max[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(DecodeFrameLength(zero), 0u);
  EXPECT_EQ(DecodeFrameLength(small), 256u);
  EXPECT_EQ(DecodeFrameLength(mixed), 0x12345678u);
  EXPECT_EQ(DecodeFrameLength(top), 0x80000000u);
  EXPECT_EQ(DecodeFrameLength(max), 0xFFFFFFFFu);
}

}  // namespace
}  // namespace ferry
