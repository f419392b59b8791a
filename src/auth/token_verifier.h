// TokenVerifier: decides whether a presented token is the server's (spec 5.9).
//
// Only a SHA-256 digest of the expected token is kept. A presented token is
// digested too and the two digests are compared with CRYPTO_memcmp, so the time a
// check takes depends neither on where the tokens first differ nor on their
// lengths (R-AUTH-4).
#pragma once

#include <array>
#include <string_view>

#include "src/base/status.h"

namespace ferry {

class TokenVerifier {
 public:
  static constexpr size_t kDigestBytes = 32;  // SHA-256
  using TokenDigest = std::array<unsigned char, kDigestBytes>;

  // `token` must already satisfy CheckToken.
  static StatusOr<TokenVerifier> Create(std::string_view token);

  // True if `presented` is the expected token.
  bool Matches(std::string_view presented) const;

 private:
  explicit TokenVerifier(const TokenDigest& expected) : expected_(expected) {}

  TokenDigest expected_;
};

}  // namespace ferry
