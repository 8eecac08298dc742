// Pooling kernels over window tables (Note [Window tables]): one loop per op, threads split
// the planes, so each backward writes its input plane alone.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "cpu/max_window.h"
#include "cpu/pooling_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Planes per thread chunk: enough elements that small planes don't pay for threads.
int64_t plane_grain(int64_t plane_size) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(plane_size, 1)); }

template <typename Body> void for_planes(const PoolWindows& w, Body&& body) {
  core::parallel_for(0, w.planes, plane_grain(w.H * w.W + w.OH * w.OW), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) body(p);
  });
}

// The scan is cpu/max_window.h's, shared with the CUDA kernel.
template <typename T> void max_window(const PoolWindows& w, const T* x, int64_t oh, int64_t ow, T* y, int64_t* ix) {
  const int64_t arg = max_window_arg(w, x, oh, ow);
  *y = x[arg];
  if (ix) *ix = arg;
}

// The outputs [lo, hi) of a row whose windows are all whole, K taps wide, and S apart: their
// columns are c0 + k * S + j * dil_w (k < n, j < K).
struct MaxRun { int64_t lo = 0, hi = 0, K = 0, S = 0; };

MaxRun uniform_run(const PoolWindows& w) {
  MaxRun r;
  auto taps = [&](int64_t ow) { return (w.end_w[ow] - w.start_w[ow] + w.dil_w - 1) / w.dil_w; };
  for (int64_t ow = 0; ow < w.OW; ++ow) r.K = std::max(r.K, taps(ow));
  while (r.lo < w.OW && taps(r.lo) != r.K) ++r.lo;
  r.hi = std::min(r.lo + 1, w.OW);
  r.S = r.hi < w.OW ? w.start_w[r.hi] - w.start_w[r.lo] : 1;
  while (r.hi < w.OW && taps(r.hi) == r.K && w.start_w[r.hi] - w.start_w[r.hi - 1] == r.S) ++r.hi;
  return r;
}

// A window tap takes over where it is greater (so the first maximum stays) or NaN (so the
// last NaN wins); branch-free, so the loops around it vectorize.
template <typename T, typename Idx> inline void take_tap(T v, Idx at, T& best, Idx& arg) {
  const bool take = (v > best) | (v != v);
  best = take ? v : best;
  arg = take ? at : arg;
}

// One output row's whole windows, n lanes (a multiple of kRunPad, see there), vectorized
// across the outputs: the taps in the scalar scan's order, the flat index blended alongside in
// Idx lanes as wide as T's. Each tap reads contiguous lanes: for S == 2 a window row is first
// split into its even and odd columns (`split`, 2 * (n + K * dil_w) + 4 elements), as strided
// loads would make the compiler peel the last vector's worth of outputs into a scalar loop
// with a branch per tap. With the tap count KC a constant, a window row's taps unroll inside
// the output loop, so the running maxima stay in registers; otherwise (KC == 0) each tap is
// one pass over the outputs.
template <typename T, int S, int KC, typename Idx>
void max_run_row(const PoolWindows& w, const T* x, int64_t oh, const MaxRun& r, int64_t n, T* best, Idx* arg,
                 T* split) {
  const int64_t c0 = w.start_w[r.lo], dw = w.dil_w, K = KC > 0 ? KC : r.K;
  for (int64_t k = 0; k < n; ++k) {
    best[k] = -std::numeric_limits<T>::infinity();
    arg[k] = Idx(w.start_h[oh] * w.W + c0 + k * S);
  }
  const int64_t half = n + K * dw / 2 + 1;
  T* even = split;
  T* odd = split + half;
  for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; h += w.dil_h) {
    const Idx base = Idx(h * w.W + c0);
    const T* row = x + base;
    if (S == 2)
      for (int64_t m = 0; m < half; ++m) {
        even[m] = row[2 * m];
        odd[m] = row[2 * m + 1];
      }
    // Tap j's lanes: output k reads column k * S + j * dw.
    auto lanes = [&](int64_t j) { return S == 1 ? row + j * dw : ((j * dw) % 2 ? odd : even) + j * dw / 2; };
    if (KC > 0) {
      const T* src[KC > 0 ? KC : 1];
      for (int j = 0; j < KC; ++j) src[j] = lanes(j);
      for (int64_t k = 0; k < n; ++k)
        for (int j = 0; j < KC; ++j) take_tap(src[j][k], Idx(base + k * S + j * dw), best[k], arg[k]);
    } else {
      for (int64_t j = 0; j < K; ++j) {
        const T* src = lanes(j);
        for (int64_t k = 0; k < n; ++k) take_tap(src[k], Idx(base + k * S + j * dw), best[k], arg[k]);
      }
    }
  }
}

// max_run_row for the run's stride and tap count.
template <typename T, typename Idx>
void max_run_row_for(const PoolWindows& w, const T* x, int64_t oh, const MaxRun& r, int64_t n, T* best, Idx* arg,
                     T* split) {
  if (r.S == 1) {
    if (r.K == 2) max_run_row<T, 1, 2>(w, x, oh, r, n, best, arg, split);
    else if (r.K == 3) max_run_row<T, 1, 3>(w, x, oh, r, n, best, arg, split);
    else max_run_row<T, 1, 0>(w, x, oh, r, n, best, arg, split);
  } else {
    if (r.K == 2) max_run_row<T, 2, 2>(w, x, oh, r, n, best, arg, split);
    else if (r.K == 3) max_run_row<T, 2, 3>(w, x, oh, r, n, best, arg, split);
    else max_run_row<T, 2, 0>(w, x, oh, r, n, best, arg, split);
  }
}

// A run's lanes are computed in multiples of kRunPad, so the vector loop has no scalar
// remainder (which, with a branch per tap, costs as much as the rest of the row); the extra
// lanes read past the run, still inside the input, and are dropped. The few rows where they
// would read past the input's end take the scalar window scan.
constexpr int64_t kRunPad = 16;

template <typename T> void max_pool_typed(const PoolWindows& w, const T* in, T* out, int64_t* indices) {
  // Flat plane indices (and the padded lanes' few beyond) fit Idx, as wide as T's lanes, for
  // every plane but huge float32 ones.
  using Idx = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  const MaxRun r = uniform_run(w);
  const bool fast = (r.S == 1 || r.S == 2) && r.hi > r.lo && w.H * w.W < std::numeric_limits<Idx>::max() / 2;
  const int64_t run = r.hi - r.lo, padded = (run + kRunPad - 1) / kRunPad * kRunPad, total = w.planes * w.H * w.W;
  // Past the start of a window row: the farthest element a row's padded lanes read.
  const int64_t reach = w.start_w[r.lo] + 2 * padded + r.K * w.dil_w + 2;
  core::parallel_for(0, w.planes, plane_grain(w.H * w.W + w.OH * w.OW), [&](int64_t b, int64_t e) {
    ConvScratch<T> best(padded);
    ConvScratch<Idx> arg(padded);
    ConvScratch<T> split(2 * (padded + r.K * w.dil_w) + 4);
    const int64_t lo = r.lo, n = run;  // locals: the stores below can't alias them
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * w.H * w.W;
      T* y = out + p * w.OH * w.OW;
      int64_t* ix = indices ? indices + p * w.OH * w.OW : nullptr;
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        const int64_t o = oh * w.OW;
        if (!fast || p * w.H * w.W + (w.end_h[oh] - 1) * w.W + reach >= total) {
          for (int64_t ow = 0; ow < w.OW; ++ow) max_window(w, x, oh, ow, y + o + ow, ix ? ix + o + ow : nullptr);
          continue;
        }
        for (int64_t ow = 0; ow < r.lo; ++ow) max_window(w, x, oh, ow, y + o + ow, ix ? ix + o + ow : nullptr);
        max_run_row_for(w, x, oh, r, padded, best.p, arg.p, split.p);
        for (int64_t k = 0; k < n; ++k) y[o + lo + k] = best.p[k];
        if (ix) for (int64_t k = 0; k < n; ++k) ix[o + lo + k] = int64_t(arg.p[k]);
        for (int64_t ow = r.hi; ow < w.OW; ++ow) max_window(w, x, oh, ow, y + o + ow, ix ? ix + o + ow : nullptr);
      }
    }
  });
}

void max_pool_kernel(const PoolWindows& w, const void* in, void* out, int64_t* indices) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, max_pool_typed<T>(w, static_cast<const T*>(in), static_cast<T*>(out), indices))
}

template <typename T>
void max_pool_backward_typed(const PoolWindows& w, const T* gout, const int64_t* indices, T* gin, bool accumulate) {
  for_planes(w, [&](int64_t p) {
    T* gi = gin + p * w.H * w.W;
    std::fill(gi, gi + w.H * w.W, T(0));
    const T* go = gout + p * w.OH * w.OW;
    const int64_t* ix = indices + p * w.OH * w.OW;
    if (accumulate) for (int64_t k = 0; k < w.OH * w.OW; ++k) gi[ix[k]] += go[k];
    else for (int64_t k = 0; k < w.OH * w.OW; ++k) gi[ix[k]] = go[k];
  });
}

void max_pool_backward_kernel(const PoolWindows& w, const void* gout, const int64_t* indices, void* gin,
                              bool accumulate) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, max_pool_backward_typed<T>(w, static_cast<const T*>(gout), indices,
                                                                 static_cast<T*>(gin), accumulate))
}

double divisor(const PoolWindows& w, int64_t oh, int64_t ow) {
  return w.divisor_override != 0 ? w.divisor_override : w.div_h[oh] * w.div_w[ow];
}

// Avg pooling is separable: per output row, the window rows are first summed into a row of
// column sums (vector adds along contiguous rows), then each output adds its few columns. The
// backward runs the same two steps transposed.
template <typename T> void avg_pool_typed(const PoolWindows& w, const T* in, T* out) {
  using V = Vec<T>;
  core::parallel_for(0, w.planes, plane_grain(w.H * w.W + w.OH * w.OW), [&](int64_t b, int64_t e) {
    ConvScratch<T> cs(w.W);
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * w.H * w.W;
      T* y = out + p * w.OH * w.OW;
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        std::fill(cs.p, cs.p + w.W, T(0));
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) {
          const T* row = x + h * w.W;
          int64_t c = 0;
          for (; c + V::size <= w.W; c += V::size) (V::loadu(cs.p + c) + V::loadu(row + c)).storeu(cs.p + c);
          for (; c < w.W; ++c) cs.p[c] += row[c];
        }
        for (int64_t ow = 0; ow < w.OW; ++ow) {
          T s = 0;
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) s += cs.p[c];
          y[oh * w.OW + ow] = T(s / divisor(w, oh, ow));
        }
      }
    }
  });
}

void avg_pool_kernel(const PoolWindows& w, const void* in, void* out) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, avg_pool_typed<T>(w, static_cast<const T*>(in), static_cast<T*>(out)))
}

template <typename T> void avg_pool_backward_typed(const PoolWindows& w, const T* gout, T* gin) {
  using V = Vec<T>;
  core::parallel_for(0, w.planes, plane_grain(w.H * w.W + w.OH * w.OW), [&](int64_t b, int64_t e) {
    ConvScratch<T> cs(w.W);
    for (int64_t p = b; p < e; ++p) {
      T* gi = gin + p * w.H * w.W;
      std::fill(gi, gi + w.H * w.W, T(0));
      const T* go = gout + p * w.OH * w.OW;
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        std::fill(cs.p, cs.p + w.W, T(0));
        for (int64_t ow = 0; ow < w.OW; ++ow) {
          const T g = T(go[oh * w.OW + ow] / divisor(w, oh, ow));
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) cs.p[c] += g;
        }
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) {
          T* row = gi + h * w.W;
          int64_t c = 0;
          for (; c + V::size <= w.W; c += V::size) (V::loadu(row + c) + V::loadu(cs.p + c)).storeu(row + c);
          for (; c < w.W; ++c) row[c] += cs.p[c];
        }
      }
    }
  });
}

void avg_pool_backward_kernel(const PoolWindows& w, const void* gout, void* gin) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, avg_pool_backward_typed<T>(w, static_cast<const T*>(gout), static_cast<T*>(gin)))
}

}  // namespace

void register_pooling_kernels() {
  max_pool_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = max_pool_kernel;
  max_pool_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = max_pool_backward_kernel;
  avg_pool_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = avg_pool_kernel;
  avg_pool_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = avg_pool_backward_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
