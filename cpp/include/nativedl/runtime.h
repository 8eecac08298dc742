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
/// Whether CUDA kernels were compiled in, and whether a device is usable. Never throws:
/// without a driver or a device, cuda_available() is false.
bool cuda_compiled();
bool cuda_available();
/// Number of usable CUDA devices (0 without CUDA, a driver or a device).
int cuda_device_count();
/// Waits until every kernel and copy queued on the current CUDA device has finished.
void cuda_synchronize();
/// Bytes of device memory held by tensors, held by the caching allocator in all (in use and
/// cached for reuse), and the most ever held by tensors, on one device. Zeros without CUDA.
struct CudaMemoryStats {
  size_t allocated_bytes = 0;
  size_t reserved_bytes = 0;
  size_t peak_allocated_bytes = 0;
};
CudaMemoryStats cuda_memory_stats(int device = 0);
/// What torch.cuda.get_device_properties reports of a device; throws when it is not available.
struct CudaDeviceProperties {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  int multi_processor_count = 0;
  size_t total_memory = 0;  // bytes
};
CudaDeviceProperties cuda_device_properties(int device);
/// Returns the cached (unused) device blocks of every device to the driver.
void cuda_empty_cache();
/// Whether float32 matrix products on CUDA devices may use TF32 tensor cores (operands rounded
/// to a 10-bit mantissa, float32 accumulation) on GPUs that have them (sm_80+). Off by default,
/// as PyTorch's torch.backends.cuda.matmul.allow_tf32. Process-wide; no effect on the CPU.
void set_cuda_matmul_allow_tf32(bool allow);
bool cuda_matmul_allow_tf32();

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
