// Frame encode/decode: the per-chunk and per-request costs on both ends.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "src/codec/frame.h"
#include "src/codec/frame_io.h"
#include "src/codec/messages.h"
#include "src/net/memory_stream.h"

namespace ferry {
namespace {

// A chunk frame's payload (no length prefix) carrying `size` bytes.
std::vector<uint8_t> ChunkPayload(uint32_t size) {
  const ChunkFrameHeader header = EncodeChunkFrameHeader(size);
  const size_t prefix = header.size - 4;
  std::vector<uint8_t> payload(prefix + size, 0xAB);
  std::memcpy(payload.data(), header.bytes.data() + 4, prefix);
  return payload;
}

void BM_EncodeChunkFrameHeader(benchmark::State& state) {
  uint32_t size = 1 << 20;
  for (auto _ : state) {
    benchmark::DoNotOptimize(EncodeChunkFrameHeader(size));
    size ^= 1;
  }
}
BENCHMARK(BM_EncodeChunkFrameHeader);

void BM_ParseCanonicalChunk(benchmark::State& state) {
  const auto size = static_cast<uint32_t>(state.range(0));
  const std::vector<uint8_t> payload = ChunkPayload(size);
  for (auto _ : state) benchmark::DoNotOptimize(ParseCanonicalChunk(payload));
}
BENCHMARK(BM_ParseCanonicalChunk)->Arg(4096)->Arg(1 << 20);

void BM_EncodeStatRequest(benchmark::State& state) {
  v1::ClientMessage request;
  request.mutable_stat()->set_path("some/directory/file.txt");
  std::string out;
  for (auto _ : state) {
    EncodeFrame(request, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeStatRequest);

void BM_DecodeStatRequest(benchmark::State& state) {
  v1::ClientMessage request;
  request.mutable_stat()->set_path("some/directory/file.txt");
  const std::string payload = request.SerializeAsString();
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(payload.data()),
                                       payload.size());
  DecodedFrame<v1::ClientMessage> frame;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodeClientFrame(bytes, &frame));
  }
}
BENCHMARK(BM_DecodeStatRequest);

void BM_DecodeChunkFrame(benchmark::State& state) {
  const auto size = static_cast<uint32_t>(state.range(0));
  const std::vector<uint8_t> payload = ChunkPayload(size);
  DecodedFrame<v1::ClientMessage> frame;
  for (auto _ : state) {
    benchmark::DoNotOptimize(DecodeClientFrame(payload, &frame));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * size);
}
BENCHMARK(BM_DecodeChunkFrame)->Arg(4096)->Arg(1 << 20);

}  // namespace
}  // namespace ferry
