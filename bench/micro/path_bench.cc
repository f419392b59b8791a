// Path parsing (every request) and resolution beneath the served root (every
// request that touches a file).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "src/fs/path.h"
#include "src/fs/posix_file_system.h"

namespace ferry {
namespace {

void BM_PathParse(benchmark::State& state) {
  const std::string text = "projects/ferry/src/server/session.cc";
  for (auto _ : state) benchmark::DoNotOptimize(Path::Parse(text));
}
BENCHMARK(BM_PathParse);

void BM_PathParseLong(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 64; ++i) text += "directory-" + std::to_string(i) + "/";
  text += "file";
  for (auto _ : state) benchmark::DoNotOptimize(Path::Parse(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_PathParseLong);

// PosixFileSystem::Stat three levels down: openat2(RESOLVE_BENEATH) + fstat.
void BM_PosixStatResolved(benchmark::State& state) {
  char dir[] = "/tmp/ferry-micro-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::filesystem::path root = dir;
  std::filesystem::create_directories(root / "a" / "b");
  std::ofstream(root / "a" / "b" / "c.txt") << "x";
  auto fs = PosixFileSystem::Open(root.string());
  auto path = Path::Parse("a/b/c.txt");
  if (!fs.ok() || !path.ok()) {
    state.SkipWithError("setup failed");
  } else {
    for (auto _ : state) benchmark::DoNotOptimize((*fs)->Stat(*path));
  }
  std::filesystem::remove_all(root);
}
BENCHMARK(BM_PosixStatResolved);

}  // namespace
}  // namespace ferry
