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
// there). Without stride or padding, an image's outputs computed at every input column,
// position p * w + q for q < w rather than p * ow + q, put tap (ci, i, j)'s inputs at
// x[ci][i*dh*w + j*dw + position]: one contiguous run of (oh - 1) * w + ow values per tap
// instead of oh rows. The w - ow extra columns per row cost GEMM work, so this holds only
// when they are few (w <= 1.5 ow); their results are dropped (forward) or their gradients
// zeroed (backward), so col2im adds exact zeros there.
struct Plan {
  int64_t cg, og, k, p;  // channels per group in and out, GEMM depth cg*kh*kw, output positions oh*ow
  bool direct;           // 1x1, stride 1, no padding: the columns are x itself
  bool wide;             // Note [Wide columns]; blocks are then whole images
  int64_t span;          // columns of one image's block: (oh - 1) * w + ow when wide, else rows * ow
  int64_t pitch;         // column distance of consecutive output rows: w when wide, else ow
  int64_t tile_rows;     // output rows per block
  int64_t imgs;          // images per block (> 1 only when a block holds whole images)
  int64_t col_elems;     // column scratch elements per thread
  int64_t ybuf_elems;    // scratch for y's side of a multi-image block, per thread
};

Plan plan(const ConvGeom& g, int64_t elem_size) {
  Plan pl;
  pl.cg = g.c / g.groups, pl.og = g.o / g.groups;
  pl.k = pl.cg * g.kh * g.kw, pl.p = g.oh * g.ow;
  pl.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w;
  const int64_t col_bytes = std::max<int64_t>(pl.k * elem_size, 1);
  pl.tile_rows = std::clamp<int64_t>(kColumnBytes / (col_bytes * std::max<int64_t>(g.ow, 1)), 1, std::max<int64_t>(g.oh, 1));
  pl.wide = !pl.direct && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && pl.tile_rows == g.oh && g.ow > 0 &&
            g.ow < 64 && 2 * g.w <= 3 * g.ow;
  pl.pitch = pl.wide ? g.w : g.ow;
  pl.span = pl.wide ? (g.oh - 1) * g.w + g.ow : pl.tile_rows * g.ow;
  pl.imgs = 1;
  if (!pl.direct && pl.tile_rows == g.oh && pl.p > 0)
    pl.imgs = std::clamp<int64_t>(std::min(kGroupColumns / pl.span, kGroupBytes / (col_bytes * pl.span)), 1,
                                  std::max<int64_t>(g.n, 1));
  pl.col_elems = pl.direct ? 0 : pl.k * pl.span * pl.imgs;
  pl.ybuf_elems = pl.imgs > 1 || pl.wide ? pl.og * pl.span * pl.imgs : 0;
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

// Calls fn(k, off) for every column matrix row k = (ci*kh + i)*kw + j with off, the offset in an
// image's cg planes of its wide run (Note [Wide columns]).
template <typename Fn> void for_each_wide_tap(const ConvGeom& g, const Plan& pl, Fn&& fn) {
  for (int64_t ci = 0, k = 0; ci < pl.cg; ++ci)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j, ++k) fn(k, (ci * g.h + i * g.dh) * g.w + j * g.dw);
}

// Note [Phase-split rows]
// col2im adds each tap row into x at positions q * sw + off: with a stride, a scattered
// read-modify-write per value, kh * kw / (sh * sw) times per element of x. It accumulates
// instead into rows split by phase: element t of an x row sits at (t % sw) * U + t / sw
// (U = ceil(w / sw)), where a tap row's positions are contiguous (phase off mod sw, start
// (off - phase) / sw), and the rows are interleaved into x once at the end. With sw == 1
// the split layout is x itself.
inline int64_t phase_len(const ConvGeom& g) { return (g.w + g.sw - 1) / g.sw; }

// Adds the columns (k, positions of rows [p0, p1), ld apart) into xs, the cg planes of x in
// the phase-split layout (Note [Phase-split rows]).
template <typename T>
void col2im(const ConvGeom& g, int64_t cg, const T* col, int64_t ld, int64_t p0, int64_t p1, T* xs) {
  const int64_t u = phase_len(g);
  for_each_tap_row(g, cg, xs, g.sw * u, p0, p1, const_cast<T*>(col), ld, [&](const T* r, T* xr, int64_t off, int64_t q0, int64_t q1) {
    if (xr == nullptr) return;
    // (Without a stride, skip the divisions: they cost more than a short row's additions.)
    const int64_t phase = g.sw == 1 ? 0 : (off % g.sw + g.sw) % g.sw;
    T* dst = g.sw == 1 ? xr + off : xr + phase * u + (off - phase) / g.sw;
    add_row(r + q0, dst + q0, q1 - q0);
  });
}

// x's planes = the phase-split planes xs (+ bias[plane], or zero), interleaved.
template <typename T> void unsplit_phases(const ConvGeom& g, int64_t planes, const T* xs, const T* bias, T* x) {
  const int64_t u = phase_len(g);
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T b = bias ? bias[pl] : T(0);
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const T* src = xs + (pl * g.h + ih) * g.sw * u;
      T* dst = x + (pl * g.h + ih) * g.w;
      if (g.sw == 2) {  // the common case, as one loop the compiler vectorizes
        for (int64_t t = 0; t < g.w / 2; ++t) dst[2 * t] = src[t] + b, dst[2 * t + 1] = src[u + t] + b;
        if (g.w % 2) dst[g.w - 1] = src[u - 1] + b;
      } else {
        for (int64_t t = 0; t < g.w; ++t) dst[t] = src[(t % g.sw) * u + t / g.sw] + b;
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

/// Columns of one image of block b: its output rows' positions, or its wide span.
inline int64_t block_width(const ConvGeom& g, const Plan& pl, const Block& b) {
  return pl.wide ? pl.span : (b.p1 - b.p0) * g.ow;
}

/// Per-thread scratch: the column block and y's side of a multi-image block.
template <typename T> struct Scratch {
  ConvScratch<T> col, ybuf, xs;  // xs: the phase-split planes of a strided transpose
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

// buf (og, imgs * span) <-> the planes [grp*og, (grp+1)*og) of images [n0, n1) of y (n, o, p),
// output row r of an image at column r * pitch of its span; gather zeroes the columns between
// (Note [Wide columns]).
template <typename T> void gather_y(const ConvGeom& g, const Plan& pl, const Block& b, const T* y, T* buf) {
  const int64_t ld = (b.n1 - b.n0) * pl.span;
  for (int64_t n = b.n0; n < b.n1; ++n)
    for (int64_t o = 0; o < pl.og; ++o) {
      const T* src = y + (n * g.o + b.grp * pl.og + o) * pl.p;
      T* dst = buf + o * ld + (n - b.n0) * pl.span;
      if (!pl.wide) { copy_row(src, dst, pl.p); continue; }
      for (int64_t r = 0; r < g.oh; ++r) {
        copy_row(src + r * g.ow, dst + r * pl.pitch, g.ow);
        if (r + 1 < g.oh) std::fill(dst + r * pl.pitch + g.ow, dst + (r + 1) * pl.pitch, T(0));
      }
    }
}
template <typename T> void scatter_y(const ConvGeom& g, const Plan& pl, const Block& b, const T* buf, const T* bias, T* y) {
  const int64_t ld = (b.n1 - b.n0) * pl.span;
  for (int64_t n = b.n0; n < b.n1; ++n)
    for (int64_t o = 0; o < pl.og; ++o) {
      const T* src = buf + o * ld + (n - b.n0) * pl.span;
      T* dst = y + (n * g.o + b.grp * pl.og + o) * pl.p;
      const T add = bias ? bias[b.grp * pl.og + o] : T(0);
      for (int64_t r = 0; r < g.oh; ++r)
        for (int64_t q = 0; q < g.ow; ++q) dst[r * g.ow + q] = src[r * pl.pitch + q] + add;
    }
}

// im2col of every image of block b into the columns (k, (n1 - n0) * positions).
template <typename T> void block_columns(const ConvGeom& g, const Plan& pl, const Block& b, const T* x, T* col) {
  const int64_t width = block_width(g, pl, b), ld = (b.n1 - b.n0) * width;
  for (int64_t n = b.n0; n < b.n1; ++n) {
    const T* xn = x + (n * g.c + b.grp * pl.cg) * g.h * g.w;
    if (pl.wide)
      for_each_wide_tap(g, pl, [&](int64_t k, int64_t off) { copy_row(xn + off, col + k * ld + (n - b.n0) * width, width); });
    else
      im2col(g, pl.cg, xn, b.p0, b.p1, col + (n - b.n0) * width, ld);
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
  const Plan pl = plan(g, sizeof(T));
  for_each_image_range<T>(g, pl, 0, [&](int64_t nb, int64_t ne, Scratch<T>& s) {
    if (pl.imgs == 1 && !pl.wide && bias)
      for (int64_t n = nb; n < ne; ++n) fill_planes(y + n * g.o * pl.p, g.o, g.o, pl.p, bias);
    const T beta = bias ? T(1) : T(0);
    for_each_block(g, pl, nb, ne, [&](const Block& b) {
      const T* wg = w + b.grp * pl.og * pl.k;
      T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
      const int64_t width = block_width(g, pl, b), cols = (b.n1 - b.n0) * width;
      if (pl.direct) {
        const T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * pl.p + b.p0 * g.ow;
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, xg, pl.p, beta, yg, pl.p);
        return;
      }
      block_columns(g, pl, b, x, s.col.p);
      if (pl.imgs == 1 && !pl.wide) {
        gemm_t(false, false, pl.og, width, pl.k, wg, pl.k, s.col.p, width, beta, yg, pl.p);
      } else {
        gemm_t(false, false, pl.og, cols, pl.k, wg, pl.k, s.col.p, cols, T(0), s.ybuf.p, cols);
        scatter_y(g, pl, b, s.ybuf.p, bias, y);
      }
    });
  });
}

template <typename T> void transpose_typed(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  if (whole_image(g)) return whole_image_transpose(g, y, w, bias, x);
  if (winograd_transpose_applies(g)) return winograd_transpose(g, y, w, bias, x);
  const Plan pl = plan(g, sizeof(T));
  const int64_t hw = g.h * g.w;
  // A strided transpose accumulates each image's group in phase-split planes (Note [Phase-split rows]).
  const bool split = !pl.direct && g.sw > 1;
  const int64_t split_elems = pl.cg * g.h * g.sw * phase_len(g);
  for_each_image_range<T>(g, pl, split ? pl.imgs * split_elems : 0, [&](int64_t nb, int64_t ne, Scratch<T>& s) {
    if (!split && (bias || !pl.direct))
      for (int64_t n = nb; n < ne; ++n) fill_planes(x + n * g.c * hw, g.c, g.c, hw, bias);
    for_each_block(g, pl, nb, ne, [&](const Block& b) {
      const T* wg = w + b.grp * pl.og * pl.k;
      const int64_t width = block_width(g, pl, b), cols = (b.n1 - b.n0) * width;
      if (pl.direct) {
        const T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
        T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * hw + b.p0 * g.ow;
        gemm_t(true, false, pl.k, width, pl.og, wg, pl.k, yg, pl.p, bias ? T(1) : T(0), xg, hw);
        return;
      }
      if (pl.imgs == 1 && !pl.wide) {
        const T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
        gemm_t(true, false, pl.k, width, pl.og, wg, pl.k, yg, pl.p, T(0), s.col.p, width);
      } else {
        gather_y(g, pl, b, y, s.ybuf.p);
        gemm_t(true, false, pl.k, cols, pl.og, wg, pl.k, s.ybuf.p, cols, T(0), s.col.p, cols);
      }
      for (int64_t n = b.n0; n < b.n1; ++n) {
        T* xg = x + (n * g.c + b.grp * pl.cg) * hw;
        const T* cn = s.col.p + (n - b.n0) * width;
        if (pl.wide) {
          for_each_wide_tap(g, pl, [&](int64_t k, int64_t off) { add_row(cn + k * cols, xg + off, width); });
          continue;
        }
        if (!split) {
          col2im(g, pl.cg, cn, cols, b.p0, b.p1, xg);
          continue;
        }
        T* xs = s.xs.p + (n - b.n0) * split_elems;
        if (b.p0 == 0) std::fill(xs, xs + split_elems, T(0));
        col2im(g, pl.cg, cn, cols, b.p0, b.p1, xs);
        if (b.p1 == g.oh) unsplit_phases(g, pl.cg, xs, bias ? bias + b.grp * pl.cg : nullptr, xg);
      }
    });
  });
}

// Adds the weight gradient of images [nb, ne) to dw (o, cg, kh, kw).
template <typename T>
void weight_images(const ConvGeom& g, const Plan& pl, const T* x, const T* y, int64_t nb, int64_t ne, T* dw, Scratch<T>& s) {
  for_each_block(g, pl, nb, ne, [&](const Block& b) {
    T* dwg = dw + b.grp * pl.og * pl.k;
    const int64_t width = block_width(g, pl, b), cols = (b.n1 - b.n0) * width;
    const T* yg = y + (b.n0 * g.o + b.grp * pl.og) * pl.p + b.p0 * g.ow;
    if (pl.direct) {
      const T* xg = x + (b.n0 * g.c + b.grp * pl.cg) * pl.p + b.p0 * g.ow;
      gemm_t(false, true, pl.og, pl.k, width, yg, pl.p, xg, pl.p, T(1), dwg, pl.k);
      return;
    }
    block_columns(g, pl, b, x, s.col.p);
    const bool gathered = pl.imgs > 1 || pl.wide;
    if (gathered) gather_y(g, pl, b, y, s.ybuf.p);
    gemm_t(false, true, pl.og, pl.k, cols, gathered ? s.ybuf.p : yg, gathered ? cols : pl.p, s.col.p, cols, T(1),
           dwg, pl.k);
  });
}

// Each thread sums its share of the images into its own buffer (the first into dw), then the
// buffers are added in a fixed order.
template <typename T> void weight_typed(const ConvGeom& g, const T* x, const T* y, T* dw) {
  if (whole_image(g)) return whole_image_weight(g, x, y, dw);
  if (winograd_applies(g)) return winograd_weight(g, x, y, dw);
  const Plan pl = plan(g, sizeof(T));
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
