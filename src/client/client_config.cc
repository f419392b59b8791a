#include "src/client/client_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

namespace ferry {
namespace {

std::string_view Trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<bool> ParseTruth(std::string_view text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

bool IsHostName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "~/x" is $HOME/x; anything else is kept as written.
std::string ExpandHome(std::string_view path, std::string_view home) {
  if (!home.empty() && path.starts_with("~/")) {
    return std::string(home) + std::string(path.substr(1));
  }
  return std::string(path);
}

// Takes the pair (a, b) from `low` when `high` sets neither half.
void FillPair(std::optional<std::string>* a, std::optional<std::string>* b,
              const std::optional<std::string>& low_a, const std::optional<std::string>& low_b) {
  if (a->has_value() || b->has_value()) return;
  *a = low_a;
  *b = low_b;
}

}  // namespace

ConnectionSettings Overlay(const ConnectionSettings& high, const ConnectionSettings& low) {
  ConnectionSettings merged = high;
  if (!merged.server) merged.server = low.server;
  if (!merged.tls) merged.tls = low.tls;
  FillPair(&merged.token_file, &merged.token, low.token_file, low.token);
  FillPair(&merged.tls_ca, &merged.tls_pin, low.tls_ca, low.tls_pin);
  FillPair(&merged.tls_cert, &merged.tls_key, low.tls_cert, low.tls_key);
  return merged;
}

StatusOr<ClientConfig> ParseClientConfig(std::string_view text, std::string_view file_name,
                                         std::string_view home) {
  ClientConfig config;
  ConnectionSettings* section = &config.top;
  std::string section_name;  // empty at the top
  size_t section_line = 0;
  std::set<std::string> seen;  // keys set in the current section
  size_t number = 0;
  const auto fail = [&](const std::string& why) {
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string(file_name) + " line " + std::to_string(number) + ": " + why);
  };
  // A section must say where its host is.
  const auto close_section = [&]() -> Status {
    if (!section_name.empty() && !section->server) {
      return Status::Error(StatusCode::kInvalidArgument,
                           std::string(file_name) + " line " + std::to_string(section_line) +
                               ": [host " + section_name + "] has no address");
    }
    return Status::Ok();
  };
  while (!text.empty()) {
    ++number;
    const size_t newline = text.find('\n');
    const std::string_view raw = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (raw.size() > kMaxConfigLineBytes) {
      return fail("line longer than " + std::to_string(kMaxConfigLineBytes) + " bytes");
    }
    if (raw.find('\0') != std::string_view::npos) return fail("NUL byte in the line");
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;

    if (line.front() == '[') {
      if (line.back() != ']') return fail("expected `[host NAME]`");
      const std::string_view inside = Trim(line.substr(1, line.size() - 2));
      if (!inside.starts_with("host") || inside.size() < 5 ||
          (inside[4] != ' ' && inside[4] != '\t')) {
        return fail("expected `[host NAME]`");
      }
      const std::string_view name = Trim(inside.substr(4));
      if (!IsHostName(name)) {
        return fail("a host name is letters, digits, '.', '_' and '-', got \"" + std::string(name) +
                    "\"");
      }
      FERRY_RETURN_IF_ERROR(close_section());
      auto [it, added] = config.hosts.try_emplace(std::string(name));
      if (!added) return fail("[host " + std::string(name) + "] appears twice");
      section = &it->second;
      section_name = std::string(name);
      section_line = number;
      seen.clear();
      continue;
    }

    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) return fail("expected `key = value`");
    const std::string key(Trim(line.substr(0, equals)));
    std::string_view value = Trim(line.substr(equals + 1));
    if (key.empty()) return fail("expected `key = value`");
    if (value.starts_with('"') || value.ends_with('"')) {
      if (value.size() < 2 || !value.starts_with('"') || !value.ends_with('"')) {
        return fail("unbalanced double quote");
      }
      value = value.substr(1, value.size() - 2);
    }
    if (value.empty()) return fail("\"" + key + "\" has no value");
    const bool in_section = !section_name.empty();
    if (!seen.insert(key).second) return fail("\"" + key + "\" is set twice");

    std::optional<std::string>* file_field = nullptr;
    if (key == "server" && !in_section) {
      section->server = std::string(value);
    } else if (key == "address" && in_section) {
      section->server = std::string(value);
    } else if (key == "tls") {
      section->tls = ParseTruth(value);
      if (!section->tls) return fail("tls is true or false, got \"" + std::string(value) + "\"");
    } else if (key == "tls-pin") {
      section->tls_pin = std::string(value);
    } else if (key == "token-file") {
      file_field = &section->token_file;
    } else if (key == "tls-ca") {
      file_field = &section->tls_ca;
    } else if (key == "tls-cert") {
      file_field = &section->tls_cert;
    } else if (key == "tls-key") {
      file_field = &section->tls_key;
    } else if (key == "server" || key == "address") {
      return fail(in_section ? "a host section gives its `address`, not `server`"
                             : "`address` belongs in a [host NAME] section; the default is "
                               "`server`");
    } else {
      return fail("unknown setting \"" + key + "\"");
    }
    if (file_field != nullptr) *file_field = ExpandHome(value, home);
  }
  FERRY_RETURN_IF_ERROR(close_section());
  // The halves of a pair come together (as the flags do).
  for (const auto& [name, host] : config.hosts) {
    if (host.tls_ca && host.tls_pin) {
      return Status::Error(StatusCode::kInvalidArgument,
                           std::string(file_name) + ": [host " + name +
                               "] sets both tls-ca and tls-pin; choose one");
    }
  }
  if (config.top.tls_ca && config.top.tls_pin) {
    return Status::Error(StatusCode::kInvalidArgument,
                         std::string(file_name) + ": sets both tls-ca and tls-pin; choose one");
  }
  return config;
}

StatusOr<ConnectionSettings> SettingsFromEnvironment(const GetEnv& getenv) {
  const auto get = [&](const char* name) -> std::optional<std::string> {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
  ConnectionSettings env;
  env.server = get("FERRY_SERVER");
  env.token_file = get("FERRY_TOKEN_FILE");
  // A literal token is the fallback within this layer: the file is safer.
  if (!env.token_file) env.token = get("FERRY_TOKEN");
  if (const auto tls = get("FERRY_TLS")) {
    env.tls = ParseTruth(*tls);
    if (!env.tls) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "FERRY_TLS is 1 or 0 (true or false), got \"" + *tls + "\"");
    }
  }
  env.tls_ca = get("FERRY_TLS_CA");
  env.tls_pin = get("FERRY_TLS_PIN");
  if (env.tls_ca && env.tls_pin) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "FERRY_TLS_CA and FERRY_TLS_PIN are both set; choose one");
  }
  env.tls_cert = get("FERRY_TLS_CERT");
  env.tls_key = get("FERRY_TLS_KEY");
  return env;
}

ConfigLocation FindClientConfig(const std::string& flag, const GetEnv& getenv) {
  if (!flag.empty()) return {flag, true};
  const auto get = [&](const char* name) -> std::string {
    const char* value = getenv(name);
    return value == nullptr ? "" : value;
  };
  if (std::string named = get("FERRY_CONFIG"); !named.empty()) return {named, true};
  if (std::string xdg = get("XDG_CONFIG_HOME"); !xdg.empty()) return {xdg + "/ferry/config", false};
  if (std::string home = get("HOME"); !home.empty()) return {home + "/.config/ferry/config", false};
  return {"", false};
}

StatusOr<ClientConfig> LoadClientConfig(const ConfigLocation& location, std::string_view home) {
  if (location.path.empty()) return ClientConfig{};
  const std::string& path = location.path;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT && !location.required) return ClientConfig{};
    return Status::Error(error == ENOENT ? StatusCode::kNotFound : StatusCode::kPermissionDenied,
                         path + ": " + std::strerror(error));
  }
  struct stat info {};
  std::string text;
  Status status;
  if (fstat(fd, &info) != 0) {
    status = Status::Error(StatusCode::kIoError, path + ": " + std::strerror(errno));
  } else if (!S_ISREG(info.st_mode)) {
    status = Status::Error(StatusCode::kInvalidArgument, path + ": not a regular file");
  } else if (info.st_uid != geteuid() && info.st_uid != 0) {
    status = Status::Error(StatusCode::kPermissionDenied,
                           path + ": owned by another user; refusing to use it");
  } else if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    status = Status::Error(StatusCode::kPermissionDenied,
                           path +
                               ": group or others may write it; refusing to use it (chmod "
                               "go-w)");
  } else if (static_cast<uint64_t>(info.st_size) > kMaxConfigFileBytes) {
    status =
        Status::Error(StatusCode::kInvalidArgument,
                      path + ": larger than " + std::to_string(kMaxConfigFileBytes) + " bytes");
  } else {
    char buffer[8192];
    for (;;) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = Status::Error(StatusCode::kIoError, path + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) break;
      text.append(buffer, static_cast<size_t>(n));
      if (text.size() > kMaxConfigFileBytes) {
        status =
            Status::Error(StatusCode::kInvalidArgument,
                          path + ": larger than " + std::to_string(kMaxConfigFileBytes) + " bytes");
        break;
      }
    }
  }
  close(fd);
  if (!status.ok()) return status;
  return ParseClientConfig(text, path, home);
}

ConnectionSettings ResolveSettings(const ConnectionSettings& flags, const ConnectionSettings& env,
                                   const ClientConfig& config) {
  ConnectionSettings above_file = Overlay(flags, env);
  const std::string target = above_file.server.value_or(config.top.server.value_or(""));
  ConnectionSettings file = config.top;
  if (const auto host = config.hosts.find(target); host != config.hosts.end()) {
    file = Overlay(host->second, config.top);
    above_file.server = host->second.server;  // the section's address replaces its name
  }
  return Overlay(above_file, file);
}

}  // namespace ferry
