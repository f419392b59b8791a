// End to end over TLS: the real ferry against the real ferryd with
// certificates made at test time, in every verification mode, and what each
// side says when the other does not speak TLS (spec 4.6).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"
#include "tests/testing/test_certificates.h"

namespace ferry {
namespace {

using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

// A ferryd serving TLS (the fixture's own server_ stays unused and plaintext).
class TlsE2e : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    std::filesystem::create_directory(top_.Path("certs"));
    auto certificates = WriteTestCertificates(top_.Path("certs"));
    ASSERT_THAT(certificates, IsOk());
    certs_ = *certificates;
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "--- TLS ferryd log ---\n" << tls_server_.Log() << "---\n";
    E2eTest::TearDown();
  }

  Status StartTlsServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tls-cert", certs_.server.certificate.string(), "--tls-key",
                                     certs_.server.key.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return tls_server_.Start(root_, args);
  }

  // Runs ferry with `flags` on connme to the TLS server, `commands`, byebye.
  ProcessResult RunTls(const std::vector<std::string>& flags, std::string_view commands = "") {
    return RunClient("connme " + tls_server_.address() + "\n" + std::string(commands) + "byebye\n",
                     local_, {}, RunClientOptions{flags});
  }

  std::vector<std::string> CaFlags() const { return {"--tls-ca", certs_.ca.string()}; }
  std::string TlsConnectedLine() const {
    return "connected to " + tls_server_.address() + " (ferryd/" FERRY_VERSION ", protocol 1)";
  }

  // A TCP connection to the TLS server that sends nothing, so its handshake never
  // starts; -1 if it could not be made.
  int ConnectSilently() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(tls_server_.port());
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  TestCertificates certs_;
  ServerProcess tls_server_;
};

// R-TLS-1 R-TLS-4: a whole session over TLS, the server verified against a CA
// file: upload, list, download byte for byte, leave.
TEST_F(TlsE2e, SessionOverTlsVerifiedAgainstCaTransfersFilesIntact) {
  FERRY_ASSERT_OK(StartTlsServer());
  auto digest = WriteRandomFile(local_ / "data.bin", 3 * 1024 * 1024 + 5, 7);
  ASSERT_THAT(digest, IsOk());

  const ProcessResult run =
      RunTls(CaFlags(), "upload data.bin\nls -l\ndownload data.bin copy.bin\n");

  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, IsEmpty());
  EXPECT_THAT(Lines(run.out),
              ElementsAre(TlsConnectedLine(), StartsWith("uploaded data.bin -> data.bin: 3145733"),
                          MatchesRegex("-[-rwx]{9} +3145733  .*  data\\.bin"),
                          StartsWith("downloaded data.bin -> copy.bin: 3145733"), "bye"))
      << run;
  EXPECT_THAT(DigestOfFile(root_ / "data.bin"), IsOkAndHolds(*digest));
  EXPECT_THAT(DigestOfFile(local_ / "copy.bin"), IsOkAndHolds(*digest));
  // The server names its certificate for pinning, and does not warn on TLS.
  EXPECT_THAT(tls_server_.Log(), HasSubstr("ferryd: TLS certificate " + certs_.server.fingerprint));
  EXPECT_THAT(tls_server_.Log(), Not(HasSubstr("WARNING")));
}

// R-TLS-4: a server whose certificate the client cannot verify is refused with
// the reason, and nothing of the session starts.
TEST_F(TlsE2e, ServerCertificateFromAnUntrustedCaIsRefusedWithTheReason) {
  FERRY_ASSERT_OK(StartTlsServer());
  const ProcessResult run = RunTls({"--tls-ca", certs_.other_ca.string()}, "ls\n");

  EXPECT_EQ(run.exit_code, 3) << run;  // connection
  EXPECT_THAT(Lines(run.err),
              ElementsAre("error: UNAVAILABLE: cannot connect: " + tls_server_.address() +
                              " (certificate verify failed: unable to get local issuer "
                              "certificate)",
                          StartsWith("error: CONNECTION_CLOSED: ")))
      << run;
  EXPECT_TRUE(tls_server_.WaitForLog("event=tls-failed", seconds(30)));

  // --tls trusts the system's CAs, and none of them signed this test CA.
  const ProcessResult system = RunTls({"--tls"});
  EXPECT_EQ(system.exit_code, 3) << system;  // connection
  EXPECT_THAT(system.err, HasSubstr("(certificate verify failed: ")) << system;
}

// R-TLS-5: a pinned fingerprint replaces CA verification; another pin is refused.
TEST_F(TlsE2e, PinnedFingerprintConnectsAndAWrongPinIsRefused) {
  FERRY_ASSERT_OK(StartTlsServer());
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "pinned"));

  const ProcessResult good = RunTls({"--tls-pin", certs_.server.fingerprint}, "size a.txt\n");
  EXPECT_EQ(good.exit_code, 0) << good;
  EXPECT_THAT(Lines(good.out), ElementsAre(TlsConnectedLine(), "6", "bye")) << good;

  const ProcessResult bad = RunTls({"--tls-pin", certs_.self_signed.fingerprint});
  EXPECT_EQ(bad.exit_code, 3) << bad;  // connection
  EXPECT_THAT(bad.err,
              HasSubstr("does not match pinned fingerprint " + certs_.self_signed.fingerprint))
      << bad;
}

// R-TLS-6: a server that requires client certificates serves a client with one
// from its CA, refuses one without, and keeps serving.
TEST_F(TlsE2e, ClientCertificatesRequiredByTheServer) {
  FERRY_ASSERT_OK(StartTlsServer({"--tls-client-ca", certs_.ca.string()}));
  FERRY_ASSERT_OK(WriteFile(root_ / "a.txt", "mtls"));
  std::vector<std::string> with_certificate = CaFlags();
  for (const std::string& flag : {std::string("--tls-cert"), certs_.client.certificate.string(),
                                  std::string("--tls-key"), certs_.client.key.string()}) {
    with_certificate.push_back(flag);
  }

  const ProcessResult without = RunTls(CaFlags(), "size a.txt\n");
  EXPECT_EQ(without.exit_code, 3) << without;  // connection
  EXPECT_THAT(without.err, HasSubstr("certificate required")) << without;
  EXPECT_THAT(without.out, Not(HasSubstr("\n4\n")));
  EXPECT_TRUE(tls_server_.WaitForLog("peer did not return a certificate", seconds(30)));

  const ProcessResult with = RunTls(with_certificate, "size a.txt\n");
  EXPECT_EQ(with.exit_code, 0) << with;
  EXPECT_THAT(Lines(with.out), ElementsAre(TlsConnectedLine(), "4", "bye")) << with;
}

// R-TLS-8: a plaintext client is told, in plaintext, that the server requires
// TLS; the server goes on serving TLS clients.
TEST_F(TlsE2e, PlaintextClientIsToldTheServerRequiresTls) {
  FERRY_ASSERT_OK(StartTlsServer());
  const ProcessResult plain = RunTls({});
  EXPECT_EQ(plain.exit_code, 10) << plain;  // protocol
  EXPECT_THAT(Lines(plain.err), ElementsAre("error: UNSUPPORTED: protocol error: " +
                                            tls_server_.address() + " (this server requires TLS)"))
      << plain;
  EXPECT_TRUE(tls_server_.WaitForLog("client did not start TLS", seconds(30)));

  const ProcessResult secure = RunTls(CaFlags());
  EXPECT_EQ(secure.exit_code, 0) << secure;
  EXPECT_THAT(Lines(secure.out), ElementsAre(TlsConnectedLine(), "bye")) << secure;
}

// R-TLS-8: a TLS client meeting a plaintext server says so instead of hanging;
// the plaintext server goes on serving.
TEST_F(TlsE2e, TlsClientMeetingAPlaintextServerSaysSo) {
  const ProcessResult run =
      RunClient(ConnectLine() + "byebye\n", local_, {}, RunClientOptions{CaFlags()});
  EXPECT_EQ(run.exit_code, 3) << run;  // connection
  EXPECT_THAT(Lines(run.err),
              ElementsAre("error: UNAVAILABLE: cannot connect: " + server_.address() +
                          " (server did not answer with TLS (does it serve "
                          "plaintext?))"))
      << run;
  const ProcessResult plain = RunSession("");
  EXPECT_EQ(plain.exit_code, 0) << plain;
  EXPECT_THAT(Lines(plain.out), ElementsAre(ConnectedLine(), "bye")) << plain;
}

// R-TLS-7: a connection that never starts its TLS handshake is closed at the
// handshake deadline and logged, while other clients are served meanwhile.
TEST_F(TlsE2e, SilentConnectionIsClosedAtTheHandshakeDeadline) {
  FERRY_ASSERT_OK(StartTlsServer({"--handshake-timeout", "1"}));
  const int silent = ConnectSilently();
  ASSERT_GE(silent, 0);

  const ProcessResult other = RunTls(CaFlags());
  EXPECT_EQ(other.exit_code, 0) << other;
  EXPECT_TRUE(tls_server_.WaitForLog("event=tls-failed result=TIMEOUT (TLS handshake timed out)",
                                     seconds(60)));
  char byte;
  EXPECT_EQ(read(silent, &byte, 1), 0);  // closed by the server, nothing sent
  close(silent);
}

// Stopping the server does not wait for a handshake that is never going to end.
TEST_F(TlsE2e, StopEndsAHandshakeInProgress) {
  FERRY_ASSERT_OK(StartTlsServer({"--handshake-timeout", "600"}));
  const int silent = ConnectSilently();
  ASSERT_GE(silent, 0);
  ASSERT_TRUE(tls_server_.WaitForLog("event=connect", seconds(30)));

  EXPECT_EQ(tls_server_.Stop(), 0);  // well before the handshake deadline; the guard is 30 s
  EXPECT_EQ(Lines(tls_server_.Log()).back(), "ferryd: stopped");
  close(silent);
}

// R-TLS-9: a server at its connection limit completes the TLS handshake and
// then refuses with TOO_MANY_CONNECTIONS.
TEST_F(TlsE2e, FullServerRefusesOverTlsWithTheTypedError) {
  FERRY_ASSERT_OK(StartTlsServer({"--max-connections", "1"}));
  auto holder = StartClient(local_, {}, CaFlags());
  ASSERT_THAT(holder, IsOk());
  (*holder)->WriteStdin("connme " + tls_server_.address() + "\n");
  ASSERT_TRUE((*holder)->WaitForOutput("connected to", seconds(60))) << (*holder)->err();

  const ProcessResult refused = RunTls(CaFlags());
  EXPECT_EQ(refused.exit_code, 3) << refused;  // connection
  EXPECT_THAT(refused.err, StartsWith("error: TOO_MANY_CONNECTIONS: server is full")) << refused;

  (*holder)->WriteStdin("byebye\n");
  EXPECT_EQ((*holder)->Wait(seconds(60)).exit_code, 0);
}

// ferryd takes a certificate and its key together; ferry's flags imply TLS.
TEST_F(TlsE2e, CertificateWithoutKeyIsAUsageError) {
  auto ferryd = FerrydBinary();
  ASSERT_THAT(ferryd, IsOk());
  const ProcessResult run =
      RunProcess(ProcessOptions{{*ferryd, "--root", root_.string(), "--listen", "127.0.0.1:0",
                                 "--tls-cert", certs_.server.certificate.string()}},
                 "", seconds(60));
  EXPECT_NE(run.exit_code, 0) << run;
  EXPECT_THAT(run.err, HasSubstr("--tls-key")) << run;

  auto ferry = FerryBinary();
  ASSERT_THAT(ferry, IsOk());
  const ProcessResult client = RunProcess(
      ProcessOptions{{*ferry, "--tls-cert", certs_.client.certificate.string()}}, "", seconds(60));
  EXPECT_NE(client.exit_code, 0) << client;
  EXPECT_THAT(client.err, HasSubstr("--tls-key")) << client;
}

// R-SEC-9: plaintext on an address others can reach is served with a warning;
// TLS there is not warned about.
TEST_F(TlsE2e, PlaintextOnANonLoopbackAddressWarns) {
  auto ferryd = FerrydBinary();
  ASSERT_THAT(ferryd, IsOk());
  for (const bool tls : {false, true}) {
    std::vector<std::string> argv = {*ferryd, "--root", root_.string(), "--listen", "0.0.0.0:0"};
    if (tls) {
      for (const std::string& flag : {std::string("--tls-cert"), certs_.server.certificate.string(),
                                      std::string("--tls-key"), certs_.server.key.string()}) {
        argv.push_back(flag);
      }
    }
    auto process = Subprocess::Start(ProcessOptions{argv});
    ASSERT_THAT(process, IsOk());
    ASSERT_TRUE((*process)->WaitForOutput("listening on", seconds(30)));
    FERRY_ASSERT_OK((*process)->Signal(SIGTERM));
    const ProcessResult result = (*process)->Wait(seconds(60));
    if (tls) {
      EXPECT_THAT(result.err, Not(HasSubstr("WARNING"))) << result;
    } else {
      EXPECT_THAT(result.err, HasSubstr("ferryd: WARNING: serving")) << result;
      EXPECT_THAT(result.err, HasSubstr("in plaintext")) << result;
    }
  }
}

}  // namespace
}  // namespace ferry
