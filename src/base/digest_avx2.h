// The AVX2 build of XXH3's streaming update (digest_avx2.cc); call it only where
// the processor has AVX2.
#pragma once

#include <cstddef>

namespace ferry::internal {

// `state` is an XXH3_state_t reset by the library.
void Xxh3UpdateAvx2(void* state, const void* data, size_t size);

}  // namespace ferry::internal
