#include "src/client/time_text.h"

#include <cstdio>
#include <ctime>

namespace ferry {
namespace {

// Whole seconds and the nanoseconds past them, rounding down (-1 ns is one
// nanosecond before the epoch: second -1, 999999999 ns).
std::time_t Seconds(int64_t unix_ns, int64_t* nanos) {
  int64_t seconds = unix_ns / 1'000'000'000;
  int64_t rest = unix_ns % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --seconds;
  }
  *nanos = rest;
  return static_cast<std::time_t>(seconds);
}

}  // namespace

std::string FormatLocalTime(int64_t unix_ns, const char* format) {
  int64_t nanos = 0;
  const std::time_t seconds = Seconds(unix_ns, &nanos);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[64];
  if (std::strftime(text, sizeof(text), format, &local) == 0) return "?";
  return text;
}

std::string FormatUtcTime(int64_t unix_ns) {
  int64_t nanos = 0;
  const std::time_t seconds = Seconds(unix_ns, &nanos);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<long long>(nanos));
  return text;
}

}  // namespace ferry
