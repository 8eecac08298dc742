// General convolution kernels (Note [Convolution triple] in cpu/conv_kernels.h).
//
// Note [Convolution by GEMM]
// Per image and group, the patches of a block of output rows are unrolled into a column
// matrix (cg*kh*kw, rows*ow) and the forward is one GEMM of the weights (og, cg*kh*kw) with
// it; the transpose is the GEMM of the transposed weights with y, folded back by col2im; the
// weight gradient is the GEMM of y with the transposed columns. The column block is bounded
// (kColumnBytes) so it stays in cache and a batch never materializes its whole column matrix.
// A 1x1 conv with stride 1 and no padding needs no columns: x itself is the matrix.
// Threads take whole images when there are at least as many images as threads (each image's
// GEMM then runs on its thread); with fewer, images go one by one and the GEMM splits.
#include "core/parallel.h"
#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "nativedl/runtime.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kColumnBytes = int64_t(1) << 20;

struct Plan {
  int64_t cg, og, k, p;  // channels per group in and out, GEMM depth cg*kh*kw, output positions oh*ow
  bool direct;           // 1x1, stride 1, no padding: the columns are x itself
  int64_t tile_rows;     // output rows per column block
  int64_t col_elems;     // scratch elements per thread
};

Plan plan(const ConvGeom& g, int64_t elem_size) {
  Plan pl;
  pl.cg = g.c / g.groups, pl.og = g.o / g.groups;
  pl.k = pl.cg * g.kh * g.kw, pl.p = g.oh * g.ow;
  pl.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w;
  pl.tile_rows = std::clamp<int64_t>(kColumnBytes / std::max<int64_t>(pl.k * g.ow * elem_size, 1), 1, std::max<int64_t>(g.oh, 1));
  pl.col_elems = pl.direct ? 0 : pl.k * pl.tile_rows * g.ow;
  return pl;
}

// Calls fn(tap_row, input_row, q0, q1) for every (ci, i, j) tap and output row p in [p0, p1):
// tap_row is the column matrix row (ci*kh + i)*kw + j at output row p, input_row the row of x
// it reads (null when the tap falls in the padding) pre-offset so that element q is
// input_row[q * sw], and [q0, q1) the output columns whose tap lies inside x.
template <typename T, typename Fn>
void for_each_tap_row(const ConvGeom& g, int64_t cg, T* x, int64_t p0, int64_t p1, T* col, Fn&& fn) {
  const int64_t width = (p1 - p0) * g.ow;
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((ci * g.kh + i) * g.kw + j) * width;
        const int64_t off = j * g.dw - g.pw;
        int64_t q0, q1;
        tap_range(g.ow, g.sw, off, g.w, &q0, &q1);
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t ih = p * g.sh - g.ph + i * g.dh;
          T* xr = ih < 0 || ih >= g.h ? nullptr : x + (ci * g.h + ih) * g.w;
          fn(row + (p - p0) * g.ow, xr, off, q0, q1);
        }
      }
}

template <typename T> void im2col(const ConvGeom& g, int64_t cg, const T* x, int64_t p0, int64_t p1, T* col) {
  for_each_tap_row(g, cg, const_cast<T*>(x), p0, p1, col, [&](T* r, const T* xr, int64_t off, int64_t q0, int64_t q1) {
    if (xr == nullptr) { std::fill(r, r + g.ow, T(0)); return; }
    std::fill(r, r + q0, T(0));
    if (g.sw == 1) std::copy(xr + q0 + off, xr + q1 + off, r + q0);
    else for (int64_t q = q0; q < q1; ++q) r[q] = xr[q * g.sw + off];
    std::fill(r + q1, r + g.ow, T(0));
  });
}

template <typename T> void col2im(const ConvGeom& g, int64_t cg, const T* col, int64_t p0, int64_t p1, T* x) {
  for_each_tap_row(g, cg, x, p0, p1, const_cast<T*>(col), [&](const T* r, T* xr, int64_t off, int64_t q0, int64_t q1) {
    if (xr == nullptr) return;
    for (int64_t q = q0; q < q1; ++q) xr[q * g.sw + off] += r[q];
  });
}

// Calls fn(group, p0, p1) for each group and block of output rows.
template <typename Fn> void for_each_block(const ConvGeom& g, const Plan& pl, Fn&& fn) {
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t p0 = 0; p0 < g.oh; p0 += pl.tile_rows) fn(grp, p0, std::min(g.oh, p0 + pl.tile_rows));
}

// Runs fn(n, col) for every image, threads over images or inside the GEMM (Note [Convolution by GEMM]).
template <typename T, typename Fn> void for_each_image(const ConvGeom& g, const Plan& pl, Fn&& fn) {
  const int64_t grain = g.n >= get_num_threads() ? 1 : g.n;
  core::parallel_for(0, g.n, grain, [&](int64_t b, int64_t e) {
    ConvScratch<T> col(pl.col_elems);
    for (int64_t n = b; n < e; ++n) fn(n, col.p);
  });
}

template <typename T> void forward_typed(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const Plan pl = plan(g, sizeof(T));
  for_each_image<T>(g, pl, [&](int64_t n, T* col) {
    const T* xn = x + n * g.c * g.h * g.w;
    T* yn = y + n * g.o * pl.p;
    if (bias) fill_planes(yn, g.o, g.o, pl.p, bias);
    const T beta = bias ? T(1) : T(0);
    for_each_block(g, pl, [&](int64_t grp, int64_t p0, int64_t p1) {
      const T* xg = xn + grp * pl.cg * g.h * g.w;
      const T* wg = w + grp * pl.og * pl.k;
      T* yg = yn + grp * pl.og * pl.p + p0 * g.ow;
      const int64_t width = (p1 - p0) * g.ow;
      if (pl.direct) {
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, xg + p0 * g.ow, pl.p, beta, yg, pl.p);
      } else {
        im2col(g, pl.cg, xg, p0, p1, col);
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, col, width, beta, yg, pl.p);
      }
    });
  });
}

template <typename T> void transpose_typed(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  const Plan pl = plan(g, sizeof(T));
  const int64_t hw = g.h * g.w;
  for_each_image<T>(g, pl, [&](int64_t n, T* col) {
    const T* yn = y + n * g.o * pl.p;
    T* xn = x + n * g.c * hw;
    if (bias || !pl.direct) fill_planes(xn, g.c, g.c, hw, bias);
    for_each_block(g, pl, [&](int64_t grp, int64_t p0, int64_t p1) {
      const T* yg = yn + grp * pl.og * pl.p + p0 * g.ow;
      const T* wg = w + grp * pl.og * pl.k;
      T* xg = xn + grp * pl.cg * hw;
      const int64_t width = (p1 - p0) * g.ow;
      if (pl.direct) {
        gemm_t(true, false, pl.k, width, pl.og, wg, pl.k, yg, pl.p, bias ? T(1) : T(0), xg + p0 * g.ow, hw);
      } else {
        gemm_t(true, false, pl.k, width, pl.og, wg, pl.k, yg, pl.p, T(0), col, width);
        col2im(g, pl.cg, col, p0, p1, xg);
      }
    });
  });
}

// Adds image n's weight gradient to dw (o, cg, kh, kw).
template <typename T> void weight_image(const ConvGeom& g, const Plan& pl, const T* xn, const T* yn, T* dw, T* col) {
  for_each_block(g, pl, [&](int64_t grp, int64_t p0, int64_t p1) {
    const T* xg = xn + grp * pl.cg * g.h * g.w;
    const T* yg = yn + grp * pl.og * pl.p + p0 * g.ow;
    T* dwg = dw + grp * pl.og * pl.k;
    const int64_t width = (p1 - p0) * g.ow;
    if (pl.direct) {
      gemm_t(false, true, pl.og, pl.k, width, yg, pl.p, xg + p0 * g.ow, pl.p, T(1), dwg, pl.k);
    } else {
      im2col(g, pl.cg, xg, p0, p1, col);
      gemm_t(false, true, pl.og, pl.k, width, yg, pl.p, col, width, T(1), dwg, pl.k);
    }
  });
}

// Each thread sums its share of the images into its own buffer (the first into dw), then the
// buffers are added in a fixed order.
template <typename T> void weight_typed(const ConvGeom& g, const T* x, const T* y, T* dw) {
  const Plan pl = plan(g, sizeof(T));
  const int64_t wsize = g.o * pl.k;
  const int64_t chunks = g.n >= get_num_threads() ? get_num_threads() : 1;
  ConvScratch<T> parts((chunks - 1) * wsize);
  core::parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    ConvScratch<T> col(pl.col_elems);
    for (int64_t ch = cb; ch < ce; ++ch) {
      T* dst = ch == 0 ? dw : parts.p + (ch - 1) * wsize;
      std::fill(dst, dst + wsize, T(0));
      for (int64_t n = g.n * ch / chunks; n < g.n * (ch + 1) / chunks; ++n)
        weight_image(g, pl, x + n * g.c * g.h * g.w, y + n * g.o * pl.p, dst, col.p);
    }
  });
  for (int64_t ch = 1; ch < chunks; ++ch) {
    const T* src = parts.p + (ch - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) dw[i] += src[i];
  }
}

void forward_kernel(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, forward_typed<T>(g, static_cast<const T*>(x), static_cast<const T*>(w),
                                                       static_cast<const T*>(bias), static_cast<T*>(y)))
}

void transpose_kernel(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, transpose_typed<T>(g, static_cast<const T*>(y), static_cast<const T*>(w),
                                                         static_cast<const T*>(bias), static_cast<T*>(x)))
}

void weight_kernel(const ConvGeom& g, const void* x, const void* y, void* w) {
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, weight_typed<T>(g, static_cast<const T*>(x), static_cast<const T*>(y),
                                                      static_cast<T*>(w)))
}

}  // namespace

void register_depthwise_kernels();

// Registers the depthwise kernels too: one family, two files.
void register_conv_kernels() {
  register_depthwise_kernels();
  conv_forward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = forward_kernel;
  conv_transpose_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = transpose_kernel;
  conv_weight_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = weight_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
