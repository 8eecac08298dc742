// Process-wide settings and build facts.
#pragma once
#include <cstddef>
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

/// Bytes of cached-size CPU blocks (>= 64 KiB) held by tensors, held in the cache for reuse,
/// and the most ever held by tensors. Smaller blocks come from malloc and are not counted.
struct CpuMemoryStats {
  size_t allocated_bytes = 0;
  size_t cached_bytes = 0;
  size_t peak_allocated_bytes = 0;
};
CpuMemoryStats cpu_memory_stats();
/// Returns the cached (unused) blocks to the system.
void cpu_empty_cache();
}  // namespace nd
