// Fuzzes the frame layer: FrameReader over arbitrary bytes, each frame decoded
// as both envelopes.
//
// Input: one mode byte, then the byte stream. Mode bits 0-3 cap each read
// (0: no cap, k: k bytes) so short reads split headers and payloads anywhere;
// bit 4 picks the frame limit (the handshake's 64 KiB, or the default 1 MiB).
//
// Invariants: a read ends only in the documented ways; a frame is never empty
// nor longer than the limit; a decode fails only as MALFORMED_MESSAGE; a payload the chunk fast
// path accepts is one that protobuf parses to a Chunk with the same bytes (the
// fast path is an optimisation, never a different language); re-encoding a
// decoded chunk's header by hand reproduces the payload it came from.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz/fuzz_support.h"
#include "src/codec/frame.h"
#include "src/codec/frame_io.h"
#include "src/codec/limits.h"
#include "src/codec/messages.h"
#include "src/net/memory_stream.h"

namespace ferry {
namespace {

template <typename Envelope>
void CheckChunkAgreesWithProtobuf(std::span<const uint8_t> payload) {
  const auto fast = ParseCanonicalChunk(payload);
  if (!fast) return;
  Envelope parsed;
  FUZZ_CHECK(parsed.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
  FUZZ_CHECK(parsed.body_case() == Envelope::kChunk);
  const std::string& data = parsed.chunk().data();
  FUZZ_CHECK(data.size() == fast->size());
  FUZZ_CHECK(data.empty() || std::memcmp(data.data(), fast->data(), data.size()) == 0);
}

// A canonical chunk's payload is exactly the hand-written header (less its length
// prefix) followed by the data.
void CheckCanonicalChunkRoundTrips(std::span<const uint8_t> payload) {
  const auto data = ParseCanonicalChunk(payload);
  if (!data) return;
  const ChunkFrameHeader header = EncodeChunkFrameHeader(static_cast<uint32_t>(data->size()));
  const std::span<const uint8_t> envelope_header = header.view().subspan(limits::kFrameHeaderBytes);
  // Overlong varints are a valid but non-canonical spelling; only the shortest
  // form must match byte for byte.
  if (envelope_header.size() + data->size() != payload.size()) return;
  FUZZ_CHECK(std::memcmp(envelope_header.data(), payload.data(), envelope_header.size()) == 0);
  const uint32_t framed_length = DecodeFrameLength(header.view().first<4>());
  FUZZ_CHECK(framed_length == payload.size());
}

}  // namespace
}  // namespace ferry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  SilenceProtobufLogs();
  auto input = SplitModeByte(data, size);
  if (!input) return 0;
  const uint32_t limit =
      (input->mode & 0x10) ? limits::kDefaultMaxFrameBytes : limits::kHandshakeMaxFrameBytes;

  MemoryStream stream(std::move(input->script), input->max_read);
  FrameReader reader(&stream, limit);
  DecodedFrame<v1::ClientMessage> client_frame;
  DecodedFrame<v1::ServerMessage> server_frame;
  while (true) {
    reader.HasInput();
    auto payload = reader.ReadFrame();
    if (!payload.ok()) {
      // The documented ways a frame read ends (a memory stream never times out).
      const StatusCode code = payload.status().code();
      FUZZ_CHECK(code == StatusCode::kConnectionClosed || code == StatusCode::kMalformedFrame ||
                 code == StatusCode::kMessageTooLarge);
      break;
    }
    FUZZ_CHECK(!payload->empty());
    FUZZ_CHECK(payload->size() <= limit);

    // The envelopes differ beyond the chunk field, so the two decoders may
    // disagree on arbitrary bytes; each must still fail only as a bad message.
    const Status client = DecodeClientFrame(*payload, &client_frame);
    const Status server = DecodeServerFrame(*payload, &server_frame);
    if (!client.ok()) FUZZ_CHECK(client.code() == StatusCode::kMalformedMessage);
    if (!server.ok()) FUZZ_CHECK(server.code() == StatusCode::kMalformedMessage);
    CheckChunkAgreesWithProtobuf<v1::ClientMessage>(*payload);
    CheckChunkAgreesWithProtobuf<v1::ServerMessage>(*payload);
    CheckCanonicalChunkRoundTrips(*payload);
  }
  return 0;
}
