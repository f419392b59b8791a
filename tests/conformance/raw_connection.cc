#include "tests/conformance/raw_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/base/digest.h"

namespace ferry::conformance {
namespace {

using Clock = std::chrono::steady_clock;

Status Errno(std::string_view what) {
  const int err = errno;
  return Status::Error(
      err == ECONNRESET || err == EPIPE ? StatusCode::kConnectionClosed : StatusCode::kInternal,
      std::string(what) + ": " + std::strerror(err));
}

// Waits for `events` on `fd` until `deadline`. kTimeout when it passes.
Status PollUntil(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Status::Error(StatusCode::kTimeout, "hang guard passed");
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return Status::Ok();
    if (rc < 0 && errno != EINTR) return Errno("poll");
  }
}

std::string Describe(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 64; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (i > 0) out += ' ';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  if (bytes.size() > 64) out += " ...";
  return out;
}

}  // namespace

std::string ServerFrame::Bytes() const { return Frame(payload); }

StatusOr<std::unique_ptr<RawConnection>> RawConnection::Connect(uint16_t port,
                                                                int receive_buffer_bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  std::unique_ptr<RawConnection> connection(new RawConnection(fd));
  if (receive_buffer_bytes > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                                             sizeof(receive_buffer_bytes)) != 0) {
    return Errno("setsockopt(SO_RCVBUF)");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS) return Errno("connect");
    FERRY_RETURN_IF_ERROR(PollUntil(fd, POLLOUT, Clock::now() + kHangGuard));
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return Errno("getsockopt");
    if (err != 0) {
      errno = err;
      return Errno("connect");
    }
  }
  return connection;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

Status RawConnection::SendRaw(std::string_view bytes) {
  const auto deadline = Clock::now() + kHangGuard;
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      FERRY_RETURN_IF_ERROR(PollUntil(fd_, POLLOUT, deadline));
      continue;
    }
    return Errno("send");
  }
  return Status::Ok();
}

Status RawConnection::SendHeader(uint32_t length) { return SendRaw(BigEndian32(length)); }

Status RawConnection::SendPayload(std::string_view payload) { return SendRaw(Frame(payload)); }

Status RawConnection::SendFrame(const v1::ClientMessage& message) {
  return SendRaw(Frame(message));
}

Status RawConnection::SendChunk(std::string_view data) { return SendRaw(ChunkFrame(data)); }

Status RawConnection::SetReceiveBuffer(int bytes) {
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) != 0) {
    return Errno("setsockopt(SO_RCVBUF)");
  }
  return Status::Ok();
}

Status RawConnection::ShutdownWrite() {
  if (shutdown(fd_, SHUT_WR) != 0) return Errno("shutdown");
  return Status::Ok();
}

Status RawConnection::ReadExactly(size_t n, std::string* out, Clock::time_point deadline,
                                  bool at_frame_boundary) {
  char buffer[64 * 1024];
  while (pending_.size() < n) {
    const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got > 0) {
      pending_.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got == 0) {
      return Status::Error(StatusCode::kConnectionClosed,
                           at_frame_boundary && pending_.empty()
                               ? "end of stream"
                               : "end of stream inside a frame after: " + Describe(pending_));
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      FERRY_RETURN_IF_ERROR(PollUntil(fd_, POLLIN, deadline));
      continue;
    }
    return Errno("recv");
  }
  out->assign(pending_, 0, n);
  pending_.erase(0, n);
  return Status::Ok();
}

StatusOr<ServerFrame> RawConnection::ReadFrame(std::chrono::milliseconds guard) {
  const auto deadline = Clock::now() + guard;
  std::string header;
  FERRY_RETURN_IF_ERROR(ReadExactly(4, &header, deadline, /*at_frame_boundary=*/true));
  const uint32_t length = (uint32_t{static_cast<uint8_t>(header[0])} << 24) |
                          (uint32_t{static_cast<uint8_t>(header[1])} << 16) |
                          (uint32_t{static_cast<uint8_t>(header[2])} << 8) |
                          uint32_t{static_cast<uint8_t>(header[3])};
  // No server frame may exceed the ceiling a server can ever negotiate.
  if (length > 16 * 1024 * 1024 + 64) {
    return Status::Error(StatusCode::kMessageTooLarge,
                         "server frame announces " + std::to_string(length) + " bytes");
  }
  ServerFrame frame;
  FERRY_RETURN_IF_ERROR(ReadExactly(length, &frame.payload, deadline, false));
  if (!frame.message.ParseFromString(frame.payload)) {
    return Status::Error(StatusCode::kMalformedMessage,
                         "server payload is not a ServerMessage: " + Describe(frame.payload));
  }
  return frame;
}

StatusOr<CloseKind> RawConnection::WaitClosed(std::chrono::milliseconds guard) {
  const auto deadline = Clock::now() + guard;
  if (!pending_.empty()) {
    return Status::Error(StatusCode::kInternal,
                         "unread bytes before the close: " + Describe(pending_));
  }
  char buffer[4096];
  while (true) {
    const ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got == 0) return CloseKind::kEndOfStream;
    if (got > 0) {
      return Status::Error(StatusCode::kInternal,
                           "the server sent more bytes instead of closing: " +
                               Describe(std::string_view(buffer, static_cast<size_t>(got))));
    }
    if (errno == ECONNRESET) return CloseKind::kReset;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Errno("recv");
    FERRY_RETURN_IF_ERROR(PollUntil(fd_, POLLIN, deadline));
  }
}

::testing::AssertionResult RawConnection::ExpectClosed(std::chrono::milliseconds guard) {
  const StatusOr<CloseKind> closed = WaitClosed(guard);
  if (closed.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "the server did not close the connection: " << closed.status().ToString();
}

bool RawConnection::Readable(std::chrono::milliseconds wait) {
  if (!pending_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

StatusOr<v1::Welcome> RawConnection::Handshake(uint32_t max_frame_bytes) {
  FERRY_RETURN_IF_ERROR(SendFrame(Hello(1, 1, "conformance", max_frame_bytes)));
  FERRY_ASSIGN_OR_RETURN(ServerFrame reply, ReadFrame());
  if (!reply.message.has_welcome()) {
    return Status::Error(StatusCode::kInternal,
                         "expected Welcome, got: " + reply.message.ShortDebugString());
  }
  return reply.message.welcome();
}

// ---------------------------------------------------------------------------

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

std::string BigEndian32(uint32_t value) {
  return {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8), static_cast<char>(value)};
}

std::string FieldKey(uint32_t field, uint32_t wire_type) {
  return Varint((uint64_t{field} << 3) | wire_type);
}

std::string LengthDelimited(uint32_t field, std::string_view bytes) {
  return FieldKey(field, 2) + Varint(bytes.size()) + std::string(bytes);
}

std::string Frame(std::string_view payload) {
  return BigEndian32(static_cast<uint32_t>(payload.size())) + std::string(payload);
}

std::string ChunkFrame(std::string_view data) {
  // payload = 3A varint(K) 0A varint(N) data, K = 1 + |varint(N)| + N (spec 4.5).
  const std::string n = Varint(data.size());
  const std::string chunk = "\x0a" + n + std::string(data);
  return Frame("\x3a" + Varint(chunk.size()) + chunk);
}

std::string Frame(const v1::ClientMessage& message) { return Frame(message.SerializeAsString()); }

std::string PadPayload(std::string payload, size_t target) {
  const std::string key = FieldKey(1000, 2);
  // The length varint's size depends on the padding's size; try each width.
  for (size_t width = 1; width <= 5; ++width) {
    const size_t overhead = payload.size() + key.size() + width;
    if (overhead > target) break;
    const size_t pad = target - overhead;
    if (Varint(pad).size() == width) {
      return payload + key + Varint(pad) + std::string(pad, 'p');
    }
  }
  return payload;  // cannot pad to exactly `target`; callers check the size
}

v1::ClientMessage Hello(uint32_t min_version, uint32_t max_version, std::string_view client_name,
                        uint32_t max_frame_bytes) {
  v1::ClientMessage message;
  v1::Hello* hello = message.mutable_hello();
  hello->set_min_version(min_version);
  hello->set_max_version(max_version);
  hello->set_client_name(std::string(client_name));
  hello->set_max_frame_bytes(max_frame_bytes);
  return message;
}

v1::ClientMessage ListMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_list()->set_path(std::string(path));
  return message;
}

v1::ClientMessage StatMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_stat()->set_path(std::string(path));
  return message;
}

v1::ClientMessage RemoveMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_remove()->set_path(std::string(path));
  return message;
}

v1::ClientMessage RemoveDirectoryMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_remove_directory()->set_path(std::string(path));
  return message;
}

v1::ClientMessage RenameMessage(std::string_view from, std::string_view to, bool overwrite) {
  v1::ClientMessage message;
  message.mutable_rename()->set_from(std::string(from));
  message.mutable_rename()->set_to(std::string(to));
  message.mutable_rename()->set_overwrite(overwrite);
  return message;
}

v1::ClientMessage HashMessage(std::string_view path, uint64_t offset, uint64_t length) {
  v1::ClientMessage message;
  message.mutable_hash()->set_path(std::string(path));
  message.mutable_hash()->set_offset(offset);
  message.mutable_hash()->set_length(length);
  return message;
}

v1::ClientMessage MakeDirectoryMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_make_directory()->set_path(std::string(path));
  return message;
}

v1::ClientMessage DownloadMessage(std::string_view path) {
  v1::ClientMessage message;
  message.mutable_download()->set_path(std::string(path));
  return message;
}

v1::ClientMessage UploadMessage(std::string_view path, uint64_t size, bool overwrite) {
  v1::ClientMessage message;
  v1::UploadRequest* upload = message.mutable_upload();
  upload->set_path(std::string(path));
  upload->set_size(size);
  upload->set_overwrite(overwrite);
  return message;
}

v1::ClientMessage UploadEndMessage(uint64_t size, std::string_view digest) {
  v1::ClientMessage message;
  message.mutable_upload_end()->set_size(size);
  message.mutable_upload_end()->set_xxh3_128(std::string(digest));
  return message;
}

v1::ClientMessage CancelMessage() {
  v1::ClientMessage message;
  message.mutable_cancel();
  return message;
}

v1::ClientMessage ByeMessage() {
  v1::ClientMessage message;
  message.mutable_bye();
  return message;
}

std::string WireDigest(std::string_view data) {
  return DigestToBytes(DigestOf(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size())));
}

}  // namespace ferry::conformance
