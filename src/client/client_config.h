// Where ferry's connection settings come from: flags, the environment
// (FERRY_SERVER, FERRY_TOKEN_FILE, ...), and a small configuration file of
// `key = value` lines with optional `[host NAME]` sections, as ssh_config has.
// Precedence, per setting: flags > environment > the file's section for the
// chosen host > the file's top > built-in defaults.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "src/base/status.h"

namespace ferry {

// One layer of settings; an unset field defers to the layer below. The pairs
// token_file/token, tls_ca/tls_pin and tls_cert/tls_key each move as one: a
// layer that sets either half hides both halves of the layers below (a pin
// from a flag must not be combined with a CA file from the config file).
struct ConnectionSettings {
  std::optional<std::string> server;      // HOST[:PORT], or the NAME of a [host NAME] section
  std::optional<std::string> token_file;  // a file whose first line is the token
  std::optional<std::string> token;       // the token itself (only $FERRY_TOKEN)
  std::optional<bool> tls;                // TLS verified against the system's CAs
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_pin;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;

  bool operator==(const ConnectionSettings&) const = default;
};

// `high` with every unset field (or pair, see above) taken from `low`.
ConnectionSettings Overlay(const ConnectionSettings& high, const ConnectionSettings& low);

// A parsed configuration file.
struct ClientConfig {
  ConnectionSettings top;  // the lines before the first section
  // [host NAME] sections by NAME; `server` holds the section's `address`.
  std::map<std::string, ConnectionSettings> hosts;
};

// The longest line a configuration file may have, in bytes.
inline constexpr size_t kMaxConfigLineBytes = 4096;
// The largest configuration file ferry reads, in bytes.
inline constexpr size_t kMaxConfigFileBytes = 256 * 1024;

// Parses `text`. Lines are `key = value`; blank lines and lines whose first
// non-blank character is `#` or `;` are comments; a value in double quotes keeps
// its outer spaces (there are no escapes). `[host NAME]` starts a section for
// the host NAME (letters, digits, `.`, `_`, `-`). Keys: `server` (top only),
// `address` (in a section, required there), `token-file`, `tls` (true/false),
// `tls-ca`, `tls-pin`, `tls-cert`, `tls-key`. A leading `~/` in a file name
// means $HOME (from `home`). Any unknown key, repeated key or section, malformed
// or over-long line is kInvalidArgument naming `file_name` and the line number.
StatusOr<ClientConfig> ParseClientConfig(std::string_view text, std::string_view file_name,
                                         std::string_view home);

// Looks up an environment variable (std::getenv in the program; a map in tests).
using GetEnv = std::function<const char*(const char*)>;

// The environment's layer: FERRY_SERVER, FERRY_TOKEN_FILE, FERRY_TOKEN, FERRY_TLS
// (1/true/yes or 0/false/no), FERRY_TLS_CA, FERRY_TLS_PIN, FERRY_TLS_CERT,
// FERRY_TLS_KEY. An empty variable counts as unset. kInvalidArgument for a
// FERRY_TLS that is not a truth value.
StatusOr<ConnectionSettings> SettingsFromEnvironment(const GetEnv& getenv);

// Which configuration file to read: `flag` (--config) if given, else
// $FERRY_CONFIG, else $XDG_CONFIG_HOME/ferry/config, else ~/.config/ferry/config.
// `required` when the user named it (flag or $FERRY_CONFIG): then a missing file
// is an error; the default location may simply not exist.
struct ConfigLocation {
  std::string path;  // empty when no location is known (no HOME)
  bool required = false;
};
ConfigLocation FindClientConfig(const std::string& flag, const GetEnv& getenv);

// Reads and parses the file at `location`. An absent optional file is an empty
// config. Like ssh with its own configuration, refuses (kPermissionDenied) a
// file that is not a regular file, is owned by someone other than the user or
// root, or that group or others may write: whoever can edit it can send your
// token to a server of their choosing. Every failure names the file.
StatusOr<ClientConfig> LoadClientConfig(const ConfigLocation& location, std::string_view home);

// The settings for one run: flags over environment over the file. The server
// is the flags' (the HOST word), else the environment's, else the file's top
// `server`; when it names a [host NAME] section, that section sits between the
// environment and the file's top, and `server` becomes its address.
ConnectionSettings ResolveSettings(const ConnectionSettings& flags, const ConnectionSettings& env,
                                   const ClientConfig& config);

}  // namespace ferry
