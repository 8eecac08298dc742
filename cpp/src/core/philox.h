// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"): four
// 32-bit random words from a 64-bit key and a 128-bit counter, with no state to share.
// Host and device code (ND_HD): a CUDA kernel draws exactly the numbers the host would.
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace nd::core {

struct Philox4x32 {
  uint32_t out[4];
  ND_HD Philox4x32(uint64_t key, uint64_t counter) {
    uint32_t c[4] = {uint32_t(counter), uint32_t(counter >> 32), 0, 0};
    uint32_t k[2] = {uint32_t(key), uint32_t(key >> 32)};
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = uint64_t(0xD2511F53u) * c[0], p1 = uint64_t(0xCD9E8D57u) * c[2];
      const uint32_t n0 = uint32_t(p1 >> 32) ^ c[1] ^ k[0], n2 = uint32_t(p0 >> 32) ^ c[3] ^ k[1];
      c[0] = n0; c[1] = uint32_t(p1); c[2] = n2; c[3] = uint32_t(p0);
      k[0] += 0x9E3779B9u; k[1] += 0xBB67AE85u;
    }
    for (int i = 0; i < 4; ++i) out[i] = c[i];
  }
};

/// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
ND_HD float uniform_float(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }
ND_HD double uniform_double(uint32_t hi, uint32_t lo) {
  return double(((uint64_t(hi) << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
}

/// Element i of a uniform draw whose counters start at `base` (Generator::advance(2 * n)):
/// counter base / 4 + i / 2, its words 2 * (i % 2) onward, so each element depends only on
/// the seed, the offset and i (not on how work is split over threads or devices).
ND_HD double uniform_element(uint64_t key, uint64_t base, uint64_t i, bool dbl) {
  const Philox4x32 r(key, base / 4 + i / 2);
  const int lane = int(i % 2) * 2;
  return dbl ? uniform_double(r.out[lane], r.out[lane + 1]) : double(uniform_float(r.out[lane]));
}

}  // namespace nd::core
