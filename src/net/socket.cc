#include "src/net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ferry {
namespace {

using Clock = std::chrono::steady_clock;

Status SocketError(int err, std::string_view what) {
  std::string message = std::string(what) + ": " + std::strerror(err);
  switch (err) {
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
      return Status::Error(StatusCode::kConnectionClosed, message);
    case ETIMEDOUT:
      return Status::Error(StatusCode::kTimeout, message);
    default:
      return Status::Error(StatusCode::kUnavailable, message);
  }
}

std::string FormatAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
  }
  return HostPort{host, port}.ToString();
}

std::string PeerOf(int fd) {
  sockaddr_storage address{};
  socklen_t len = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &len) != 0) return "?";
  return FormatAddress(address);
}

void SetNoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Waits for `events` on fd for at most `timeout`; kTimeout if nothing happened.
Status PollFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, events, 0};
  const auto end = Clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    const int n = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (n > 0) return Status::Ok();
    if (n == 0) return Status::Error(StatusCode::kTimeout, "timed out waiting for the peer");
    if (errno != EINTR) return SocketError(errno, "poll");
  }
}

}  // namespace

SocketStream::SocketStream(int fd) : fd_(fd), peer_(PeerOf(fd)) {
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

SocketStream::~SocketStream() { close(fd_); }

Status SocketStream::WaitFor(short events) {
  auto timeout = io_timeout_;
  if (deadline_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - Clock::now());
    if (left.count() <= 0) return Status::Error(StatusCode::kTimeout, "deadline passed");
    timeout = std::min(timeout, left);
  }
  return PollFor(fd_, events, timeout);
}

StatusOr<size_t> SocketStream::ReadSome(std::span<uint8_t> out) {
  while (true) {
    const ssize_t n = recv(fd_, out.data(), out.size(), 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status::Error(StatusCode::kConnectionClosed, "peer closed the connection");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return SocketError(errno, "recv");
    FERRY_RETURN_IF_ERROR(WaitFor(POLLIN));
  }
}

Status SocketStream::Write(std::span<const uint8_t> first, std::span<const uint8_t> second) {
  iovec iov[2] = {{const_cast<uint8_t*>(first.data()), first.size()},
                  {const_cast<uint8_t*>(second.data()), second.size()}};
  size_t index = iov[0].iov_len == 0 ? 1 : 0;
  while (index < 2) {
    if (iov[index].iov_len == 0) {
      ++index;
      continue;
    }
    msghdr msg{};
    msg.msg_iov = &iov[index];
    msg.msg_iovlen = 2 - index;
    const ssize_t n = sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return SocketError(errno, "send");
      FERRY_RETURN_IF_ERROR(WaitFor(POLLOUT));
      continue;
    }
    size_t sent = static_cast<size_t>(n);
    while (index < 2 && sent >= iov[index].iov_len) {
      sent -= iov[index].iov_len;
      iov[index].iov_len = 0;
      ++index;
    }
    if (index < 2) {
      iov[index].iov_base = static_cast<uint8_t*>(iov[index].iov_base) + sent;
      iov[index].iov_len -= sent;
    }
  }
  return Status::Ok();
}

bool SocketStream::ReadReady() {
  pollfd pfd{fd_, POLLIN, 0};
  return poll(&pfd, 1, 0) > 0;
}

void SocketStream::Shutdown() { shutdown(fd_, SHUT_RDWR); }

StatusOr<std::unique_ptr<SocketStream>> Connect(const HostPort& target,
                                                std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  const std::string port = std::to_string(target.port);
  if (const int rc = getaddrinfo(target.host.c_str(), port.c_str(), &hints, &results); rc != 0) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot resolve " + target.host + ": " + gai_strerror(rc));
  }
  Status last = Status::Error(StatusCode::kUnavailable, "no address for " + target.host);
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    const int fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last = SocketError(errno, "socket");
      continue;
    }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      Status waited = PollFor(fd, POLLOUT, timeout);
      int err = 0;
      socklen_t len = sizeof(err);
      if (waited.ok()) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = waited.ok() && err == 0 ? 0 : -1;
      if (rc != 0) {
        last = waited.ok() ? SocketError(err, "connect to " + target.ToString())
                           : waited.WithContext("connect to " + target.ToString());
      }
    } else if (rc != 0) {
      last = SocketError(errno, "connect to " + target.ToString());
    }
    if (rc == 0) {
      freeaddrinfo(results);
      SetNoDelay(fd);
      return std::make_unique<SocketStream>(fd);
    }
    close(fd);
  }
  freeaddrinfo(results);
  if (last.code() == StatusCode::kTimeout) return last;
  return Status::Error(StatusCode::kUnavailable, last.message());
}

StatusOr<std::unique_ptr<Listener>> Listener::Bind(const HostPort& address) {
  sockaddr_storage storage{};
  socklen_t len = 0;
  auto* in = reinterpret_cast<sockaddr_in*>(&storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, address.host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(address.port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(address.port);
    len = sizeof(sockaddr_in6);
  } else {
    return Status::Error(StatusCode::kInvalidArgument,
                         "listen address must be a numeric IPv4 or IPv6 address: " + address.host);
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError(errno, "socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0 || listen(fd, SOMAXCONN) != 0) {
    const Status error = SocketError(errno, "listen on " + address.ToString());
    close(fd);
    return error;
  }
  len = sizeof(storage);
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &len);
  HostPort local = address;
  local.port = ntohs(storage.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
  return std::unique_ptr<Listener>(new Listener(fd, std::move(local)));
}

Listener::~Listener() { close(fd_); }

StatusOr<std::unique_ptr<SocketStream>> Listener::Accept(std::chrono::milliseconds timeout) {
  const Status waited = PollFor(fd_, POLLIN, timeout);
  if (waited.code() == StatusCode::kTimeout) return std::unique_ptr<SocketStream>();
  FERRY_RETURN_IF_ERROR(waited);
  const int fd = accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    // The connection may have gone already, or fds may be exhausted for a moment:
    // neither is a reason to stop serving.
    if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR || errno == EMFILE ||
        errno == ENFILE || errno == EPROTO) {
      return std::unique_ptr<SocketStream>();
    }
    return SocketError(errno, "accept");
  }
  SetNoDelay(fd);
  return std::make_unique<SocketStream>(fd);
}

}  // namespace ferry
