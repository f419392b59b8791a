// ferry: the interactive and scriptable client.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <clocale>
#include <cstdio>
#include <cstdlib>

#include "src/auth/token_file.h"
#include "src/client/interrupt.h"
#include "src/client/line_reader.h"
#include "src/client/shell.h"
#include "src/codec/protobuf_logging.h"
#include "src/net/tls.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ferry: copy files to and from a ferryd server.\n"
      "Reads commands from standard input, one per line; type help for the list."};
  app.set_version_flag("--version", "ferry 0.1.0 (protocol version 1)");
  ferry::ShellOptions options;
  app.add_flag("-v,--verbose", options.verbose, "Show the server's own words in error lines");
  app.add_flag("-q,--quiet", options.quiet,
               "No progress bar and no informational lines; only results and errors");
  app.add_flag("--json", options.json,
               "Write every result and error as one JSON object per line on standard output");
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "Present the token in the first line of this file to servers that ask for one "
                 "(default: $FERRY_TOKEN_FILE, else the token in $FERRY_TOKEN)");
  bool tls = false;
  ferry::TlsClientConfig tls_config;
  app.add_flag("--tls", tls, "Connect with TLS, verifying the server against the system's CAs");
  auto* ca = app.add_option("--tls-ca", tls_config.ca_file,
                            "Connect with TLS, verifying the server against the CAs in FILE")
                 ->check(CLI::ExistingFile);
  app.add_option("--tls-pin", tls_config.pinned_fingerprint,
                 "Connect with TLS, accepting only the server certificate whose fingerprint "
                 "is sha256:HEX")
      ->excludes(ca);
  auto* cert = app.add_option("--tls-cert", tls_config.certificate_file,
                              "Client certificate (PEM) for servers that require one; implies TLS")
                   ->check(CLI::ExistingFile);
  auto* key =
      app.add_option("--tls-key", tls_config.private_key_file, "Private key (PEM) of --tls-cert")
          ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  CLI11_PARSE(app, argc, argv);
  if (tls || !tls_config.ca_file.empty() || !tls_config.pinned_fingerprint.empty() ||
      !tls_config.certificate_file.empty()) {
    auto context = ferry::TlsClientContext::Create(tls_config);
    if (!context.ok()) {
      std::fprintf(stderr, "ferry: %s\n", context.status().ToString().c_str());
      return 2;
    }
    options.client.tls = std::move(*context);
  }

  // The token file from the flag, else from the environment; a literal token
  // in the environment last (it is visible to this user's other processes).
  if (token_file.empty() && std::getenv("FERRY_TOKEN_FILE") != nullptr) {
    token_file = std::getenv("FERRY_TOKEN_FILE");
  }
  if (!token_file.empty()) {
    auto token = ferry::ReadTokenFile(token_file);
    if (!token.ok()) {
      std::fprintf(stderr, "ferry: %s\n", token.status().message().c_str());
      return 2;
    }
    options.client.token = std::move(*token);
  } else if (const char* literal = std::getenv("FERRY_TOKEN"); literal != nullptr) {
    if (const ferry::Status valid = ferry::CheckToken(literal); !valid.ok()) {
      std::fprintf(stderr, "ferry: FERRY_TOKEN: %s\n", valid.message().c_str());
      return 2;
    }
    options.client.token = literal;
  }

  ferry::SilenceProtobufLogging();
  // A vanished server must surface as an error, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  options.interactive = isatty(STDIN_FILENO) == 1;
  options.progress = isatty(STDERR_FILENO) == 1;
  if (!options.interactive) {
    // Piped or redirected input is read line by line exactly as written.
    ferry::Shell shell(stdout, stderr, options);
    return shell.Run(stdin);
  }
  // A person at a terminal: Ctrl-C cancels the running transfer or abandons
  // the line being typed, and never ends the shell.
  std::setlocale(LC_CTYPE, "");
  ferry::InstallInterruptHandler();
  options.interrupt = &ferry::InterruptFlag();
  ferry::Shell shell(stdout, stderr, options);
  ferry::EditLineOptions edit;
  edit.history_file = ferry::DefaultHistoryFile();
  edit.complete = [&shell](std::string_view before) { return shell.Complete(before); };
  std::unique_ptr<ferry::LineReader> reader = ferry::NewEditLineReader(stdin, stdout, stderr, edit);
  if (reader == nullptr) {
    ferry::PlainLineReader plain(stdin);
    return shell.Run(plain);
  }
  return shell.Run(*reader);
}
