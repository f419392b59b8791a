// Bounded waits on a non-blocking descriptor: the one poll() loop that
// SocketStream, TlsStream, Connect and Listener::Accept all wait in, so that no
// call on a stream can hang past its I/O timeout or its deadline.
#pragma once

#include <chrono>
#include <optional>

#include "src/base/status.h"
#include "src/net/stream.h"

namespace ferry {

// Waits for `events` on `fd` for at most `timeout`, retrying after EINTR;
// kTimeout if nothing happened.
Status PollFor(int fd, short events, std::chrono::milliseconds timeout);

// How long a stream may wait: each wait for the peer is bounded by the I/O
// timeout, and all of them together by the deadline, if one is set. This is the
// state behind Stream::SetIoTimeout and Stream::SetDeadline.
struct WaitLimits {
  std::chrono::milliseconds io_timeout{std::chrono::minutes(5)};
  std::optional<std::chrono::steady_clock::time_point> deadline;

  // Waits until `fd` is ready for `events` within both limits; kTimeout at once
  // when the deadline has already passed.
  Status WaitFor(int fd, short events) const;
};

// The Stream over a descriptor that SocketStream and TlsStream both are: the
// timeout and the deadline a caller sets bound every wait they make through
// limits_.
class PollingStream : public Stream {
 public:
  void SetIoTimeout(std::chrono::milliseconds timeout) override { limits_.io_timeout = timeout; }
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) override {
    limits_.deadline = deadline;
  }

 protected:
  WaitLimits limits_;
};

}  // namespace ferry
