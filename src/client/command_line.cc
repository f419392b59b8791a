#include "src/client/command_line.h"

namespace ferry {

StatusOr<std::vector<CommandWord>> SplitCommandWords(std::string_view line) {
  std::vector<CommandWord> words;
  CommandWord word;
  bool in_word = false;
  char quote = 0;  // '"' or '\'' while inside quotes
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word.text.push_back(c);
      }
    } else if (c == '\\') {
      if (i + 1 == line.size()) {
        return Status::Error(StatusCode::kInvalidArgument, "line ends with a backslash");
      }
      word.text.push_back(line[++i]);
      word.quoted = true;
      in_word = true;
    } else if (c == '"' || (c == '\'' && quote == 0)) {
      quote = quote == 0 ? c : 0;
      word.quoted = true;
      in_word = true;
    } else if (quote == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
      if (in_word) words.push_back(std::move(word));
      word = CommandWord{};
      in_word = false;
    } else {
      if (!in_word && quote == 0 && c == '#' && words.empty()) return words;
      word.text.push_back(c);
      in_word = true;
    }
  }
  if (quote == '"') return Status::Error(StatusCode::kInvalidArgument, "unclosed double quote");
  if (quote == '\'') return Status::Error(StatusCode::kInvalidArgument, "unclosed single quote");
  if (in_word) words.push_back(std::move(word));
  return words;
}

StatusOr<std::vector<std::string>> SplitCommandLine(std::string_view line) {
  auto words = SplitCommandWords(line);
  if (!words.ok()) return words.status();
  std::vector<std::string> texts;
  for (CommandWord& word : *words) texts.push_back(std::move(word.text));
  return texts;
}

}  // namespace ferry
