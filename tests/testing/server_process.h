// Running the real binaries from tests: a child process with piped standard
// streams (Subprocess), a ferryd serving a directory (ServerProcess), and one-shot
// runs of the ferry client (RunClient).
//
// The binaries are found through $FERRYD_BINARY and $FERRY_BINARY, which
// tests/CMakeLists.txt sets for every registered test. Every wait has a generous
// hang guard: it exists so a broken build fails instead of hanging the suite,
// never to assert how fast anything is.
//
// Starting a child ignores SIGPIPE in the calling process (once), so that writing
// to a child that already exited is an error instead of the end of the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/status.h"

namespace ferry {

using Environment = std::map<std::string, std::string>;

// How a finished child ended, and everything it printed.
struct ProcessResult {
  // The exit status; 128 + N when killed by signal N; -1 when it never ran (then
  // `err` says why).
  int exit_code = -1;
  bool timed_out = false;  // the hang guard fired and the child was killed
  std::string out;
  std::string err;
};
// For failure messages: the exit code and both outputs.
std::ostream& operator<<(std::ostream& os, const ProcessResult& result);
inline void PrintTo(const ProcessResult& result, std::ostream* os) { *os << result; }

struct ProcessOptions {
  std::vector<std::string> argv;   // argv[0] is the program's path
  std::filesystem::path cwd;       // empty: this process's working directory
  Environment env;                 // set on top of this process's environment
  std::filesystem::path err_file;  // empty: capture stderr; else append it to this file
};

class Subprocess {
 public:
  static StatusOr<std::unique_ptr<Subprocess>> Start(const ProcessOptions& options);
  // Kills (SIGKILL) and reaps the child if it is still running.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool exited() const { return exited_; }

  // Sends `signal` to the child (an error once it has been reaped).
  Status Signal(int signal);

  // Queues `text` for the child's stdin; it is written while the child reads,
  // during the waits below.
  void WriteStdin(std::string_view text);
  // Closes stdin once everything queued has been written.
  void CloseStdin();

  // Pumps the pipes until everything queued for stdin has been written (and
  // stdin closed, after CloseStdin). False if the child stopped reading, or
  // `timeout` passed first.
  bool FinishInput(std::chrono::milliseconds timeout);

  // Pumps the pipes until stdout holds `text`. False if the child closed its
  // output first or `timeout` passed.
  bool WaitForOutput(std::string_view text, std::chrono::milliseconds timeout);

  // Closes stdin (after the queued input), collects output until the child
  // exits and reaps it. After `timeout` the child is killed and the result says
  // timed_out. Later calls return the same result.
  ProcessResult Wait(std::chrono::milliseconds timeout);

  // What the child printed so far.
  const std::string& out() const { return result_.out; }
  const std::string& err() const { return result_.err; }

 private:
  Subprocess() = default;
  // One round of poll over the pipes, for at most `timeout`. False when there
  // is nothing left to pump (all pipes closed).
  bool Pump(std::chrono::milliseconds timeout);
  // Reaps the child if it has exited.
  bool Reap(bool block);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string pending_input_;
  bool close_stdin_ = false;
  bool input_lost_ = false;  // the child closed its stdin with input still queued
  bool exited_ = false;
  ProcessResult result_;
};

// Runs argv with `input` on stdin to completion (or the hang guard).
ProcessResult RunProcess(const ProcessOptions& options, std::string_view input,
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

// $FERRYD_BINARY / $FERRY_BINARY, or an error saying they are unset.
StatusOr<std::string> FerrydBinary();
StatusOr<std::string> FerryBinary();

// A ferryd serving one directory on 127.0.0.1 and a port the kernel picks, its
// stderr (the request log) captured in a temporary file.
class ServerProcess {
 public:
  // How long Stop waits after SIGTERM before it kills.
  static constexpr std::chrono::seconds kStopGuard{30};

  ServerProcess() = default;
  ~ServerProcess();  // stops the server if it runs, removes the log file
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Runs `$FERRYD_BINARY --listen 127.0.0.1:0 --root ROOT EXTRA_ARGS...` and
  // waits (at most 10 s) for its first stdout line, "listening on HOST:PORT".
  Status Start(const std::filesystem::path& root, const std::vector<std::string>& extra_args = {});

  bool running() const { return process_ != nullptr && !process_->exited(); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as typed after connme.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Everything the server wrote to stderr so far.
  std::string Log() const;
  // Waits until the log holds `text`; false after `timeout`. The way to know a
  // request has been served without relying on any client's output.
  bool WaitForLog(std::string_view text, std::chrono::milliseconds timeout) const;

  // SIGTERM, then waits for the exit (SIGKILL after kStopGuard). Returns the
  // exit code as ProcessResult::exit_code does; the same value on later calls.
  int Stop();
  // SIGKILL and reap: the server dies without any chance to clean up.
  int Kill();

 private:
  int Finish(int signal);

  std::unique_ptr<Subprocess> process_;
  std::filesystem::path log_path_;
  uint16_t port_ = 0;
  int exit_code_ = -1;
};

struct RunClientOptions {
  std::vector<std::string> args;                                 // command-line flags, e.g. {"-v"}
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};  // hang guard
};

// Runs `$FERRY_BINARY ARGS...` in `cwd` with `script` as its stdin (one command
// per line) and waits for it to finish.
ProcessResult RunClient(std::string_view script, const std::filesystem::path& cwd,
                        const Environment& env = {}, const RunClientOptions& options = {});

// Starts `$FERRY_BINARY ARGS...` in `cwd` without input, for tests that feed it
// commands while something else happens.
StatusOr<std::unique_ptr<Subprocess>> StartClient(const std::filesystem::path& cwd,
                                                  const Environment& env = {},
                                                  const std::vector<std::string>& args = {});

}  // namespace ferry
