// Splitting a typed command line into words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace ferry {

// Words are separated by spaces or tabs. Inside double quotes spaces are kept;
// a backslash escapes the next character anywhere ("a\"b", a\ b). An unclosed
// quote or a trailing backslash is kInvalidArgument. A line whose first word
// starts with '#' is a comment and yields no words.
StatusOr<std::vector<std::string>> SplitCommandLine(std::string_view line);

}  // namespace ferry
