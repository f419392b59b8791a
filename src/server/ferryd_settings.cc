#include "src/server/ferryd_settings.h"

#include <memory>
#include <set>

#include "src/base/version.h"
#include "src/codec/limits.h"
#include "src/net/address.h"
#include "src/server/config_file.h"

namespace ferry {

FerrydSettings DefaultFerrydSettings() {
  FerrydSettings settings;
  settings.listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  settings.max_connections_per_address = limits::kDefaultMaxConnectionsPerAddress;
  settings.auth_failure_delay = limits::kAuthFailureDelay.count() / 1000.0;
  settings.handshake_timeout = limits::kHandshakeTimeout.count();
  settings.idle_timeout = limits::kIdleTimeout.count();
  settings.transfer_timeout = limits::kTransferStallTimeout.count();
  return settings;
}

void DefineFerrydCommandLine(CLI::App* app, FerrydSettings* s) {
  app->set_version_flag("--version", "ferryd " FERRY_VERSION " (protocol version 1)");
  CLI::Option* const config =
      app->set_config("--config", "",
                      "Read settings from FILE: `key = value` lines whose keys are the long "
                      "option names (flags given on the command line win)");
  config->type_name("FILE");
  app->add_option("-r,--root", s->root, "Directory to serve")
      ->required()
      ->check(CLI::ExistingDirectory);
  app->add_option("-l,--listen", s->listen,
                  "Address to listen on, HOST:PORT (port 0 picks a free port)")
      ->capture_default_str();
  app->add_option("--max-connections", s->max_connections, "Most clients served at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app->add_option("--max-connections-per-address", s->max_connections_per_address,
                  "Most clients served at once from one IP address (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  app->add_option("--token-file", s->token_file,
                  "Require clients to present the token in the first line of this file "
                  "(readable by its owner only)");
  app->add_option("--auth-failure-delay", s->auth_failure_delay,
                  "Seconds to wait before answering a wrong token")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app->add_flag("--read-only", s->read_only, "Refuse every request that would change the files");
  app->add_option("--handshake-timeout", s->handshake_timeout,
                  "Seconds a new connection has to complete the handshake")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--idle-timeout", s->idle_timeout,
                  "Seconds a connection may wait between requests")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--transfer-timeout", s->transfer_timeout,
                  "Seconds a transfer may go without progress")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auto* cert = app->add_option("--tls-cert", s->tls.certificate_file,
                               "Serve TLS with this certificate chain (PEM), leaf first")
                   ->check(CLI::ExistingFile);
  auto* key =
      app->add_option("--tls-key", s->tls.private_key_file, "Private key (PEM) of --tls-cert")
          ->check(CLI::ExistingFile);
  app->add_option("--tls-client-ca", s->tls.client_ca_file,
                  "Require client certificates signed by the CAs in FILE (PEM)")
      ->check(CLI::ExistingFile)
      ->needs(cert);
  cert->needs(key);
  key->needs(cert);
  app->add_option_function<std::string>(
         "--log-format",
         [s](const std::string& name) {
           s->log_format = name == "json" ? LogFormat::kJson : LogFormat::kText;
         },
         "Request log on stderr: text (one line of key=value per request) or json (one "
         "object per line)")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("text|json")
      ->default_str("text");

  // Every configurable long option may appear in the file, under its long name.
  std::set<std::string> keys;
  for (const CLI::Option* option : app->get_options()) {
    if (!option->get_configurable() || option == config) continue;
    for (const std::string& name : option->get_lnames()) {
      if (name != "help" && name != "version") keys.insert(name);
    }
  }
  app->config_formatter(std::make_shared<KeyValueConfig>(std::move(keys), config));
}

}  // namespace ferry
