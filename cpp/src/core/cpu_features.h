// What the CPU running us supports.
#pragma once

namespace nd::core {
/// AVX2 and FMA available and enabled by the OS (XSAVE of the YMM state).
bool cpu_has_avx2_fma();
/// AVX-512 F/BW/VL/DQ (and AVX2/FMA) available and the OS saves the opmask and ZMM state.
bool cpu_has_avx512();
}  // namespace nd::core
