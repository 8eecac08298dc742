#include "core/cpu_features.h"

#include <cpuid.h>

namespace nd::core {

bool cpu_has_avx2_fma() {
  static const bool has = [] {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
    const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28);
    if (!(fma && osxsave && avx)) return false;
    unsigned xlo, xhi;
    __asm__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 6u) != 6u) return false;  // XMM and YMM state saved by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 5)) != 0;  // AVX2
  }();
  return has;
}

bool cpu_has_avx512() {
  static const bool has = [] {
    if (!cpu_has_avx2_fma()) return false;
    unsigned xlo, xhi;
    __asm__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0xE6u) != 0xE6u) return false;  // XMM, YMM, opmask, ZMM0-15 upper, ZMM16-31
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (b & (f | dq | bw | vl)) == (f | dq | bw | vl);
  }();
  return has;
}

}  // namespace nd::core
