// The transfer progress bar on stderr: bytes, percent, rate and time left.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ferry {

// 1536 -> "1.5K", 999 -> "999"; powers of 1024 up to T.
std::string HumanSize(uint64_t bytes);

// One progress line, e.g. "  12.0M / 64.0M  18%  10.3M/s  ETA 0:05".
// `seconds` is the time since the transfer started; rate and ETA are "--"
// until it is known.
std::string FormatProgress(uint64_t done, uint64_t total, double seconds);

// Draws FormatProgress on `err` at most ten times a second, overwriting itself
// in place; Clear() erases it. Draws nothing when disabled.
class ProgressBar {
 public:
  ProgressBar(std::FILE* err, bool enabled);
  ~ProgressBar() { Clear(); }
  void Update(uint64_t done, uint64_t total);
  void Clear();

 private:
  std::FILE* err_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace ferry
