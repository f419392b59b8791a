// Everything ferryd can be told, from flags and from its configuration file,
// and the command line that reads it. Kept out of main so the parsing can be
// tested without starting a server.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <string>

#include "src/net/tls.h"
#include "src/server/request_log.h"

namespace ferry {

struct FerrydSettings {
  std::string root;
  std::string listen;
  size_t max_connections = 256;
  size_t max_connections_per_address = 0;
  std::string token_file;
  double auth_failure_delay = 0;  // seconds
  bool read_only = false;
  double handshake_timeout = 0;  // seconds
  double idle_timeout = 0;
  double transfer_timeout = 0;
  TlsServerConfig tls;
  LogFormat log_format = LogFormat::kText;
};

// Defaults for every setting (the limits in src/codec/limits.h).
FerrydSettings DefaultFerrydSettings();

// Adds every ferryd flag to `app`, writing into `settings` (which must outlive
// it), plus `--config FILE` read as a KeyValueConfig whose keys are the long
// flag names, and --version.
void DefineFerrydCommandLine(CLI::App* app, FerrydSettings* settings);

// ferryd's exit codes: 0 stopped on request (SIGINT, SIGTERM); 1 could not
// serve (the directory, the address, a runtime failure); 2 a usage or
// configuration error.
inline constexpr int kFerrydExitFailure = 1;
inline constexpr int kFerrydExitUsage = 2;

}  // namespace ferry
