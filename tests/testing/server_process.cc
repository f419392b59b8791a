#include "tests/testing/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "tests/testing/temp_dir.h"

extern char** environ;

namespace ferry {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status ErrnoError(int err, std::string_view what) {
  return Status::Error(StatusCode::kInternal, std::string(what) + ": " + std::strerror(err));
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

milliseconds Remaining(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// The environment a child gets: ours, with `overrides` replacing or adding.
std::vector<std::string> ChildEnvironment(const Environment& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string name(text.substr(0, text.find('=')));
    if (!overrides.contains(name)) env.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Moves a descriptor above the standard ones, so the child's dup2 onto 0..2
// cannot clobber another source when this process runs with some of them closed.
StatusOr<int> AboveStandardFds(int fd) {
  if (fd > STDERR_FILENO) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  const int err = errno;
  close(fd);
  if (moved < 0) return ErrnoError(err, "fcntl(F_DUPFD_CLOEXEC)");
  return moved;
}

// A pipe whose ends are close-on-exec and above the standard descriptors.
Status MakePipe(int ends[2]) {
  int raw[2];
  if (pipe2(raw, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2");
  auto read_end = AboveStandardFds(raw[0]);
  auto write_end = AboveStandardFds(raw[1]);
  if (!read_end.ok() || !write_end.ok()) {
    if (read_end.ok()) close(*read_end);
    if (write_end.ok()) close(*write_end);
    return read_end.ok() ? write_end.status() : read_end.status();
  }
  ends[0] = *read_end;
  ends[1] = *write_end;
  return Status::Ok();
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// In the child between fork and exec: only async-signal-safe calls. Never returns.
[[noreturn]] void ExecChild(int in_fd, int out_fd, int err_fd, const char* cwd, char* const argv[],
                            char* const envp[], int status_fd) {
  int err = 0;
  if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
      dup2(err_fd, STDERR_FILENO) < 0 || (cwd != nullptr && chdir(cwd) != 0)) {
    err = errno;
  } else {
    // Start from the defaults, whatever this test process changed.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &default_action, nullptr);
    execve(argv[0], argv, envp);
    err = errno;
  }
  // Tell the parent why; the pipe closes on a successful exec instead.
  [[maybe_unused]] const ssize_t ignored = write(status_fd, &err, sizeof(err));
  _exit(127);
}

Status ReadBinaryPath(const char* variable, std::string* out) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    return Status::Error(
        StatusCode::kNotFound,
        std::string(variable) +
            " is not set; run the test through ctest, or set it to the built binary");
  }
  *out = value;
  return Status::Ok();
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const ProcessResult& result) {
  os << "exit code " << result.exit_code << (result.timed_out ? " (killed by the hang guard)" : "")
     << "\n--- stdout ---\n"
     << result.out << "--- stderr ---\n"
     << result.err << "--------------";
  return os;
}

StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(const ProcessOptions& options) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { signal(SIGPIPE, SIG_IGN); });
  if (options.argv.empty()) return Status::Error(StatusCode::kInvalidArgument, "empty argv");

  // Everything the child needs is built before fork: a child of a threaded
  // process may not allocate.
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = ChildEnvironment(options.env);
  const std::vector<char*> argv = CStrings(argv_strings);
  const std::vector<char*> envp = CStrings(env_strings);
  const std::string cwd = options.cwd.string();

  // The pipes' ends, closed on every way out of this function unless handed on.
  struct Fds {
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, status[2] = {-1, -1};
    ~Fds() {
      for (int* pair : {in, out, err, status}) {
        CloseFd(&pair[0]);
        CloseFd(&pair[1]);
      }
    }
  } fds;
  FERRY_RETURN_IF_ERROR(MakePipe(fds.in));
  FERRY_RETURN_IF_ERROR(MakePipe(fds.out));
  FERRY_RETURN_IF_ERROR(MakePipe(fds.status));
  if (options.err_file.empty()) {
    FERRY_RETURN_IF_ERROR(MakePipe(fds.err));
  } else {
    const int fd = open(options.err_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError(errno, "open " + options.err_file.string());
    FERRY_ASSIGN_OR_RETURN(fds.err[1], AboveStandardFds(fd));
  }

  const pid_t pid = fork();
  if (pid == 0) {
    ExecChild(fds.in[0], fds.out[1], fds.err[1], cwd.empty() ? nullptr : cwd.c_str(), argv.data(),
              envp.data(), fds.status[1]);
  }
  if (pid < 0) return ErrnoError(errno, "fork");
  // The child's ends are the child's now.
  CloseFd(&fds.in[0]);
  CloseFd(&fds.out[1]);
  CloseFd(&fds.err[1]);
  CloseFd(&fds.status[1]);
  std::unique_ptr<Subprocess> process(new Subprocess());
  process->stdin_fd_ = std::exchange(fds.in[1], -1);
  process->out_fd_ = std::exchange(fds.out[0], -1);
  process->err_fd_ = std::exchange(fds.err[0], -1);
  process->pid_ = pid;

  int exec_errno = 0;
  ssize_t n;
  do {
    n = read(fds.status[0], &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    process->Reap(/*block=*/true);
    return Status::Error(StatusCode::kUnavailable, "cannot run " + options.argv[0] + " in " +
                                                       (cwd.empty() ? std::string(".") : cwd) +
                                                       ": " + std::strerror(exec_errno));
  }
  for (const int fd : {process->stdin_fd_, process->out_fd_, process->err_fd_}) {
    if (fd >= 0) SetNonBlocking(fd);
  }
  return process;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    Reap(/*block=*/true);
  }
  CloseFd(&stdin_fd_);
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
}

Status Subprocess::Signal(int signal) {
  if (exited_) return Status::Error(StatusCode::kNotFound, "the process has been reaped");
  if (kill(pid_, signal) != 0) return ErrnoError(errno, "kill");
  return Status::Ok();
}

void Subprocess::WriteStdin(std::string_view text) {
  if (stdin_fd_ >= 0 && !close_stdin_) pending_input_.append(text);
}

void Subprocess::CloseStdin() {
  close_stdin_ = true;
  if (pending_input_.empty()) CloseFd(&stdin_fd_);
}

bool Subprocess::Pump(milliseconds timeout) {
  if (stdin_fd_ >= 0 && close_stdin_ && pending_input_.empty()) CloseFd(&stdin_fd_);
  pollfd fds[3];
  nfds_t count = 0;
  if (stdin_fd_ >= 0 && !pending_input_.empty()) fds[count++] = {stdin_fd_, POLLOUT, 0};
  if (out_fd_ >= 0) fds[count++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[count++] = {err_fd_, POLLIN, 0};
  if (count == 0) return false;
  const int ready = poll(fds, count, static_cast<int>(timeout.count()));
  if (ready <= 0) return true;  // timeout or EINTR: the caller checks its deadline

  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == stdin_fd_) {
      const ssize_t n = write(stdin_fd_, pending_input_.data(), pending_input_.size());
      if (n > 0) {
        pending_input_.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        input_lost_ = true;  // the child stopped reading (EPIPE): nothing to deliver
        pending_input_.clear();
        CloseFd(&stdin_fd_);
        continue;
      }
      if (pending_input_.empty() && close_stdin_) CloseFd(&stdin_fd_);
      continue;
    }
    const bool is_out = fds[i].fd == out_fd_;
    std::string& sink = is_out ? result_.out : result_.err;
    char buffer[64 * 1024];
    while (true) {
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sink.append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      CloseFd(is_out ? &out_fd_ : &err_fd_);  // end of output (or a broken pipe)
      break;
    }
  }
  return true;
}

bool Subprocess::Reap(bool block) {
  if (exited_) return true;
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped != pid_) return false;
  exited_ = true;
  result_.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                      : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                            : -1;
  return true;
}

bool Subprocess::WaitForOutput(std::string_view text, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (result_.out.find(text) == std::string::npos) {
    if (out_fd_ < 0 || Clock::now() >= deadline) return false;
    Pump(std::min(Remaining(deadline), milliseconds(100)));
  }
  return true;
}

bool Subprocess::FinishInput(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (stdin_fd_ >= 0 && (!pending_input_.empty() || close_stdin_)) {
    if (Clock::now() >= deadline) return false;
    Pump(std::min(Remaining(deadline), milliseconds(100)));
  }
  return !input_lost_;
}

ProcessResult Subprocess::Wait(milliseconds timeout) {
  if (exited_ && out_fd_ < 0 && err_fd_ < 0) return result_;
  CloseStdin();
  const auto deadline = Clock::now() + timeout;
  bool killed = false;
  while (!Reap(/*block=*/false) || out_fd_ >= 0 || err_fd_ >= 0) {
    if (Clock::now() >= deadline && !killed) {
      kill(pid_, SIGKILL);
      killed = true;
      result_.timed_out = true;
    }
    // Once killed, the pipes close at once unless a grandchild holds them.
    if (killed && Clock::now() >= deadline + std::chrono::seconds(5)) break;
    if (!Pump(std::min(Remaining(deadline), milliseconds(50)))) {
      std::this_thread::sleep_for(milliseconds(5));  // pipes closed; waiting for the exit
    }
  }
  Reap(/*block=*/true);
  CloseFd(&stdin_fd_);
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
  return result_;
}

ProcessResult RunProcess(const ProcessOptions& options, std::string_view input,
                         milliseconds timeout) {
  auto process = Subprocess::Start(options);
  if (!process.ok()) {
    ProcessResult failed;
    failed.err = process.status().ToString();
    return failed;
  }
  (*process)->WriteStdin(input);
  return (*process)->Wait(timeout);
}

StatusOr<std::string> FerrydBinary() {
  std::string path;
  FERRY_RETURN_IF_ERROR(ReadBinaryPath("FERRYD_BINARY", &path));
  return path;
}

StatusOr<std::string> FerryBinary() {
  std::string path;
  FERRY_RETURN_IF_ERROR(ReadBinaryPath("FERRY_BINARY", &path));
  return path;
}

ServerProcess::~ServerProcess() {
  if (running()) Stop();
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

Status ServerProcess::Start(const std::filesystem::path& root,
                            const std::vector<std::string>& extra_args) {
  if (running()) return Status::Error(StatusCode::kInternal, "the server is already running");
  FERRY_ASSIGN_OR_RETURN(const std::string binary, FerrydBinary());
  if (log_path_.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ferryd-log-XXXXXX").string();
    const int fd = mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, "mkstemp " + pattern);
    close(fd);
    log_path_ = pattern;
  }
  ProcessOptions options;
  options.argv = {binary, "--listen", "127.0.0.1:0", "--root", root.string()};
  options.argv.insert(options.argv.end(), extra_args.begin(), extra_args.end());
  options.err_file = log_path_;
  exit_code_ = -1;
  port_ = 0;
  FERRY_ASSIGN_OR_RETURN(process_, Subprocess::Start(options));
  process_->CloseStdin();

  const bool announced = process_->WaitForOutput("\n", std::chrono::seconds(10));
  const std::string line = process_->out().substr(0, process_->out().find('\n'));
  constexpr std::string_view kPrefix = "listening on ";
  const size_t colon = line.rfind(':');
  int port = 0;
  if (announced && line.starts_with(kPrefix) && colon != std::string::npos) {
    const char* end = line.data() + line.size();
    const auto [parsed_end, error] = std::from_chars(line.data() + colon + 1, end, port);
    if (error == std::errc() && parsed_end == end && port > 0 && port <= 65535) {
      port_ = static_cast<uint16_t>(port);
      return Status::Ok();
    }
  }
  Kill();
  return Status::Error(StatusCode::kUnavailable, "ferryd did not announce its address (stdout: \"" +
                                                     process_->out() + "\"); its log:\n" + Log());
}

std::string ServerProcess::Log() const {
  if (log_path_.empty()) return "";
  auto log = ReadFile(log_path_);
  return log.ok() ? *log : "(cannot read the server log: " + log.status().ToString() + ")";
}

bool ServerProcess::WaitForLog(std::string_view text, milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (Log().find(text) == std::string::npos) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

int ServerProcess::Stop() { return Finish(SIGTERM); }

int ServerProcess::Kill() { return Finish(SIGKILL); }

int ServerProcess::Finish(int signal) {
  if (process_ == nullptr) return exit_code_;
  if (!process_->exited()) process_->Signal(signal).IgnoreError();
  const ProcessResult result =
      process_->Wait(signal == SIGKILL ? milliseconds(std::chrono::seconds(10)) : kStopGuard);
  if (result.timed_out) {
    std::fprintf(stderr, "ServerProcess: ferryd (pid %d) ignored signal %d; killed it\n",
                 static_cast<int>(process_->pid()), signal);
  }
  exit_code_ = result.exit_code;
  return exit_code_;
}

ProcessResult RunClient(std::string_view script, const std::filesystem::path& cwd,
                        const Environment& env, const RunClientOptions& options) {
  auto binary = FerryBinary();
  if (!binary.ok()) {
    ProcessResult failed;
    failed.err = binary.status().ToString();
    return failed;
  }
  ProcessOptions process;
  process.argv = {*binary};
  process.argv.insert(process.argv.end(), options.args.begin(), options.args.end());
  process.cwd = cwd;
  process.env = env;
  return RunProcess(process, script, options.timeout);
}

StatusOr<std::unique_ptr<Subprocess>> StartClient(const std::filesystem::path& cwd,
                                                  const Environment& env,
                                                  const std::vector<std::string>& args) {
  FERRY_ASSIGN_OR_RETURN(const std::string binary, FerryBinary());
  ProcessOptions process;
  process.argv = {binary};
  process.argv.insert(process.argv.end(), args.begin(), args.end());
  process.cwd = cwd;
  process.env = env;
  return Subprocess::Start(process);
}

}  // namespace ferry
