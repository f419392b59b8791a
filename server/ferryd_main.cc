// ferryd: serves one directory over the ferry protocol.
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "src/auth/token_file.h"
#include "src/auth/token_verifier.h"
#include "src/codec/limits.h"
#include "src/codec/protobuf_logging.h"
#include "src/fs/posix_file_system.h"
#include "src/net/address.h"
#include "src/net/tls.h"
#include "src/server/request_log.h"
#include "src/server/server.h"

namespace {

// Blocks the stop signals in every thread and turns them into Server::Stop from
// one dedicated thread, so no code runs in signal-handler context.
std::thread StartSignalThread(ferry::Server* server, sigset_t signals) {
  return std::thread([server, signals] {
    int received = 0;
    sigwait(&signals, &received);
    server->Stop();
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferryd: serve a directory over the ferry protocol"};
  app.set_version_flag("--version", "ferryd 0.1.0 (protocol version 1)");
  std::string root;
  std::string listen = "127.0.0.1:" + std::to_string(ferry::kDefaultPort);
  size_t max_connections = 256;
  app.add_option("-r,--root", root, "Directory to serve")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("-l,--listen", listen,
                 "Address to listen on, HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--max-connections", max_connections, "Most clients served at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  size_t max_connections_per_address = ferry::limits::kDefaultMaxConnectionsPerAddress;
  app.add_option("--max-connections-per-address", max_connections_per_address,
                 "Most clients served at once from one IP address (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "Require clients to present the token in the first line of this file "
                 "(readable by its owner only)");
  double auth_failure_delay = ferry::limits::kAuthFailureDelay.count() / 1000.0;
  app.add_option("--auth-failure-delay", auth_failure_delay,
                 "Seconds to wait before answering a wrong token")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  bool read_only = false;
  app.add_flag("--read-only", read_only, "Refuse every request that would change the files");
  double handshake_timeout = ferry::limits::kHandshakeTimeout.count();
  double idle_timeout = ferry::limits::kIdleTimeout.count();
  double transfer_timeout = ferry::limits::kTransferStallTimeout.count();
  app.add_option("--handshake-timeout", handshake_timeout,
                 "Seconds a new connection has to complete the handshake")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--idle-timeout", idle_timeout, "Seconds a connection may wait between requests")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--transfer-timeout", transfer_timeout,
                 "Seconds a transfer may go without progress")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  ferry::TlsServerConfig tls_config;
  auto* cert = app.add_option("--tls-cert", tls_config.certificate_file,
                              "Serve TLS with this certificate chain (PEM), leaf first")
                   ->check(CLI::ExistingFile);
  auto* key =
      app.add_option("--tls-key", tls_config.private_key_file, "Private key (PEM) of --tls-cert")
          ->check(CLI::ExistingFile);
  app.add_option("--tls-client-ca", tls_config.client_ca_file,
                 "Require client certificates signed by the CAs in FILE (PEM)")
      ->check(CLI::ExistingFile)
      ->needs(cert);
  cert->needs(key);
  key->needs(cert);
  CLI11_PARSE(app, argc, argv);

  auto address = ferry::ParseHostPort(listen, "127.0.0.1");
  if (!address.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", address.status().ToString().c_str());
    return 2;
  }
  std::shared_ptr<const ferry::TokenVerifier> token;
  if (!token_file.empty()) {
    auto secret = ferry::ReadTokenFile(token_file);
    auto verifier = secret.ok() ? ferry::TokenVerifier::Create(*secret)
                                : ferry::StatusOr<ferry::TokenVerifier>(secret.status());
    // Only the digest is kept; the token itself is not needed again.
    if (secret.ok()) OPENSSL_cleanse(secret->data(), secret->size());
    if (!verifier.ok()) {
      std::fprintf(stderr, "ferryd: refusing to start: %s\n", verifier.status().message().c_str());
      return 2;
    }
    token = std::make_shared<const ferry::TokenVerifier>(std::move(*verifier));
  }
  auto fs = ferry::PosixFileSystem::Open(root);
  if (!fs.ok()) {
    std::fprintf(stderr, "ferryd: cannot serve %s: %s\n", root.c_str(),
                 fs.status().ToString().c_str());
    return 1;
  }

  // Upload temporaries left by a previous run that was killed or crashed, before
  // any upload can start (spec R-DUR-1). They are hidden from clients anyway, so
  // a failure here only costs disk space: report it and serve.
  auto cleanup = (*fs)->RemoveStaleTemporaries();
  if (!cleanup.ok()) {
    std::fprintf(stderr, "ferryd: could not look for stale upload temporaries: %s\n",
                 cleanup.status().ToString().c_str());
  } else if (cleanup->removed > 0 || cleanup->failed > 0) {
    std::fprintf(stderr,
                 "ferryd: removed %llu stale upload temporaries (%llu could not be removed or "
                 "searched)\n",
                 static_cast<unsigned long long>(cleanup->removed),
                 static_cast<unsigned long long>(cleanup->failed));
  }

  ferry::SilenceProtobufLogging();
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Past a file-size limit (RLIMIT_FSIZE) the kernel would kill the whole server
  // with SIGXFSZ; ignored, the write fails with EFBIG and only that upload ends,
  // with NO_SPACE (R-DUR-3).
  signal(SIGXFSZ, SIG_IGN);

  std::shared_ptr<const ferry::TlsServerContext> tls;
  if (!tls_config.certificate_file.empty()) {
    auto context = ferry::TlsServerContext::Create(tls_config);
    if (!context.ok()) {
      std::fprintf(stderr, "ferryd: %s\n", context.status().ToString().c_str());
      return 2;
    }
    tls = std::move(*context);
  }

  ferry::RequestLog log(stderr);
  ferry::ServerOptions options;
  options.listen = *address;
  options.max_connections = max_connections;
  options.max_connections_per_address = max_connections_per_address;
  options.session.token = token;
  options.session.read_only = read_only;
  const auto millis = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  options.session.handshake_timeout = millis(handshake_timeout);
  options.session.idle_timeout = millis(idle_timeout);
  options.session.transfer_timeout = millis(transfer_timeout);
  options.session.auth_failure_delay = millis(auth_failure_delay);
  options.tls = tls;
  auto server = ferry::Server::Create(fs->get(), &log, options);
  if (!server.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", server.status().ToString().c_str());
    return 1;
  }
  // The first line of output is the bound address, for scripts and tests.
  std::printf("listening on %s\n", (*server)->address().ToString().c_str());
  std::fflush(stdout);
  if (tls != nullptr) {
    // What clients pin with --tls-pin (R-TLS-5).
    std::fprintf(stderr, "ferryd: TLS certificate %s%s\n", tls->fingerprint().c_str(),
                 tls->requires_client_certificates() ? ", client certificates required" : "");
  } else if (!ferry::IsLoopbackHost(address->host)) {
    std::fprintf(stderr,
                 "ferryd: WARNING: serving %s in plaintext (no --tls-cert) on a non-loopback "
                 "address; anyone on the network path can read and change these files and the "
                 "traffic\n",
                 root.c_str());
  }

  std::thread signal_thread = StartSignalThread(server->get(), signals);
  const ferry::Status ran = (*server)->Run();
  if (!ran.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", ran.ToString().c_str());
    // Wake the signal thread so it can be joined.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
  }
  signal_thread.join();
  std::fprintf(stderr, "ferryd: stopped\n");
  return ran.ok() ? 0 : 1;
}
