// ferry: the interactive and scriptable client.
//
//   ferry [OPTIONS]                           commands from standard input
//   ferry [OPTIONS] HOST[:PORT]               the same, connected to HOST first
//   ferry [OPTIONS] HOST[:PORT] COMMAND ARGS  one-shot: one command, then exit
//   ferry [OPTIONS] -b FILE [HOST[:PORT]]     a batch file, sftp's semantics
//
// Every mode exits with the table in src/client/exit_code.h.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/auth/token_file.h"
#include "src/base/version.h"
#include "src/client/client_config.h"
#include "src/client/exit_code.h"
#include "src/client/interrupt.h"
#include "src/client/line_reader.h"
#include "src/client/shell.h"
#include "src/codec/protobuf_logging.h"
#include "src/net/tls.h"

namespace {

constexpr int kUsage = static_cast<int>(ferry::ExitCode::kUsage);

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ferry: %s\n", message.c_str());
  return kUsage;
}

// The exit status of one command's `status` in one-shot mode.
int ExitFor(const ferry::Shell& shell, const ferry::Status& status) {
  if (shell.interrupted()) return ferry::ExitStatus(ferry::ExitCode::kInterrupted);
  return ferry::ExitStatus(ferry::ExitCodeFor(status.code()));
}

std::optional<std::string> NonEmpty(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

// The token and TLS context `settings` ask for, added to `client`.
ferry::Status ApplySettings(const ferry::ConnectionSettings& settings,
                            ferry::ClientOptions* client) {
  ferry::TlsClientConfig tls_config;
  tls_config.ca_file = settings.tls_ca.value_or("");
  tls_config.pinned_fingerprint = settings.tls_pin.value_or("");
  tls_config.certificate_file = settings.tls_cert.value_or("");
  tls_config.private_key_file = settings.tls_key.value_or("");
  if (tls_config.certificate_file.empty() != tls_config.private_key_file.empty()) {
    return ferry::Status::Error(
        ferry::StatusCode::kInvalidArgument,
        "a TLS client certificate and its key come together (tls-cert, tls-key)");
  }
  client->tls = nullptr;
  if (settings.tls.value_or(false) || !tls_config.ca_file.empty() ||
      !tls_config.pinned_fingerprint.empty() || !tls_config.certificate_file.empty()) {
    auto context = ferry::TlsClientContext::Create(tls_config);
    if (!context.ok()) {
      return ferry::Status::Error(ferry::StatusCode::kInvalidArgument, context.status().ToString());
    }
    client->tls = std::move(*context);
  }
  // A literal token comes only from $FERRY_TOKEN (visible to this user's other
  // processes); a file is the better place.
  client->token.clear();
  if (settings.token_file) {
    auto token = ferry::ReadTokenFile(*settings.token_file);
    if (!token.ok()) {
      return ferry::Status::Error(ferry::StatusCode::kInvalidArgument, token.status().message());
    }
    client->token = std::move(*token);
  } else if (settings.token) {
    if (const ferry::Status valid = ferry::CheckToken(*settings.token); !valid.ok()) {
      return ferry::Status::Error(ferry::StatusCode::kInvalidArgument,
                                  "FERRY_TOKEN: " + valid.message());
    }
    client->token = *settings.token;
  }
  return ferry::Status::Ok();
}

// One command (already split by the calling shell) against `server`.
int RunOneShot(const ferry::ShellOptions& options, const std::string& server,
               const std::vector<std::string>& words) {
  ferry::Shell shell(stdout, stderr, options);
  // `ferry help` needs no server; given one, every command runs connected.
  if (!server.empty() || !ferry::Shell::IsLocalCommand(words.front())) {
    if (ferry::Status connected = shell.Open(server); !connected.ok()) {
      return ExitFor(shell, connected);
    }
  }
  const ferry::Status status = shell.RunArguments(words);
  std::fflush(stdout);
  return ExitFor(shell, status);  // the destructor says bye
}

// The batch file `name` ("-": standard input), with sftp's semantics.
int RunBatch(ferry::ShellOptions options, const std::string& name) {
  std::FILE* in = stdin;
  if (name != "-") {
    in = std::fopen(name.c_str(), "re");
    if (in == nullptr) return UsageError("cannot read " + name);
    struct stat info {};
    if (fstat(fileno(in), &info) != 0 || S_ISDIR(info.st_mode)) {
      std::fclose(in);
      return UsageError("cannot read " + name + ": a directory");
    }
  }
  options.batch = true;
  options.batch_name = name == "-" ? "standard input" : name;
  ferry::Shell shell(stdout, stderr, options);
  const int status = shell.Run(in);
  if (in != stdin) std::fclose(in);
  return status;
}

// A person at a terminal: line editing, history kept across sessions, Tab
// completion.
int RunInteractive(const ferry::ShellOptions& options) {
  std::setlocale(LC_CTYPE, "");
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ferry: copy files to and from a ferryd server.\n"
      "  ferry [OPTIONS] [HOST[:PORT]]               commands from standard input, one per line\n"
      "  ferry [OPTIONS] HOST[:PORT] COMMAND [ARGS]  run one command and exit\n"
      "  ferry [OPTIONS] -b FILE [HOST[:PORT]]       run a batch file; stop at the first failure\n"
      "HOST may name a [host NAME] section of the configuration file. Type help for the "
      "commands.",
      "ferry"};
  app.set_version_flag("--version", "ferry " FERRY_VERSION " (protocol version 1)");
  // HOST, COMMAND and its ARGS are taken as they are, flags included
  // (`ferry HOST ls -l`): the first word that is not one of ferry's options
  // ends ferry's options.
  app.prefix_command();
  ferry::ShellOptions options;
  app.add_flag("-v,--verbose", options.verbose, "Show the server's own words in error lines");
  app.add_flag("-q,--quiet", options.quiet,
               "No progress bar and no informational lines; only results and errors");
  app.add_flag("--json", options.json,
               "Write every result and error as one JSON object per line on standard output");
  std::string batch_file;
  app.add_option("-b,--batch", batch_file,
                 "Run the commands in FILE (- for standard input); the first failing command "
                 "stops the batch, except on lines that start with -");
  std::string config_file;
  app.add_option("--config", config_file,
                 "Read connection settings from FILE (default: $FERRY_CONFIG, else "
                 "$XDG_CONFIG_HOME/ferry/config or ~/.config/ferry/config)");
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version end here with 0; any other problem is a usage error.
    return app.exit(error) == 0 ? 0 : kUsage;
  }
  std::vector<std::string> words = app.remaining();
  if (!words.empty() && words.front() == "--") {
    words.erase(words.begin());
  } else if (!words.empty() && words.front().starts_with('-')) {
    // Where HOST belongs, an unknown option rather than a host.
    return UsageError("unknown option " + words.front() + " (see ferry --help)");
  }
  const bool batch = app.count("--batch") > 0;

  // Without a HOST, one-shot and batch modes use the default server (from
  // $FERRY_SERVER or the file's `server`): `ferry ls` when it is set. A first
  // word that names a command is never taken for a host.
  std::optional<std::string> host;
  if (!words.empty() && !ferry::Shell::IsCommand(words.front())) {
    host = words.front();
    words.erase(words.begin());
  }
  if (batch && !words.empty()) {
    return UsageError("with -b FILE, at most HOST[:PORT] may follow; the commands are in FILE");
  }

  // Settings: flags over the environment over the configuration file.
  const ferry::GetEnv getenv = [](const char* name) { return std::getenv(name); };
  ferry::ConnectionSettings from_flags;
  from_flags.server = host;
  from_flags.token_file = NonEmpty(token_file);
  if (tls) from_flags.tls = true;
  from_flags.tls_ca = NonEmpty(tls_config.ca_file);
  from_flags.tls_pin = NonEmpty(tls_config.pinned_fingerprint);
  from_flags.tls_cert = NonEmpty(tls_config.certificate_file);
  from_flags.tls_key = NonEmpty(tls_config.private_key_file);
  auto from_env = ferry::SettingsFromEnvironment(getenv);
  if (!from_env.ok()) return UsageError(from_env.status().message());
  const char* home = std::getenv("HOME");
  auto config =
      ferry::LoadClientConfig(ferry::FindClientConfig(config_file, getenv), home ? home : "");
  if (!config.ok()) return UsageError(config.status().message());
  // Checked now, so that unusable settings are a usage error before anything runs.
  const ferry::ConnectionSettings settings = ferry::ResolveSettings(from_flags, *from_env, *config);
  if (ferry::Status usable = ApplySettings(settings, &options.client); !usable.ok()) {
    return UsageError(usable.message());
  }
  // Every connme resolves its HOST word again: a [host NAME] section brings its
  // own address, token and TLS settings, and another host does not get them.
  // The default server stays a word (maybe a NAME) until then.
  options.default_server =
      host.value_or(from_env->server.value_or(config->top.server.value_or("")));
  options.resolve_server = [from_flags, env = *from_env, file = std::move(*config),
                            base = options.client](const std::string& word)
      -> ferry::StatusOr<std::pair<std::string, ferry::ClientOptions>> {
    ferry::ConnectionSettings flags = from_flags;
    flags.server = word;
    const ferry::ConnectionSettings resolved = ferry::ResolveSettings(flags, env, file);
    ferry::ClientOptions client = base;
    FERRY_RETURN_IF_ERROR(ApplySettings(resolved, &client));
    return std::make_pair(resolved.server.value_or(""), std::move(client));
  };

  ferry::SilenceProtobufLogging();
  // A vanished server must surface as an error, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  options.progress = isatty(STDERR_FILENO) == 1;
  const bool one_shot = !batch && !words.empty();
  options.interactive = !batch && !one_shot && isatty(STDIN_FILENO) == 1;
  // Ctrl-C cancels the running transfer (the server is told; nothing is left
  // under the final name). At the prompt it abandons the line and never ends
  // the shell; in the other modes it ends ferry with 130, and a second Ctrl-C
  // does so at once.
  ferry::InstallInterruptHandler(/*second_exits=*/!options.interactive);
  options.interrupt = &ferry::InterruptFlag();
  // Where one-shot and batch modes connect: HOST, else the default server.
  const std::string server = options.default_server;

  if (one_shot) {
    if (server.empty() && !ferry::Shell::IsLocalCommand(words.front())) {
      return UsageError("no server for " + words.front() +
                        ": give HOST[:PORT] before the command, or set FERRY_SERVER");
    }
    return RunOneShot(options, server, words);
  }
  if (batch) {
    options.connect_first = server;
    return RunBatch(options, batch_file);
  }
  // With HOST, the commands from standard input start connected to it.
  if (host) options.connect_first = server;
  if (!options.interactive) {
    // Piped or redirected input is read line by line exactly as written.
    ferry::Shell shell(stdout, stderr, options);
    return shell.Run(stdin);
  }
  return RunInteractive(options);
}
