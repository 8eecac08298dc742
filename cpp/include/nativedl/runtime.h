// Process-wide settings and build facts.
#pragma once
#include <string>

namespace nd {
/// Threads used by parallel kernels (OpenMP's default until set).
void set_num_threads(int n);
int get_num_threads();
/// "0.1.0".
const char* version();
/// The kernel set picked at run time: "avx512", "avx2" or "scalar" (NATIVEDL_ISA overrides).
const char* cpu_isa();
/// Whether CUDA kernels were compiled in, and whether a device is usable.
bool cuda_compiled();
bool cuda_available();
}  // namespace nd
