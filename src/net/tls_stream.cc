#include "src/net/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ferry {
namespace {

// The largest TLS record payload: a small frame header is sent in one record
// with the start of the data that follows it, instead of a record of its own.
constexpr size_t kRecordBytes = 16384;

// How many bytes of encrypted records a Write gathers before it sends them, and
// how many a read takes from the socket at once (read-ahead). One system call
// per 16 KiB record, and a wake-up of the reader for each, held a TLS transfer
// to a fraction of a plaintext one on loopback, with the CPU mostly idle.
constexpr size_t kCoalesceBytes = 256 * 1024;
constexpr size_t kReadAheadBytes = 256 * 1024;

}  // namespace

// What the socket BIO needs: the descriptor, where to note the peer's first
// byte (TLS records start with a content type of 20..23; a ferry frame starts
// with the high byte of its length, which is 0), and the records a Write has
// encrypted but not sent yet.
struct TlsStream::SocketBio {
  int fd;
  TlsHandshakeNotes* notes;
  // Set only inside TlsStream::Write, which sends what is left before it
  // returns; every other write (handshake, alerts, close_notify) goes out at once.
  bool coalescing = false;
  std::vector<uint8_t> pending;
  size_t pending_sent = 0;  // bytes at the front of `pending` already sent

  // Sends pending bytes until none are left (true) or the socket is full
  // (false, errno EAGAIN) or fails (false, errno says why).
  bool SendPending() {
    while (pending_sent < pending.size()) {
      const ssize_t n =
          send(fd, pending.data() + pending_sent, pending.size() - pending_sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      pending_sent += static_cast<size_t>(n);
    }
    pending.clear();
    pending_sent = 0;
    return true;
  }
};

namespace {

using SocketBio = TlsStream::SocketBio;

// A socket BIO that writes with MSG_NOSIGNAL: OpenSSL's own writes with write(2),
// which raises SIGPIPE when the peer is gone.
int BioWrite(BIO* bio, const char* data, int length) {
  auto* socket = static_cast<SocketBio*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const auto size = static_cast<size_t>(length);
  if (socket->coalescing) {
    // A record is taken whole or not at all: when the gathered records do not
    // leave room and the socket takes no more, OpenSSL retries this one later.
    if (socket->pending.size() + size > kCoalesceBytes && !socket->SendPending()) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (socket->pending.size() - socket->pending_sent + size > kCoalesceBytes) {
        BIO_set_retry_write(bio);
        return -1;
      }
    }
    if (socket->pending_sent > 0) {
      socket->pending.erase(socket->pending.begin(),
                            socket->pending.begin() + static_cast<ptrdiff_t>(socket->pending_sent));
      socket->pending_sent = 0;
    }
    socket->pending.insert(socket->pending.end(), data, data + size);
    return length;
  }
  const ssize_t n = send(socket->fd, data, size, MSG_NOSIGNAL);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return -1;
}

int BioRead(BIO* bio, char* out, int length) {
  auto* socket = static_cast<SocketBio*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const ssize_t n = recv(socket->fd, out, static_cast<size_t>(length), 0);
  if (n > 0) {
    if (!socket->notes->first_byte_seen) {
      socket->notes->first_byte_seen = true;
      const auto type = static_cast<unsigned char>(out[0]);
      socket->notes->peer_spoke_plaintext = type < 20 || type > 23;
    }
    return static_cast<int>(n);
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(n);
}

long BioControl(BIO*, int command, long, void*) {
  // Writes are never buffered here, so a flush always succeeds; nothing else is
  // supported.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int BioDestroy(BIO* bio) {
  delete static_cast<SocketBio*>(BIO_get_data(bio));
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ferry socket");
    BIO_meth_set_write(m, BioWrite);
    BIO_meth_set_read(m, BioRead);
    BIO_meth_set_ctrl(m, BioControl);
    BIO_meth_set_create(m, BioCreate);
    BIO_meth_set_destroy(m, BioDestroy);
    return m;
  }();
  return method;
}

Status Closed(std::string_view why) {
  return Status::Error(StatusCode::kConnectionClosed, std::string(why));
}

// True when the oldest queued error is an alert the peer sent: OpenSSL files
// those as reasons at SSL_AD_REASON_OFFSET and above.
bool PeerSentAlert() {
  const unsigned long error = ERR_peek_error();
  return error != 0 && ERR_GET_LIB(error) == ERR_LIB_SSL &&
         ERR_GET_REASON(error) >= SSL_AD_REASON_OFFSET;
}

bool UnexpectedEof() {
  const unsigned long error = ERR_peek_error();
  return error != 0 && ERR_GET_LIB(error) == ERR_LIB_SSL &&
         ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

std::string OpenSslErrorText(std::string_view what) {
  std::string text(what);
  bool first = true;
  while (const unsigned long error = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(error);
    text += first ? ": " : "; ";
    text += reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(error));
    first = false;
  }
  return text;
}

TlsStream::TlsStream(std::unique_ptr<SocketStream> socket, SSL* ssl)
    : socket_(std::move(socket)), ssl_(ssl) {
  BIO* bio = BIO_new(SocketBioMethod());
  bio_ = new SocketBio{socket_->fd(), &notes_};
  BIO_set_data(bio, bio_);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO (and bio_) from here
  SSL_set_app_data(ssl_, &notes_);
  // Read as many records as have arrived in one recv, not a header and a body
  // per record (ReadReady counts what is buffered through SSL_has_pending).
  SSL_set_default_read_buffer_len(ssl_, kReadAheadBytes);
  SSL_set_read_ahead(ssl_, 1);
}

TlsStream::~TlsStream() {
  if (!shut_down_) Shutdown();
  SSL_free(ssl_);
}

std::string TlsStream::protocol_version() const { return SSL_get_version(ssl_); }

std::string TlsStream::cipher_suite() const {
  const char* name = SSL_get_cipher_name(ssl_);
  return name != nullptr ? name : "";
}

std::string TlsStream::requested_server_name() const {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

std::string TlsStream::peer_certificate_subject() const {
  X509* certificate = SSL_get1_peer_certificate(ssl_);
  if (certificate == nullptr) return "";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(certificate), subject, sizeof(subject));
  X509_free(certificate);
  return subject;
}

StatusOr<short> TlsStream::EventsToRetry(int result, std::string_view what) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return static_cast<short>(POLLIN);
    case SSL_ERROR_WANT_WRITE:
      return static_cast<short>(POLLOUT);
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      return Closed("peer closed the TLS session");
    case SSL_ERROR_SYSCALL:
      broken_ = true;
      ERR_clear_error();
      if (saved_errno == 0) return Closed("peer closed the connection without TLS close_notify");
      if (saved_errno == EPIPE || saved_errno == ECONNRESET || saved_errno == ENOTCONN) {
        return Closed(std::string("peer closed the connection: ") + std::strerror(saved_errno));
      }
      return Status::Error(StatusCode::kUnavailable,
                           std::string(what) + ": " + std::strerror(saved_errno));
    default:
      broken_ = true;
      if (UnexpectedEof()) {
        ERR_clear_error();
        return Closed("peer closed the connection without TLS close_notify");
      }
      if (PeerSentAlert()) {
        return Closed(OpenSslErrorText("peer ended the TLS session with an alert"));
      }
      return Status::Error(StatusCode::kUnavailable, OpenSslErrorText(what));
  }
}

Status TlsStream::Handshake(std::chrono::steady_clock::time_point deadline) {
  const auto saved_deadline = limits_.deadline;
  limits_.deadline = deadline;
  Status result;
  while (true) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) break;
    auto events = EventsToRetry(rc, "TLS handshake failed");
    if (events.ok()) result = limits_.WaitFor(socket_->fd(), *events);
    if (!events.ok() || !result.ok()) {
      result = HandshakeFailure(events.ok() ? result : events.status());
      break;
    }
  }
  limits_.deadline = saved_deadline;
  if (!result.ok()) broken_ = true;
  return result;
}

Status TlsStream::HandshakeFailure(Status raw) {
  const bool server = SSL_is_server(ssl_) == 1;
  if (raw.code() == StatusCode::kTimeout) {
    ERR_clear_error();
    return Status::Error(StatusCode::kTimeout, "TLS handshake timed out");
  }
  if (notes_.peer_spoke_plaintext) {
    ERR_clear_error();
    return Status::Error(StatusCode::kUnavailable,
                         server ? "client did not start TLS (a plaintext ferry client?)"
                                : "server did not answer with TLS (does it serve plaintext?)");
  }
  if (notes_.alpn_refused) {
    ERR_clear_error();
    return Status::Error(
        StatusCode::kUnavailable,
        "client did not offer the ALPN protocol ferry/1 (no application protocol)");
  }
  if (!notes_.pin_mismatch.empty()) {
    ERR_clear_error();
    return Status::Error(StatusCode::kUnavailable, notes_.pin_mismatch);
  }
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return Status::Error(
        StatusCode::kUnavailable,
        std::string(server ? "client certificate verify failed: " : "certificate verify failed: ") +
            X509_verify_cert_error_string(verify));
  }
  if (raw.code() == StatusCode::kConnectionClosed) {
    return Closed(raw.message() + " during the TLS handshake");
  }
  return raw;
}

StatusOr<size_t> TlsStream::ReadSome(std::span<uint8_t> out) {
  if (shut_down_) return Closed("stream shut down");
  if (broken_) return Closed("the TLS session failed earlier");
  while (true) {
    ERR_clear_error();
    size_t n = 0;
    const int rc = SSL_read_ex(ssl_, out.data(), out.size(), &n);
    if (rc == 1) return n;
    FERRY_ASSIGN_OR_RETURN(const short events, EventsToRetry(rc, "TLS read"));
    FERRY_RETURN_IF_ERROR(limits_.WaitFor(socket_->fd(), events));
  }
}

Status TlsStream::WriteAll(std::span<const uint8_t> data) {
  while (!data.empty()) {
    ERR_clear_error();
    size_t n = 0;
    const int rc = SSL_write_ex(ssl_, data.data(), data.size(), &n);
    if (rc == 1) {
      data = data.subspan(n);
      continue;
    }
    auto events = EventsToRetry(rc, "TLS write");
    if (!events.ok()) return ExplainLostWrite(events.status());
    FERRY_RETURN_IF_ERROR(limits_.WaitFor(socket_->fd(), *events));
  }
  return Status::Ok();
}

Status TlsStream::ExplainLostWrite(Status lost) {
  // A peer that rejects us right after the handshake (a TLS 1.3 server that
  // refuses the client's certificate) sends an alert and closes; our next write
  // then fails with EPIPE while the alert that says why still waits unread.
  if (lost.code() != StatusCode::kConnectionClosed) return lost;
  uint8_t byte;
  ERR_clear_error();
  size_t n = 0;
  const int rc = SSL_read_ex(ssl_, &byte, 1, &n);
  if (rc != 1 && SSL_get_error(ssl_, rc) == SSL_ERROR_SSL && PeerSentAlert()) {
    return Closed(OpenSslErrorText("peer ended the TLS session with an alert"));
  }
  ERR_clear_error();
  return lost;
}

Status TlsStream::Write(std::span<const uint8_t> first, std::span<const uint8_t> second) {
  if (shut_down_) return Closed("stream shut down");
  if (broken_) return Closed("the TLS session failed earlier");
  // The records are gathered and sent in large writes (see kCoalesceBytes);
  // everything is on the socket when Write returns, as with SocketStream.
  bio_->coalescing = true;
  Status status = WriteRecords(first, second);
  bio_->coalescing = false;
  if (status.ok()) status = SendPending();
  if (!status.ok()) {
    bio_->pending.clear();
    bio_->pending_sent = 0;
  }
  return status;
}

Status TlsStream::WriteRecords(std::span<const uint8_t> first, std::span<const uint8_t> second) {
  if (!first.empty() && !second.empty() && first.size() < kRecordBytes) {
    const size_t take = std::min(second.size(), kRecordBytes - first.size());
    scratch_.assign(first.begin(), first.end());
    scratch_.insert(scratch_.end(), second.begin(), second.begin() + take);
    FERRY_RETURN_IF_ERROR(WriteAll(scratch_));
    first = {};
    second = second.subspan(take);
  }
  FERRY_RETURN_IF_ERROR(WriteAll(first));
  return WriteAll(second);
}

Status TlsStream::SendPending() {
  while (!bio_->SendPending()) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      broken_ = true;
      const int error = errno;
      if (error == EPIPE || error == ECONNRESET || error == ENOTCONN) {
        return ExplainLostWrite(
            Closed(std::string("peer closed the connection: ") + std::strerror(error)));
      }
      return Status::Error(StatusCode::kUnavailable,
                           std::string("TLS write: ") + std::strerror(error));
    }
    FERRY_RETURN_IF_ERROR(limits_.WaitFor(socket_->fd(), POLLOUT));
  }
  return Status::Ok();
}

bool TlsStream::ReadReady() {
  if (shut_down_ || broken_) return true;  // a read fails at once
  if (SSL_pending(ssl_) > 0 || SSL_has_pending(ssl_) == 1) return true;
  pollfd pfd{socket_->fd(), POLLIN, 0};
  return poll(&pfd, 1, 0) > 0;
}

void TlsStream::Shutdown() {
  if (!shut_down_) {
    shut_down_ = true;
    if (!broken_ && SSL_is_init_finished(ssl_)) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // queues close_notify and tries to send it once
      ERR_clear_error();
    }
  }
  socket_->Shutdown();
}

}  // namespace ferry
