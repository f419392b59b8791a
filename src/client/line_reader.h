// LineReader: where the shell's command lines come from. A pipe or file is read
// byte by byte exactly as typed (PlainLineReader); a terminal gets line editing,
// history and tab completion from libedit (EditLineReader).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/client/completion.h"

namespace ferry {

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its newline, or nullopt at the end of input. A line
  // abandoned with Ctrl-C comes back empty.
  virtual std::optional<std::string> ReadLine(const std::string& prompt) = 0;
};

// Reads up to each '\n' from `in`; the last line needs no newline. Prints no
// prompt: a script's output is only its commands' output.
class PlainLineReader : public LineReader {
 public:
  explicit PlainLineReader(std::FILE* in) : in_(in) {}
  std::optional<std::string> ReadLine(const std::string& prompt) override;

 private:
  std::FILE* in_;
};

struct EditLineOptions {
  std::string program = "ferry";
  // Where history is loaded from and saved to; empty keeps no history.
  std::string history_file;
  int history_size = 1000;
  // Called on TAB with the line up to the cursor.
  std::function<Completion(std::string_view before_cursor)> complete;
};

// libedit on a terminal (`in`/`out` are the terminal). Returns null when
// libedit cannot be set up on them.
std::unique_ptr<LineReader> NewEditLineReader(std::FILE* in, std::FILE* out, std::FILE* err,
                                              EditLineOptions options);

// $FERRY_STATE_DIR/history, else $XDG_STATE_HOME/ferry/history, else
// ~/.local/state/ferry/history; empty when none of them is known.
std::string DefaultHistoryFile();

}  // namespace ferry
