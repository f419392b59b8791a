#include "bench/tcp_baseline.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace ferry::bench {
namespace {

using Clock = std::chrono::steady_clock;

Status Errno(const char* what) {
  return Status::Error(StatusCode::kIoError, std::string(what) + ": " + std::strerror(errno));
}

// A connected loopback pair (blocking sockets): {client, server}.
StatusOr<std::pair<int, int>> LoopbackPair() {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(address);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), len) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &len) != 0) {
    const Status error = Errno("listen");
    close(listener);
    return error;
  }
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0 || connect(client, reinterpret_cast<sockaddr*>(&address), len) != 0) {
    const Status error = Errno("connect");
    if (client >= 0) close(client);
    close(listener);
    return error;
  }
  const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  close(listener);
  if (server < 0) {
    close(client);
    return Errno("accept");
  }
  const int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return std::make_pair(client, server);
}

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, uint8_t* data, size_t size) {
  while (size > 0) {
    const ssize_t n = read(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Runs `body` in a child process, as ferryd runs apart from its client: waking
// a thread of another process costs more than waking one of the same process,
// so threads would flatter the baseline. The child only reads, writes and exits.
template <typename Body>
pid_t ForkPeer(Body body) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  return pid;
}

}  // namespace

StatusOr<double> TcpThroughput(uint64_t bytes, size_t write_size, int streams) {
  std::vector<std::pair<int, int>> pairs;
  const auto close_all = [&] {
    for (auto [a, b] : pairs) {
      close(a);
      close(b);
    }
  };
  for (int i = 0; i < streams; ++i) {
    auto pair = LoopbackPair();
    if (!pair.ok()) {
      close_all();
      return pair.status();
    }
    pairs.push_back(*pair);
  }
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  std::vector<pid_t> senders;
  const std::vector<uint8_t> source(write_size, 0x5A);
  const auto start = Clock::now();
  for (auto [client, server] : pairs) {
    senders.push_back(ForkPeer([&source, bytes, write_size, fd = server] {
      for (uint64_t sent = 0; sent < bytes;) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(write_size, bytes - sent));
        if (!WriteAll(fd, source.data(), n)) return;
        sent += n;
      }
    }));
    threads.emplace_back([&failed, bytes, write_size, fd = client] {
      std::vector<uint8_t> buffer(write_size);
      for (uint64_t got = 0; got < bytes;) {
        const ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          failed = true;
          return;
        }
        got += static_cast<uint64_t>(n);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  close_all();
  for (pid_t pid : senders) {
    if (pid < 0 || waitpid(pid, nullptr, 0) != pid) failed = true;
  }
  if (failed) return Status::Error(StatusCode::kIoError, "baseline stream failed");
  return seconds;
}

StatusOr<std::vector<double>> TcpPingPong(size_t request_bytes, size_t reply_bytes, int count) {
  FERRY_ASSIGN_OR_RETURN(auto pair, LoopbackPair());
  auto [client, server] = pair;
  std::vector<uint8_t> echo_in(request_bytes), echo_out(reply_bytes, 0x42);
  const pid_t echo = ForkPeer([&, server = server] {
    for (int i = 0; i < count; ++i) {
      if (!ReadAll(server, echo_in.data(), echo_in.size()) ||
          !WriteAll(server, echo_out.data(), echo_out.size())) {
        return;
      }
    }
  });
  close(server);
  std::vector<uint8_t> request(request_bytes, 0x41), reply(reply_bytes);
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(count));
  bool ok = true;
  for (int i = 0; i < count && ok; ++i) {
    const auto start = Clock::now();
    ok = WriteAll(client, request.data(), request.size()) &&
         ReadAll(client, reply.data(), reply.size());
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  shutdown(client, SHUT_RDWR);
  close(client);
  if (echo < 0 || waitpid(echo, nullptr, 0) != echo) ok = false;
  if (!ok) return Status::Error(StatusCode::kIoError, "ping-pong connection failed");
  return micros;
}

StatusOr<DiskWrite> DiskWriteFsync(const char* path, uint64_t bytes, size_t write_size) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("open");
  std::vector<uint8_t> buffer(write_size, 0x5A);
  const auto start = Clock::now();
  bool ok = true;
  for (uint64_t written = 0; written < bytes && ok;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(write_size, bytes - written));
    ok = WriteAll(fd, buffer.data(), n);
    written += n;
  }
  const auto synced = Clock::now();
  ok = ok && fsync(fd) == 0;
  const auto end = Clock::now();
  close(fd);
  unlink(path);
  if (!ok) return Errno("write");
  return DiskWrite{std::chrono::duration<double>(end - start).count(),
                   std::chrono::duration<double>(end - synced).count()};
}

}  // namespace ferry::bench
