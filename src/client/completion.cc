#include "src/client/completion.h"

#include <algorithm>

namespace ferry {
namespace {

struct PartialWord {
  size_t start = 0;  // offset in the line where the word's text begins
  std::string text;  // the word as SplitCommandLine would read it so far
};

// Splits a line that may stop anywhere (inside quotes, after a backslash) into
// the finished words and the word being typed (possibly empty, at the cursor).
void SplitPartial(std::string_view line, std::vector<std::string>* done, PartialWord* last) {
  bool in_word = false;
  char quote = 0;  // '"' or '\'' while inside quotes
  bool escaped = false;
  PartialWord current;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (!in_word) {
      if (c == ' ' || c == '\t') continue;
      in_word = true;
      current = PartialWord{i, ""};
    }
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        current.text.push_back(c);
      }
    } else if (escaped) {
      current.text.push_back(c);
      escaped = false;
    } else if (c == '\\') {
      escaped = true;
    } else if (c == '"' || (c == '\'' && quote == 0)) {
      quote = quote == 0 ? c : 0;
    } else if (quote == 0 && (c == ' ' || c == '\t')) {
      done->push_back(current.text);
      in_word = false;
    } else {
      current.text.push_back(c);
    }
  }
  *last = in_word ? current : PartialWord{line.size(), ""};
}

}  // namespace

std::string CommonPrefix(const std::vector<std::string>& candidates) {
  if (candidates.empty()) return "";
  std::string prefix = candidates.front();
  for (const std::string& candidate : candidates) {
    size_t same = 0;
    while (same < prefix.size() && same < candidate.size() && prefix[same] == candidate[same]) {
      ++same;
    }
    prefix.resize(same);
  }
  return prefix;
}

std::string EscapeWord(std::string_view word) {
  std::string out;
  for (const char c : word) {
    // Quote marks and separators would be read as syntax; wildcard characters
    // would be expanded (an escaped word never is).
    if (c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\' || c == '#' || c == '*' ||
        c == '?' || c == '[') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

Completion Completer::Complete(std::string_view before_cursor) {
  std::vector<std::string> done;
  PartialWord word;
  SplitPartial(before_cursor, &done, &word);
  if (done.empty()) {
    Completion completion{word.start, {}};
    for (const CompletableCommand& command : commands_) {
      if (command.name.starts_with(word.text)) {
        completion.candidates.push_back(EscapeWord(command.name) + " ");
      }
    }
    std::sort(completion.candidates.begin(), completion.candidates.end());
    return completion;
  }
  const auto command = std::find_if(commands_.begin(), commands_.end(),
                                    [&](const CompletableCommand& c) { return c.name == done[0]; });
  if (command == commands_.end() || command->arg_kinds.empty()) return Completion{word.start, {}};
  // Flags ("-f") are not positional arguments; neither is a flag being typed.
  if (word.text.starts_with('-')) return Completion{word.start, {}};
  size_t position = 0;
  for (size_t i = 1; i < done.size(); ++i) {
    if (!done[i].starts_with('-')) ++position;
  }
  const char kind = command->arg_kinds[std::min(position, command->arg_kinds.size() - 1)];
  if (kind == 'C') {
    Completion completion{word.start, {}};
    for (const CompletableCommand& other : commands_) {
      if (other.name.starts_with(word.text)) {
        completion.candidates.push_back(EscapeWord(other.name) + " ");
      }
    }
    std::sort(completion.candidates.begin(), completion.candidates.end());
    return completion;
  }
  if (kind != 'L' && kind != 'R') return Completion{word.start, {}};
  return CompletePath(word.start, word.text, kind);
}

Completion Completer::CompletePath(size_t word_start, const std::string& word, char kind) {
  Completion completion{word_start, {}};
  const size_t slash = word.rfind('/');
  // The directory part is kept as typed ("a/b/" of "a/b/c"); the listing is of
  // that directory, and "/" alone is the root.
  const std::string dir_part = slash == std::string::npos ? "" : word.substr(0, slash + 1);
  const std::string name_part = slash == std::string::npos ? word : word.substr(slash + 1);
  std::string listed = dir_part;
  while (listed.size() > 1 && listed.ends_with('/')) listed.pop_back();
  if (listed.empty() && kind == 'L') listed = ".";
  const auto key = std::make_pair(kind, listed);
  auto cached = cache_.find(key);
  if (cached == cache_.end()) {
    const DirectoryLister& lister = kind == 'L' ? local_ : remote_;
    if (!lister) return completion;
    auto entries = lister(listed);
    if (!entries.ok()) return completion;  // nothing to offer, as in bash
    cached = cache_.emplace(key, std::move(*entries)).first;
  }
  for (const CompletionEntry& entry : cached->second) {
    if (!entry.name.starts_with(name_part)) continue;
    // Hidden names only when asked for, as in bash.
    if (name_part.empty() && entry.name.starts_with('.')) continue;
    completion.candidates.push_back(EscapeWord(dir_part + entry.name) +
                                    (entry.directory ? "/" : " "));
  }
  std::sort(completion.candidates.begin(), completion.candidates.end());
  return completion;
}

}  // namespace ferry
