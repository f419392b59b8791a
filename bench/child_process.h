// Other programs the benchmark runs: peer servers (vsftpd, sshd, pyftpdlib) and
// their clients (curl, sftp, python3). Each child leads its own process group,
// so stopping it also stops whatever it forked (a vsftpd or sshd session), and
// every wait is bounded so a stuck peer cannot hang the benchmark.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"

namespace ferry::bench {

class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH) with stdin from `stdin_path` ("" for
  // /dev/null) and stdout and stderr into `output_path` ("" for /dev/null).
  static StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                       const std::string& output_path = "",
                                                       const std::string& stdin_path = "");
  ~ChildProcess();  // Stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits up to `timeout` for the child to exit; its exit code (128 + signal
  // when a signal ended it), or kTimeout after which the group is killed.
  StatusOr<int> Wait(std::chrono::milliseconds timeout);
  bool Running();
  // SIGTERM to the group, up to two seconds' grace, then SIGKILL to the group.
  void Stop();
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, int pidfd, std::string name)
      : pid_(pid), pidfd_(pidfd), name_(std::move(name)) {}
  pid_t pid_;
  int pidfd_;  // polls readable once the child has exited
  std::string name_;
  bool reaped_ = false;
  int exit_code_ = 0;
};

// Runs argv to completion within `timeout`; fails unless it exits with 0. The
// error names the program and quotes the end of its output.
Status RunToCompletion(const std::vector<std::string>& argv, const std::string& output_path,
                       std::chrono::milliseconds timeout, const std::string& stdin_path = "");

// The full path of `program` in PATH ("" when absent); a path with '/' is
// checked as it is.
std::string FindProgram(const std::string& program);

// A TCP port on 127.0.0.1 that was free a moment ago, for servers that cannot
// be told to pick their own.
StatusOr<int> FreeLoopbackPort();

// Polls until something accepts connections on 127.0.0.1:`port`, `child`
// exits (kUnavailable) or `timeout` passes (kTimeout).
Status WaitForListener(int port, ChildProcess& child, std::chrono::milliseconds timeout);

// The file's contents ("" when unreadable).
std::string ReadWholeFile(const std::string& path);

}  // namespace ferry::bench
