// The transfer digest: XXH3-128, computed incrementally while bytes stream, so
// verification never costs a second pass over the data (spec 7.4).
#pragma once

// The state lives inline (no allocation per transfer), which needs the full type.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ferry {

using Digest = std::array<uint8_t, 16>;

// The digest's name where the protocol names it (HashReply.algorithm, spec 6.11).
inline constexpr std::string_view kDigestAlgorithmName = "xxh3-128";

class StreamingDigest {
 public:
  StreamingDigest();
  StreamingDigest(const StreamingDigest&) = delete;
  StreamingDigest& operator=(const StreamingDigest&) = delete;

  void Reset();
  void Update(std::span<const uint8_t> bytes);
  // The digest of everything passed to Update since the last Reset, in XXH3's
  // canonical (big-endian) byte order.
  Digest Finish() const;

 private:
  XXH3_state_t state_;
};

Digest DigestOf(std::span<const uint8_t> bytes);

// Wire form: the 16 canonical bytes as a protobuf `bytes` field.
std::string DigestToBytes(const Digest& digest);
// False unless `bytes` is exactly 16 bytes long.
bool DigestFromBytes(std::string_view bytes, Digest* out);
std::string DigestToHex(const Digest& digest);

}  // namespace ferry
