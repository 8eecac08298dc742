// Separable interpolation over tap tables (Note [Resampling taps]): rows first into a
// per-thread buffer of one output row, then columns; the backward scatters in the reverse
// order. Threads split the planes, so each backward writes its input plane alone.
#include <algorithm>

#include "cpu/loops.h"
#include "cpu/pooling_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Calls body(plane, row) for every plane, with `row` a scratch buffer of W doubles per thread
// chunk (plain new[]: no std templates in per-ISA files, Note [ISA namespaces]).
template <typename Body> void for_planes(const ResampleTaps& t, Body&& body) {
  const int64_t size = t.H * t.W + t.OH * t.OW;
  core::parallel_for(0, t.planes, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(size, 1)),
                     [&](int64_t b, int64_t e) {
                       double* row = new double[size_t(std::max<int64_t>(t.W, 1))];
                       for (int64_t p = b; p < e; ++p) body(p, row);
                       delete[] row;
                     });
}

// row[c] = sum_k wt_h[oh, k] * x[idx_h[oh, k], c] (accumulated in double for accuracy).
template <typename T> void blend_rows(const ResampleTaps& t, const T* x, int64_t oh, double* row) {
  std::fill(row, row + t.W, 0.0);
  for (int k = 0; k < t.taps_h; ++k) {
    const double wt = t.wt_h[oh * t.taps_h + k];
    const T* src = x + t.idx_h[oh * t.taps_h + k] * t.W;
    for (int64_t c = 0; c < t.W; ++c) row[c] += wt * double(src[c]);
  }
}

template <typename T> void resample_typed(const ResampleTaps& t, const T* in, T* out) {
  for_planes(t, [&](int64_t p, double* row) {
    const T* x = in + p * t.H * t.W;
    T* y = out + p * t.OH * t.OW;
    for (int64_t oh = 0; oh < t.OH; ++oh) {
      blend_rows(t, x, oh, row);
      for (int64_t ow = 0; ow < t.OW; ++ow) {
        double s = 0;
        for (int k = 0; k < t.taps_w; ++k) s += t.wt_w[ow * t.taps_w + k] * row[t.idx_w[ow * t.taps_w + k]];
        y[oh * t.OW + ow] = T(s);
      }
    }
  });
}

template <typename T> void resample_backward_typed(const ResampleTaps& t, const T* gout, T* gin) {
  for_planes(t, [&](int64_t p, double* row) {
    T* gi = gin + p * t.H * t.W;
    const T* go = gout + p * t.OH * t.OW;
    std::fill(gi, gi + t.H * t.W, T(0));
    for (int64_t oh = 0; oh < t.OH; ++oh) {
      // Columns: the gradient of one input row blended from this output row.
      std::fill(row, row + t.W, 0.0);
      for (int64_t ow = 0; ow < t.OW; ++ow)
        for (int k = 0; k < t.taps_w; ++k)
          row[t.idx_w[ow * t.taps_w + k]] += t.wt_w[ow * t.taps_w + k] * double(go[oh * t.OW + ow]);
      for (int k = 0; k < t.taps_h; ++k) {
        const double wt = t.wt_h[oh * t.taps_h + k];
        T* dst = gi + t.idx_h[oh * t.taps_h + k] * t.W;
        for (int64_t c = 0; c < t.W; ++c) dst[c] = T(double(dst[c]) + wt * row[c]);
      }
    }
  });
}

void resample_kernel(const ResampleTaps& t, const void* in, void* out) {
  ND_DISPATCH_FLOAT_TYPES(t.dtype, T, resample_typed<T>(t, static_cast<const T*>(in), static_cast<T*>(out)))
}
void resample_backward_kernel(const ResampleTaps& t, const void* gout, void* gin) {
  ND_DISPATCH_FLOAT_TYPES(t.dtype, T, resample_backward_typed<T>(t, static_cast<const T*>(gout), static_cast<T*>(gin)))
}

}  // namespace

void register_resample_kernels() {
  resample_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = resample_kernel;
  resample_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = resample_backward_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
