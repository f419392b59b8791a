#include "src/codec/messages.h"

#include "src/codec/frame.h"

namespace ferry {
namespace {

template <typename Envelope>
Status Decode(std::span<const uint8_t> payload, DecodedFrame<Envelope>* out) {
  out->is_chunk = false;
  out->chunk = {};
  if (auto data = ParseCanonicalChunk(payload)) {
    out->message.Clear();
    out->is_chunk = true;
    out->chunk = *data;
    return Status::Ok();
  }
  if (!out->message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::Error(StatusCode::kMalformedMessage, "frame payload is not a valid message");
  }
  if (out->message.body_case() == Envelope::kChunk) {
    const std::string& data = out->message.chunk().data();
    out->is_chunk = true;
    out->chunk =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  return Status::Ok();
}

}  // namespace

Status DecodeClientFrame(std::span<const uint8_t> payload, DecodedFrame<v1::ClientMessage>* out) {
  return Decode(payload, out);
}

Status DecodeServerFrame(std::span<const uint8_t> payload, DecodedFrame<v1::ServerMessage>* out) {
  return Decode(payload, out);
}

}  // namespace ferry
