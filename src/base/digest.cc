#include "src/base/digest.h"

#include <cstring>

#ifdef FERRY_XXH3_AVX2
#include "src/base/digest_avx2.h"
#endif

namespace ferry {
namespace {

#ifdef FERRY_XXH3_AVX2
// Decided once: whether this processor can run the AVX2 build of XXH3.
const bool kHaveAvx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

StreamingDigest::StreamingDigest() { Reset(); }

void StreamingDigest::Reset() { XXH3_128bits_reset(&state_); }

void StreamingDigest::Update(std::span<const uint8_t> bytes) {
#ifdef FERRY_XXH3_AVX2
  if (kHaveAvx2) {
    internal::Xxh3UpdateAvx2(&state_, bytes.data(), bytes.size());
    return;
  }
#endif
  XXH3_128bits_update(&state_, bytes.data(), bytes.size());
}

static Digest Canonical(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  Digest out;
  static_assert(sizeof(canonical.digest) == sizeof(Digest));
  std::memcpy(out.data(), canonical.digest, out.size());
  return out;
}

Digest StreamingDigest::Finish() const { return Canonical(XXH3_128bits_digest(&state_)); }

Digest DigestOf(std::span<const uint8_t> bytes) {
  return Canonical(XXH3_128bits(bytes.data(), bytes.size()));
}

std::string DigestToBytes(const Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool DigestFromBytes(std::string_view bytes, Digest* out) {
  if (bytes.size() != out->size()) return false;
  std::memcpy(out->data(), bytes.data(), out->size());
  return true;
}

std::string DigestToHex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (uint8_t b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

}  // namespace ferry
