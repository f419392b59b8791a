#include "bench/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace ferry::bench {
namespace {

Status Errno(const std::string& what) {
  return Status::Error(StatusCode::kInternal, what + ": " + std::strerror(errno));
}

}  // namespace

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                            const std::string& output_path,
                                                            const std::string& stdin_path) {
  if (argv.empty()) return Status::Error(StatusCode::kInvalidArgument, "no program to run");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    setpgid(0, 0);
    // Its own group does not get the terminal's ^C: if the benchmark dies, so does the child.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    // The benchmark ignores SIGPIPE; the programs it runs expect the default.
    signal(SIGPIPE, SIG_DFL);
    const int in = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
    const int out = open(output_path.empty() ? "/dev/null" : output_path.c_str(),
                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0) _exit(126);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so the group exists before Start returns
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const Status error = Errno("pidfd_open");
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return error;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, argv[0]));
}

ChildProcess::~ChildProcess() {
  Stop();
  close(pidfd_);
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  pollfd pfd{pidfd_, POLLIN, 0};
  return poll(&pfd, 1, 0) == 0;
}

StatusOr<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (!reaped_) {
    pollfd pfd{pidfd_, POLLIN, 0};
    int ready;
    do {
      ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) {
      Stop();
      return Status::Error(StatusCode::kTimeout, name_ + " did not finish in " +
                                                     std::to_string(timeout.count() / 1000) + " s");
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // Anything it left behind in its group goes too.
    kill(-pid_, SIGKILL);
  }
  return exit_code_;
}

void ChildProcess::Stop() {
  if (reaped_) return;
  kill(-pid_, SIGTERM);
  pollfd pfd{pidfd_, POLLIN, 0};
  if (poll(&pfd, 1, 2000) == 0) kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  kill(-pid_, SIGKILL);  // its children, if the leader went first
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Status RunToCompletion(const std::vector<std::string>& argv, const std::string& output_path,
                       std::chrono::milliseconds timeout, const std::string& stdin_path) {
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                         ChildProcess::Start(argv, output_path, stdin_path));
  FERRY_ASSIGN_OR_RETURN(const int code, child->Wait(timeout));
  if (code == 0) return Status::Ok();
  std::string output = output_path.empty() ? "" : ReadWholeFile(output_path);
  if (output.size() > 400) output = "..." + output.substr(output.size() - 400);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return Status::Error(StatusCode::kInternal, argv[0] + " exited with " + std::to_string(code) +
                                                  (output.empty() ? "" : ": " + output));
}

std::string FindProgram(const std::string& program) {
  const auto executable = [](const std::string& path) {
    struct stat info;
    return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return executable(program) ? program : "";
  const char* path = std::getenv("PATH");
  // Daemons live in sbin, which a non-login shell's PATH may lack.
  std::stringstream dirs(std::string(path != nullptr ? path : "/usr/bin:/bin") +
                         ":/usr/sbin:/sbin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && executable(dir + "/" + program)) return dir + "/" + program;
  }
  return "";
}

StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    const Status error = Errno("bind");
    close(fd);
    return error;
  }
  close(fd);
  return ntohs(address.sin_port);
}

Status WaitForListener(int port, ChildProcess& child, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  while (true) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Errno("socket");
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (up) return Status::Ok();
    if (!child.Running()) {
      return Status::Error(StatusCode::kUnavailable,
                           "exited before listening on port " + std::to_string(port));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Error(StatusCode::kTimeout,
                           "not listening on port " + std::to_string(port) + " in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace ferry::bench
