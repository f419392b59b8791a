#include "src/auth/token_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "src/auth/token_file.h"

namespace ferry {
namespace {

bool Sha256(std::string_view data, TokenVerifier::TokenDigest* out) {
  unsigned int length = 0;
  return EVP_Digest(data.data(), data.size(), out->data(), &length, EVP_sha256(), nullptr) == 1 &&
         length == out->size();
}

}  // namespace

StatusOr<TokenVerifier> TokenVerifier::Create(std::string_view token) {
  FERRY_RETURN_IF_ERROR(CheckToken(token));
  TokenDigest expected{};
  if (!Sha256(token, &expected)) {
    return Status::Error(StatusCode::kInternal, "SHA-256 is not available");
  }
  return TokenVerifier(expected);
}

bool TokenVerifier::Matches(std::string_view presented) const {
  TokenDigest digest{};
  // A digest failure is a mismatch: an unverified token never passes.
  if (!Sha256(presented, &digest)) return false;
  return CRYPTO_memcmp(digest.data(), expected_.data(), kDigestBytes) == 0;
}

}  // namespace ferry
