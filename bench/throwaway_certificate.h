// A self-signed certificate for the benchmark's TLS ferryd, made at start with
// OpenSSL's C API (no key in the repository, no openssl command needed).
#pragma once

#include <string>

#include "src/base/status.h"

namespace ferry::bench {

// Writes `dir`/bench-cert.pem and `dir`/bench-key.pem: a P-256 key and a
// one-day certificate for 127.0.0.1. Returns {certificate path, key path}.
StatusOr<std::pair<std::string, std::string>> WriteThrowawayCertificate(const std::string& dir);

}  // namespace ferry::bench
