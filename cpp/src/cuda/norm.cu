// Batch/group/instance norm kernels (Note [Normalization layout]: contiguous x seen as
// (A, B, S), statistics per b over its A*S elements). Statistics and gradient sums: one block
// per b, threads striding over the flattened (a, s) index so neighbouring threads read
// neighbouring addresses within a run of S, partials in double (as the CPU kernels) combined
// by warp shuffles and one shared-memory slot per warp. Moments use Welford's update per
// thread and Chan's pairwise merge across threads: one pass over x, stable for a large mean.
// The affine pass is elementwise with a per-b scale and shift.
//
// Layer norm (contiguous rows of `cols`): one block per row (grid-stride over rows), sized to
// the row up to kBlock threads. The forward merges per-thread Welford states into the row's
// mean and rstd and writes the row; the fused backward reduces sum(g*w) and sum(g*w*xhat) per
// row, then writes dx in the same block. The weight and bias sums are column sums over the
// CPU's fixed row chunks (kLayerNormChunks x cols threads, each down its chunk; neighbouring
// threads read neighbouring columns), so the op layer sums the same partial layout on both
// devices.
#include <cmath>

#include "cpu/norm_kernels.h"
#include "cuda/block_reduce.cuh"
#include "cuda/check.cuh"
#include "cuda/runtime.h"
#include "cuda/welford.cuh"

namespace nd::cuda {
namespace {

using cpu::NormLayout;

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
      w.add(double(x[offset(l, b, j)]));
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

using cpu::LayerNormArgs;

template <typename T>
__global__ void layer_norm_kernel(const LayerNormArgs a, const T* x, T* out, T* mean, T* rstd) {
  __shared__ Welford scratch[32];
  const T* w = static_cast<const T*>(a.weight);
  const T* bias = static_cast<const T*>(a.bias);
  const int64_t D = a.cols;
  for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
    const T* xr = x + r * D;
    Welford s{0, 0, 0};
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) s.add(double(xr[i]));
    s = block_merge(s, scratch);  // D > 0: the op launches only for non-empty input
    const T mu = T(s.mean), rs = T(1.0 / sqrt(s.m2 / s.n + a.eps));
    if (threadIdx.x == 0) {
      mean[r] = mu;
      rstd[r] = rs;
    }
    T* yr = out + r * D;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
      yr[i] = fma((xr[i] - mu) * rs, w ? w[i] : T(1), bias ? bias[i] : T(0));
  }
}

// dx = rstd * (g*w - mean(g*w) - xhat * mean(g*w*xhat)) per row (Note [Fused normalization backward]).
template <typename T>
__global__ void layer_norm_backward_kernel(const LayerNormArgs a, const T* g, const T* x, const T* mean,
                                           const T* rstd, T* gx) {
  __shared__ double scratch[32];
  const T* w = static_cast<const T*>(a.weight);
  const int64_t D = a.cols;
  for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) {
    const T* gr = g + r * D;
    const T* xr = x + r * D;
    const T mu = mean[r], rs = rstd[r];
    double s1 = 0, s2 = 0;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const double gw = double(gr[i] * (w ? w[i] : T(1)));
      s1 += gw;
      s2 += gw * double((xr[i] - mu) * rs);
    }
    s1 = block_reduce<SumOp>(s1, scratch);
    s2 = block_reduce<SumOp>(s2, scratch);
    const T k1 = T(s1 / double(D)), k2 = T(s2 / double(D));
    T* dr = gx + r * D;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
      dr[i] = rs * (gr[i] * (w ? w[i] : T(1)) - k1 - (xr[i] - mu) * rs * k2);
  }
}

// gw_part[c, i] = sum g*xhat, gb_part[c, i] = sum g over chunk c's rows (either may be null).
template <typename T>
__global__ void layer_norm_param_sums_kernel(const LayerNormArgs a, const T* g, const T* x, const T* mean,
                                             const T* rstd, double* gw_part, double* gb_part) {
  const int64_t D = a.cols, R = a.rows, n = cpu::kLayerNormChunks * D;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t c = k / D, i = k % D;
    double sw = 0, sb = 0;
    for (int64_t r = R * c / cpu::kLayerNormChunks; r < R * (c + 1) / cpu::kLayerNormChunks; ++r) {
      const T gv = g[r * D + i];
      sw += double(gv * ((x[r * D + i] - mean[r]) * rstd[r]));
      sb += double(gv);
    }
    if (gw_part) gw_part[k] = sw;
    if (gb_part) gb_part[k] = sb;
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

// Threads per row: the row's length rounded up to whole warps, at most kBlock.
unsigned row_block(int64_t cols) { return unsigned(cols >= kBlock ? kBlock : (cols + 31) / 32 * 32); }

// The op layer calls these with rows > 0 and cols > 0.
void layer_norm(const LayerNormArgs& a, const void* x, void* out, void* mean, void* rstd) {
  auto run = [&](auto zero) {
    using T = decltype(zero);
    layer_norm_kernel<T><<<channel_grid(a.rows), row_block(a.cols)>>>(
        a, static_cast<const T*>(x), static_cast<T*>(out), static_cast<T*>(mean), static_cast<T*>(rstd));
    ND_CUDA_CHECK_LAUNCH(layer_norm_kernel);
  };
  if (a.dtype == DType::Float64) run(double(0)); else run(float(0));
}

void layer_norm_backward(const LayerNormArgs& a, const void* g, const void* x, const void* mean, const void* rstd,
                         void* gx, double* gw_part, double* gb_part) {
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T *gt = static_cast<const T*>(g), *xt = static_cast<const T*>(x);
    const T *mt = static_cast<const T*>(mean), *rt = static_cast<const T*>(rstd);
    if (gx != nullptr) {
      layer_norm_backward_kernel<T><<<channel_grid(a.rows), row_block(a.cols)>>>(a, gt, xt, mt, rt, static_cast<T*>(gx));
      ND_CUDA_CHECK_LAUNCH(layer_norm_backward_kernel);
    }
    if (gw_part != nullptr || gb_part != nullptr) {
      layer_norm_param_sums_kernel<T><<<grid_for(cpu::kLayerNormChunks * a.cols), kBlock>>>(a, gt, xt, mt, rt,
                                                                                             gw_part, gb_part);
      ND_CUDA_CHECK_LAUNCH(layer_norm_param_sums_kernel);
    }
  };
  if (a.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_norm_kernels() {
  cpu::layer_norm_stub.cuda = layer_norm;
  cpu::layer_norm_backward_stub.cuda = layer_norm_backward;
  cpu::moments_stub.cuda = moments;
  cpu::grad_sums_stub.cuda = grad_sums;
  cpu::affine_stub.cuda = affine;
}

}  // namespace nd::cuda
