// TLS 1.3 for ferry connections (spec 4.6): the server's and the client's
// configuration, loaded once and shared by every connection.
//
// Both sides speak TLS 1.3 only, offer AES-GCM suites first and require the
// ALPN protocol "ferry/1". The client verifies the server against CA
// certificates (chain, validity, host name or IP address) or against a pinned
// SHA-256 fingerprint of its leaf certificate. A server configured with client
// CAs requires and verifies client certificates. Failures are Status values
// whose messages say what went wrong, OpenSSL's reasons included.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "src/base/status.h"
#include "src/net/socket.h"
#include "src/net/tls_stream.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_store_ctx_st X509_STORE_CTX;

namespace ferry {

// The ALPN protocol name of ferry protocol version 1 (R-TLS-3).
inline constexpr std::string_view kTlsAlpnProtocol = "ferry/1";

// A SHA-256 certificate fingerprint, parsed from "sha256:<64 hex digits>"
// (either case; ':' between byte pairs is allowed, as tools print them).
using Sha256Fingerprint = std::array<uint8_t, 32>;
StatusOr<Sha256Fingerprint> ParseFingerprint(std::string_view text);
// "sha256:" and 64 lowercase hex digits.
std::string FormatFingerprint(const Sha256Fingerprint& fingerprint);

struct TlsServerConfig {
  std::string certificate_file;  // PEM: the server's certificate, then any intermediates
  std::string private_key_file;  // PEM
  std::string client_ca_file;    // PEM; when set, clients must present a certificate it signed
};

class TlsServerContext {
 public:
  // Loads and checks the files (the key must match the certificate).
  static StatusOr<std::unique_ptr<TlsServerContext>> Create(const TlsServerConfig& config);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // A server-side stream over `socket`; the caller runs its Handshake. The
  // socket is moved from only on success: on failure the caller still owns it.
  StatusOr<std::unique_ptr<TlsStream>> Wrap(std::unique_ptr<SocketStream>&& socket) const;

  // The fingerprint clients pin (R-TLS-5).
  const std::string& fingerprint() const { return fingerprint_; }
  bool requires_client_certificates() const { return requires_client_certificates_; }

 private:
  explicit TlsServerContext(SSL_CTX* context) : context_(context) {}
  SSL_CTX* context_;
  std::string fingerprint_;
  bool requires_client_certificates_ = false;
};

struct TlsClientConfig {
  // How the server is verified: against `ca_file`; or, when that is empty and
  // no pin is given, against the system's default CA store.
  std::string ca_file;
  // "sha256:<hex>": accept exactly the server certificate with this fingerprint,
  // instead of verifying a chain and a name.
  std::string pinned_fingerprint;
  // A client certificate, for servers that require one (both or neither).
  std::string certificate_file;
  std::string private_key_file;
};

class TlsClientContext {
 public:
  static StatusOr<std::unique_ptr<TlsClientContext>> Create(const TlsClientConfig& config);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // Runs the client handshake over `socket` until `deadline`. `host` is the
  // name or IP address the user asked for: it is what the certificate must
  // match, and a name is sent as SNI.
  StatusOr<std::unique_ptr<TlsStream>> Connect(
      std::unique_ptr<SocketStream> socket, const std::string& host,
      std::chrono::steady_clock::time_point deadline) const;

 private:
  explicit TlsClientContext(SSL_CTX* context) : context_(context) {}
  static int VerifyPin(X509_STORE_CTX* store, void* context);

  SSL_CTX* context_;
  bool pinned_ = false;
  Sha256Fingerprint pin_{};
};

}  // namespace ferry
