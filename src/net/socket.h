// Blocking TCP over non-blocking sockets: every wait is a poll() with a timeout,
// so no call can hang forever and no signal is needed to interrupt one.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "src/base/status.h"
#include "src/net/address.h"
#include "src/net/stream.h"

namespace ferry {

class SocketStream : public Stream {
 public:
  // Takes ownership of a connected socket.
  explicit SocketStream(int fd);
  ~SocketStream() override;
  SocketStream(const SocketStream&) = delete;
  SocketStream& operator=(const SocketStream&) = delete;

  StatusOr<size_t> ReadSome(std::span<uint8_t> out) override;
  Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second) override;
  bool ReadReady() override;
  void SetIoTimeout(std::chrono::milliseconds timeout) override { io_timeout_ = timeout; }
  void SetDeadline(std::optional<std::chrono::steady_clock::time_point> deadline) override {
    deadline_ = deadline;
  }
  void Shutdown() override;

  // "127.0.0.1:40212" / "[::1]:40212" of the remote end.
  const std::string& peer() const { return peer_; }
  int fd() const { return fd_; }

 private:
  // Waits until the socket is ready for `events`, bounded by the I/O timeout and
  // the deadline.
  Status WaitFor(short events);

  int fd_;
  std::string peer_;
  std::chrono::milliseconds io_timeout_{std::chrono::minutes(5)};
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

// Connects to host:port (names are resolved; every address is tried in turn),
// giving up after `timeout`. The stream has TCP_NODELAY set: requests are small
// and latency-bound.
StatusOr<std::unique_ptr<SocketStream>> Connect(const HostPort& target,
                                                std::chrono::milliseconds timeout);

class Listener {
 public:
  // Binds and listens on a numeric address (no name lookups on the server);
  // port 0 picks a free port.
  static StatusOr<std::unique_ptr<Listener>> Bind(const HostPort& address);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound address, with the real port: "127.0.0.1:40212".
  const HostPort& local_address() const { return local_; }

  // Waits up to `timeout` for a connection; nullptr (with OK) when none came, so a
  // caller can check for shutdown between waits.
  StatusOr<std::unique_ptr<SocketStream>> Accept(std::chrono::milliseconds timeout);

 private:
  Listener(int fd, HostPort local) : fd_(fd), local_(std::move(local)) {}
  int fd_;
  HostPort local_;
};

}  // namespace ferry
