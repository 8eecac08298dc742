// Batch/group/instance norm kernels (Note [Normalization layout]: contiguous x seen as
// (A, B, S), statistics per b over its A*S elements). Statistics and gradient sums: one block
// per b, threads striding over the flattened (a, s) index so neighbouring threads read
// neighbouring addresses within a run of S, partials in double (as the CPU kernels) combined
// by warp shuffles and one shared-memory slot per warp. Moments use Welford's update per
// thread and Chan's pairwise merge across threads: one pass over x, stable for a large mean.
// The affine pass is elementwise with a per-b scale and shift.
#include <cmath>

#include "cpu/norm_kernels.h"
#include "cuda/block_reduce.cuh"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::NormLayout;

// Count, mean and sum of squared deviations of a set of values.
struct Welford {
  double n, mean, m2;
};

__device__ __forceinline__ Welford merge(const Welford& a, const Welford& b) {
  const double n = a.n + b.n;
  if (n == 0) return a;
  const double d = b.mean - a.mean, f = b.n / n;
  return {n, a.mean + d * f, a.m2 + b.m2 + d * d * a.n * f};
}

__device__ __forceinline__ Welford warp_merge(Welford w) {
  for (int d = 16; d > 0; d /= 2) {
    const Welford o{__shfl_down_sync(0xffffffffu, w.n, d), __shfl_down_sync(0xffffffffu, w.mean, d),
                    __shfl_down_sync(0xffffffffu, w.m2, d)};
    w = merge(w, o);
  }
  return w;
}

// The block's merged Welford state in thread 0 (other threads: partial). Every thread calls it.
__device__ __forceinline__ Welford block_merge(Welford w, Welford* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  w = warp_merge(w);
  if (lane == 0) scratch[warp] = w;
  __syncthreads();
  if (warp == 0) w = warp_merge(lane < nwarps ? scratch[lane] : Welford{0, 0, 0});
  __syncthreads();  // scratch is free for the next channel
  return w;
}

// Element j of b's A*S values (j = a * S + s).
__device__ __forceinline__ int64_t offset(const NormLayout& l, int64_t b, int64_t j) {
  return ((j / l.S) * l.B + b) * l.S + j % l.S;
}

template <typename T> __global__ void moments_kernel(const NormLayout l, const T* x, T* mean, T* var) {
  __shared__ Welford scratch[32];
  const int64_t m = l.A * l.S;
  for (int64_t b = blockIdx.x; b < l.B; b += gridDim.x) {
    Welford w{0, 0, 0};
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
      const double v = double(x[offset(l, b, j)]);
      w.n += 1;
      const double d = v - w.mean;
      w.mean += d / w.n;
      w.m2 += d * (v - w.mean);
    }
    w = block_merge(w, scratch);
    if (threadIdx.x == 0) {  // no elements: 0/0, as the CPU kernel
      mean[b] = T(m > 0 ? w.mean : double(NAN));
      var[b] = T(m > 0 ? w.m2 / w.n : double(NAN));
    }
  }
}

template <typename T>
__global__ void grad_sums_kernel(const NormLayout l, const T* g, const T* x, const T* center, T* sum_g, T* sum_gx) {
  __shared__ double scratch[32];
  const int64_t m = l.A * l.S;
  for (int64_t b = blockIdx.x; b < l.B; b += gridDim.x) {
    const double c = double(center[b]);
    double sg = 0, sgx = 0;
    for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
      const int64_t o = offset(l, b, j);
      const double gv = double(g[o]);
      sg += gv;
      sgx += gv * (double(x[o]) - c);
    }
    sg = block_reduce<SumOp>(sg, scratch);
    sgx = block_reduce<SumOp>(sgx, scratch);
    if (threadIdx.x == 0) {
      sum_g[b] = T(sg);
      sum_gx[b] = T(sgx);
    }
  }
}

// out = x * scale[b] + shift[b] (+ g * gscale[b]), fused multiply-adds as the CPU's vector path.
template <typename T>
__global__ void affine_kernel(const NormLayout l, const T* x, const T* scale, const T* shift, const T* g,
                              const T* gscale, T* out) {
  const int64_t n = l.A * l.B * l.S;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t b = (i / l.S) % l.B;
    const T y = fma(x[i], scale[b], shift[b]);
    out[i] = g == nullptr ? y : fma(g[i], gscale[b], y);
  }
}

unsigned channel_grid(int64_t B) { return unsigned(B < 65535 ? B : 65535); }

template <typename T> void moments_typed(const NormLayout& l, const void* x, void* mean, void* var) {
  moments_kernel<T><<<channel_grid(l.B), kBlock>>>(l, static_cast<const T*>(x), static_cast<T*>(mean),
                                                   static_cast<T*>(var));
  ND_CUDA_CHECK_LAUNCH(moments_kernel);
}

template <typename T>
void grad_sums_typed(const NormLayout& l, const void* g, const void* x, const void* center, void* sum_g, void* sum_gx) {
  grad_sums_kernel<T><<<channel_grid(l.B), kBlock>>>(l, static_cast<const T*>(g), static_cast<const T*>(x),
                                                     static_cast<const T*>(center), static_cast<T*>(sum_g),
                                                     static_cast<T*>(sum_gx));
  ND_CUDA_CHECK_LAUNCH(grad_sums_kernel);
}

template <typename T>
void affine_typed(const NormLayout& l, const void* x, const void* scale, const void* shift, const void* g,
                  const void* gscale, void* out) {
  affine_kernel<T><<<grid_for(l.A * l.B * l.S), kBlock>>>(
      l, static_cast<const T*>(x), static_cast<const T*>(scale), static_cast<const T*>(shift),
      static_cast<const T*>(g), static_cast<const T*>(gscale), static_cast<T*>(out));
  ND_CUDA_CHECK_LAUNCH(affine_kernel);
}

// The op layer only calls these with B > 0 (moments, grad sums) or a non-empty output (affine).
void moments(const NormLayout& l, const void* x, void* mean, void* var) {
  if (l.dtype == DType::Float64) moments_typed<double>(l, x, mean, var);
  else moments_typed<float>(l, x, mean, var);
}
void grad_sums(const NormLayout& l, const void* g, const void* x, const void* center, void* sum_g, void* sum_gx) {
  if (l.dtype == DType::Float64) grad_sums_typed<double>(l, g, x, center, sum_g, sum_gx);
  else grad_sums_typed<float>(l, g, x, center, sum_g, sum_gx);
}
void affine(const NormLayout& l, const void* x, const void* scale, const void* shift, const void* g,
            const void* gscale, void* out) {
  if (l.dtype == DType::Float64) affine_typed<double>(l, x, scale, shift, g, gscale, out);
  else affine_typed<float>(l, x, scale, shift, g, gscale, out);
}

}  // namespace

void register_norm_kernels() {
  cpu::moments_stub.cuda = moments;
  cpu::grad_sums_stub.cuda = grad_sums;
  cpu::affine_stub.cuda = affine;
}

}  // namespace nd::cuda
