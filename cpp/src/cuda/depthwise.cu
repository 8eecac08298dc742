// Direct depthwise convolution on the GPU (groups == c, o = c * multiplier; Note [Convolution
// triple]), picked by the op layer's depthwise() test instead of the implicit GEMM, whose
// one-channel groups would leave its tiles almost empty. Each map reads its inputs about once,
// so it runs at memory bandwidth:
// - forward: one thread per output element (grid y over planes, x over a plane's elements, so
//   neighbouring threads write neighbouring columns), its kh x kw taps read through the cache
//   that its neighbours' overlapping windows share;
// - transpose (the input gradient): one thread per input element, laid out alike, gathering the
//   outputs whose windows cover it, so no two threads write one address (no atomics);
// - weight: one block per output channel; for each tap, the block's threads stride over the
//   channel's (n, p, q) outputs (coalesced) and a block reduction sums them. The channel's planes
//   are read once per tap, from L2 after the first (a channel of the benchmark case is 1 MiB).
#include "cpu/conv_kernels.h"
#include "cuda/block_reduce.cuh"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ConvGeom;

// Planes (n, channel) along grid y, elements of a plane along grid x; both grid-stride, so any
// size fits the grid limits, and the plane index costs no division per element.
#define ND_FOR_EACH_PLANE(plane, planes) \
  for (int64_t plane = blockIdx.y; plane < (planes); plane += gridDim.y)
#define ND_FOR_EACH_IN_PLANE(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

template <typename T>
__global__ void depthwise_forward_kernel(const ConvGeom g, const T* __restrict__ x, const T* __restrict__ w,
                                         const T* __restrict__ bias, T* __restrict__ y) {
  const int64_t m = g.o / g.c, size = g.oh * g.ow;
  ND_FOR_EACH_PLANE(plane, g.n * g.o) {
    const int64_t oc = plane % g.o, b = plane / g.o;
    const T* xc = x + (b * g.c + oc / m) * g.h * g.w;
    const T* wt = w + oc * g.kh * g.kw;
    const T shift = bias ? bias[oc] : T(0);
    ND_FOR_EACH_IN_PLANE(pq, size) {
      const int64_t p = pq / g.ow, q = pq % g.ow;
      T acc = 0;
      for (int64_t ii = 0; ii < g.kh; ++ii) {
        const int64_t hh = p * g.sh - g.ph + ii * g.dh;
        if (hh < 0 || hh >= g.h) continue;
        for (int64_t jj = 0; jj < g.kw; ++jj) {
          const int64_t ww = q * g.sw - g.pw + jj * g.dw;
          if (ww >= 0 && ww < g.w) acc += wt[ii * g.kw + jj] * xc[hh * g.w + ww];
        }
      }
      y[plane * size + pq] = bias ? T(acc + shift) : acc;
    }
  }
}

// Input (hh, ww) is tap (ii, jj) of output (p, q) when p * sh = hh + ph - ii * dh (and likewise q).
template <typename T>
__global__ void depthwise_transpose_kernel(const ConvGeom g, const T* __restrict__ y, const T* __restrict__ w,
                                           const T* __restrict__ bias, T* __restrict__ x) {
  const int64_t m = g.o / g.c, size = g.h * g.w;
  ND_FOR_EACH_PLANE(plane, g.n * g.c) {
    const int64_t ch = plane % g.c, b = plane / g.c;
    const T shift = bias ? bias[ch] : T(0);
    ND_FOR_EACH_IN_PLANE(hw, size) {
      const int64_t hh = hw / g.w, ww = hw % g.w;
      T acc = 0;
      for (int64_t k = 0; k < m; ++k) {
        const int64_t oc = ch * m + k;
        const T* yp = y + (b * g.o + oc) * g.oh * g.ow;
        const T* wt = w + oc * g.kh * g.kw;
        for (int64_t ii = 0; ii < g.kh; ++ii) {
          const int64_t t = hh + g.ph - ii * g.dh;
          if (t < 0 || t % g.sh != 0 || t / g.sh >= g.oh) continue;
          const int64_t p = t / g.sh;
          for (int64_t jj = 0; jj < g.kw; ++jj) {
            const int64_t u = ww + g.pw - jj * g.dw;
            if (u < 0 || u % g.sw != 0 || u / g.sw >= g.ow) continue;
            acc += wt[ii * g.kw + jj] * yp[p * g.ow + u / g.sw];
          }
        }
      }
      x[plane * size + hw] = bias ? T(acc + shift) : acc;
    }
  }
}

// Every thread of a block runs the same channel and tap loops, so all reach block_reduce.
template <typename T>
__global__ void depthwise_weight_kernel(const ConvGeom g, const T* __restrict__ x, const T* __restrict__ y,
                                        T* __restrict__ dw) {
  __shared__ T scratch[32];
  const int64_t m = g.o / g.c, plane = g.oh * g.ow, count = g.n * plane;
  for (int64_t oc = blockIdx.x; oc < g.o; oc += gridDim.x) {
    const int64_t ch = oc / m;
    for (int64_t ii = 0; ii < g.kh; ++ii)
      for (int64_t jj = 0; jj < g.kw; ++jj) {
        T acc = 0;
        for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
          const int64_t b = e / plane, pq = e % plane, p = pq / g.ow, q = pq % g.ow;
          const int64_t hh = p * g.sh - g.ph + ii * g.dh, ww = q * g.sw - g.pw + jj * g.dw;
          if (hh >= 0 && hh < g.h && ww >= 0 && ww < g.w)
            acc += y[(b * g.o + oc) * plane + pq] * x[(b * g.c + ch) * g.h * g.w + hh * g.w + ww];
        }
        acc = block_reduce<SumOp>(acc, scratch);
        if (threadIdx.x == 0) dw[(oc * g.kh + ii) * g.kw + jj] = acc;
      }
  }
}

#undef ND_FOR_EACH_PLANE
#undef ND_FOR_EACH_IN_PLANE

// A grid of blocks over the elements of a plane by planes (each capped at the grid limit).
dim3 plane_grid(int64_t planes, int64_t size) {
  return dim3(grid_for(size), unsigned(planes < 65535 ? planes : 65535));
}

// The op layer calls these with a non-empty output.
template <typename F> void on_dtype(DType dtype, F f) {
  if (dtype == DType::Float64) f(double(0)); else f(float(0));
}

void forward(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  on_dtype(g.dtype, [&](auto zero) {
    using T = decltype(zero);
    depthwise_forward_kernel<T><<<plane_grid(g.n * g.o, g.oh * g.ow), kBlock>>>(
        g, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(y));
    ND_CUDA_CHECK_LAUNCH(depthwise_forward_kernel);
  });
}

void transpose(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  on_dtype(g.dtype, [&](auto zero) {
    using T = decltype(zero);
    depthwise_transpose_kernel<T><<<plane_grid(g.n * g.c, g.h * g.w), kBlock>>>(
        g, static_cast<const T*>(y), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(x));
    ND_CUDA_CHECK_LAUNCH(depthwise_transpose_kernel);
  });
}

void weight(const ConvGeom& g, const void* x, const void* y, void* dw) {
  on_dtype(g.dtype, [&](auto zero) {
    using T = decltype(zero);
    depthwise_weight_kernel<T><<<unsigned(g.o < 65535 ? g.o : 65535), kBlock>>>(
        g, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<T*>(dw));
    ND_CUDA_CHECK_LAUNCH(depthwise_weight_kernel);
  });
}

}  // namespace

void register_depthwise_kernels() {
  cpu::depthwise_forward_stub.cuda = forward;
  cpu::depthwise_transpose_stub.cuda = transpose;
  cpu::depthwise_weight_stub.cuda = weight;
}

}  // namespace nd::cuda
