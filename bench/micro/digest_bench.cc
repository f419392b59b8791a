// The XXH3-128 transfer digest, at the sizes it is fed: one chunk at a time.
#include <benchmark/benchmark.h>

#include <vector>

#include "src/base/digest.h"

namespace ferry {
namespace {

void BM_StreamingDigest(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)), 0x5A);
  StreamingDigest digest;
  for (auto _ : state) {
    digest.Update(data);
    benchmark::DoNotOptimize(digest.Finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_StreamingDigest)->Arg(4096)->Arg(64 << 10)->Arg(1 << 20);

void BM_DigestOfSmallFile(benchmark::State& state) {
  std::vector<uint8_t> data(4096, 0x5A);
  for (auto _ : state) benchmark::DoNotOptimize(DigestOf(data));
}
BENCHMARK(BM_DigestOfSmallFile);

}  // namespace
}  // namespace ferry
