// General convolution kernels (Note [Convolution triple] in cpu/conv_kernels.h).
//
// Note [Convolution by GEMM]
// Per group, the patches of a block of output positions are unrolled into a column matrix
// (cg*kh*kw, positions) and the forward is one GEMM of the weights (og, cg*kh*kw) with it;
// the transpose is the GEMM of the transposed weights with y, folded back by col2im; the
// weight gradient is the GEMM of y with the transposed columns (the GEMM's packing reads
// both transposes in place). A block is some output rows of one image, or, when an image
// has few output positions (the deep layers of a small-input network: 4x4, 8x8), several
// whole images side by side: a GEMM only a few columns wide would run at a fraction of the
// machine's speed and repack the whole weight matrix for every image. The column block is
// bounded (kColumnBytes, kGroupBytes) so a batch never materializes its whole column matrix.
// y's side of a multi-image block is gathered into (or, forward, scattered from) a scratch
// matrix of the same layout. A 1x1 conv with stride 1 and no padding needs no columns: x
// itself is the matrix. Threads take whole blocks when there are at least as many blocks as
// threads (each block's GEMM then runs on its thread); with fewer, blocks go one by one and
// the GEMM splits.
//
// Note [Flat col2im]
// The transpose adds the column matrix row of tap (ci, i, j) into x at rows p * sh - ph + i * dh
// and columns q * sw - pw + j * dw of the output positions (p, q): with a stride, short
// scattered read-modify-writes. Split instead x's planes by row and column phase (sh * sw
// planes per channel; element (Y, X) at plane (Y % sh, X % sw), row Y / sh, column X / sw):
// a tap's targets in its phase plane are the positions shifted by a constant (dr, dc). When the
// positions are laid out with the phase planes' row length L (y's rows padded to L columns for
// the GEMM, the columns matrix's padding columns zeroed after it), a tap's whole row over a
// block is one contiguous add at a constant offset. L leaves max |dc| guard columns and the
// planes guard rows, so that taps falling outside x land in a guard (a shift left of column
// 0 wraps into the previous row's guard columns), never on x; the planes are interleaved into
// x once, when an image's last block is added.
#include <cmath>

#include "core/parallel.h"
#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "nativedl/runtime.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kColumnBytes = int64_t(1) << 20;
// Images are grouped until a block has kGroupColumns positions, its columns at most kGroupBytes.
constexpr int64_t kGroupColumns = 256;
constexpr int64_t kGroupBytes = int64_t(8) << 20;

// Note [Wide columns]
// Small images make short rows: an im2col row of a 10-wide output is 10 values, and the per-row
// bookkeeping costs more than the copy (LeNet's convs spent a quarter of a training step
// there). Without stride or padding, outputs laid out at every input column (row length w,
// position p * w + q) put tap (ci, i, j)'s inputs at x[ci][i*dh*w + j*dw + position]: one
// contiguous run per tap and block instead of one row per output row. The w - ow extra
// columns a row cost GEMM work, so the forward and the weight gradient take this layout only
// when they are few (w <= 1.5 ow); their results are dropped, their gradients zeroed.
int64_t wide_row_len(const ConvGeom& g) {
  const bool wide = g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && (g.kh > 1 || g.kw > 1) && g.ow > 0 &&
                    g.ow < 64 && 2 * g.w <= 3 * g.ow;
  return wide ? g.w : g.ow;
}

struct Plan {
  int64_t cg, og, k, p;  // channels per group in and out, GEMM depth cg*kh*kw, output positions oh*ow
  bool direct;           // 1x1, stride 1, no padding: the columns are x itself
  int64_t row_len;       // a row of positions in the columns: ow, w (Note [Wide columns]) or the transpose's L (Note [Flat col2im])
  int64_t tile_rows;     // output rows per block
  int64_t imgs;          // images per block (> 1 only when a block holds whole images)
  int64_t col_elems;     // column scratch elements per thread
  int64_t ybuf_elems;    // scratch for y's side of a block when gathered (several images) or re-laid (L), per thread
};

Plan plan(const ConvGeom& g, int64_t elem_size, int64_t row_len) {
  Plan pl;
  pl.cg = g.c / g.groups, pl.og = g.o / g.groups;
  pl.k = pl.cg * g.kh * g.kw, pl.p = g.oh * g.ow;
  pl.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w;
  pl.row_len = pl.direct ? g.ow : row_len;
  const int64_t col_bytes = std::max<int64_t>(pl.k * elem_size, 1), positions = g.oh * pl.row_len;
  pl.tile_rows = std::clamp<int64_t>(kColumnBytes / (col_bytes * std::max<int64_t>(pl.row_len, 1)), 1,
                                     std::max<int64_t>(g.oh, 1));
  pl.imgs = 1;
  if (!pl.direct && pl.tile_rows == g.oh && positions > 0)
    pl.imgs = std::clamp<int64_t>(std::min(kGroupColumns / positions, kGroupBytes / (col_bytes * positions)), 1,
                                  std::max<int64_t>(g.n, 1));
  const int64_t block = pl.tile_rows * pl.row_len * pl.imgs;
  pl.col_elems = pl.direct ? 0 : pl.k * block;
  pl.ybuf_elems = !pl.direct && (pl.imgs > 1 || pl.row_len != g.ow) ? pl.og * block : 0;
  return pl;
}

// Calls fn(tap_row, input_row, q0, q1) for every (ci, i, j) tap and output row p in [p0, p1):
// tap_row is the column matrix row (ci*kh + i)*kw + j (rows ld apart) at output row p, input_row
// the row of x it reads (null when the tap falls in the padding; x's rows are xrs apart), off
// its offset (element q is at q * sw + off), and [q0, q1) the output columns whose tap lies
// inside x.
template <typename T, typename Fn>
void for_each_tap_row(const ConvGeom& g, int64_t cg, T* x, int64_t xrs, int64_t p0, int64_t p1, T* col, int64_t ld,
                      Fn&& fn) {
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((ci * g.kh + i) * g.kw + j) * ld;
        const int64_t off = j * g.dw - g.pw;
        int64_t q0, q1;
        tap_range(g.ow, g.sw, off, g.w, &q0, &q1);
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t ih = p * g.sh - g.ph + i * g.dh;
          T* xr = ih < 0 || ih >= g.h ? nullptr : x + (ci * g.h + ih) * xrs;
          fn(row + (p - p0) * g.ow, xr, off, q0, q1);
        }
      }
}

// dst[q] = src[q] and dst[q] += src[q] for q in [0, n), a vector at a time, then element by
// element. Rows are often a few elements long (small images): a call to memmove (which GCC
// makes of a plain copy loop) or a vector loop's alias checks would cost more than the row.
template <typename T> void copy_row(const T* src, T* dst, int64_t n) {
  int64_t q = 0;
  for (; q + Vec<T>::size <= n; q += Vec<T>::size) Vec<T>::loadu(src + q).storeu(dst + q);
  for (; q < n; ++q) dst[q] = src[q];
}
template <typename T> void add_row(const T* src, T* dst, int64_t n) {
  int64_t q = 0;
  for (; q + Vec<T>::size <= n; q += Vec<T>::size) (Vec<T>::loadu(dst + q) + Vec<T>::loadu(src + q)).storeu(dst + q);
  for (; q < n; ++q) dst[q] += src[q];
}

template <typename T>
void im2col(const ConvGeom& g, int64_t cg, const T* x, int64_t p0, int64_t p1, T* col, int64_t ld) {
  for_each_tap_row(g, cg, const_cast<T*>(x), g.w, p0, p1, col, ld, [&](T* r, const T* xr, int64_t off, int64_t q0, int64_t q1) {
    if (xr == nullptr) q0 = q1 = g.ow;
    for (int64_t q = 0; q < q0; ++q) r[q] = T(0);
    if (g.sw == 1) copy_row(xr + q0 + off, r + q0, q1 - q0);
    else for (int64_t q = q0; q < q1; ++q) r[q] = xr[q * g.sw + off];
    for (int64_t q = q1; q < g.ow; ++q) r[q] = T(0);
  });
}

inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/// The phase planes of one channel of x (Note [Flat col2im]).
struct Flat {
  int64_t len;    // L: the planes' row length, and the GEMM's row of positions
  int64_t top;    // guard rows above a plane's row 0
  int64_t plane;  // elements of a plane: its rows (guards included) * len
  int64_t chan;   // sh * sw planes
};

Flat flat_layout(const ConvGeom& g) {
  int64_t dr_min = 0, dr_max = 0, dc_max = 0;
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t dr = floor_div(i * g.dh - g.ph, g.sh);
    dr_min = std::min(dr_min, dr), dr_max = std::max(dr_max, dr);
  }
  for (int64_t j = 0; j < g.kw; ++j) dc_max = std::max(dc_max, std::abs(floor_div(j * g.dw - g.pw, g.sw)));
  Flat f;
  f.len = std::max(g.ow, (g.w + g.sw - 1) / g.sw) + dc_max;
  f.top = 1 - dr_min;  // one more for a left shift's wrap from row 0
  // Below: x's rows, and the last positions' row plus the one a right shift's tail spills into.
  f.plane = (f.top + std::max((g.h + g.sh - 1) / g.sh, g.oh + dr_max + 1)) * f.len;
  f.chan = g.sh * g.sw * f.plane;
  return f;
}

// Adds the columns (k rows of the positions of rows [p0, p1), L apart; rows ld apart) into xs,
// the cg channels' phase planes (Note [Flat col2im]).
template <typename T>
void col2im(const ConvGeom& g, const Flat& f, int64_t cg, const T* col, int64_t ld, int64_t p0, int64_t p1, T* xs) {
  const int64_t width = (p1 - p0) * f.len;
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t yo = i * g.dh - g.ph, xo = j * g.dw - g.pw;
        const int64_t dr = floor_div(yo, g.sh), dc = floor_div(xo, g.sw);
        const int64_t plane = (yo - dr * g.sh) * g.sw + (xo - dc * g.sw);
        T* dst = xs + ci * f.chan + plane * f.plane + (p0 + dr + f.top) * f.len + dc;
        const T* src = col + ((ci * g.kh + i) * g.kw + j) * ld;
        add_row(src, dst, width);
      }
}

// x's planes = the phase planes xs (+ bias[plane], or zero), interleaved.
template <typename T>
void unsplit_phases(const ConvGeom& g, const Flat& f, int64_t planes, const T* xs, const T* bias, T* x) {
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T b = bias ? bias[pl] : T(0);
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const T* src = xs + pl * f.chan + (ih % g.sh) * g.sw * f.plane + (ih / g.sh + f.top) * f.len;
      T* dst = x + (pl * g.h + ih) * g.w;
      if (g.sw == 1) {  // the common cases, as loops the compiler vectorizes
        for (int64_t t = 0; t < g.w; ++t) dst[t] = src[t] + b;
      } else if (g.sw == 2) {
        for (int64_t t = 0; t < g.w / 2; ++t) dst[2 * t] = src[t] + b, dst[2 * t + 1] = src[f.plane + t] + b;
        if (g.w % 2) dst[g.w - 1] = src[g.w / 2] + b;
      } else {
        for (int64_t t = 0; t < g.w; ++t) dst[t] = src[(t % g.sw) * f.plane + t / g.sw] + b;
      }
    }
  }
}

/// One block: images [n0, n1) of group grp, output rows [p0, p1) of each.
struct Block {
  int64_t n0, n1, grp, p0, p1;
};

// Calls fn(block) for the blocks of images [nb, ne).
template <typename Fn> void for_each_block(const ConvGeom& g, const Plan& pl, int64_t nb, int64_t ne, Fn&& fn) {
  for (int64_t n0 = nb; n0 < ne; n0 += pl.imgs)
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t p0 = 0; p0 < g.oh; p0 += pl.tile_rows)
        fn(Block{n0, std::min(ne, n0 + pl.imgs), grp, p0, std::min(g.oh, p0 + pl.tile_rows)});
}

/// Per-thread scratch: the column block, y's side of a block (Plan::ybuf_elems) and the
/// transpose's phase planes (Note [Flat col2im]).
template <typename T> struct Scratch {
  ConvScratch<T> col, ybuf, xs;
  Scratch(const Plan& pl, int64_t xs_elems) : col(pl.col_elems), ybuf(pl.ybuf_elems), xs(xs_elems) {}
};

// Runs fn(nb, ne, scratch) over image ranges of whole blocks, threads over blocks or inside
// the GEMM (Note [Convolution by GEMM]).
template <typename T, typename Fn>
void for_each_image_range(const ConvGeom& g, const Plan& pl, int64_t xs_elems, Fn&& fn) {
  const int64_t chunks = (g.n + pl.imgs - 1) / pl.imgs;
  const int64_t grain = chunks >= get_num_threads() ? 1 : chunks;
  core::parallel_for(0, chunks, grain, [&](int64_t b, int64_t e) {
    Scratch<T> s(pl, xs_elems);
    fn(b * pl.imgs, std::min(g.n, e * pl.imgs), s);
  });
}

// buf (og, (n1 - n0) * (p1 - p0) * row_len) <- the rows [p0, p1) of the planes [grp*og,
// (grp+1)*og) of images [n0, n1) of y (n, o, oh, ow), each padded with zeros to row_len; and
// back (whole planes of row length ow).
template <typename T> void gather_y(const ConvGeom& g, const Plan& pl, const Block& b, const T* y, T* buf) {
  const int64_t rows = b.p1 - b.p0, width = rows * pl.row_len, ld = (b.n1 - b.n0) * width;
  for (int64_t n = b.n0; n < b.n1; ++n)
    for (int64_t o = 0; o < pl.og; ++o) {
      const T* src = y + ((n * g.o + b.grp * pl.og + o) * g.oh + b.p0) * g.ow;
      T* dst = buf + o * ld + (n - b.n0) * width;
      if (pl.row_len == g.ow) {
        copy_row(src, dst, width);
        continue;
      }
      for (int64_t r = 0; r < rows; ++r) {
        copy_row(src + r * g.ow, dst + r * pl.row_len, g.ow);
        std::fill(dst + r * pl.row_len + g.ow, dst + (r + 1) * pl.row_len, T(0));
      }
    }
}
template <typename T> void scatter_y(const ConvGeom& g, const Plan& pl, const Block& b, const T* buf, const T* bias, T* y) {
  const int64_t rows = b.p1 - b.p0, width = rows * pl.row_len, ld = (b.n1 - b.n0) * width;
  for (int64_t n = b.n0; n < b.n1; ++n)
    for (int64_t o = 0; o < pl.og; ++o) {
      const T* src = buf + o * ld + (n - b.n0) * width;
      T* dst = y + ((n * g.o + b.grp * pl.og + o) * g.oh + b.p0) * g.ow;
      const T add = bias ? bias[b.grp * pl.og + o] : T(0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t q = 0; q < g.ow; ++q) dst[r * g.ow + q] = src[r * pl.row_len + q] + add;
    }
}

// im2col of every image of block b into the columns (k, (n1 - n0) * positions).
// With wide rows (Note [Wide columns]) a tap's run stops at the block's last output (it would
// read past x's end), and the rest of that row is zeroed.
template <typename T> void block_columns(const ConvGeom& g, const Plan& pl, const Block& b, const T* x, T* col) {
  const int64_t width = (b.p1 - b.p0) * pl.row_len, ld = (b.n1 - b.n0) * width;
  for (int64_t n = b.n0; n < b.n1; ++n) {
    const T* xn = x + (n * g.c + b.grp * pl.cg) * g.h * g.w;
    T* cn = col + (n - b.n0) * width;
    if (pl.row_len == g.ow) {
      im2col(g, pl.cg, xn, b.p0, b.p1, cn, ld);
      continue;
    }
    const int64_t run = width - (pl.row_len - g.ow);
    for (int64_t ci = 0, k = 0; ci < pl.cg; ++ci)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j, ++k) {
          copy_row(xn + (ci * g.h + b.p0 + i * g.dh) * g.w + j * g.dw, cn + k * ld, run);
          std::fill(cn + k * ld + run, cn + k * ld + width, T(0));
        }
  }
}

// Note [Whole-image filters]
// A filter that covers the whole unpadded input (one output position: LeNet's C5, the
// classifier convs of fully convolutional nets) has each image itself as its column matrix,
// so the forward, the transpose and the weight gradient are one GEMM per group over the whole
// batch with nothing unrolled: x is (n, c*h*w), y is (n, o).
bool whole_image(const ConvGeom& g) {
  return g.oh == 1 && g.ow == 1 && g.kh == g.h && g.kw == g.w && g.ph == 0 && g.pw == 0;
}

template <typename T> void whole_image_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t og = g.o / g.groups, k = g.c / g.groups * g.h * g.w;
  fill_planes(y, g.n * g.o, g.o, 1, bias);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    gemm_t(false, true, g.n, og, k, x + grp * k, g.groups * k, w + grp * og * k, k, T(1), y + grp * og, g.o);
}

template <typename T> void whole_image_transpose(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  const int64_t og = g.o / g.groups, k = g.c / g.groups * g.h * g.w;
  fill_planes(x, g.n * g.c, g.c, g.h * g.w, bias);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    gemm_t(false, false, g.n, k, og, y + grp * og, g.o, w + grp * og * k, k, T(1), x + grp * k, g.groups * k);
}

template <typename T> void whole_image_weight(const ConvGeom& g, const T* x, const T* y, T* dw) {
  const int64_t og = g.o / g.groups, k = g.c / g.groups * g.h * g.w;
  for (int64_t grp = 0; grp < g.groups; ++grp)
    gemm_t(true, false, og, k, g.n, y + grp * og, g.o, x + grp * k, g.groups * k, T(0), dw + grp * og * k, k);
}

template <typename T> void forward_typed(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  if (whole_image(g)) return whole_image_forward(g, x, w, bias, y);
  if (winograd_applies(g)) return winograd_forward(g, x, w, bias, y);
  const Plan pl = plan(g, sizeof(T), wide_row_len(g));
  const bool relaid = pl.imgs > 1 || pl.row_len != g.ow;  // the GEMM writes a buffer, scattered into y
  for_each_image_range<T>(g, pl, 0, [&](int64_t nb, int64_t ne, Scratch<T>& s) {
    if (!relaid && bias)
      for (int64_t n = nb; n < ne; ++n) fill_planes(y + n * g.o * pl.p, g.o, g.o, pl.p, bias);
    const T beta = bias ? T(1) : T(0);
    for_each_block(g, pl, nb, ne, [&](const Block& b) {
      const T* wg = w + b.grp * pl.og * pl.k;
      T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
      const int64_t width = (b.p1 - b.p0) * pl.row_len, cols = (b.n1 - b.n0) * width;
      if (pl.direct) {
        const T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * pl.p + b.p0 * g.ow;
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, xg, pl.p, beta, yg, pl.p);
        return;
      }
      block_columns(g, pl, b, x, s.col.p);
      if (!relaid) {
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, s.col.p, width, beta, yg, pl.p);
      } else {
        gemm_t(false, false, pl.og, cols, pl.k, wg, pl.k, s.col.p, cols, T(0), s.ybuf.p, cols);
        scatter_y(g, pl, b, s.ybuf.p, bias, y);
      }
    });
  });
}

// Zeroes the padding columns of block b's positions (row length L) in the columns (k rows,
// ld apart): the GEMM fills them with y's zero padding times w, which col2im adds onto x in
// places; zeros (of either sign) change nothing there, but 0 * inf is NaN. Only needed when w
// is not all finite (thousands of short fills a block).
template <typename T> void zero_padding(const ConvGeom& g, const Plan& pl, const Block& b, T* col, int64_t ld) {
  const int64_t rows = (b.n1 - b.n0) * (b.p1 - b.p0);
  for (int64_t r = 0; r < pl.k; ++r)
    for (int64_t p = 0; p < rows; ++p) {
      T* pad = col + r * ld + p * pl.row_len;
      std::fill(pad + g.ow, pad + pl.row_len, T(0));
    }
}

template <typename T> bool all_finite(const T* p, int64_t n) {
  bool finite = true;
  for (int64_t i = 0; i < n; ++i) finite &= std::isfinite(p[i]);
  return finite;
}

template <typename T> void transpose_typed(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  if (whole_image(g)) return whole_image_transpose(g, y, w, bias, x);
  if (winograd_transpose_applies(g)) return winograd_transpose(g, y, w, bias, x);
  const int64_t hw = g.h * g.w;
  if (g.oh == 0) return fill_planes(x, g.n * g.c, g.c, hw, bias);
  const Flat f = flat_layout(g);
  const Plan pl = plan(g, sizeof(T), f.len);
  const int64_t xs_elems = pl.cg * f.chan;
  const bool relaid = pl.imgs > 1 || pl.row_len != g.ow;  // else y's block is the GEMM's B as it is
  const bool zero_pad = pl.row_len != g.ow && !all_finite(w, g.o * pl.k);
  for_each_image_range<T>(g, pl, pl.direct ? 0 : pl.imgs * xs_elems, [&](int64_t nb, int64_t ne, Scratch<T>& s) {
    if (pl.direct && bias)
      for (int64_t n = nb; n < ne; ++n) fill_planes(x + n * g.c * hw, g.c, g.c, hw, bias);
    for_each_block(g, pl, nb, ne, [&](const Block& b) {
      const T* wg = w + b.grp * pl.og * pl.k;
      const T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
      if (pl.direct) {
        T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * hw + b.p0 * g.ow;
        gemm_t(true, false, pl.k, (b.p1 - b.p0) * g.ow, pl.og, wg, pl.k, yg, pl.p, bias ? T(1) : T(0), xg, hw);
        return;
      }
      const int64_t width = (b.p1 - b.p0) * pl.row_len, cols = (b.n1 - b.n0) * width;
      if (relaid) gather_y(g, pl, b, y, s.ybuf.p);
      gemm_t(true, false, pl.k, cols, pl.og, wg, pl.k, relaid ? s.ybuf.p : yg, relaid ? cols : pl.p, T(0), s.col.p,
             cols);
      if (zero_pad) zero_padding(g, pl, b, s.col.p, cols);
      for (int64_t n = b.n0; n < b.n1; ++n) {
        T* xs = s.xs.p + (n - b.n0) * xs_elems;
        if (b.p0 == 0) std::fill(xs, xs + xs_elems, T(0));
        col2im(g, f, pl.cg, s.col.p + (n - b.n0) * width, cols, b.p0, b.p1, xs);
        if (b.p1 == g.oh)
          unsplit_phases(g, f, pl.cg, xs, bias ? bias + b.grp * pl.cg : nullptr, x + (n * g.c + b.grp * pl.cg) * hw);
      }
    });
  });
}

// Adds the weight gradient of images [nb, ne) to dw (o, cg, kh, kw).
template <typename T>
void weight_images(const ConvGeom& g, const Plan& pl, const T* x, const T* y, int64_t nb, int64_t ne, T* dw, Scratch<T>& s) {
  for_each_block(g, pl, nb, ne, [&](const Block& b) {
    T* dwg = dw + b.grp * pl.og * pl.k;
    const int64_t width = (b.p1 - b.p0) * pl.row_len, cols = (b.n1 - b.n0) * width;
    const T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
    if (pl.direct) {
      const T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * pl.p + b.p0 * g.ow;
      gemm_t(false, true, pl.og, pl.k, width, yg, pl.p, xg, pl.p, T(1), dwg, pl.k);
      return;
    }
    block_columns(g, pl, b, x, s.col.p);
    const bool relaid = pl.imgs > 1 || pl.row_len != g.ow;
    if (relaid) gather_y(g, pl, b, y, s.ybuf.p);
    gemm_t(false, true, pl.og, pl.k, cols, relaid ? s.ybuf.p : yg, relaid ? cols : pl.p, s.col.p, cols, T(1), dwg,
           pl.k);
  });
}

// Each thread sums its share of the images into its own buffer (the first into dw), then the
// buffers are added in a fixed order.
template <typename T> void weight_typed(const ConvGeom& g, const T* x, const T* y, T* dw) {
  if (whole_image(g)) return whole_image_weight(g, x, y, dw);
  if (winograd_applies(g)) return winograd_weight(g, x, y, dw);
  const Plan pl = plan(g, sizeof(T), wide_row_len(g));
  const int64_t wsize = g.o * pl.k;
  const int64_t blocks = (g.n + pl.imgs - 1) / pl.imgs;
  const int64_t chunks = blocks >= get_num_threads() ? get_num_threads() : 1;
  ConvScratch<T> parts((chunks - 1) * wsize);
  core::parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    Scratch<T> s(pl, 0);
    for (int64_t ch = cb; ch < ce; ++ch) {
      T* dst = ch == 0 ? dw : parts.p + (ch - 1) * wsize;
      std::fill(dst, dst + wsize, T(0));
      weight_images(g, pl, x, y, blocks * ch / chunks * pl.imgs, std::min(g.n, blocks * (ch + 1) / chunks * pl.imgs), dst, s);
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
