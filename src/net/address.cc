#include "src/net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace ferry {

std::string HostPort::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

StatusOr<HostPort> ParseHostPort(std::string_view text, std::string_view default_host,
                                 uint16_t default_port) {
  const auto invalid = [&](std::string_view why) {
    return Status::Error(
        StatusCode::kInvalidArgument,
        std::string("bad address '") + std::string(text) + "': " + std::string(why));
  };
  HostPort out{std::string(default_host), default_port};
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return invalid("missing ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return invalid("expected ':' after ']'");
      port = rest.substr(1);
      if (port.empty()) return invalid("empty port");
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon) {
      host = text;  // several colons and no brackets: a bare IPv6 address
    } else {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      if (port.empty()) return invalid("empty port");
    }
  }
  if (!host.empty()) out.host = std::string(host);
  if (!port.empty()) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
      return invalid("port must be a number from 0 to 65535");
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (out.host.empty()) return invalid("empty host");
  return out;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  // Only a literal address is known to be loopback: a host name such as
  // "127.example.com" resolves wherever its owner likes.
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

}  // namespace ferry
