// Depthwise convolution kernels (groups == c, o = c * multiplier), forward, transpose and
// weight (Note [Convolution triple]).
//
// Note [Depthwise by padded planes]
// A depthwise conv does kh*kw multiply-adds per loaded value, so it is memory-bound and an
// im2col would multiply its traffic by kh*kw. Instead each thread copies one source plane
// into a small zero-bordered buffer (it stays in L1/L2), after which every tap of every
// output is in bounds and the inner loop is a branch-free run of vector FMAs along a row,
// four independent accumulators deep. The transpose is the same correlation with the
// flipped kernel over y placed with (stride - 1) zeros between its elements; the weight
// gradient is one dot product per tap between y and the shifted buffer.
#include "core/parallel.h"
#include "cpu/conv_util.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

/// Multiply-adds per parallel chunk below which planes stay on one thread.
constexpr int64_t kDepthwiseGrain = int64_t(1) << 16;

/// dst[0, n) = src[0, n) in vectors: rows are short, and a memmove call per row cost a
/// third of the forward.
template <typename T> void copy_run(const T* src, T* dst, int64_t n) {
  using V = Vec<T>;
  int64_t k = 0;
  for (; k + V::size <= n; k += V::size) V::loadu(src + k).storeu(dst + k);
  for (; k < n; ++k) dst[k] = src[k];
}

/// Starts loading n elements from p into cache. Planes are often one 4 KiB page, where the
/// hardware prefetchers stop, and are visited out of order (the weight gradient strides over
/// the batch), so each kernel asks for its next plane while working on the current one.
template <typename T> void prefetch(const T* p, int64_t n) {
  for (int64_t k = 0; k < n; k += 64 / int64_t(sizeof(T))) __builtin_prefetch(p + k);
}

/// buf (rows x cols) = zeros with src (src_h x src_w) element (a, b) placed at
/// (a * ins_h + off_h, b * ins_w + off_w) where that falls inside buf; prefetches the plane
/// `next` of the same size.
template <typename T>
void place(const T* src, int64_t src_h, int64_t src_w, int64_t ins_h, int64_t ins_w, int64_t off_h, int64_t off_w,
           T* buf, int64_t rows, int64_t cols, const T* next) {
  prefetch(next, src_h * src_w);
  std::fill(buf, buf + rows * cols, T(0));
  int64_t a0, a1, b0, b1;
  tap_range(src_h, ins_h, off_h, rows, &a0, &a1);
  tap_range(src_w, ins_w, off_w, cols, &b0, &b1);
  for (int64_t a = a0; a < a1; ++a) {
    T* r = buf + (a * ins_h + off_h) * cols + off_w;
    const T* s = src + a * src_w;
    if (ins_w == 1) copy_run(s + b0, r + b0, b1 - b0);
    else for (int64_t b = b0; b < b1; ++b) r[b * ins_w] = s[b];
  }
}

/// The taps of a correlation over a padded buffer: weights wt[kh*kw], dilation and stride.
template <typename T> struct Taps {
  const T* wt;
  int64_t kh, kw, dh, dw, sh, sw;
};

/// NV output vectors from column q in each of NR adjacent rows (row p reads buf from
/// base + p * step, writes o + p * ow): init (or out's values) plus every tap, NR * NV
/// independent accumulators so the FMA chains overlap even on rows one vector wide.
template <int NR, int NV, typename T>
void correlate_block(const T* base, int64_t step, int64_t cols, const Taps<T>& t, T* o, int64_t ow, int64_t q,
                     bool accumulate, T init) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  V a[NR][NV];
  for (int r = 0; r < NR; ++r)
    for (int v = 0; v < NV; ++v) a[r][v] = accumulate ? V::loadu(o + r * ow + q + v * L) : V(init);
  for (int64_t i = 0; i < t.kh; ++i)
    for (int64_t j = 0; j < t.kw; ++j) {
      const V wv(t.wt[i * t.kw + j]);
      const T* s = base + i * t.dh * cols + q + j * t.dw;
      for (int r = 0; r < NR; ++r)
        for (int v = 0; v < NV; ++v) a[r][v] = vfmadd(wv, V::loadu(s + r * step + v * L), a[r][v]);
    }
  for (int r = 0; r < NR; ++r)
    for (int v = 0; v < NV; ++v) a[r][v].storeu(o + r * ow + q + v * L);
}

/// Rows [p, p + NR) of the correlation below: vector blocks along the row (stride 1), then
/// the scalar tail.
template <int NR, typename T>
void correlate_rows(const T* buf, int64_t cols, const Taps<T>& t, T* out, int64_t p, int64_t ow, bool accumulate,
                    T init) {
  constexpr int64_t L = Vec<T>::size;
  const T* base = buf + p * t.sh * cols;
  const int64_t step = t.sh * cols;
  T* o = out + p * ow;
  int64_t q = 0;
  if (t.sw == 1) {
    for (; q + 4 * L <= ow; q += 4 * L) correlate_block<NR, 4>(base, step, cols, t, o, ow, q, accumulate, init);
    if (q + 2 * L <= ow) correlate_block<NR, 2>(base, step, cols, t, o, ow, q, accumulate, init), q += 2 * L;
    if (q + L <= ow) correlate_block<NR, 1>(base, step, cols, t, o, ow, q, accumulate, init), q += L;
  }
  for (int r = 0; r < NR; ++r)
    for (int64_t c = q; c < ow; ++c) {
      T a = accumulate ? o[r * ow + c] : init;
      for (int64_t i = 0; i < t.kh; ++i)
        for (int64_t j = 0; j < t.kw; ++j)
          a += t.wt[i * t.kw + j] * base[r * step + i * t.dh * cols + c * t.sw + j * t.dw];
      o[r * ow + c] = a;
    }
}

/// out (oh x ow) = (accumulate ? out : init) + sum_{i, j} wt[i*kw + j] * buf[p*sh + i*dh][q*sw + j*dw],
/// two rows at a time.
template <typename T>
void correlate(const T* buf, int64_t cols, const Taps<T>& t, T* out, int64_t oh, int64_t ow, bool accumulate, T init) {
  int64_t p = 0;
  for (; p + 2 <= oh; p += 2) correlate_rows<2>(buf, cols, t, out, p, ow, accumulate, init);
  if (p < oh) correlate_rows<1>(buf, cols, t, out, p, ow, accumulate, init);
}

/// sum_{p, q} y[p][q] * buf[p*sh + off_h][q*sw + off_w].
template <typename T>
T shifted_dot(const T* buf, int64_t cols, const T* y, int64_t oh, int64_t ow, int64_t sh, int64_t sw, int64_t off_h,
              int64_t off_w) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  V a0(T(0)), a1(T(0));
  T tail = 0;
  for (int64_t p = 0; p < oh; ++p) {
    const T* r = buf + (p * sh + off_h) * cols + off_w;
    const T* yr = y + p * ow;
    int64_t q = 0;
    if (sw == 1) {
      for (; q + 2 * L <= ow; q += 2 * L) {
        a0 = vfmadd(V::loadu(yr + q), V::loadu(r + q), a0);
        a1 = vfmadd(V::loadu(yr + q + L), V::loadu(r + q + L), a1);
      }
      for (; q + L <= ow; q += L) a0 = vfmadd(V::loadu(yr + q), V::loadu(r + q), a0);
    }
    for (; q < ow; ++q) tail += yr[q] * r[q * sw];
  }
  T lanes[L];
  (a0 + a1).storeu(lanes);
  for (int64_t l = 0; l < L; ++l) tail += lanes[l];
  return tail;
}

/// d[k] += shifted_dot for all 9 taps of a 3x3 kernel (stride 1 along rows) in one pass over
/// y: each y vector is loaded once for nine FMAs (the per-tap dots load it nine times).
template <typename T> void dot_taps9(const T* buf, int64_t cols, const T* y, const ConvGeom& g, T* d) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  V acc[9];
  T tail[9];
  int64_t off[9];
  for (int k = 0; k < 9; ++k) acc[k] = V(T(0)), tail[k] = T(0), off[k] = (k / 3) * g.dh * cols + (k % 3) * g.dw;
  for (int64_t p = 0; p < g.oh; ++p) {
    const T* r = buf + p * g.sh * cols;
    const T* yr = y + p * g.ow;
    int64_t q = 0;
    for (; q + L <= g.ow; q += L) {
      const V yv = V::loadu(yr + q);
      for (int k = 0; k < 9; ++k) acc[k] = vfmadd(yv, V::loadu(r + off[k] + q), acc[k]);
    }
    for (; q < g.ow; ++q)
      for (int k = 0; k < 9; ++k) tail[k] += yr[q] * r[off[k] + q];
  }
  for (int k = 0; k < 9; ++k) {
    T lanes[L];
    acc[k].storeu(lanes);
    for (int64_t l = 0; l < L; ++l) tail[k] += lanes[l];
    d[k] += tail[k];
  }
}

// Buffer sizes for reading a y of (oh, ow) through the taps: the last tap of the last output.
int64_t span(int64_t out, int64_t s, int64_t k, int64_t d) { return (out - 1) * s + (k - 1) * d + 1; }

template <typename T> void forward_typed(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw;
  const int64_t rows = span(g.oh, g.sh, g.kh, g.dh), cols = span(g.ow, g.sw, g.kw, g.dw);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.oh * g.ow * taps, 1));
  core::parallel_for(0, g.n * g.o, grain, [&](int64_t b, int64_t e) {
    ConvScratch<T> buf(rows * cols);
    int64_t placed = -1;  // the (n, ci) plane in buf: consecutive planes share it when m > 1
    for (int64_t pl = b; pl < e; ++pl) {
      const int64_t oc = pl % g.o, src = pl / m;
      if (src != placed) place(x + src * g.h * g.w, g.h, g.w, 1, 1, g.ph, g.pw, buf.p, rows, cols, x + (src + 1) * g.h * g.w),
        placed = src;
      const Taps<T> t{w + oc * taps, g.kh, g.kw, g.dh, g.dw, g.sh, g.sw};
      correlate(buf.p, cols, t, y + pl * g.oh * g.ow, g.oh, g.ow, false, bias ? bias[oc] : T(0));
    }
  });
}

template <typename T> void transpose_typed(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw;
  const int64_t rows = span(g.h, 1, g.kh, g.dh), cols = span(g.w, 1, g.kw, g.dw);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.h * g.w * taps * m, 1));
  core::parallel_for(0, g.n * g.c, grain, [&](int64_t b, int64_t e) {
    ConvScratch<T> buf(rows * cols), flipped(taps);
    for (int64_t pl = b; pl < e; ++pl) {
      const int64_t ci = pl % g.c;
      for (int64_t mm = 0; mm < m; ++mm) {
        const int64_t oc = ci * m + mm;
        const T* wo = w + oc * taps;
        for (int64_t k = 0; k < taps; ++k) flipped.p[k] = wo[taps - 1 - k];
        place(y + (pl * m + mm) * g.oh * g.ow, g.oh, g.ow, g.sh, g.sw, (g.kh - 1) * g.dh - g.ph,
              (g.kw - 1) * g.dw - g.pw, buf.p, rows, cols, y + (pl * m + mm + 1) * g.oh * g.ow);
        const Taps<T> t{flipped.p, g.kh, g.kw, g.dh, g.dw, 1, 1};
        correlate(buf.p, cols, t, x + pl * g.h * g.w, g.h, g.w, mm > 0, bias ? bias[ci] : T(0));
      }
    }
  });
}

template <typename T> void weight_typed(const ConvGeom& g, const T* x, const T* y, T* dw) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw;
  const int64_t rows = span(g.oh, g.sh, g.kh, g.dh), cols = span(g.ow, g.sw, g.kw, g.dw);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.n * g.oh * g.ow * taps, 1));
  core::parallel_for(0, g.o, grain, [&](int64_t b, int64_t e) {
    ConvScratch<T> buf(rows * cols);
    for (int64_t oc = b; oc < e; ++oc) {
      T* d = dw + oc * taps;
      std::fill(d, d + taps, T(0));
      for (int64_t n = 0; n < g.n; ++n) {
        place(x + (n * g.c + oc / m) * g.h * g.w, g.h, g.w, 1, 1, g.ph, g.pw, buf.p, rows, cols,
              x + ((n + 1) * g.c + oc / m) * g.h * g.w);
        const T* yp = y + (n * g.o + oc) * g.oh * g.ow;
        prefetch(yp + g.o * g.oh * g.ow, g.oh * g.ow);
        if (taps == 9 && g.sw == 1) {
          dot_taps9(buf.p, cols, yp, g, d);
          continue;
        }
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j)
            d[i * g.kw + j] += shifted_dot(buf.p, cols, yp, g.oh, g.ow, g.sh, g.sw, i * g.dh, j * g.dw);
      }
    }
  });
}

// Note [Depthwise row width]
// In the avx512 set a row narrower than one vector (16 floats) would run entirely in the
// scalar tail; such convolutions (the 8x8 and 4x4 maps of small-input networks) are handed
// to the avx2 kernel, whose 8 lanes cover them. Elsewhere this returns null.
template <typename Fn> Fn narrow_kernel(const DispatchStub<Fn>& stub, int64_t width, DType dtype) {
#if defined(__AVX512F__)
  const int64_t lanes = dtype == DType::Float64 ? Vec<double>::size : Vec<float>::size;
  if (width < lanes) return stub.fns[int(Isa::Avx2)];
#endif
  (void)stub, (void)width, (void)dtype;
  return nullptr;
}

void forward_kernel(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  if (auto f = narrow_kernel(depthwise_forward_stub, g.ow, g.dtype)) return f(g, x, w, bias, y);
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, forward_typed<T>(g, static_cast<const T*>(x), static_cast<const T*>(w),
                                                       static_cast<const T*>(bias), static_cast<T*>(y)))
}

void transpose_kernel(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  if (auto f = narrow_kernel(depthwise_transpose_stub, g.w, g.dtype)) return f(g, y, w, bias, x);
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, transpose_typed<T>(g, static_cast<const T*>(y), static_cast<const T*>(w),
                                                         static_cast<const T*>(bias), static_cast<T*>(x)))
}

void weight_kernel(const ConvGeom& g, const void* x, const void* y, void* w) {
  if (auto f = narrow_kernel(depthwise_weight_stub, g.ow, g.dtype)) return f(g, x, y, w);
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, weight_typed<T>(g, static_cast<const T*>(x), static_cast<const T*>(y),
                                                      static_cast<T*>(w)))
}

}  // namespace

void register_depthwise_kernels() {
  depthwise_forward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = forward_kernel;
  depthwise_transpose_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = transpose_kernel;
  depthwise_weight_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = weight_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
