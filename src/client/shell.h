// Shell: the ferry command language (connme, ls, rm, size, download, upload,
// byebye, help), one line at a time, over a Client.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/base/status.h"
#include "src/client/client.h"
#include "src/client/command_line.h"
#include "src/client/completion.h"
#include "src/client/line_reader.h"
#include "src/client/shell_output.h"

namespace ferry {

struct ShellOptions {
  bool interactive = false;  // a person at a terminal: prompt and greeting
  bool verbose = false;      // add the server's own words to error lines
  bool quiet = false;        // no progress and no informational lines, only results and errors
  bool progress = false;     // draw a progress bar on `err` during transfers (a terminal)
  // --json: every result, warning and error as one JSON object per line on
  // `out` (shell_output.h), and nothing else there.
  bool json = false;
  // Set (by Ctrl-C) to cancel the running transfer; cleared when one starts.
  std::atomic<bool>* interrupt = nullptr;
  ClientOptions client;

  // modes (one-shot and batch modes, settings):
  // The server `connme` without an argument connects to; empty: 127.0.0.1:7373.
  std::string default_server;
  // Batch mode (-b): the first failing line stops Run, unless it starts with '-'.
  bool batch = false;
  std::string batch_name;  // the batch file's name, for the line that says where it stopped
  // Run connects here (HOST[:PORT]) before the first line: at the prompt as
  // connme does, otherwise silently, and a failure ends the run.
  std::string connect_first;
  // Turns connme's HOST word (or default_server) into the address and client
  // options to connect with: the configuration file's [host NAME] sections.
  // Unset, the word is the address and `client` the options.
  std::function<StatusOr<std::pair<std::string, ClientOptions>>(const std::string& word)>
      resolve_server;
};

class Shell {
 public:
  Shell(std::FILE* out, std::FILE* err, ShellOptions options);
  ~Shell();

  // Runs one command line; a failure is reported on `err` as one line,
  // "error: CODE: what went wrong: path" (with --json: an object on `out`), and
  // returned.
  Status RunLine(std::string_view line);

  // Reads and runs lines until end of input or byebye. Returns the exit status
  // (exit_code.h): interactive, 0; otherwise the class of the first failure, or
  // 0. Not interactive, a Ctrl-C (options.interrupt set) ends the run with 130.
  // In batch mode the first failure also ends the run.
  int Run(LineReader& reader);
  int Run(std::FILE* in);

  // Runs one command given as words: the dispatch RunLine uses once it has
  // split the line. Words that are not quoted are wildcard patterns.
  Status RunWords(const std::vector<CommandWord>& words);
  // The same for words that no shell quoting reached, such as a program's
  // arguments already split by the user's shell: every word may expand.
  Status RunArguments(const std::vector<std::string>& words);
  // modes (one-shot and batch modes):
  // Connects to `server` (HOST[:PORT]) as connme does, without the "connected"
  // line: one-shot and batch output holds only the commands' results.
  Status Open(const std::string& server);
  // True once Ctrl-C was pressed (options.interrupt set).
  bool interrupted() const;
  // Whether `word` names a command (one-shot mode tells HOST from COMMAND),
  // and whether that command works without a connection (`ferry help`).
  static bool IsCommand(std::string_view word);
  static bool IsLocalCommand(std::string_view word);

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
    // download/upload: "SOURCE... [TARGET]". The first argument may expand to
    // many sources; the handler gets them all, then the target, always (when
    // none was typed: "" for a local one, the working directory for a remote
    // one). The target is never expanded.
    bool sources_then_target = false;
    // A flag that makes every path argument local ("hash -l"): with it, 'R'
    // reads as 'L' for resolution, wildcards and completion. 0: none.
    char local_flag = 0;
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
  // rm, mkdir, rmdir: `request` for each path, one result or error each; the
  // first failure is the command's.
  Status EachPath(const Args& paths, Status (Client::*request)(std::string_view));
  // The local side: the client process's own working directory.
  Status Lcd(const Args& args);
  Status Lpwd(const Args& args);
  Status StatCommand(const Args& args);
  Status Help(const Args& args);
  // mv and hash, each one protocol verb (shell_commands_verbs.cc).
  Status Mv(const Args& args);
  Status Hash(const Args& args);

  // Remote working directory, wildcards, lls and recursive transfers
  // (shell_commands_nav.cc).
  Status Cd(const Args& args);
  Status Pwd(const Args& args);
  Status Lls(const Args& args);
  // download/get and upload/put once the dispatch has expanded the sources:
  // one file, several into a directory, or whole trees with -r.
  Status Transfer(const Args& args, bool download);
  struct TreeTally;  // what a recursive transfer did, for its summary line
  Status DownloadTree(const std::string& remote, const std::string& target, bool force,
                      TreeTally* tally);
  Status UploadTree(const std::string& local, const std::string& target, bool force,
                    TreeTally* tally);
  // One file of many through Get or Put, counted in `tally`. `to` is the
  // local file for a download, the remote path for an upload.
  Status CopyOne(bool download, const std::string& from, const std::string& to, bool force,
                 bool resume, TreeTally* tally);
  // many-file upload (pipelined through Client::UploadMany, shell_upload_many.cc):
  // One step of a many-file upload, in output order: a local file to send to
  // `remote`, or a `note` (a warning, an error found while planning) printed at
  // its turn among the files' results.
  struct UploadStep {
    std::string local;
    std::string remote;
    std::function<void()> note;
  };
  class PipelinedUpload;  // one UploadSteps run
  // Uploads the steps' files with their requests pipelined, so that the server
  // can commit them in groups (spec 7.6), each reported and counted in `tally`
  // as CopyOne would; files larger than one chunk, and all with `resume`, go
  // through CopyOne. Returns kCancelled after Ctrl-C, the failure that closed
  // the connection, or else OK (each file's failure is in the tally).
  Status UploadSteps(const std::vector<UploadStep>& steps, bool force, bool resume,
                     TreeTally* tally);
  // Resolves each remote argument against remote_cwd_ and expands unquoted
  // wildcards, as command's arg_kinds say; `flags` leading words are flags.
  StatusOr<Args> PrepareArguments(const Command& command, const std::vector<CommandWord>& words,
                                  size_t flags);
  // Lists a root-relative remote directory for completion and wildcards.
  StatusOr<std::vector<CompletionEntry>> ListRemoteNames(const std::string& dir);
  std::string Prompt() const;
  std::string remote_cwd_;  // root-relative, "" for the root (spec 6.12)

  // Reports the failure through output_ (the error line, or a JSON object) and
  // returns `status`. `subject` says what it is about, verbatim; a path goes
  // through ReportPath so it is escaped and quoted in text (the root, "", shows
  // as "") and is the error's "path" in JSON. The failed request's number is
  // taken from the client.
  Status Report(const Status& status, std::string_view subject);
  Status ReportPath(const Status& status, std::string_view path);
  Status Report(ShellError error);
  // A finished transfer: "downloaded A -> B: N bytes (...)" (or "uploaded"),
  // or its JSON object (remote, local, bytes, resumed_from, seconds, digest).
  void ReportTransfer(bool download, std::string_view remote, std::string_view local,
                      const TransferResult& result, double seconds);
  void Disconnect();

  std::FILE* out_;
  std::FILE* err_;
  ShellOptions options_;
  ShellOutput output_;  // every result, warning and error goes through it
  std::unique_ptr<Client> client_;
  std::string server_;  // "host:port" while connected
  std::unique_ptr<Completer> completer_;
  bool finished_ = false;
  // Open is connecting: connme reports nothing on success (one-shot, batch).
  bool opening_ = false;
};

}  // namespace ferry
