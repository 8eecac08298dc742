// What the CPU running us supports.
#pragma once

namespace nd::core {
/// AVX2 and FMA available and enabled by the OS (XSAVE of the YMM state).
bool cpu_has_avx2_fma();
}  // namespace nd::core
