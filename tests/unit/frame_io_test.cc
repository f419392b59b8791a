// FrameReader and FrameWriter over a Stream (src/codec/frame_io.h): frames survive
// any split of the byte stream, every length is checked before anything is
// allocated or read for it (R-FRAME-3 to R-FRAME-6), and the end of the stream is
// told apart at and inside a frame.
#include "src/codec/frame_io.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/codec/frame.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/memory_stream.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Str(std::span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string Header(uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

std::string Frame(const std::string& payload) {
  return Header(static_cast<uint32_t>(payload.size())) + payload;
}

std::string Payload(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + i * 7);
  return out;
}

// A Stream over MemoryStream that records what the reader asked of it.
class RecordingStream : public Stream {
 public:
  explicit RecordingStream(std::string input, size_t max_read = SIZE_MAX)
      : inner_(std::move(input), max_read) {}

  StatusOr<size_t> ReadSome(std::span<uint8_t> out) override {
    largest_read_buffer_ = std::max(largest_read_buffer_, out.size());
    auto got = inner_.ReadSome(out);
    if (got.ok()) bytes_delivered_ += *got;
    return got;
  }
  Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second) override {
    return inner_.Write(first, second);
  }
  bool ReadReady() override { return ready_; }
  void SetIoTimeout(std::chrono::milliseconds) override {}
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point>) override {}
  void Shutdown() override { inner_.Shutdown(); }

  void set_ready(bool ready) { ready_ = ready; }
  size_t largest_read_buffer() const { return largest_read_buffer_; }
  size_t bytes_delivered() const { return bytes_delivered_; }

 private:
  MemoryStream inner_;
  bool ready_ = true;
  size_t largest_read_buffer_ = 0;
  size_t bytes_delivered_ = 0;
};

// ---------------------------------------------------------------------------
// Reading

class FrameReaderSplits : public ::testing::TestWithParam<size_t> {};

TEST_P(FrameReaderSplits, ReadsBackToBackFramesWhateverTheReadSizes) {
  // Sizes below, at and above the reader's initial 4 KiB buffer, up to the limit.
  const std::vector<std::string> payloads = {
      Payload(1, 'a'),    Payload(100, 'b'),   Payload(4092, 'c'), Payload(4096, 'd'),
      Payload(5000, 'e'), Payload(65536, 'f'), Payload(3, 'g')};
  std::string input;
  for (const std::string& payload : payloads) input += Frame(payload);
  MemoryStream stream(input, /*max_read=*/GetParam());
  FrameReader reader(&stream, 65536);
  for (size_t i = 0; i < payloads.size(); ++i) {
    auto frame = reader.ReadFrame();
    ASSERT_THAT(frame, IsOk()) << "frame " << i;
    EXPECT_TRUE(Str(*frame) == payloads[i]) << "frame " << i << " differs";
  }
  EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kConnectionClosed));
}

INSTANTIATE_TEST_SUITE_P(MaxRead, FrameReaderSplits,
                         ::testing::Values(1, 2, 3, 4, 5, 7, 4096, 65539, SIZE_MAX));

TEST(FrameReader, ZeroLengthIsMalformedFrame) {
  MemoryStream stream(Header(0) + Frame("after"));
  FrameReader reader(&stream, 1000);
  EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kMalformedFrame));
}

TEST(FrameReader, LengthAtTheLimitIsReadAndOneMoreIsTooLarge) {
  {
    MemoryStream stream(Frame(Payload(1000, 'x')));
    FrameReader reader(&stream, 1000);
    auto frame = reader.ReadFrame();
    ASSERT_THAT(frame, IsOk());
    EXPECT_EQ(frame->size(), 1000u);
  }
  {
    MemoryStream stream(Frame(Payload(1001, 'x')));
    FrameReader reader(&stream, 1000);
    EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kMessageTooLarge));
  }
}

TEST(FrameReader, LimitCanChangeBetweenFrames) {
  MemoryStream stream(Frame(Payload(100, 'a')) + Frame(Payload(100, 'b')));
  FrameReader reader(&stream, 100);
  ASSERT_THAT(reader.ReadFrame(), IsOk());
  reader.set_max_frame_bytes(99);
  EXPECT_EQ(reader.max_frame_bytes(), 99u);
  EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kMessageTooLarge));
}

TEST(FrameReader, HugeLengthIsRefusedFromTheHeaderAlone) {
  // R-FRAME-6: nothing is allocated for the payload and none of it is read. The
  // stream hands out 4 bytes at a time, so "not read" is observable.
  RecordingStream stream(Header(0xFFFFFFFF) + Payload(64, 'p'), /*max_read=*/4);
  FrameReader reader(&stream, limits::kMaxFrameBytesCeiling);
  EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kMessageTooLarge));
  EXPECT_EQ(stream.bytes_delivered(), limits::kFrameHeaderBytes);
  // The buffer offered to the stream never grew past the initial 4 KiB.
  EXPECT_LE(stream.largest_read_buffer(), 4096u);
}

TEST(FrameReader, BufferGrowsOnlyToTheLargestFrameReceived) {
  RecordingStream stream(Frame(Payload(10, 'a')) + Frame(Payload(20000, 'b')) +
                         Frame(Payload(10, 'c')));
  FrameReader reader(&stream, limits::kMaxFrameBytesCeiling);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(reader.ReadFrame(), IsOk());
  EXPECT_LE(stream.largest_read_buffer(), 20000u + limits::kFrameHeaderBytes);
}

TEST(FrameReader, EndOfStreamAtAFrameBoundaryIsConnectionClosed) {
  for (const std::string& input : {std::string(), Frame("one")}) {
    MemoryStream stream(input);
    FrameReader reader(&stream, 1000);
    if (!input.empty()) {
      ASSERT_THAT(reader.ReadFrame(), IsOk());
    }
    EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kConnectionClosed));
  }
}

TEST(FrameReader, EndOfStreamInsideAFrameIsConnectionLoss) {
  // R-FRAME-7: a partial frame followed by end-of-stream is connection loss, so
  // nobody answers it (see session_test).
  const std::string whole = Frame("payload");
  for (size_t cut = 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE(cut);
    MemoryStream stream(whole.substr(0, cut));
    FrameReader reader(&stream, 1000);
    EXPECT_THAT(reader.ReadFrame(),
                StatusIs(StatusCode::kConnectionClosed, HasSubstr("inside a frame")));
  }
}

TEST(FrameReader, OtherStreamErrorsPassThrough) {
  MemoryStream stream(Frame("x"));
  stream.Shutdown();
  FrameReader reader(&stream, 1000);
  EXPECT_THAT(reader.ReadFrame(), StatusIs(StatusCode::kConnectionClosed));
}

TEST(FrameReader, HasInputSeesBufferedFramesEvenWhenTheStreamIsIdle) {
  RecordingStream stream(Frame("one") + Frame("two"));
  FrameReader reader(&stream, 1000);
  stream.set_ready(false);
  EXPECT_FALSE(reader.HasInput());
  stream.set_ready(true);
  EXPECT_TRUE(reader.HasInput());
  ASSERT_THAT(reader.ReadFrame(), IsOk());  // reads both frames into the buffer
  stream.set_ready(false);
  EXPECT_TRUE(reader.HasInput());
  auto second = reader.ReadFrame();
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(Str(*second), "two");
  EXPECT_FALSE(reader.HasInput());
}

// ---------------------------------------------------------------------------
// Writing

TEST(FrameWriter, WritesFramesAReaderDecodesBack) {
  MemoryStream out("");
  FrameWriter writer(&out);
  v1::ServerMessage welcome;
  welcome.mutable_welcome()->set_version(1);
  welcome.mutable_welcome()->set_server_name("ferryd/0.1.0");
  v1::ServerMessage error;
  error.mutable_error()->set_code(v1::NOT_FOUND);
  error.mutable_error()->set_path("a.txt");
  const std::string big = Payload(70000, 'z');
  FERRY_ASSERT_OK(writer.Write(welcome));
  FERRY_ASSERT_OK(writer.WriteChunk({reinterpret_cast<const uint8_t*>("abc"), 3}));
  FERRY_ASSERT_OK(writer.Write(error));
  FERRY_ASSERT_OK(writer.WriteChunk({reinterpret_cast<const uint8_t*>(big.data()), big.size()}));

  MemoryStream in(out.output(), /*max_read=*/1000);
  FrameReader reader(&in, limits::kDefaultMaxFrameBytes);
  DecodedFrame<v1::ServerMessage> frame;
  std::vector<std::string> seen;
  while (true) {
    auto payload = reader.ReadFrame();
    if (!payload.ok()) {
      EXPECT_THAT(payload, StatusIs(StatusCode::kConnectionClosed));
      break;
    }
    FERRY_ASSERT_OK(DecodeServerFrame(*payload, &frame));
    if (frame.is_chunk) {
      EXPECT_TRUE(ParseCanonicalChunk(*payload).has_value()) << "chunk not in the fixed layout";
      seen.push_back("chunk:" + std::to_string(frame.chunk.size()));
      if (frame.chunk.size() == big.size()) {
        EXPECT_TRUE(Str(frame.chunk) == big);
      }
    } else {
      seen.push_back(frame.message.ShortDebugString());
    }
  }
  EXPECT_THAT(seen, ElementsAre(welcome.ShortDebugString(), "chunk:3", error.ShortDebugString(),
                                "chunk:70000"));
}

TEST(FrameWriter, ChunkFrameIsWhatEncodeFrameGivesForTheChunkMessage) {
  MemoryStream out("");
  FrameWriter writer(&out);
  FERRY_ASSERT_OK(writer.WriteChunk({reinterpret_cast<const uint8_t*>("hello"), 5}));
  v1::ServerMessage chunk;
  chunk.mutable_chunk()->set_data("hello");
  std::string expected;
  ASSERT_TRUE(EncodeFrame(chunk, &expected));
  EXPECT_EQ(out.output(), expected);
}

TEST(FrameWriter, StreamFailureIsReturned) {
  MemoryStream out("");
  out.FailWritesAfter(3);
  FrameWriter writer(&out);
  v1::ServerMessage bye;
  bye.mutable_bye();
  EXPECT_THAT(writer.Write(bye), StatusIs(StatusCode::kConnectionClosed));
  EXPECT_THAT(writer.WriteChunk({reinterpret_cast<const uint8_t*>("x"), 1}),
              StatusIs(StatusCode::kConnectionClosed));
}

}  // namespace
}  // namespace ferry
