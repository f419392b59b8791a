#include "src/net/poll_wait.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace ferry {

using Clock = std::chrono::steady_clock;

Status PollFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, events, 0};
  const auto end = Clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    const int n = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (n > 0) return Status::Ok();
    if (n == 0) return Status::Error(StatusCode::kTimeout, "timed out waiting for the peer");
    // poll fails only for EINTR, EFAULT, EINVAL and ENOMEM: none says anything
    // about the peer.
    if (errno != EINTR) {
      return Status::Error(StatusCode::kUnavailable, std::string("poll: ") + std::strerror(errno));
    }
  }
}

Status WaitLimits::WaitFor(int fd, short events) const {
  auto timeout = io_timeout;
  if (deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
    if (left.count() <= 0) return Status::Error(StatusCode::kTimeout, "deadline passed");
    timeout = std::min(timeout, left);
  }
  return PollFor(fd, events, timeout);
}

}  // namespace ferry
