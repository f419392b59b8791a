// What the benchmark driver needs besides ferry itself: a ferryd child process,
// memory readings from /proc, and summary statistics.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "src/base/status.h"
#include "src/net/address.h"

namespace ferry::bench {

// A ferryd serving `root` on 127.0.0.1 port 0, its request log discarded.
class FerrydProcess {
 public:
  // `extra_arguments` go to ferryd after the others (e.g. --tls-cert).
  static StatusOr<std::unique_ptr<FerrydProcess>> Start(
      const std::string& binary, const std::string& root, int max_connections,
      const std::vector<std::string>& extra_arguments = {});
  ~FerrydProcess();  // SIGTERM, then waits

  pid_t pid() const { return pid_; }
  const HostPort& address() const { return address_; }

 private:
  FerrydProcess(pid_t pid, HostPort address) : pid_(pid), address_(std::move(address)) {}
  pid_t pid_;
  HostPort address_;
};

// VmRSS of `pid` in bytes (0 if it cannot be read).
uint64_t ResidentBytes(pid_t pid);

// User plus system CPU seconds `pid` has used so far (0 if it cannot be read).
double CpuSeconds(pid_t pid);
// CPU seconds the calling thread has used so far.
double ThreadCpuSeconds();

// Samples a process's VmRSS every millisecond on its own thread and keeps the
// highest reading, so a peak during an operation is seen without relying on
// VmHWM (which never goes down between scenarios).
class RssSampler {
 public:
  explicit RssSampler(pid_t pid);
  ~RssSampler();
  uint64_t peak() const { return peak_; }

 private:
  pid_t pid_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> peak_{0};
  std::thread thread_;
};

// Median, extremes and percentiles of a set of measurements.
struct Summary {
  double median = 0, min = 0, max = 0, p99 = 0;
};
Summary Summarise(std::vector<double> values);

// Raises RLIMIT_NOFILE to its hard limit (children inherit it).
void RaiseFileLimit();

}  // namespace ferry::bench
