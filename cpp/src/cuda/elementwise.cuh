// What the elementwise CUDA kernels share: addressing an element of the CPU's iteration
// descriptor (ElementwiseIter, broadcast dims have stride 0), the grid-stride loop, the launch,
// and the dtype switches. The kernels are split over unary.cu, binary.cu and copy.cu so that
// nvcc compiles their many instantiations in parallel.
#pragma once
#include <cstdint>
#include <type_traits>

#include "cpu/kernel_api.h"
#include "cuda/check.cuh"
#include "cuda/functors.h"

namespace nd::cuda::elementwise {

using cpu::ElementwiseIter;

// Byte addresses of element i for every operand: i is split over the coalesced dims
// (innermost first) and each coordinate scaled by that operand's byte stride.
template <int N> __device__ __forceinline__ void locate(const ElementwiseIter& it, int64_t i, char* (&p)[N]) {
  if (it.ndim == 1) {  // the common case (contiguous or one strided dim): no division
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] = it.data[k] + i * it.strides[k][0];
    return;
  }
#pragma unroll
  for (int k = 0; k < N; ++k) p[k] = it.data[k];
  for (int d = 0; d < it.ndim; ++d) {
    const int64_t size = it.sizes[d];
    const int64_t idx = i % size;
    i /= size;
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] += idx * it.strides[k][d];
  }
}

// Grid-stride loops: any grid size covers any numel, and the 64-bit index never overflows.
#define ND_FOR_EACH_ELEMENT(it, i) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (it).numel; i += int64_t(blockDim.x) * gridDim.x)

// Launches kernel<<<...>>>(it, args...) on the operands' device, asynchronously on the default stream.
template <typename... KArgs, typename... Args>
void run(void (*kernel)(const ElementwiseIter, KArgs...), const ElementwiseIter& it, Args... args) {
  if (it.numel == 0) return;
  DeviceGuard guard(it.devices[0].index);
  kernel<<<grid_for(it.numel), kBlock>>>(it, args...);
  ND_CUDA_CHECK_LAUNCH(kernel);
}

#define ND_CUDA_CASE(dt, ctype, T, ...) case DType::dt: { using T = ctype; __VA_ARGS__; break; }
#define ND_CUDA_FLOAT_TYPES(dtype, T, ...)                              \
  switch (dtype) {                                                      \
    ND_CUDA_CASE(Float32, float, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float64, double, T, __VA_ARGS__)                       \
    default: break;                                                     \
  }
#define ND_CUDA_ALL_TYPES(dtype, T, ...)                                \
  switch (dtype) {                                                      \
    ND_CUDA_CASE(Bool, bool, T, __VA_ARGS__)                            \
    ND_CUDA_CASE(UInt8, uint8_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Int32, int32_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Int64, int64_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float32, float, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float64, double, T, __VA_ARGS__)                       \
  }

}  // namespace nd::cuda::elementwise
