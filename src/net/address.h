// host[:port] parsing for the command line and the connme command.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/base/status.h"

namespace ferry {

// The port ferryd listens on by default (spec 4.1).
inline constexpr uint16_t kDefaultPort = 7373;

struct HostPort {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = kDefaultPort;

  // "host:port", with brackets around an IPv6 address.
  std::string ToString() const;
  bool operator==(const HostPort&) const = default;
};

// Accepts "host", "host:port", "[v6]", "[v6]:port", ":port" (empty host means
// `default_host`) and a bare IPv6 address. kInvalidArgument otherwise, or for a
// port outside 0..65535.
StatusOr<HostPort> ParseHostPort(std::string_view text, std::string_view default_host,
                                 uint16_t default_port = kDefaultPort);

// True for addresses on this machine only (127.0.0.0/8, ::1, "localhost").
bool IsLoopbackHost(std::string_view host);

}  // namespace ferry
