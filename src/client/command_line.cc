#include "src/client/command_line.h"

namespace ferry {

StatusOr<std::vector<std::string>> SplitCommandLine(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\') {
      if (i + 1 == line.size()) {
        return Status::Error(StatusCode::kInvalidArgument, "line ends with a backslash");
      }
      word.push_back(line[++i]);
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      if (!in_word && !quoted && c == '#' && words.empty()) return words;
      word.push_back(c);
      in_word = true;
    }
  }
  if (quoted) return Status::Error(StatusCode::kInvalidArgument, "unclosed double quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace ferry
