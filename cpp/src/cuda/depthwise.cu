// Direct depthwise convolution on the GPU (groups == c, o = c * multiplier; Note [Convolution
// triple]), picked by the op layer's depthwise() test instead of the implicit GEMM, whose
// one-channel groups would leave its tiles almost empty. Each map reads its inputs about once,
// so it runs at memory bandwidth:
// - forward: one thread per output element (grid y over planes, x over a plane's elements, so
//   neighbouring threads write neighbouring columns), its kh x kw taps read through the cache
//   that its neighbours' overlapping windows share;
// - transpose (the input gradient): one thread per input element, laid out alike, gathering the
//   outputs whose windows cover it, so no two threads write one address (no atomics);
// - weight: one block per (output channel, tap); its threads stride over the channel's (n, p, q)
//   outputs (coalesced) and a block reduction sums them. A channel's planes are read once per
//   tap, from L2 after the first (a channel of the benchmark case is 1 MiB in x and y together).
#include "cpu/conv_kernels.h"
#include "cuda/block_reduce.cuh"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ConvGeom;

// The geometry with in-plane sizes and coordinates in I: int32 whenever they fit (the usual
// case: 32-bit index arithmetic is about twice as fast), int64 otherwise. Plane offsets are int64.
template <typename I> struct Geom {
  int64_t n, c, o, m;
  I h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
  explicit Geom(const ConvGeom& g)
      : n(g.n), c(g.c), o(g.o), m(g.o / g.c), h(I(g.h)), w(I(g.w)), oh(I(g.oh)), ow(I(g.ow)), kh(I(g.kh)),
        kw(I(g.kw)), sh(I(g.sh)), sw(I(g.sw)), ph(I(g.ph)), pw(I(g.pw)), dh(I(g.dh)), dw(I(g.dw)) {}
};

// Planes (n, channel) along grid y, elements of a plane along grid x; both grid-stride, so any
// size fits the grid limits, and the plane index costs no division per element.
#define ND_FOR_EACH_PLANE(plane, planes) \
  for (int64_t plane = blockIdx.y; plane < (planes); plane += gridDim.y)
#define ND_FOR_EACH_IN_PLANE(I, i, n) \
  for (I i = I(blockIdx.x * blockDim.x + threadIdx.x); i < (n); i += I(blockDim.x * gridDim.x))

template <typename T, typename I>
__global__ void depthwise_forward_kernel(const Geom<I> g, const T* __restrict__ x, const T* __restrict__ w,
                                         const T* __restrict__ bias, T* __restrict__ y) {
  const I size = g.oh * g.ow;
  ND_FOR_EACH_PLANE(plane, g.n * g.o) {
    const int64_t oc = plane % g.o, b = plane / g.o;
    const T* xc = x + (b * g.c + oc / g.m) * (int64_t(g.h) * g.w);
    const T* wt = w + oc * g.kh * g.kw;
    T* yp = y + plane * size;
    const T shift = bias ? bias[oc] : T(0);
    ND_FOR_EACH_IN_PLANE(I, pq, size) {
      const I p = pq / g.ow, q = pq % g.ow;
      T acc = 0;
      for (I ii = 0; ii < g.kh; ++ii) {
        const I hh = p * g.sh - g.ph + ii * g.dh;
        if (hh < 0 || hh >= g.h) continue;
        for (I jj = 0; jj < g.kw; ++jj) {
          const I ww = q * g.sw - g.pw + jj * g.dw;
          if (ww >= 0 && ww < g.w) acc += wt[ii * g.kw + jj] * xc[hh * g.w + ww];
        }
      }
      yp[pq] = bias ? T(acc + shift) : acc;
    }
  }
}

// Input (hh, ww) is tap (ii, jj) of output (p, q) when p * sh = hh + ph - ii * dh (and likewise q).
template <typename T, typename I>
__global__ void depthwise_transpose_kernel(const Geom<I> g, const T* __restrict__ y, const T* __restrict__ w,
                                           const T* __restrict__ bias, T* __restrict__ x) {
  const I size = g.h * g.w;
  ND_FOR_EACH_PLANE(plane, g.n * g.c) {
    const int64_t ch = plane % g.c, b = plane / g.c;
    T* xp = x + plane * size;
    const T shift = bias ? bias[ch] : T(0);
    ND_FOR_EACH_IN_PLANE(I, hw, size) {
      const I hh = hw / g.w, ww = hw % g.w;
      T acc = 0;
      for (int64_t k = 0; k < g.m; ++k) {
        const int64_t oc = ch * g.m + k;
        const T* yp = y + (b * g.o + oc) * (int64_t(g.oh) * g.ow);
        const T* wt = w + oc * g.kh * g.kw;
        for (I ii = 0; ii < g.kh; ++ii) {
          const I t = hh + g.ph - ii * g.dh;
          if (t < 0 || t % g.sh != 0 || t / g.sh >= g.oh) continue;
          const I p = t / g.sh;
          for (I jj = 0; jj < g.kw; ++jj) {
            const I u = ww + g.pw - jj * g.dw;
            if (u < 0 || u % g.sw != 0 || u / g.sw >= g.ow) continue;
            acc += wt[ii * g.kw + jj] * yp[p * g.ow + u / g.sw];
          }
        }
      }
      xp[hw] = bias ? T(acc + shift) : acc;
    }
  }
}

// One block per (output channel, tap), grid-stride: its threads stride over the channel's
// outputs (coalesced) image by image, then a block reduction. The blocks of one channel run
// side by side, so its planes come from L2 after the first tap. Every thread of a block runs the
// same loops, so all reach block_reduce.
template <typename T, typename I>
__global__ void depthwise_weight_kernel(const Geom<I> g, const T* __restrict__ x, const T* __restrict__ y,
                                        T* __restrict__ dw) {
  __shared__ T scratch[32];
  const I plane = g.oh * g.ow, taps = g.kh * g.kw;
  for (int64_t k = blockIdx.x; k < g.o * taps; k += gridDim.x) {
    const int64_t oc = k / taps, ch = oc / g.m;
    const I ii = I(k % taps) / g.kw, jj = I(k % taps) % g.kw;
    T acc = 0;
    for (int64_t b = 0; b < g.n; ++b) {
      const T* yp = y + (b * g.o + oc) * plane;
      const T* xc = x + (b * g.c + ch) * (int64_t(g.h) * g.w);
      for (I pq = I(threadIdx.x); pq < plane; pq += I(blockDim.x)) {
        const I hh = (pq / g.ow) * g.sh - g.ph + ii * g.dh, ww = (pq % g.ow) * g.sw - g.pw + jj * g.dw;
        if (hh >= 0 && hh < g.h && ww >= 0 && ww < g.w) acc += yp[pq] * xc[hh * g.w + ww];
      }
    }
    acc = block_reduce<SumOp>(acc, scratch);
    if (threadIdx.x == 0) dw[k] = acc;
  }
}

#undef ND_FOR_EACH_PLANE
#undef ND_FOR_EACH_IN_PLANE

// A grid of blocks over the elements of a plane by planes (each capped at the grid limit).
dim3 plane_grid(int64_t planes, int64_t size) {
  return dim3(grid_for(size), unsigned(planes < 65535 ? planes : 65535));
}

// Calls f(T(0), I(0)) with the element type and the narrowest index type that holds every
// in-plane size and coordinate (tap positions reach past the plane by at most the window).
template <typename F> void dispatch(const ConvGeom& g, F f) {
  constexpr int64_t lim = int64_t(1) << 30;
  const bool narrow = g.h * g.w < lim && g.oh * g.ow < lim && g.oh * g.sh + g.kh * g.dh + g.ph < lim &&
                      g.ow * g.sw + g.kw * g.dw + g.pw < lim && g.h + g.ph < lim && g.w + g.pw < lim;
  if (g.dtype == DType::Float64) {
    if (narrow) f(double(0), int32_t(0)); else f(double(0), int64_t(0));
  } else {
    if (narrow) f(float(0), int32_t(0)); else f(float(0), int64_t(0));
  }
}

// The op layer calls these with a non-empty output.
void forward(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  dispatch(g, [&](auto t, auto i) {
    using T = decltype(t);
    using I = decltype(i);
    depthwise_forward_kernel<T, I><<<plane_grid(g.n * g.o, g.oh * g.ow), kBlock>>>(
        Geom<I>(g), static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(y));
    ND_CUDA_CHECK_LAUNCH(depthwise_forward_kernel);
  });
}

void transpose(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  dispatch(g, [&](auto t, auto i) {
    using T = decltype(t);
    using I = decltype(i);
    depthwise_transpose_kernel<T, I><<<plane_grid(g.n * g.c, g.h * g.w), kBlock>>>(
        Geom<I>(g), static_cast<const T*>(y), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(x));
    ND_CUDA_CHECK_LAUNCH(depthwise_transpose_kernel);
  });
}

void weight(const ConvGeom& g, const void* x, const void* y, void* dw) {
  dispatch(g, [&](auto t, auto i) {
    using T = decltype(t);
    using I = decltype(i);
    depthwise_weight_kernel<T, I><<<grid_for(g.o * g.kh * g.kw, 1), kBlock>>>(
        Geom<I>(g), static_cast<const T*>(x), static_cast<const T*>(y), static_cast<T*>(dw));
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
