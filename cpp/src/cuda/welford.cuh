// Welford states (core/welford.h) merged across a warp and a block, for the normalization
// statistics (norm.cu) and the variance reduction (reduce.cu).
#pragma once
#include <cuda_runtime.h>

#include "core/welford.h"

namespace nd::cuda {

using core::Welford;
using core::merge;

__device__ __forceinline__ Welford warp_merge(Welford w) {
  for (int d = 16; d > 0; d /= 2) {
    const Welford o{__shfl_down_sync(0xffffffffu, w.n, d), __shfl_down_sync(0xffffffffu, w.mean, d),
                    __shfl_down_sync(0xffffffffu, w.m2, d)};
    w = merge(w, o);
  }
  return w;
}

/// The block's merged state, in every thread. blockDim.x must be a multiple of 32 (at most
/// 1024) and every thread must call it; `scratch` (32 slots) is free again when it returns.
__device__ __forceinline__ Welford block_merge(Welford w, Welford* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  w = warp_merge(w);
  if (lane == 0) scratch[warp] = w;
  __syncthreads();
  if (warp == 0) {
    w = warp_merge(lane < nwarps ? scratch[lane] : Welford{0, 0, 0});
    if (lane == 0) scratch[0] = w;
  }
  __syncthreads();
  w = scratch[0];
  __syncthreads();
  return w;
}

}  // namespace nd::cuda
