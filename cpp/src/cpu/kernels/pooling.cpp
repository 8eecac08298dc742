// Pooling kernels over window tables (Note [Window tables]): one loop per op, threads split
// the planes, so each backward writes its input plane alone.
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/loops.h"
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

template <typename T> void max_pool_typed(const PoolWindows& w, const T* in, T* out, int64_t* indices) {
  for_planes(w, [&](int64_t p) {
    const T* x = in + p * w.H * w.W;
    T* y = out + p * w.OH * w.OW;
    int64_t* ix = indices ? indices + p * w.OH * w.OW : nullptr;
    for (int64_t oh = 0; oh < w.OH; ++oh) {
      for (int64_t ow = 0; ow < w.OW; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t arg = w.start_h[oh] * w.W + w.start_w[ow];
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; h += w.dil_h) {
          const T* row = x + h * w.W;
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; c += w.dil_w) {
            const T v = row[c];
            if (v > best || std::isnan(v)) { best = v; arg = h * w.W + c; }
          }
        }
        y[oh * w.OW + ow] = best;
        if (ix) ix[oh * w.OW + ow] = arg;
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

template <typename T> void avg_pool_typed(const PoolWindows& w, const T* in, T* out) {
  for_planes(w, [&](int64_t p) {
    const T* x = in + p * w.H * w.W;
    T* y = out + p * w.OH * w.OW;
    for (int64_t oh = 0; oh < w.OH; ++oh)
      for (int64_t ow = 0; ow < w.OW; ++ow) {
        T s = 0;
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h)
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) s += x[h * w.W + c];
        y[oh * w.OW + ow] = T(s / divisor(w, oh, ow));
      }
  });
}

void avg_pool_kernel(const PoolWindows& w, const void* in, void* out) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, avg_pool_typed<T>(w, static_cast<const T*>(in), static_cast<T*>(out)))
}

template <typename T> void avg_pool_backward_typed(const PoolWindows& w, const T* gout, T* gin) {
  for_planes(w, [&](int64_t p) {
    T* gi = gin + p * w.H * w.W;
    std::fill(gi, gi + w.H * w.W, T(0));
    const T* go = gout + p * w.OH * w.OW;
    for (int64_t oh = 0; oh < w.OH; ++oh)
      for (int64_t ow = 0; ow < w.OW; ++ow) {
        const T g = T(go[oh * w.OW + ow] / divisor(w, oh, ow));
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h)
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) gi[h * w.W + c] += g;
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
