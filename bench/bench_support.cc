#include "bench/bench_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

namespace ferry::bench {

StatusOr<std::unique_ptr<FerrydProcess>> FerrydProcess::Start(
    const std::string& binary, const std::string& root, int max_connections,
    const std::vector<std::string>& extra_arguments) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return Status::Error(StatusCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  const std::string connections = std::to_string(max_connections);
  // Every benchmark client comes from 127.0.0.1: the per-address limit is the total one.
  std::vector<std::string> arguments = {binary,        "--root",
                                        root,          "--listen",
                                        "127.0.0.1:0", "--max-connections",
                                        connections,   "--max-connections-per-address",
                                        connections};
  arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Status::Error(StatusCode::kInternal, "fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDERR_FILENO);  // the request log
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  // The first line is "listening on 127.0.0.1:PORT".
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(out[0]);
  const std::string prefix = "listening on ";
  auto address = line.rfind(prefix, 0) == 0
                     ? ParseHostPort(line.substr(prefix.size()), "127.0.0.1")
                     : StatusOr<HostPort>(Status::Error(StatusCode::kUnavailable,
                                                        "ferryd did not start: " + line));
  if (!address.ok()) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return address.status();
  }
  return std::unique_ptr<FerrydProcess>(new FerrydProcess(pid, *address));
}

FerrydProcess::~FerrydProcess() {
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

uint64_t ResidentBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start at its ')'.
  const size_t end = text.rfind(')');
  if (end == std::string::npos) return 0;
  std::istringstream fields(text.substr(end + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
  for (int i = 0; i < 11 && fields >> field; ++i) {
  }
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

RssSampler::RssSampler(pid_t pid) : pid_(pid) {
  thread_ = std::thread([this] {
    while (!stop_) {
      const uint64_t now = ResidentBytes(pid_);
      if (now > peak_) peak_ = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
}

RssSampler::~RssSampler() {
  stop_ = true;
  thread_.join();
}

Summary Summarise(std::vector<double> values) {
  Summary summary;
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) { return values[static_cast<size_t>(q * (values.size() - 1))]; };
  const size_t n = values.size();
  summary.median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  summary.min = values.front();
  summary.max = values.back();
  summary.p99 = at(0.99);
  return summary;
}

void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace ferry::bench
