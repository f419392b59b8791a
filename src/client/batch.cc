#include "src/client/batch.h"

namespace ferry {

BatchLine ParseBatchLine(std::string_view line) {
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line[start] != '-') return {line, false};
  return {line.substr(start + 1), true};
}

}  // namespace ferry
