// Decoding frame payloads into envelopes, with the chunk fast path.
#pragma once

#include <span>

#include "ferry/v1/ferry.pb.h"
#include "src/base/status.h"

namespace ferry {

// One decoded frame. For a chunk, `chunk` views the data (inside the frame
// buffer, or inside `message` when the chunk was not canonically encoded) and is
// valid until the next frame is read; otherwise `message` holds the envelope.
template <typename Envelope>
struct DecodedFrame {
  Envelope message;
  std::span<const uint8_t> chunk;
  bool is_chunk = false;
};

// kMalformedMessage if the payload is not a valid envelope.
Status DecodeClientFrame(std::span<const uint8_t> payload, DecodedFrame<v1::ClientMessage>* out);
Status DecodeServerFrame(std::span<const uint8_t> payload, DecodedFrame<v1::ServerMessage>* out);

}  // namespace ferry
