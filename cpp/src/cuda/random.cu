// Uniform draws on the device: each thread computes its elements' Philox counters itself
// (core::uniform_element, shared with the host), so a draw needs no state and no host copy.
#include "core/philox.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

template <typename T> __global__ void uniform_kernel(T* out, int64_t n, uint64_t key, uint64_t base) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    out[i] = T(core::uniform_element(key, base, uint64_t(i), sizeof(T) == sizeof(double)));
}

}  // namespace

void fill_uniform(void* out, int64_t n, bool dbl, uint64_t key, uint64_t base) {
  if (n == 0) return;
  if (dbl) uniform_kernel<double><<<grid_for(n), kBlock>>>(static_cast<double*>(out), n, key, base);
  else uniform_kernel<float><<<grid_for(n), kBlock>>>(static_cast<float*>(out), n, key, base);
  ND_CUDA_CHECK_LAUNCH(uniform_kernel);
}

}  // namespace nd::cuda
