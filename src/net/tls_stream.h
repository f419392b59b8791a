// TlsStream: a Stream over TLS 1.3 on a connected socket (OpenSSL).
//
// Like SocketStream, every wait is a poll() bounded by the I/O timeout and the
// deadline, so no call can hang; OpenSSL's WANT_READ / WANT_WRITE become those
// waits. The contexts in tls.h create these streams; the handshake runs in
// Handshake(), under its own deadline, before the stream carries any frame.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "src/base/status.h"
#include "src/net/poll_wait.h"
#include "src/net/socket.h"
#include "src/net/stream.h"

typedef struct ssl_st SSL;

namespace ferry {

// Everything learnt during one handshake that explains its failure better than
// OpenSSL's own words. Reached from OpenSSL callbacks through the SSL object.
struct TlsHandshakeNotes {
  bool first_byte_seen = false;
  bool peer_spoke_plaintext = false;  // the peer's first byte was no TLS record type
  std::string pin_mismatch;           // set when a pinned fingerprint did not match
  bool alpn_refused = false;          // server: the client did not offer "ferry/1"
};

class TlsStream : public PollingStream {
 public:
  // Takes ownership of both. `ssl` is configured (context, role, names) but has
  // no transport yet; the stream attaches it to the socket without SIGPIPE.
  TlsStream(std::unique_ptr<SocketStream> socket, SSL* ssl);
  ~TlsStream() override;  // sends close_notify if Shutdown did not
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Runs the handshake to completion or until `deadline` (kTimeout). Failures
  // say why in words: a failed certificate check, a pin mismatch, a peer that
  // does not speak TLS, or OpenSSL's reasons. kConnectionClosed when the peer
  // left during the handshake.
  Status Handshake(std::chrono::steady_clock::time_point deadline);

  StatusOr<size_t> ReadSome(std::span<uint8_t> out) override;
  Status Write(std::span<const uint8_t> first, std::span<const uint8_t> second) override;
  // Decrypted bytes already buffered count, as do bytes waiting on the socket.
  bool ReadReady() override;
  // Sends close_notify (one attempt, no waiting), then shuts the socket down.
  void Shutdown() override;

  // The TCP connection underneath; shutting it down from another thread is the
  // safe way to abort a stream that thread is using.
  SocketStream* socket() const { return socket_.get(); }
  const std::string& peer() const { return socket_->peer(); }
  const TlsHandshakeNotes& notes() const { return notes_; }
  // "TLSv1.3", and the suite, e.g. "TLS_AES_256_GCM_SHA384", once connected.
  std::string protocol_version() const;
  std::string cipher_suite() const;
  // The socket BIO's state (tls_stream.cc).
  struct SocketBio;

  // Server side: the host name the client sent as SNI ("" when it sent none).
  std::string requested_server_name() const;
  // The subject of the peer's verified certificate ("" when it sent none).
  std::string peer_certificate_subject() const;

 private:
  // The poll events to wait for after an SSL call returned `result`, or the
  // error that ended the call.
  StatusOr<short> EventsToRetry(int result, std::string_view what);
  Status WriteAll(std::span<const uint8_t> data);
  // Write's records, gathered in bio_ (not sent yet).
  Status WriteRecords(std::span<const uint8_t> first, std::span<const uint8_t> second);
  // Sends what bio_ has gathered, waiting for room as long as limits_ allow.
  Status SendPending();
  // A write found the connection closed: the alert the peer sent first, if any,
  // is the better explanation.
  Status ExplainLostWrite(Status lost);
  // Explains a failed handshake (see Handshake).
  Status HandshakeFailure(Status raw);

  std::unique_ptr<SocketStream> socket_;
  SSL* ssl_;
  SocketBio* bio_;  // owned by ssl_'s BIO
  TlsHandshakeNotes notes_;
  bool shut_down_ = false;
  bool broken_ = false;  // a fatal TLS error: no close_notify may follow
  std::vector<uint8_t> scratch_;
};

// "what: reason; reason" from OpenSSL's error queue for this thread, which it
// empties. `what` alone when the queue is empty.
std::string OpenSslErrorText(std::string_view what);

}  // namespace ferry
