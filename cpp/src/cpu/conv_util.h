// Helpers shared by the convolution kernel files: scratch buffers, the valid range of a
// strided tap, and typed GEMM calls. Per-ISA (see Note [ISA namespaces]).
#pragma once
#ifndef NATIVEDL_ISA
#error "conv_util.h is for per-ISA kernel files"
#endif
#include <algorithm>
#include <cstdlib>
#include <new>

#include "cpu/conv_kernels.h"
#include "cpu/gemm.h"

namespace nd::cpu::NATIVEDL_ISA {

/// Uninitialized 64-byte aligned scratch memory of n elements, freed on scope exit.
template <typename T> struct ConvScratch {
  T* p;
  explicit ConvScratch(int64_t n)
      : p(static_cast<T*>(std::aligned_alloc(64, (size_t(std::max<int64_t>(n, 1)) * sizeof(T) + 63) / 64 * 64))) {
    if (p == nullptr) throw std::bad_alloc();
  }
  ~ConvScratch() { std::free(p); }
  ConvScratch(const ConvScratch&) = delete;
  ConvScratch& operator=(const ConvScratch&) = delete;
};

/// The output positions q in [0, n) whose input position q * s + off lies in [0, lim): [*lo, *hi).
inline void tap_range(int64_t n, int64_t s, int64_t off, int64_t lim, int64_t* lo, int64_t* hi) {
  const int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;
  const int64_t b = lim - off <= 0 ? 0 : (lim - off + s - 1) / s;
  *lo = std::min(a, n);
  *hi = std::max(*lo, std::min(b, n));
}

/// C = op(A) op(B) + beta C on row-major matrices.
inline void gemm_t(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                   int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
inline void gemm_t(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
                   int64_t ldb, double beta, double* c, int64_t ldc) {
  dgemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

/// Winograd F(2x2, 3x3) (Note [Winograd F(2x2, 3x3)] in kernels/conv_winograd.cpp): whether
/// it serves g's forward (3x3, stride 1, any dilation, at least 16 channels per group each
/// side, outputs at least 4x4 per dilation phase, enough tiles in the batch), that forward,
/// y = conv(x, w) (+ bias), and the weight gradient w = conv_w(x, y).
bool winograd_applies(const ConvGeom& g);
template <typename T> void winograd_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
template <typename T> void winograd_weight(const ConvGeom& g, const T* x, const T* y, T* dw);
/// Whether Winograd serves g's transpose x = conv^T(y, w) (+ bias) (as the forward with flipped
/// filters), and that transpose.
bool winograd_transpose_applies(const ConvGeom& g);
template <typename T> void winograd_transpose(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x);


/// Fills `planes` planes of `size` elements with bias[plane % channels] (or zero).
template <typename T> void fill_planes(T* out, int64_t planes, int64_t channels, int64_t size, const T* bias) {
  for (int64_t pl = 0; pl < planes; ++pl) std::fill(out + pl * size, out + (pl + 1) * size, bias ? bias[pl % channels] : T(0));
}

}  // namespace nd::cpu::NATIVEDL_ISA
