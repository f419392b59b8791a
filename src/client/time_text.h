// Times as the shell shows them: in the local zone for people (ls -l, stat),
// and as RFC 3339 UTC text for --json.
#pragma once

#include <cstdint>
#include <string>

namespace ferry {

// strftime formats for FormatLocalTime.
inline constexpr char kListingTimeFormat[] = "%Y-%m-%d %H:%M";  // ls -l: 2025-03-12 10:41
// stat: to the second, with the zone, comparable with what `date` prints.
inline constexpr char kStatTimeFormat[] = "%Y-%m-%d %H:%M:%S %z";

// `unix_ns` (nanoseconds since the epoch) in the local time zone, formatted
// by strftime with `format`. Times before the epoch round down to the second.
std::string FormatLocalTime(int64_t unix_ns, const char* format);

// "2025-03-12T10:41:07.123456789Z": UTC with all nine digits of the
// nanoseconds, so the text is exact where a double-precision reader of the
// integer would not be.
std::string FormatUtcTime(int64_t unix_ns);

}  // namespace ferry
