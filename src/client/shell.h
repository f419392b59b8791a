// Shell: the ferry command language (connme, ls, rm, size, download, upload,
// byebye, help), one line at a time, over a Client.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"
#include "src/client/client.h"
#include "src/client/completion.h"
#include "src/client/line_reader.h"

namespace ferry {

struct ShellOptions {
  bool interactive = false;  // a person at a terminal: prompt and greeting
  bool verbose = false;      // add the server's own words to error lines
  bool quiet = false;        // no progress and no informational lines, only results and errors
  bool progress = false;     // draw a progress bar on `err` during transfers (a terminal)
  // Set (by Ctrl-C) to cancel the running transfer; cleared when one starts.
  std::atomic<bool>* interrupt = nullptr;
  ClientOptions client;
};

class Shell {
 public:
  Shell(std::FILE* out, std::FILE* err, ShellOptions options);
  ~Shell();

  // Runs one command line; a failure is reported on `err` as one line,
  // "error: CODE: what went wrong: path", and returned.
  Status RunLine(std::string_view line);

  // Reads and runs lines until end of input or byebye. Returns the exit status:
  // 0, or 1 when any command failed and the shell is not interactive.
  int Run(LineReader& reader);
  int Run(std::FILE* in);

  // Tab completion of `before_cursor` (command names, local and remote paths).
  Completion Complete(std::string_view before_cursor);

  bool finished() const { return finished_; }

 private:
  using Args = std::vector<std::string>;
  using Handler = Status (Shell::*)(const Args& args);
  struct Command {
    const char* name;
    const char* usage;
    const char* summary;
    size_t min_args;
    size_t max_args;    // not counting flags
    const char* flags;  // the one-letter flags it takes, e.g. "fa" for -f and -a
    bool needs_connection;
    Handler handler;
    // For tab completion, one letter per positional argument: 'L' local path,
    // 'R' remote path, 'C' command name, '-' nothing; the last letter holds for
    // the rest. The default, "", completes no argument.
    const char* arg_kinds = "";
  };
  static const Command kCommands[];

  Status Connme(const Args& args);
  Status Ls(const Args& args);
  Status Rm(const Args& args);
  Status Size(const Args& args);
  Status Download(const Args& args);
  Status Reget(const Args& args);
  Status Upload(const Args& args);
  Status Reput(const Args& args);
  // upload/reput: `resume` continues an upload an interrupted attempt left.
  Status Put(const Args& args, bool resume);
  // download/reget: `resume` continues a partial an interrupted download left.
  Status Get(const Args& args, bool resume);
  Status Byebye(const Args& args);
  // Directory and file-system verbs (shell_commands_fs.cc).
  Status Mkdir(const Args& args);
  Status Rmdir(const Args& args);
  // The local side: the client process's own working directory.
  Status Lcd(const Args& args);
  Status Lpwd(const Args& args);
  Status StatCommand(const Args& args);
  Status Help(const Args& args);
  // mv and hash, each one protocol verb (shell_commands_verbs.cc).
  Status Mv(const Args& args);
  Status Hash(const Args& args);

  // Prints the error line for `status` and returns `status`. `subject` says what
  // it is about, verbatim; a path goes through ReportPath so it is escaped and
  // quoted (the root, "", shows as "").
  Status Report(const Status& status, std::string_view subject);
  Status ReportPath(const Status& status, std::string_view path);
  void Disconnect();

  std::FILE* out_;
  std::FILE* err_;
  ShellOptions options_;
  std::unique_ptr<Client> client_;
  std::string server_;  // "host:port" while connected
  std::unique_ptr<Completer> completer_;
  bool finished_ = false;
};

}  // namespace ferry
