// Splitting a typed command line into words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace ferry {

// One word of a command line, and whether any of it was quoted or escaped.
// Only words with no quoting at all are wildcard patterns ("*.log" and \*.log
// name a file called *.log).
struct CommandWord {
  std::string text;
  bool quoted = false;

  bool operator==(const CommandWord&) const = default;
};

// Words are separated by spaces or tabs. Inside double quotes spaces are kept
// and a backslash still escapes the next character; inside single quotes every
// byte is kept as it is, up to the next single quote. Outside quotes a
// backslash escapes the next character ("a\"b", a\ b). An unclosed quote or a
// trailing backslash is kInvalidArgument. A line whose first word starts with
// '#' is a comment and yields no words.
StatusOr<std::vector<CommandWord>> SplitCommandWords(std::string_view line);

// The same words without the quoting marks.
StatusOr<std::vector<std::string>> SplitCommandLine(std::string_view line);

}  // namespace ferry
