// Tab completion for the shell's command language: command names, local paths
// and remote paths, written back escaped the way SplitCommandLine reads them.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace ferry {

// One name in a directory, for completion.
struct CompletionEntry {
  std::string name;
  bool directory = false;
};

// Lists the directory `dir` ("" is the current/root directory).
using DirectoryLister = std::function<StatusOr<std::vector<CompletionEntry>>(const std::string&)>;

struct CompletableCommand {
  std::string name;
  // One letter per positional argument: 'L' a local path, 'R' a remote path,
  // 'C' a command name, '-' nothing to complete. The last letter holds for
  // every later argument; "" completes no argument.
  std::string arg_kinds;
};

// What TAB does: replace the text from `word_start` to the cursor by one of
// `candidates` (each already escaped, ending in ' ' when the word is complete
// or '/' for a directory). Empty candidates: nothing to offer.
struct Completion {
  size_t word_start = 0;
  std::vector<std::string> candidates;
};

// The longest common prefix of all candidates ("" when there are none).
std::string CommonPrefix(const std::vector<std::string>& candidates);

// Escapes `word` so SplitCommandLine reads it back as it is.
std::string EscapeWord(std::string_view word);

class Completer {
 public:
  Completer(std::vector<CompletableCommand> commands, DirectoryLister local, DirectoryLister remote)
      : commands_(std::move(commands)), local_(std::move(local)), remote_(std::move(remote)) {}

  Completion Complete(std::string_view before_cursor);
  // Forgets listed directories; called once per line so a line sees one
  // listing per directory however often TAB is pressed.
  void NewLine() { cache_.clear(); }

 private:
  Completion CompletePath(size_t word_start, const std::string& word, char kind);

  std::vector<CompletableCommand> commands_;
  DirectoryLister local_;
  DirectoryLister remote_;
  std::map<std::pair<char, std::string>, std::vector<CompletionEntry>> cache_;
};

}  // namespace ferry
