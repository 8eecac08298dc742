// Sum and max over a thread block: warp shuffles, then one shared-memory slot per warp.
#pragma once
#include <cuda_runtime.h>

namespace nd::cuda {

// `neutral` fills the lanes past the last warp: 0 for a sum; for a max, any real partial.
struct SumOp {
  template <typename T> __device__ __forceinline__ static T apply(T a, T b) { return a + b; }
  template <typename T> __device__ __forceinline__ static T neutral(const T*) { return T(0); }
};
// NaN propagates, as the CPU kernels' max does.
struct MaxOp {
  template <typename T> __device__ __forceinline__ static T apply(T a, T b) { return (a != a || a > b) ? a : b; }
  template <typename T> __device__ __forceinline__ static T neutral(const T* partials) { return partials[0]; }
};

template <typename Op, typename T> __device__ __forceinline__ T warp_reduce(T v) {
  for (int d = 16; d > 0; d /= 2) v = Op::apply(v, __shfl_down_sync(0xffffffffu, v, d));
  return v;
}

/// Every thread of the block gets Op over all threads' v. blockDim.x must be a multiple of 32
/// and at most 1024; every thread of the block must call it (it synchronizes twice), and
/// `scratch` (32 slots) may be reused after it returns.
template <typename Op, typename T> __device__ __forceinline__ T block_reduce(T v, T* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  v = warp_reduce<Op>(v);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const T w = warp_reduce<Op>(lane < nwarps ? scratch[lane] : Op::neutral(scratch));
    if (lane == 0) scratch[0] = w;
  }
  __syncthreads();
  const T result = scratch[0];
  __syncthreads();  // scratch is free again for the caller's next reduction
  return result;
}

}  // namespace nd::cuda
