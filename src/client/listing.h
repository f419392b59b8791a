// How `ls` shows a directory: names only, or `ls -l`'s aligned long format.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/client/client.h"

namespace ferry {

// "drwxr-xr-x", "-rw-r--r--", "l...", "?..." from the type and permission bits.
std::string ModeString(const FileInfo& info);

// One line per entry, in the order given, names escaped (control characters
// never reach the terminal) and directories marked with a trailing '/'.
// Long: mode, size (right-aligned to the widest; `human` as HumanSize), time
// (`time` formats it, e.g. FormatLocalTime with kListingTimeFormat) and name.
std::vector<std::string> FormatListing(const std::vector<FileInfo>& entries, bool long_format,
                                       bool human, const std::function<std::string(int64_t)>& time);

}  // namespace ferry
