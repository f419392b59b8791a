// TlsStream and the TLS contexts over real loopback sockets: data both ways,
// every way verification can fail, client certificates, deadlines, and how a
// session ends (spec 4.6).
#include "src/net/tls.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "src/net/socket.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"

namespace ferry {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// A hang guard only: every handshake here finishes in milliseconds.
constexpr std::chrono::seconds kGuard{20};

std::vector<uint8_t> RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<uint8_t> bytes(size);
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
  return bytes;
}

Status ReadExactly(Stream* stream, std::span<uint8_t> out) {
  while (!out.empty()) {
    FERRY_ASSIGN_OR_RETURN(const size_t n, stream->ReadSome(out));
    out = out.subspan(n);
  }
  return Status::Ok();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto certificates = WriteTestCertificates(dir_.path());
    ASSERT_THAT(certificates, IsOk());
    certs_ = *certificates;
    auto listener = Listener::Bind(HostPort{"127.0.0.1", 0});
    ASSERT_THAT(listener, IsOk());
    listener_ = std::move(*listener);
  }

  // Both ends of a fresh loopback TCP connection: {server side, client side}.
  std::pair<std::unique_ptr<SocketStream>, std::unique_ptr<SocketStream>> Pair() {
    auto client = Connect(listener_->local_address(), kGuard);
    EXPECT_THAT(client, IsOk());
    auto server = listener_->Accept(kGuard);
    EXPECT_THAT(server, IsOk());
    if (!client.ok() || !server.ok() || *server == nullptr) return {};
    return {std::move(*server), std::move(*client)};
  }

  TlsServerConfig ServerConfig() const {
    return {certs_.server.certificate, certs_.server.key, ""};
  }
  TlsClientConfig ClientConfig() const { return {certs_.ca, "", "", ""}; }
  // A server that requires client certificates signed by the test CA.
  TlsServerConfig ServerConfigRequiringClientCertificates() const {
    TlsServerConfig config = ServerConfig();
    config.client_ca_file = certs_.ca;
    return config;
  }
  // A client that presents `identity`.
  TlsClientConfig ClientConfigPresenting(const CertificateFiles& identity) const {
    TlsClientConfig config = ClientConfig();
    config.certificate_file = identity.certificate;
    config.private_key_file = identity.key;
    return config;
  }

  struct Handshaken {
    StatusOr<std::unique_ptr<TlsStream>> client = Status::Error(StatusCode::kInternal, "unset");
    Status server;
    std::unique_ptr<TlsStream> server_stream;
  };

  // Runs both sides of a handshake at once, the server's on a thread.
  Handshaken Handshake(const TlsServerConfig& server_config, const TlsClientConfig& client_config,
                       const std::string& host = "127.0.0.1") {
    Handshaken out;
    auto server_context = TlsServerContext::Create(server_config);
    auto client_context = TlsClientContext::Create(client_config);
    EXPECT_THAT(server_context, IsOk());
    EXPECT_THAT(client_context, IsOk());
    if (!server_context.ok() || !client_context.ok()) return out;
    auto [server_socket, client_socket] = Pair();
    if (server_socket == nullptr) return out;
    std::thread server([&, socket = std::move(server_socket)]() mutable {
      auto wrapped = (*server_context)->Wrap(std::move(socket));
      if (!wrapped.ok()) {
        out.server = wrapped.status();
        return;
      }
      out.server_stream = std::move(*wrapped);
      out.server = out.server_stream->Handshake(Clock::now() + kGuard);
    });
    out.client = (*client_context)->Connect(std::move(client_socket), host, Clock::now() + kGuard);
    if (!out.client.ok()) out.client = out.client.status();  // closes our end: the server returns
    server.join();
    return out;
  }

  TempDir dir_;
  TestCertificates certs_;
  std::unique_ptr<Listener> listener_;
};

// R-TLS-1 R-TLS-2: ferry frames travel as TLS 1.3 application data, both ways,
// including writes far larger than a TLS record and gathered header + data writes.
TEST_F(TlsTest, CarriesLargeWritesBothWaysOverTls13WithAesGcm) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  TlsStream& client = **h.client;
  TlsStream& server = *h.server_stream;
  EXPECT_EQ(client.protocol_version(), "TLSv1.3");
  EXPECT_EQ(server.protocol_version(), "TLSv1.3");
  EXPECT_EQ(client.cipher_suite(), "TLS_AES_256_GCM_SHA384");

  const std::vector<uint8_t> header = RandomBytes(7, 1);
  const std::vector<uint8_t> body = RandomBytes(3 * 1024 * 1024 + 11, 2);
  std::vector<uint8_t> received(header.size() + body.size());
  Status read_status;
  std::thread reader([&] { read_status = ReadExactly(&server, received); });
  FERRY_EXPECT_OK(client.Write(header, body));
  reader.join();
  FERRY_ASSERT_OK(read_status);
  EXPECT_TRUE(std::equal(header.begin(), header.end(), received.begin()));
  EXPECT_TRUE(std::equal(body.begin(), body.end(), received.begin() + header.size()));

  // And back, from the server, in one big write.
  std::vector<uint8_t> echoed(received.size());
  std::thread echo_reader([&] { read_status = ReadExactly(&client, echoed); });
  FERRY_EXPECT_OK(server.Write(received, {}));
  echo_reader.join();
  FERRY_ASSERT_OK(read_status);
  EXPECT_EQ(echoed, received);
}

// Write gathers its records and sends them in large writes, but everything is on
// the socket when it returns: a reader that waits for it, with nobody writing
// any more, gets every byte, and a single read returns many records' worth.
TEST_F(TlsTest, EverythingWrittenIsSentBeforeWriteReturns) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  const std::vector<uint8_t> header = RandomBytes(9, 6);
  const std::vector<uint8_t> body = RandomBytes(40 * 1024 + 3, 7);  // three records, and a bit
  FERRY_ASSERT_OK((*h.client)->Write(header, body));
  h.server_stream->SetDeadline(Clock::now() + kGuard);
  std::vector<uint8_t> received(header.size() + body.size());
  FERRY_ASSERT_OK(ReadExactly(h.server_stream.get(), received));
  EXPECT_TRUE(std::equal(header.begin(), header.end(), received.begin()));
  EXPECT_TRUE(std::equal(body.begin(), body.end(), received.begin() + header.size()));
  EXPECT_FALSE(h.server_stream->ReadReady());
}

// A Write that meets a closed connection, whether or not its records were
// still gathered, fails as closed instead of waiting for room.
TEST_F(TlsTest, WriteToAConnectionThePeerClosedFails) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  h.server_stream.reset();  // close_notify, then the socket is closed
  (*h.client)->SetDeadline(Clock::now() + kGuard);
  const std::vector<uint8_t> body = RandomBytes(4 * 1024 * 1024, 8);
  Status status;
  // The first writes may still be taken by the socket's buffers; later ones cannot.
  for (int i = 0; i < 8 && status.ok(); ++i) status = (*h.client)->Write(body, {});
  EXPECT_THAT(status, StatusIs(StatusCode::kConnectionClosed));
}

// Bytes OpenSSL has already decrypted are ready even when the socket is empty.
TEST_F(TlsTest, ReadReadyCountsDecryptedBytesNotYetRead) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  const std::vector<uint8_t> message = RandomBytes(100, 3);
  FERRY_ASSERT_OK(h.server_stream->Write(message, {}));
  std::vector<uint8_t> first(1);
  FERRY_ASSERT_OK(ReadExactly(h.client->get(), first));
  EXPECT_TRUE((*h.client)->ReadReady());
  std::vector<uint8_t> rest(99);
  FERRY_ASSERT_OK(ReadExactly(h.client->get(), rest));
  EXPECT_FALSE((*h.client)->ReadReady());
}

// The stream honours its deadline and I/O timeout as SocketStream does.
TEST_F(TlsTest, ReadWithNothingArrivingTimesOutAtTheDeadline) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  std::vector<uint8_t> buffer(10);
  (*h.client)->SetDeadline(Clock::now() + std::chrono::milliseconds(50));
  EXPECT_THAT((*h.client)->ReadSome(buffer), StatusIs(StatusCode::kTimeout));
  (*h.client)->SetDeadline(std::nullopt);
  (*h.client)->SetIoTimeout(std::chrono::milliseconds(50));
  EXPECT_THAT((*h.client)->ReadSome(buffer), StatusIs(StatusCode::kTimeout));
}

// R-TLS-4: a server certificate from a CA the client does not trust fails.
TEST_F(TlsTest, ServerCertificateFromAnotherCaFailsVerification) {
  TlsClientConfig client = ClientConfig();
  client.ca_file = certs_.other_ca;
  Handshaken h = Handshake(ServerConfig(), client);
  EXPECT_THAT(h.client,
              StatusIs(StatusCode::kUnavailable,
                       "certificate verify failed: unable to get local issuer certificate"));
  EXPECT_FALSE(h.server.ok());
}

// R-TLS-4: a self-signed certificate is not trusted just for matching the address.
TEST_F(TlsTest, SelfSignedServerCertificateFailsVerification) {
  Handshaken h =
      Handshake({certs_.self_signed.certificate, certs_.self_signed.key, ""}, ClientConfig());
  EXPECT_THAT(h.client, StatusIs(StatusCode::kUnavailable,
                                 StartsWith("certificate verify failed: self-signed")));
}

// R-TLS-4: the certificate must name the host the client asked for: a DNS name
// against dNSName entries, an IP address against iPAddress entries.
TEST_F(TlsTest, CertificateForAnotherNameOrAddressFailsVerification) {
  EXPECT_THAT(Handshake(ServerConfig(), ClientConfig(), "ferry.example").client,
              StatusIs(StatusCode::kUnavailable, "certificate verify failed: hostname mismatch"));
  EXPECT_THAT(Handshake(ServerConfig(), ClientConfig(), "127.0.0.2").client,
              StatusIs(StatusCode::kUnavailable, "certificate verify failed: IP address mismatch"));
  EXPECT_THAT(Handshake(ServerConfig(), ClientConfig(), "::1").client, IsOk());
}

// R-TLS-4: a DNS name is verified and sent as SNI; an address is never sent as SNI.
TEST_F(TlsTest, HostNameIsSentAsSniAndAnAddressIsNot) {
  Handshaken by_name = Handshake(ServerConfig(), ClientConfig(), "localhost");
  ASSERT_THAT(by_name.client, IsOk());
  FERRY_ASSERT_OK(by_name.server);
  EXPECT_EQ(by_name.server_stream->requested_server_name(), "localhost");
  Handshaken by_address = Handshake(ServerConfig(), ClientConfig(), "127.0.0.1");
  ASSERT_THAT(by_address.client, IsOk());
  FERRY_ASSERT_OK(by_address.server);
  EXPECT_EQ(by_address.server_stream->requested_server_name(), "");
}

// R-TLS-5: a pin accepts exactly the pinned certificate, even one no CA signed,
// and refuses any other, naming both fingerprints.
TEST_F(TlsTest, PinnedFingerprintAcceptsThatCertificateOnly) {
  TlsClientConfig pinned{"", certs_.self_signed.fingerprint, "", ""};
  const TlsServerConfig self_signed{certs_.self_signed.certificate, certs_.self_signed.key, ""};
  EXPECT_THAT(Handshake(self_signed, pinned).client, IsOk());
  // The pin fixes the certificate, so the name the client used does not matter.
  EXPECT_THAT(Handshake(self_signed, pinned, "ferry.example").client, IsOk());

  EXPECT_THAT(Handshake(ServerConfig(), pinned).client,
              StatusIs(StatusCode::kUnavailable, "server certificate " + certs_.server.fingerprint +
                                                     " does not match pinned fingerprint " +
                                                     certs_.self_signed.fingerprint));
}

// R-TLS-5: the pin's text form.
TEST(TlsFingerprint, ParsesSha256HexInEitherCaseWithOptionalColons) {
  const std::string hex(64, 'a');
  auto plain = ParseFingerprint("sha256:" + hex);
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(FormatFingerprint(*plain), "sha256:" + hex);
  std::string colons = "SHA256:";
  for (int i = 0; i < 32; ++i) colons += std::string(i ? ":" : "") + "AA";
  EXPECT_THAT(ParseFingerprint(colons), IsOkAndHolds(*plain));
  for (const std::string& bad :
       std::vector<std::string>{"", "sha256:", "sha1:" + hex, "sha256:" + hex.substr(1),
                                "sha256:" + hex + "aa", "sha256:" + hex.substr(1) + "g", hex}) {
    EXPECT_THAT(ParseFingerprint(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

// R-TLS-6: with client CAs configured, a client without a certificate is refused
// during the handshake; the client learns it from the server's alert.
TEST_F(TlsTest, ServerRequiringClientCertificatesRefusesClientWithout) {
  Handshaken h = Handshake(ServerConfigRequiringClientCertificates(), ClientConfig());
  EXPECT_THAT(h.server,
              StatusIs(StatusCode::kUnavailable, HasSubstr("peer did not return a certificate")));
  // TLS 1.3 completes the client's side first; the refusal arrives as an alert.
  if (h.client.ok()) {
    std::vector<uint8_t> buffer(10);
    EXPECT_THAT((*h.client)->ReadSome(buffer),
                StatusIs(StatusCode::kConnectionClosed, HasSubstr("certificate required")));
  }
}

// R-TLS-6: a client certificate must chain to the server's client CAs.
TEST_F(TlsTest, ServerRefusesClientCertificateFromAnotherCa) {
  Handshaken h = Handshake(ServerConfigRequiringClientCertificates(),
                           ClientConfigPresenting(certs_.other_client));
  EXPECT_THAT(h.server,
              StatusIs(StatusCode::kUnavailable, StartsWith("client certificate verify failed: ")));
  if (h.client.ok()) {
    std::vector<uint8_t> buffer(10);
    EXPECT_THAT((*h.client)->ReadSome(buffer), StatusIs(StatusCode::kConnectionClosed));
  }
}

// R-TLS-6: the right client certificate is accepted and visible to the server.
TEST_F(TlsTest, ServerAcceptsClientCertificateFromItsCa) {
  Handshaken h =
      Handshake(ServerConfigRequiringClientCertificates(), ClientConfigPresenting(certs_.client));
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  EXPECT_THAT(h.server_stream->peer_certificate_subject(), HasSubstr("CN=ferry-test-client"));
  const std::vector<uint8_t> hello = RandomBytes(5, 4);
  FERRY_ASSERT_OK((*h.client)->Write(hello, {}));
  std::vector<uint8_t> got(5);
  FERRY_ASSERT_OK(ReadExactly(h.server_stream.get(), got));
  EXPECT_EQ(got, hello);
}

// Configuration errors are reported when the context is made, not per connection.
TEST_F(TlsTest, MismatchedOrMissingFilesFailAtConfiguration) {
  EXPECT_THAT(TlsServerContext::Create({certs_.server.certificate, certs_.client.key, ""}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("key values mismatch")));
  EXPECT_THAT(TlsServerContext::Create({dir_.Path("missing.pem"), certs_.server.key, ""}),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("cannot load certificate")));
  EXPECT_THAT(TlsClientContext::Create({dir_.Path("missing.pem"), "", "", ""}),
              StatusIs(StatusCode::kInvalidArgument, StartsWith("cannot load CA certificates")));
  EXPECT_THAT(TlsClientContext::Create({"", "sha256:12", "", ""}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(TlsClientContext::Create({certs_.ca, "", certs_.client.certificate, ""}),
              StatusIs(StatusCode::kInvalidArgument));
}

// R-TLS-7: a peer that never completes the handshake cannot hold it open past
// its deadline, on either side.
TEST_F(TlsTest, HandshakeWithASilentPeerEndsAtTheDeadline) {
  auto server_context = TlsServerContext::Create(ServerConfig());
  auto client_context = TlsClientContext::Create(ClientConfig());
  ASSERT_THAT(server_context, IsOk());
  ASSERT_THAT(client_context, IsOk());
  {
    auto [server_socket, client_socket] = Pair();
    ASSERT_NE(server_socket, nullptr);
    auto server = (*server_context)->Wrap(std::move(server_socket));
    ASSERT_THAT(server, IsOk());
    EXPECT_THAT((*server)->Handshake(Clock::now() + std::chrono::milliseconds(100)),
                StatusIs(StatusCode::kTimeout, "TLS handshake timed out"));
  }
  {
    auto [server_socket, client_socket] = Pair();
    ASSERT_NE(server_socket, nullptr);
    EXPECT_THAT((*client_context)
                    ->Connect(std::move(client_socket), "127.0.0.1",
                              Clock::now() + std::chrono::milliseconds(100)),
                StatusIs(StatusCode::kTimeout, "TLS handshake timed out"));
  }
}

// R-TLS-8: each side recognises a peer that is not speaking TLS at all.
TEST_F(TlsTest, PlaintextPeersAreRecognisedOnBothSides) {
  auto server_context = TlsServerContext::Create(ServerConfig());
  auto client_context = TlsClientContext::Create(ClientConfig());
  ASSERT_THAT(server_context, IsOk());
  ASSERT_THAT(client_context, IsOk());
  // A ferry frame header where a TLS record should be.
  const std::vector<uint8_t> frame = {0, 0, 0, 2, 0x52, 0};
  {
    auto [server_socket, client_socket] = Pair();
    ASSERT_NE(server_socket, nullptr);
    FERRY_ASSERT_OK(client_socket->Write(frame, {}));
    auto server = (*server_context)->Wrap(std::move(server_socket));
    ASSERT_THAT(server, IsOk());
    EXPECT_THAT((*server)->Handshake(Clock::now() + kGuard),
                StatusIs(StatusCode::kUnavailable, HasSubstr("client did not start TLS")));
    EXPECT_TRUE((*server)->notes().peer_spoke_plaintext);
  }
  {
    auto [server_socket, client_socket] = Pair();
    ASSERT_NE(server_socket, nullptr);
    FERRY_ASSERT_OK(server_socket->Write(frame, {}));
    EXPECT_THAT(
        (*client_context)->Connect(std::move(client_socket), "127.0.0.1", Clock::now() + kGuard),
        StatusIs(StatusCode::kUnavailable, HasSubstr("server did not answer with TLS")));
  }
}

// A raw OpenSSL client on a blocking socket, for offers ferry's client never makes.
// OpenSSL's own socket BIO writes with write(2): ignore SIGPIPE, as ferry's
// programs do, for when the other side has already gone.
Status RawClientHandshake(SocketStream* socket, int max_version, bool offer_alpn) {
  signal(SIGPIPE, SIG_IGN);
  const int fd = socket->fd();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(context, max_version);
  SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  if (offer_alpn)
    SSL_CTX_set_alpn_protos(context,
                            reinterpret_cast<const unsigned char*>("\x07"
                                                                   "ferry/1"),
                            8);
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  const int rc = SSL_connect(ssl);
  const Status status =
      rc == 1 ? Status::Ok() : Status::Error(StatusCode::kUnavailable, OpenSslErrorText("raw"));
  SSL_free(ssl);
  SSL_CTX_free(context);
  return status;
}

// R-TLS-2: the server refuses TLS 1.2 and below.
// R-TLS-3: and a client that does not offer ALPN "ferry/1".
TEST_F(TlsTest, ServerRefusesOlderTlsAndClientsWithoutFerryAlpn) {
  auto server_context = TlsServerContext::Create(ServerConfig());
  ASSERT_THAT(server_context, IsOk());
  for (const auto& [max_version, alpn, expected] :
       {std::tuple{TLS1_2_VERSION, true, "unsupported protocol"},
        std::tuple{TLS1_3_VERSION, false, "ALPN protocol ferry/1"}}) {
    auto [server_socket, client_socket] = Pair();
    ASSERT_NE(server_socket, nullptr);
    Status client_status;
    std::thread client([&, version = max_version, offer = alpn] {
      client_status = RawClientHandshake(client_socket.get(), version, offer);
    });
    auto server = (*server_context)->Wrap(std::move(server_socket));
    ASSERT_THAT(server, IsOk());
    EXPECT_THAT((*server)->Handshake(Clock::now() + kGuard),
                StatusIs(StatusCode::kUnavailable, HasSubstr(expected)));
    server->reset();  // closes the connection, should the client still wait
    client.join();
    EXPECT_FALSE(client_status.ok());
  }
}

// R-TLS-3: a server that does not select ALPN "ferry/1" is refused by the client
// before any frame is sent.
TEST_F(TlsTest, ClientRefusesServerThatDoesNotSelectFerryAlpn) {
  auto client_context = TlsClientContext::Create(ClientConfig());
  ASSERT_THAT(client_context, IsOk());
  auto [server_socket, client_socket] = Pair();
  ASSERT_NE(server_socket, nullptr);
  signal(SIGPIPE, SIG_IGN);  // OpenSSL's socket BIO below writes with write(2)
  std::thread server([&, socket = std::move(server_socket)] {
    const int fd = socket->fd();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    SSL_CTX* context = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(context, certs_.server.certificate.c_str());
    SSL_CTX_use_PrivateKey_file(context, certs_.server.key.c_str(), SSL_FILETYPE_PEM);
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      char byte;
      SSL_read(ssl, &byte, 1);  // until the client gives up
    }
    SSL_free(ssl);
    SSL_CTX_free(context);
    ERR_clear_error();
  });
  EXPECT_THAT(
      (*client_context)->Connect(std::move(client_socket), "127.0.0.1", Clock::now() + kGuard),
      StatusIs(StatusCode::kUnavailable, HasSubstr("ALPN protocol ferry/1")));
  server.join();
}

// R-TLS-10: Shutdown sends close_notify, which ends the peer's stream cleanly;
// a connection dropped without it is ended too, and said to be.
TEST_F(TlsTest, CloseNotifyEndsTheStreamCleanly) {
  Handshaken h = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(h.client, IsOk());
  FERRY_ASSERT_OK(h.server);
  const std::vector<uint8_t> last = RandomBytes(3, 5);
  FERRY_ASSERT_OK(h.server_stream->Write(last, {}));
  h.server_stream->Shutdown();
  std::vector<uint8_t> got(3);
  FERRY_ASSERT_OK(ReadExactly(h.client->get(), got));
  EXPECT_EQ(got, last);
  EXPECT_THAT((*h.client)->ReadSome(got),
              StatusIs(StatusCode::kConnectionClosed, "peer closed the TLS session"));
  EXPECT_THAT(h.server_stream->Write(last, {}), StatusIs(StatusCode::kConnectionClosed));

  Handshaken abrupt = Handshake(ServerConfig(), ClientConfig());
  ASSERT_THAT(abrupt.client, IsOk());
  FERRY_ASSERT_OK(abrupt.server);
  abrupt.server_stream->socket()->Shutdown();  // TCP only, no close_notify
  EXPECT_THAT((*abrupt.client)->ReadSome(got),
              StatusIs(StatusCode::kConnectionClosed, HasSubstr("without TLS close_notify")));
}

}  // namespace
}  // namespace ferry
