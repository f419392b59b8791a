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
#include "src/server/ferryd_settings.h"
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
  CLI::App app{"ferryd: serve a directory over the ferry protocol", "ferryd"};
  ferry::FerrydSettings settings = ferry::DefaultFerrydSettings();
  ferry::DefineFerrydCommandLine(&app, &settings);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version end here too, with 0; every other problem with the
    // flags or the configuration file is a usage error.
    return app.exit(error) == 0 ? 0 : ferry::kFerrydExitUsage;
  }
  const std::string& root = settings.root;
  const std::string& listen = settings.listen;
  const std::string& token_file = settings.token_file;
  const ferry::TlsServerConfig& tls_config = settings.tls;

  auto address = ferry::ParseHostPort(listen, "127.0.0.1");
  if (!address.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", address.status().ToString().c_str());
    return ferry::kFerrydExitUsage;
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
      return ferry::kFerrydExitUsage;
    }
    token = std::make_shared<const ferry::TokenVerifier>(std::move(*verifier));
  }
  auto fs = ferry::PosixFileSystem::Open(root);
  if (!fs.ok()) {
    std::fprintf(stderr, "ferryd: cannot serve %s: %s\n", root.c_str(),
                 fs.status().ToString().c_str());
    return ferry::kFerrydExitFailure;
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
      return ferry::kFerrydExitUsage;
    }
    tls = std::move(*context);
  }

  ferry::RequestLog log(stderr, settings.log_format);
  ferry::ServerOptions options;
  options.listen = *address;
  options.max_connections = settings.max_connections;
  options.max_connections_per_address = settings.max_connections_per_address;
  options.session.token = token;
  options.session.read_only = settings.read_only;
  const auto millis = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  options.session.handshake_timeout = millis(settings.handshake_timeout);
  options.session.idle_timeout = millis(settings.idle_timeout);
  options.session.transfer_timeout = millis(settings.transfer_timeout);
  options.session.auth_failure_delay = millis(settings.auth_failure_delay);
  options.tls = tls;
  auto server = ferry::Server::Create(fs->get(), &log, options);
  if (!server.ok()) {
    std::fprintf(stderr, "ferryd: %s\n", server.status().ToString().c_str());
    return ferry::kFerrydExitFailure;
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
  return ran.ok() ? 0 : ferry::kFerrydExitFailure;
}
