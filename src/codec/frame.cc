#include "src/codec/frame.h"

#include "src/codec/limits.h"

namespace ferry {
namespace {

// Field 7 (chunk), wire type 2, in both envelopes; field 1 (data), wire type 2.
constexpr uint8_t kChunkEnvelopeTag = (7 << 3) | 2;
constexpr uint8_t kChunkDataTag = (1 << 3) | 2;

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

uint8_t* PutVarint(uint8_t* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

// Reads a varint of at most 5 bytes (the lengths here are 32-bit) at in[*pos].
std::optional<uint32_t> GetVarint32(std::span<const uint8_t> in, size_t* pos) {
  uint64_t value = 0;
  for (int shift = 0; shift < 35 && *pos < in.size(); shift += 7) {
    const uint8_t byte = in[(*pos)++];
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      if (value > UINT32_MAX) return std::nullopt;
      return static_cast<uint32_t>(value);
    }
  }
  return std::nullopt;
}

void PutBigEndian32(uint8_t* out, uint32_t value) {
  out[0] = static_cast<uint8_t>(value >> 24);
  out[1] = static_cast<uint8_t>(value >> 16);
  out[2] = static_cast<uint8_t>(value >> 8);
  out[3] = static_cast<uint8_t>(value);
}

}  // namespace

ChunkFrameHeader EncodeChunkFrameHeader(uint32_t data_size) {
  ChunkFrameHeader header;
  const uint64_t inner = 1 + VarintSize(data_size) + uint64_t{data_size};
  const uint64_t payload = 1 + VarintSize(inner) + inner;
  uint8_t* p = header.bytes.data();
  PutBigEndian32(p, static_cast<uint32_t>(payload));
  p += limits::kFrameHeaderBytes;
  *p++ = kChunkEnvelopeTag;
  p = PutVarint(p, inner);
  *p++ = kChunkDataTag;
  p = PutVarint(p, data_size);
  header.size = static_cast<size_t>(p - header.bytes.data());
  return header;
}

std::optional<std::span<const uint8_t>> ParseCanonicalChunk(std::span<const uint8_t> payload) {
  size_t pos = 0;
  if (payload.empty() || payload[pos++] != kChunkEnvelopeTag) return std::nullopt;
  const auto inner = GetVarint32(payload, &pos);
  if (!inner || pos + *inner != payload.size()) return std::nullopt;
  if (pos >= payload.size() || payload[pos++] != kChunkDataTag) return std::nullopt;
  const auto data_size = GetVarint32(payload, &pos);
  if (!data_size || pos + *data_size != payload.size()) return std::nullopt;
  return payload.subspan(pos);
}

bool EncodeFrame(const google::protobuf::MessageLite& message, std::string* out) {
  const size_t size = message.ByteSizeLong();
  if (size > UINT32_MAX) return false;
  out->resize(limits::kFrameHeaderBytes + size);
  auto* bytes = reinterpret_cast<uint8_t*>(out->data());
  PutBigEndian32(bytes, static_cast<uint32_t>(size));
  return message.SerializeWithCachedSizesToArray(bytes + limits::kFrameHeaderBytes) ==
         bytes + out->size();
}

uint32_t DecodeFrameLength(std::span<const uint8_t, 4> header) {
  return (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) |
         uint32_t{header[3]};
}

}  // namespace ferry
