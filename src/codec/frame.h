// Frame encoding (spec 4): a 4-byte big-endian payload length, then the payload.
//
// Chunk frames have a fixed protobuf encoding (spec 4.5) so their header can be
// written by hand and the data sent straight from a file, and so a receiver can
// find the data inside a frame without parsing it into a message.
#pragma once

#include <google/protobuf/message_lite.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ferry {

// Length prefix + chunk envelope header: 4 + (1 + 5) + (1 + 5) bytes at most.
inline constexpr size_t kMaxChunkFrameHeaderBytes = 16;

struct ChunkFrameHeader {
  std::array<uint8_t, kMaxChunkFrameHeaderBytes> bytes;
  size_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

// The frame header (length prefix included) that precedes `data_size` bytes of
// chunk data: 0x3A varint(K) 0x0A varint(N), where K = 1 + |varint(N)| + N.
ChunkFrameHeader EncodeChunkFrameHeader(uint32_t data_size);

// If `payload` is a chunk envelope in the canonical encoding, the chunk's data.
// Any other payload (including other valid encodings of a chunk) gives nullopt
// and must be parsed as a message.
std::optional<std::span<const uint8_t>> ParseCanonicalChunk(std::span<const uint8_t> payload);

// Serialises `message` as a whole frame into `out` (replacing its contents).
// False if the message does not serialise (it is larger than 4 GiB).
bool EncodeFrame(const google::protobuf::MessageLite& message, std::string* out);

uint32_t DecodeFrameLength(std::span<const uint8_t, 4> header);

}  // namespace ferry
