#include "src/net/tls.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cctype>

namespace ferry {
namespace {

// AES-GCM first (hardware-accelerated almost everywhere), ChaCha20 for the rest.
constexpr const char* kCipherSuites =
    "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";

// ALPN's wire form: each name preceded by its length.
const std::string& AlpnWire() {
  static const std::string wire =
      std::string(1, static_cast<char>(kTlsAlpnProtocol.size())) + std::string(kTlsAlpnProtocol);
  return wire;
}

Status TlsConfigError(std::string_view what) {
  return Status::Error(StatusCode::kInvalidArgument, OpenSslErrorText(what));
}

// A context with what both sides share: TLS 1.3 only, the suites, no tickets.
StatusOr<SSL_CTX*> NewContext(const SSL_METHOD* method) {
  ERR_clear_error();
  SSL_CTX* context = SSL_CTX_new(method);
  if (context == nullptr) return TlsConfigError("cannot create a TLS context");
  if (SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_ciphersuites(context, kCipherSuites) != 1) {
    SSL_CTX_free(context);
    return TlsConfigError("cannot restrict TLS to version 1.3");
  }
  // No session resumption: nothing to store, and no stray ticket records after
  // the handshake.
  SSL_CTX_set_options(context, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(context, 0);
  SSL_CTX_set_mode(context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return context;
}

Status LoadCertificateAndKey(SSL_CTX* context, const std::string& certificate_file,
                             const std::string& key_file) {
  if (SSL_CTX_use_certificate_chain_file(context, certificate_file.c_str()) != 1) {
    return TlsConfigError("cannot load certificate " + certificate_file);
  }
  if (SSL_CTX_use_PrivateKey_file(context, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return TlsConfigError("cannot load private key " + key_file);
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return TlsConfigError("private key " + key_file + " does not match certificate " +
                          certificate_file);
  }
  return Status::Ok();
}

Sha256Fingerprint FingerprintOf(X509* certificate) {
  Sha256Fingerprint fingerprint{};
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), fingerprint.data(), &length);
  return fingerprint;
}

TlsHandshakeNotes* NotesOf(SSL* ssl) {
  return static_cast<TlsHandshakeNotes*>(SSL_get_app_data(ssl));
}

// Without ALPN in the ClientHello the selection callback is never called, so
// the offer's absence is caught here, before anything else (R-TLS-3).
int RequireAlpnOffer(SSL* ssl, int* alert, void*) {
  const unsigned char* extension = nullptr;
  size_t length = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &extension,
                                &length) == 1) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  NotesOf(ssl)->alpn_refused = true;
  *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
  return SSL_CLIENT_HELLO_ERROR;
}

int SelectAlpn(SSL* ssl, const unsigned char** out, unsigned char* out_length,
               const unsigned char* in, unsigned int in_length, void*) {
  const std::string& ours = AlpnWire();
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(
          &selected, out_length, reinterpret_cast<const unsigned char*>(ours.data()),
          static_cast<unsigned int>(ours.size()), in, in_length) != OPENSSL_NPN_NEGOTIATED) {
    NotesOf(ssl)->alpn_refused = true;
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol (R-TLS-3)
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

StatusOr<Sha256Fingerprint> ParseFingerprint(std::string_view text) {
  const Status invalid =
      Status::Error(StatusCode::kInvalidArgument,
                    "a certificate fingerprint is sha256: followed by 64 hex digits, not \"" +
                        std::string(text.substr(0, 200)) + "\"");
  constexpr std::string_view kPrefix = "sha256:";
  if (text.size() < kPrefix.size()) return invalid;
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kPrefix[i]) return invalid;
  }
  std::string hex;
  for (const char c : text.substr(kPrefix.size())) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return invalid;
    hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (hex.size() != 64) return invalid;
  Sha256Fingerprint fingerprint{};
  for (size_t i = 0; i < fingerprint.size(); ++i) {
    fingerprint[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return fingerprint;
}

std::string FormatFingerprint(const Sha256Fingerprint& fingerprint) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "sha256:";
  for (const uint8_t byte : fingerprint) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 15]);
  }
  return text;
}

// --- server -------------------------------------------------------------------

StatusOr<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(
    const TlsServerConfig& config) {
  FERRY_ASSIGN_OR_RETURN(SSL_CTX * raw, NewContext(TLS_server_method()));
  std::unique_ptr<TlsServerContext> context(new TlsServerContext(raw));
  FERRY_RETURN_IF_ERROR(
      LoadCertificateAndKey(raw, config.certificate_file, config.private_key_file));
  context->fingerprint_ = FormatFingerprint(FingerprintOf(SSL_CTX_get0_certificate(raw)));
  SSL_CTX_set_client_hello_cb(raw, RequireAlpnOffer, nullptr);
  SSL_CTX_set_alpn_select_cb(raw, SelectAlpn, nullptr);
  SSL_CTX_set_options(raw, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!config.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.client_ca_file.c_str());
    if (names == nullptr ||
        SSL_CTX_load_verify_locations(raw, config.client_ca_file.c_str(), nullptr) != 1) {
      if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
      return TlsConfigError("cannot load client CA certificates " + config.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(raw, names);
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    context->requires_client_certificates_ = true;
  }
  return context;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(context_); }

StatusOr<std::unique_ptr<TlsStream>> TlsServerContext::Wrap(
    std::unique_ptr<SocketStream>&& socket) const {
  ERR_clear_error();
  SSL* ssl = SSL_new(context_);
  if (ssl == nullptr) {
    return Status::Error(StatusCode::kInternal, OpenSslErrorText("cannot start TLS"));
  }
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsStream>(std::move(socket), ssl);
}

// --- client -------------------------------------------------------------------

StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const TlsClientConfig& config) {
  if (config.certificate_file.empty() != config.private_key_file.empty()) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "a client certificate needs both the certificate and its key");
  }
  FERRY_ASSIGN_OR_RETURN(SSL_CTX * raw, NewContext(TLS_client_method()));
  std::unique_ptr<TlsClientContext> context(new TlsClientContext(raw));
  if (!config.pinned_fingerprint.empty()) {
    FERRY_ASSIGN_OR_RETURN(context->pin_, ParseFingerprint(config.pinned_fingerprint));
    context->pinned_ = true;
    // The pin replaces chain and name verification (R-TLS-5).
    SSL_CTX_set_cert_verify_callback(raw, &TlsClientContext::VerifyPin, context.get());
  } else if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(raw, config.ca_file.c_str(), nullptr) != 1) {
      return TlsConfigError("cannot load CA certificates " + config.ca_file);
    }
  } else if (SSL_CTX_set_default_verify_paths(raw) != 1) {
    return TlsConfigError("cannot load the system's CA certificates");
  }
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_set_alpn_protos(raw, reinterpret_cast<const unsigned char*>(AlpnWire().data()),
                              static_cast<unsigned int>(AlpnWire().size())) != 0) {
    return TlsConfigError("cannot set ALPN");
  }
  if (!config.certificate_file.empty()) {
    FERRY_RETURN_IF_ERROR(
        LoadCertificateAndKey(raw, config.certificate_file, config.private_key_file));
  }
  return context;
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(context_); }

int TlsClientContext::VerifyPin(X509_STORE_CTX* store, void* arg) {
  const auto* context = static_cast<const TlsClientContext*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  SSL* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (leaf == nullptr || ssl == nullptr) return 0;
  const Sha256Fingerprint seen = FingerprintOf(leaf);
  if (CRYPTO_memcmp(seen.data(), context->pin_.data(), seen.size()) == 0) return 1;
  NotesOf(ssl)->pin_mismatch = "server certificate " + FormatFingerprint(seen) +
                               " does not match pinned fingerprint " +
                               FormatFingerprint(context->pin_);
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

StatusOr<std::unique_ptr<TlsStream>> TlsClientContext::Connect(
    std::unique_ptr<SocketStream> socket, const std::string& host,
    std::chrono::steady_clock::time_point deadline) const {
  ERR_clear_error();
  SSL* ssl = SSL_new(context_);
  if (ssl == nullptr) {
    return Status::Error(StatusCode::kInternal, OpenSslErrorText("cannot start TLS"));
  }
  SSL_set_connect_state(ssl);
  auto stream = std::make_unique<TlsStream>(std::move(socket), ssl);
  if (!pinned_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const bool ok = IsIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                                      : SSL_set1_host(ssl, host.c_str()) == 1;
    if (!ok) {
      return Status::Error(StatusCode::kInvalidArgument,
                           OpenSslErrorText("cannot verify against host " + host));
    }
  }
  // SNI carries names only, never address literals (RFC 6066).
  if (!IsIpAddress(host) && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return Status::Error(StatusCode::kInvalidArgument,
                         OpenSslErrorText("cannot send server name " + host));
  }
  FERRY_RETURN_IF_ERROR(stream->Handshake(deadline));
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_length) != kTlsAlpnProtocol) {
    stream->Shutdown();
    return Status::Error(StatusCode::kUnavailable,
                         "server did not agree to the ALPN protocol ferry/1");
  }
  return stream;
}

}  // namespace ferry
