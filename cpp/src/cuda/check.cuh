// Error checking and launch configuration shared by the .cu files.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "nativedl/errors.h"

namespace nd::cuda {

/// Throws nd::Error naming the failed call and CUDA's description of the error.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call);

/// Sets the current device for a scope and restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
 private:
  int previous_ = -1;
};

constexpr int kBlock = 256;
/// Blocks for a grid-stride loop over n items: enough to fill the GPU, never more than needed.
inline unsigned grid_for(int64_t n, int block = kBlock) {
  const int64_t b = (n + block - 1) / block;
  return unsigned(b < 1 ? 1 : b > 65535 ? 65535 : b);
}

}  // namespace nd::cuda

/// Runs a CUDA runtime call and throws nd::Error("[cuda] <call> failed: <reason>") on failure.
#define ND_CUDA_CHECK(call)                                                     \
  do {                                                                          \
    const cudaError_t nd_cuda_err_ = (call);                                    \
    if (nd_cuda_err_ != cudaSuccess) ::nd::cuda::throw_cuda_error(nd_cuda_err_, #call); \
  } while (0)
/// After a kernel launch: reports a bad launch configuration (asynchronous faults surface at
/// the next synchronizing call, which checks its own error).
#define ND_CUDA_CHECK_LAUNCH(kernel) ND_CUDA_CHECK(cudaPeekAtLastError())
