// XXH3 compiled for AVX2 (this file alone is built with -mavx2), used by
// StreamingDigest only on processors that have it. XXH3's output does not
// depend on the vector width, so both paths give the same digest; the packaged
// library is built for SSE2, which hashes at about half the speed.
#define XXH_INLINE_ALL
#include "src/base/digest_avx2.h"

#include <xxhash.h>

namespace ferry::internal {

void Xxh3UpdateAvx2(void* state, const void* data, size_t size) {
  // The state was made by the library from the same header: the same layout.
  XXH3_128bits_update(static_cast<XXH3_state_t*>(state), data, size);
}

}  // namespace ferry::internal
