// Batch files (`ferry -b FILE`), with sftp's semantics: the commands run in
// order and the first failure stops the batch, except on a line that starts
// with `-`, whose failure is reported and then ignored.
#pragma once

#include <string_view>

namespace ferry {

struct BatchLine {
  std::string_view command;     // the line without its `-` prefix
  bool ignore_failure = false;  // the line started with `-`
};

// Splits the `-` prefix (after any leading blanks) off `line`.
BatchLine ParseBatchLine(std::string_view line);

}  // namespace ferry
