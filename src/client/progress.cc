#include "src/client/progress.h"

#include <cinttypes>

namespace ferry {

std::string HumanSize(uint64_t bytes) {
  static constexpr char kUnits[] = "KMGT";
  if (bytes < 1024) return std::to_string(bytes);
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), value < 10 ? "%.1f%c" : "%.0f%c", value, kUnits[unit]);
  return text;
}

std::string FormatProgress(uint64_t done, uint64_t total, double seconds) {
  const unsigned percent =
      total == 0 ? 100 : static_cast<unsigned>(std::min<uint64_t>(done, total) * 100 / total);
  std::string rate = "--/s";
  std::string eta = "--:--";
  if (seconds > 0 && done > 0) {
    const double per_second = done / seconds;
    rate = HumanSize(static_cast<uint64_t>(per_second)) + "/s";
    const uint64_t left =
        done >= total ? 0 : static_cast<uint64_t>((total - done) / per_second + 0.5);
    char text[32];
    if (left >= 3600) {
      std::snprintf(text, sizeof(text), "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, left / 3600,
                    left / 60 % 60, left % 60);
    } else {
      std::snprintf(text, sizeof(text), "%" PRIu64 ":%02" PRIu64, left / 60, left % 60);
    }
    eta = text;
  }
  char line[128];
  std::snprintf(line, sizeof(line), "%7s / %-7s %3u%%  %9s  ETA %s", HumanSize(done).c_str(),
                HumanSize(total).c_str(), percent, rate.c_str(), eta.c_str());
  return line;
}

ProgressBar::ProgressBar(std::FILE* err, bool enabled)
    : err_(err), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(err_, "\r%s\033[K", FormatProgress(done, total, seconds).c_str());
  std::fflush(err_);
  drawn_ = true;
}

void ProgressBar::Clear() {
  if (!drawn_) return;
  std::fprintf(err_, "\r\033[K");
  std::fflush(err_);
  drawn_ = false;
}

}  // namespace ferry
