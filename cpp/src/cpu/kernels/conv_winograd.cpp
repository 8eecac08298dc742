// Winograd F(2x2, 3x3) for 3x3 convolutions with stride 1, dilated ones included.
//
// Note [Winograd F(2x2, 3x3)]
// A 2x2 block of outputs of a 3x3 filter needs 36 multiply-adds per input channel; through
// the transforms Y = A^T [ (G g G^T) .* (B^T d B) ] A of the 4x4 input tile d around it
// (overlapping its neighbours by 2), it needs 16: the 16 elementwise products become 16
// GEMMs, U[xi] (og, cg) x V[xi] (cg, tiles) = M[xi] (og, tiles), one per position xi of
// the 4x4 transformed tile, summing over channels. The input and output transforms are
// additions only, vectorized along the tiles of a row (stride-2 loads and interleaved
// stores), so the arithmetic drops 2.25x for a pass over the data on each side. The
// constants (0, +-1, 1/2) are exact in binary floating point; the results differ from the
// direct sum by rounding only. Tiles are taken a block of tile rows at a time (several
// images when they are small) so that V and M stay in cache.
//
// Note [Dilated Winograd by phases]
// With dilation (dh, dw), output row dh * a + rh (rh < dh) reads input rows dh * (a + i) + rh - ph
// (i < 3) only: the outputs of one phase (rh, rw) are a dense 3x3 convolution of the input's
// phase-(rh - ph, rw - pw) sub-image, rows and columns dh and dw apart. So a dilated conv is
// dh * dw dense ones. An image's row phases are taken as images of their own ("virtual
// images", n * dh of them); its column phases sit side by side in a virtual image's tile rows
// (dw segments of tw tiles), so that an output row is written whole, its phases interleaved,
// and a tile row's overheads are paid once. The padded rows are read from x at those strides.
// Phases of different sizes (an output size not divisible by the dilation) share the largest
// one's tile grid; tiles past a phase's end read zeros and are not written.
#include <algorithm>
#include <type_traits>

#include "core/parallel.h"
#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "nativedl/runtime.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// A block's V (and M) take about kBlockBytes, unless that leaves its GEMMs fewer than
// kMinTiles columns (many channels, small images): narrower GEMMs repack U for little work.
constexpr int64_t kBlockBytes = int64_t(1) << 20;
constexpr int64_t kMinTiles = 256;
// Tiles in the whole batch below which the GEMM over columns is faster (winograd_applies).
constexpr int64_t kMinBatchTiles = 32;

// A row or plane stride of at least n elements that is a multiple of 64 bytes but not of
// 512: power-of-two strides (ld = 256 tiles, planes of 64 x 256) put every row the GEMM packs,
// and all 16 streams of a transform, into the same few L1 sets.
template <typename T> int64_t skewed(int64_t n) {
  constexpr int64_t line = 64 / sizeof(T);
  const int64_t s = (n + line - 1) / line * line;
  return s % (8 * line) == 0 ? s + line : s;
}

struct WinoPlan {
  int64_t cg, og;  // channels per group in and out
  int64_t th, tw;  // 2x2 output tiles per phase (Note [Dilated Winograd by phases]): rows, columns
  int64_t rt;      // tiles per tile row of a virtual image: dw segments of tw
  int64_t wp;      // padded input row of a phase: 2 * tw + 2
  int64_t rows;    // tile rows per block (counted across virtual images)
};

inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }

/// Virtual image v (Note [Dilated Winograd by phases]): row phase rh of image n, with its
/// output rows.
struct Virtual {
  int64_t n, rh, oh;
};
Virtual virtual_of(const ConvGeom& g, int64_t v) {
  const int64_t rh = v % g.dh;
  return {v / g.dh, rh, ceil_div(g.oh - rh, g.dh)};
}

// Calls body(dw) with dw as a compile-time constant for the common dilations 1 and 2 (so that
// loops striding by it vectorize), else as a value.
template <typename Body> void with_dilation(int64_t dw, Body&& body) {
  if (dw == 1) {
    body(std::integral_constant<int64_t, 1>());
  } else if (dw == 2) {
    body(std::integral_constant<int64_t, 2>());
  } else {
    body(dw);
  }
}

// Copies between an output row yr (ow columns) and its split row (dw segments seg apart, one
// per column phase rw, each the tw even and then the tw odd columns of its phase): column
// dw * (2 * tx + par) + rw is split[rw * seg + par * tw + tx]. kToY: yr = split, else split = yr.
// With dw a constant, whole groups of 2 * dw columns go in one loop the compiler vectorizes.
template <bool kToY, typename T, typename Dw>
void shuffle_row(T* __restrict yr, T* __restrict split, int64_t ow, Dw dw, int64_t tw, int64_t seg) {
  auto move = [](T& y, T& s) {
    if constexpr (kToY) y = s; else s = y;
  };
  const int64_t group = 2 * dw, groups = std::is_same_v<Dw, int64_t> ? 0 : ow / group;
  for (int64_t tx = 0; tx < groups; ++tx)
    for (int64_t par = 0; par < 2; ++par)
      for (int64_t rw = 0; rw < dw; ++rw) move(yr[group * tx + dw * par + rw], split[rw * seg + par * tw + tx]);
  for (int64_t col = groups * group; col < ow; ++col) {
    const int64_t rw = col % dw, f = col / dw;
    move(yr[col], split[rw * seg + (f % 2) * tw + f / 2]);
  }
}

// Loads and stores of one element or one vector, so a loop body serves the vector loop and
// its scalar tail alike.
template <typename T> T load(T, const T* p) { return *p; }
template <typename T> void store(T v, T* p) { *p = v; }
template <typename T> Vec<T> load(Vec<T>, const T* p) { return Vec<T>::loadu(p); }
template <typename T> void store(Vec<T> v, T* p) { v.storeu(p); }

// Calls body(U{}, c) for c in [0, n): with U = Vec<T> every Vec<T>::size elements, the last
// vector overlapping the one before when n isn't a multiple of the width (every body computes
// each element on its own, out of place: elements done twice get the same value); with U = T
// below one vector's width.
template <typename T, typename Body> void along(int64_t n, Body&& body) {
  constexpr int64_t width = Vec<T>::size;
  if (n < width) {
    for (int64_t c = 0; c < n; ++c) body(T(0), c);
    return;
  }
  int64_t c = 0;
  for (; c + width <= n; c += width) body(Vec<T>(T(0)), c);
  if (c < n) body(Vec<T>(T(0)), n - width);
}

// u[xi][o][c] = (G g G^T)[xi] for the og x cg filters of w (og, cg, 3, 3). Each filter row
// o is first regrouped tap-major (tap[k][c]) so that the arithmetic runs along c in vectors:
// element by element it took a third of a forward pass with 512 x 512 filters.
template <typename T> void transform_weights(const T* w, int64_t og, int64_t cg, T* u, T* tap) {
  const int64_t plane = og * cg;
  for (int64_t o = 0; o < og; ++o) {
    for (int64_t c = 0; c < cg; ++c)
      for (int k = 0; k < 9; ++k) tap[k * cg + c] = w[(o * cg + c) * 9 + k];
    T* out = u + o * cg;
    along<T>(cg, [&](auto z, int64_t c) {
      using U = decltype(z);
      const U h(T(0.5));
      U t[4][3];  // G g
      for (int j = 0; j < 3; ++j) {
        const U g0 = load(z, tap + j * cg + c), g1 = load(z, tap + (3 + j) * cg + c), g2 = load(z, tap + (6 + j) * cg + c);
        t[0][j] = g0;
        t[1][j] = (g0 + g1 + g2) * h;
        t[2][j] = (g0 - g1 + g2) * h;
        t[3][j] = g2;
      }
      for (int i = 0; i < 4; ++i) {
        store(t[i][0], out + (i * 4 + 0) * plane + c);
        store((t[i][0] + t[i][1] + t[i][2]) * h, out + (i * 4 + 1) * plane + c);
        store((t[i][0] - t[i][1] + t[i][2]) * h, out + (i * 4 + 2) * plane + c);
        store(t[i][2], out + (i * 4 + 3) * plane + c);
      }
    });
  }
}

// The cg planes of one image's group, for each column phase rw, virtual image vi's rows
// [2 * ty0, 2 * ty1 + 2) of the padded input (x's row dh * r + rh - ph, columns dw * t + rw - pw)
// zero-padded to width wp: pad (dw, cg, 2 * (ty1 - ty0) + 2, wp), each row split by column
// parity, the tw + 1 even columns first, then the odd ones, so that a tile's four columns are
// four contiguous vector loads (tiles step by 2 columns). An x row is first copied whole, with
// its zero padding, into row (dw * wp elements), then dealt to its 2 * dw phase and parity rows
// in one loop the compiler vectorizes (element by element with strides, it took 3x the input
// transform).
template <typename T>
void pad_rows(const ConvGeom& g, const WinoPlan& wp, const Virtual& vi, const T* x, int64_t ty0, int64_t ty1, T* pad,
              T* __restrict row) {
  const int64_t prow = 2 * (ty1 - ty0) + 2, half = wp.tw + 1, size = wp.cg * prow * wp.wp, len = g.dw * wp.wp;
  const int64_t u0 = std::clamp<int64_t>(g.pw, 0, len), u1 = std::clamp<int64_t>(g.pw + g.w, u0, len);
  for (int64_t c = 0; c < wp.cg; ++c)
    for (int64_t r = 0; r < prow; ++r) {
      T* __restrict out = pad + (c * prow + r) * wp.wp;
      const int64_t ih = g.dh * (2 * ty0 + r) + vi.rh - g.ph;
      if (ih < 0 || ih >= g.h) {
        for (int64_t rw = 0; rw < g.dw; ++rw) std::fill(out + rw * size, out + rw * size + wp.wp, T(0));
        continue;
      }
      const T* xr = x + (c * g.h + ih) * g.w - g.pw;  // row[u] is x's column u - pw
      std::fill(row, row + u0, T(0));
      std::copy(xr + u0, xr + u1, row + u0);
      std::fill(row + u1, row + len, T(0));
      with_dilation(g.dw, [&](auto dw) {
        for (int64_t j = 0; j < half; ++j)
          for (int64_t par = 0; par < 2; ++par)
            for (int64_t rw = 0; rw < dw; ++rw) out[rw * size + par * half + j] = row[2 * dw * j + dw * par + rw];
      });
    }
}

// v[xi][c][t0 + (ty - ty0) * rt + tx] = (B^T d B)[xi] of each tile of the padded rows (one
// phase: t0 includes its segment).
template <typename T>
void transform_input(const WinoPlan& wp, const T* pad, int64_t ty0, int64_t ty1, T* v, int64_t ld, int64_t plane,
                     int64_t t0) {
  const int64_t prow = 2 * (ty1 - ty0) + 2, half = wp.tw + 1;
  for (int64_t c = 0; c < wp.cg; ++c)
    for (int64_t ty = ty0; ty < ty1; ++ty) {
      const T* rows = pad + (c * prow + 2 * (ty - ty0)) * wp.wp;
      T* out = v + c * ld + t0 + (ty - ty0) * wp.rt;
      along<T>(wp.tw, [&](auto z, int64_t tx) {
        using U = decltype(z);
        U a[4][4];  // B^T d, column by column
        for (int j = 0; j < 4; ++j) {
          const int64_t col = (j % 2) * half + j / 2 + tx;
          const U d0 = load(z, rows + col), d1 = load(z, rows + wp.wp + col);
          const U d2 = load(z, rows + 2 * wp.wp + col), d3 = load(z, rows + 3 * wp.wp + col);
          a[0][j] = d0 - d2;
          a[1][j] = d1 + d2;
          a[2][j] = d2 - d1;
          a[3][j] = d1 - d3;
        }
        for (int i = 0; i < 4; ++i) {
          store(a[i][0] - a[i][2], out + (i * 4 + 0) * plane + tx);
          store(a[i][1] + a[i][2], out + (i * 4 + 1) * plane + tx);
          store(a[i][2] - a[i][1], out + (i * 4 + 2) * plane + tx);
          store(a[i][1] - a[i][3], out + (i * 4 + 3) * plane + tx);
        }
      });
    }
}

// y's planes of one image's group, virtual image vi's output rows of tile rows [ty0, ty1) =
// A^T m A (+ bias), m[xi][o][t0 + (ty - ty0) * rt + rw * tw + tx]. A tile row's outputs are
// computed in vectors into split rows (tmp: per column phase, 4 x tw: row 0 even and odd
// columns, row 1 even and odd), then interleaved into y.
template <typename T>
void transform_output(const ConvGeom& g, const WinoPlan& wp, const Virtual& vi, const T* m, int64_t ld, int64_t plane,
                      int64_t t0, int64_t ty0, int64_t ty1, const T* bias, T* y, T* tmp) {
  const int64_t tw = wp.tw, seg = 4 * tw;
  for (int64_t o = 0; o < wp.og; ++o) {
    const T b = bias ? bias[o] : T(0);
    for (int64_t ty = ty0; ty < ty1; ++ty) {
      for (int64_t rw = 0; rw < g.dw; ++rw) {
        const T* in = m + o * ld + t0 + (ty - ty0) * wp.rt + rw * tw;
        T* split = tmp + rw * seg;
        along<T>(tw, [&](auto z, int64_t tx) {
          using U = decltype(z);
          const U vb(b);
          U s[2][4];  // A^T m, column by column
          for (int j = 0; j < 4; ++j) {
            const U m0 = load(z, in + j * plane + tx), m1 = load(z, in + (4 + j) * plane + tx);
            const U m2 = load(z, in + (8 + j) * plane + tx), m3 = load(z, in + (12 + j) * plane + tx);
            s[0][j] = m0 + m1 + m2;
            s[1][j] = m1 - m2 - m3;
          }
          for (int i = 0; i < 2; ++i) {
            store(s[i][0] + s[i][1] + s[i][2] + vb, split + (2 * i) * tw + tx);
            store(s[i][1] - s[i][2] - s[i][3] + vb, split + (2 * i + 1) * tw + tx);
          }
        });
      }
      for (int64_t i = 0; i < 2 && 2 * ty + i < vi.oh; ++i) {
        T* yr = y + (o * g.oh + g.dh * (2 * ty + i) + vi.rh) * g.ow;
        with_dilation(g.dw, [&](auto dw) { shuffle_row<true>(yr, tmp + 2 * i * tw, g.ow, dw, tw, seg); });
      }
    }
  }
}

// Tile rows of the whole batch: th per virtual image.
int64_t total_rows(const ConvGeom& g, const WinoPlan& wp) { return g.n * g.dh * wp.th; }

WinoPlan plan(const ConvGeom& g, int64_t elem_size) {
  WinoPlan wp;
  wp.cg = g.c / g.groups, wp.og = g.o / g.groups;
  wp.th = (ceil_div(g.oh, g.dh) + 1) / 2, wp.tw = (ceil_div(g.ow, g.dw) + 1) / 2;
  wp.rt = g.dw * wp.tw, wp.wp = 2 * wp.tw + 2;
  const int64_t row_bytes = 16 * std::max(wp.cg, wp.og) * wp.rt * elem_size;
  wp.rows = std::clamp<int64_t>(std::max(kBlockBytes / row_bytes, (kMinTiles + wp.rt - 1) / wp.rt), 1,
                                total_rows(g, wp));
  return wp;
}

// Calls fn(virtual image, ty0, ty1, first tile) for the tile rows [r0, r1) of a block (counted
// across virtual images), virtual image by virtual image.
template <typename Fn> void for_each_slice(const WinoPlan& wp, int64_t r0, int64_t r1, Fn&& fn) {
  for (int64_t r = r0; r < r1;) {
    const int64_t ty0 = r % wp.th, ty1 = std::min(wp.th, ty0 + (r1 - r));
    fn(r / wp.th, ty0, ty1, (r - r0) * wp.rt);
    r += ty1 - ty0;
  }
}

// The transformed input tiles V of group grp for a block: v[xi][c][t], rows ld apart, xi
// planes vplane apart.
template <typename T>
void block_input(const ConvGeom& g, const WinoPlan& wp, const T* x, int64_t grp, int64_t r0, int64_t r1, T* pad,
                 T* row, T* v, int64_t ld, int64_t vplane) {
  for_each_slice(wp, r0, r1, [&](int64_t vi, int64_t ty0, int64_t ty1, int64_t t0) {
    const Virtual im = virtual_of(g, vi);
    pad_rows(g, wp, im, x + (im.n * g.c + grp * wp.cg) * g.h * g.w, ty0, ty1, pad, row);
    const int64_t size = wp.cg * (2 * (ty1 - ty0) + 2) * wp.wp;
    for (int64_t rw = 0; rw < g.dw; ++rw)
      transform_input(wp, pad + rw * size, ty0, ty1, v, ld, vplane, t0 + rw * wp.tw);
  });
}

template <typename T> void forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const WinoPlan wp = plan(g, sizeof(T));
  const int64_t usize = 16 * wp.og * wp.cg;
  ConvScratch<T> u(usize * g.groups), tap(9 * wp.cg);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    transform_weights(w + grp * wp.og * wp.cg * 9, wp.og, wp.cg, u.p + grp * usize, tap.p);
  const int64_t rows = total_rows(g, wp), blocks = (rows + wp.rows - 1) / wp.rows;
  const int64_t ld_max = skewed<T>(wp.rows * wp.rt), prow_max = 2 * std::min(wp.rows, wp.th) + 2;
  core::parallel_for(0, blocks, blocks >= get_num_threads() ? 1 : blocks, [&](int64_t bb, int64_t be) {
    ConvScratch<T> v(16 * skewed<T>(wp.cg * ld_max)), m(16 * skewed<T>(wp.og * ld_max)), pad(g.dw * wp.cg * prow_max * wp.wp);
    ConvScratch<T> tmp(4 * wp.rt);  // also pad_rows' row (dw * wp = dw * (2 * tw + 2) elements)
    for (int64_t blk = bb; blk < be; ++blk) {
      const int64_t r0 = blk * wp.rows, r1 = std::min(rows, r0 + wp.rows), tiles = (r1 - r0) * wp.rt;
      const int64_t ld = skewed<T>(tiles), vplane = skewed<T>(wp.cg * ld), mplane = skewed<T>(wp.og * ld);
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        block_input(g, wp, x, grp, r0, r1, pad.p, tmp.p, v.p, ld, vplane);
        for (int64_t xi = 0; xi < 16; ++xi)
          gemm_t(false, false, wp.og, tiles, wp.cg, u.p + grp * usize + xi * wp.og * wp.cg, wp.cg, v.p + xi * vplane, ld,
                 T(0), m.p + xi * mplane, ld);
        for_each_slice(wp, r0, r1, [&](int64_t vi, int64_t ty0, int64_t ty1, int64_t t0) {
          const Virtual im = virtual_of(g, vi);
          transform_output(g, wp, im, m.p, ld, mplane, t0, ty0, ty1, bias ? bias + grp * wp.og : nullptr,
                           y + (im.n * g.o + grp * wp.og) * g.oh * g.ow, tmp.p);
        });
      }
    }
  });
}

// m[xi][o][t0 + (ty - ty0) * rt + rw * tw + tx] = (A e A^T)[xi] for the 2x2 tiles e of
// virtual image vi's phases of y's planes (zero outside them): the adjoint of transform_output.
// A tile row of y is first split by column phase and parity into tmp (as in transform_output),
// then transformed in vectors.
template <typename T>
void transform_output_grad(const ConvGeom& g, const WinoPlan& wp, const Virtual& vi, const T* y, int64_t ty0,
                           int64_t ty1, T* m, int64_t ld, int64_t plane, int64_t t0, T* tmp) {
  const int64_t tw = wp.tw, seg = 4 * tw;
  for (int64_t o = 0; o < wp.og; ++o)
    for (int64_t ty = ty0; ty < ty1; ++ty) {
      for (int64_t i = 0; i < 2; ++i) {
        T* split = tmp + 2 * i * tw;
        const bool inside = 2 * ty + i < vi.oh;
        for (int64_t rw = 0; rw < g.dw; ++rw) {  // zeros where y's row does not reach (tiles past a phase's end)
          const int64_t cols = inside ? ceil_div(g.ow - rw, g.dw) : 0;
          std::fill(split + rw * seg + (cols + 1) / 2, split + rw * seg + tw, T(0));
          std::fill(split + rw * seg + tw + cols / 2, split + rw * seg + 2 * tw, T(0));
        }
        if (!inside) continue;
        T* yr = const_cast<T*>(y) + (o * g.oh + g.dh * (2 * ty + i) + vi.rh) * g.ow;  // read only
        with_dilation(g.dw, [&](auto dw) { shuffle_row<false>(yr, split, g.ow, dw, tw, seg); });
      }
      for (int64_t rw = 0; rw < g.dw; ++rw) {
        const T* split = tmp + rw * seg;
        T* out = m + o * ld + t0 + (ty - ty0) * wp.rt + rw * tw;
        along<T>(tw, [&](auto z, int64_t tx) {
          using U = decltype(z);
          const U e00 = load(z, split + tx), e01 = load(z, split + tw + tx);
          const U e10 = load(z, split + 2 * tw + tx), e11 = load(z, split + 3 * tw + tx);
          const U t[4][2] = {{e00, e01}, {e00 + e10, e01 + e11}, {e00 - e10, e01 - e11}, {U(T(0)) - e10, U(T(0)) - e11}};
          for (int k = 0; k < 4; ++k) {
            store(t[k][0], out + (k * 4 + 0) * plane + tx);
            store(t[k][0] + t[k][1], out + (k * 4 + 1) * plane + tx);
            store(t[k][0] - t[k][1], out + (k * 4 + 2) * plane + tx);
            store(U(T(0)) - t[k][1], out + (k * 4 + 3) * plane + tx);
          }
        });
      }
    }
}

// dw (og, cg, 3, 3) = G^T u[xi] G for the og x cg filters: the adjoint of transform_weights,
// likewise along c in vectors into tap-major rows (tap[k][c]), then regrouped.
template <typename T> void transform_weights_grad(const T* u, int64_t og, int64_t cg, T* dw, T* tap) {
  const int64_t plane = og * cg;
  for (int64_t o = 0; o < og; ++o) {
    const T* in = u + o * cg;
    along<T>(cg, [&](auto z, int64_t c) {
      using U = decltype(z);
      const U h(T(0.5));
      U t[3][4];  // G^T q
      for (int l = 0; l < 4; ++l) {
        const U q0 = load(z, in + l * plane + c), q1 = load(z, in + (4 + l) * plane + c);
        const U q2 = load(z, in + (8 + l) * plane + c), q3 = load(z, in + (12 + l) * plane + c);
        t[0][l] = q0 + (q1 + q2) * h;
        t[1][l] = (q1 - q2) * h;
        t[2][l] = (q1 + q2) * h + q3;
      }
      for (int i = 0; i < 3; ++i) {
        store(t[i][0] + (t[i][1] + t[i][2]) * h, tap + (i * 3 + 0) * cg + c);
        store((t[i][1] - t[i][2]) * h, tap + (i * 3 + 1) * cg + c);
        store((t[i][1] + t[i][2]) * h + t[i][3], tap + (i * 3 + 2) * cg + c);
      }
    });
    for (int64_t c = 0; c < cg; ++c)
      for (int k = 0; k < 9; ++k) dw[(o * cg + c) * 9 + k] = tap[k * cg + c];
  }
}

// dw = conv_w(x, y): the gradient of <y, conv(x, w)> in w is G^T [sum over tiles and images of
// (A y A^T) .* (B^T d B)] G, 16 GEMMs M[xi] (og, tiles) x V[xi]^T (tiles, cg) accumulated over
// the blocks. Each thread sums its blocks into its own U, added in a fixed order at the end.
template <typename T> void weight(const ConvGeom& g, const T* x, const T* y, T* dw) {
  const WinoPlan wp = plan(g, sizeof(T));
  const int64_t usize = 16 * wp.og * wp.cg;
  const int64_t rows = total_rows(g, wp), blocks = (rows + wp.rows - 1) / wp.rows;
  const int64_t chunks = blocks >= get_num_threads() ? get_num_threads() : 1;
  ConvScratch<T> u(chunks * usize * g.groups);
  const int64_t ld_max = skewed<T>(wp.rows * wp.rt), prow_max = 2 * std::min(wp.rows, wp.th) + 2;
  core::parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    ConvScratch<T> v(16 * skewed<T>(wp.cg * ld_max)), m(16 * skewed<T>(wp.og * ld_max)), pad(g.dw * wp.cg * prow_max * wp.wp);
    ConvScratch<T> tmp(4 * wp.rt);  // also pad_rows' row (dw * wp = dw * (2 * tw + 2) elements)
    for (int64_t ch = cb; ch < ce; ++ch) {
      T* uc = u.p + ch * usize * g.groups;
      std::fill(uc, uc + usize * g.groups, T(0));
      for (int64_t blk = blocks * ch / chunks; blk < blocks * (ch + 1) / chunks; ++blk) {
        const int64_t r0 = blk * wp.rows, r1 = std::min(rows, r0 + wp.rows), tiles = (r1 - r0) * wp.rt;
        const int64_t ld = skewed<T>(tiles), vplane = skewed<T>(wp.cg * ld), mplane = skewed<T>(wp.og * ld);
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          block_input(g, wp, x, grp, r0, r1, pad.p, tmp.p, v.p, ld, vplane);
          for_each_slice(wp, r0, r1, [&](int64_t vi, int64_t ty0, int64_t ty1, int64_t t0) {
            const Virtual im = virtual_of(g, vi);
            transform_output_grad(g, wp, im, y + (im.n * g.o + grp * wp.og) * g.oh * g.ow, ty0, ty1, m.p, ld, mplane,
                                  t0, tmp.p);
          });
          for (int64_t xi = 0; xi < 16; ++xi)
            gemm_t(false, true, wp.og, wp.cg, tiles, m.p + xi * mplane, ld, v.p + xi * vplane, ld, T(1),
                   uc + grp * usize + xi * wp.og * wp.cg, wp.cg);
        }
      }
    }
  });
  for (int64_t ch = 1; ch < chunks; ++ch)
    for (int64_t i = 0; i < usize * g.groups; ++i) u.p[i] += u.p[ch * usize * g.groups + i];
  ConvScratch<T> tap(9 * wp.cg);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    transform_weights_grad(u.p + grp * usize, wp.og, wp.cg, dw + grp * wp.og * wp.cg * 9, tap.p);
}

}  // namespace

bool winograd_applies(const ConvGeom& g) {
  // Below 4x4 outputs (per phase) most of a tile is padding. (ResNet's 4x4 512->512 layers at
  // batch 32: forward as fast either way, forward + backward 1.2x faster.) With few tiles in
  // the batch, transforming the filters (16 og x cg planes, written and then packed by each
  // GEMM) costs more than the products save: at batch 1 those 4x4 layers took 5x longer
  // than the GEMM over columns.
  if (!(g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.c / g.groups >= 16 && g.o / g.groups >= 16 &&
        g.oh == g.h + 2 * g.ph - 2 * g.dh && g.ow == g.w + 2 * g.pw - 2 * g.dw))
    return false;
  const int64_t soh = ceil_div(g.oh, g.dh), sow = ceil_div(g.ow, g.dw);
  return soh >= 4 && sow >= 4 && g.n * g.dh * g.dw * ((soh + 1) / 2) * ((sow + 1) / 2) >= kMinBatchTiles;
}

// With stride 1, conv^T(y, w) is the forward conv of y with the filters flipped and in and out
// channels swapped, padded by d * (k - 1) - p.
ConvGeom flipped(const ConvGeom& g) {
  ConvGeom f = g;
  f.c = g.o, f.h = g.oh, f.w = g.ow, f.o = g.c, f.oh = g.h, f.ow = g.w, f.ph = 2 * g.dh - g.ph, f.pw = 2 * g.dw - g.pw;
  return f;
}

bool winograd_transpose_applies(const ConvGeom& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.ph <= 2 * g.dh && g.pw <= 2 * g.dw &&
         winograd_applies(flipped(g));
}

template <typename T> void winograd_transpose(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups;
  ConvScratch<T> wf(g.c * og * 9);  // (c, og, 3, 3)
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t oo = 0; oo < og; ++oo)
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t t = 0; t < 9; ++t)
          wf.p[((grp * cg + ci) * og + oo) * 9 + t] = w[((grp * og + oo) * cg + ci) * 9 + 8 - t];
  forward(flipped(g), y, wf.p, bias, x);
}
template void winograd_transpose<float>(const ConvGeom&, const float*, const float*, const float*, float*);
template void winograd_transpose<double>(const ConvGeom&, const double*, const double*, const double*, double*);

template <typename T> void winograd_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  forward(g, x, w, bias, y);
}
template void winograd_forward<float>(const ConvGeom&, const float*, const float*, const float*, float*);
template void winograd_forward<double>(const ConvGeom&, const double*, const double*, const double*, double*);

template <typename T> void winograd_weight(const ConvGeom& g, const T* x, const T* y, T* dw) { weight(g, x, y, dw); }
template void winograd_weight<float>(const ConvGeom&, const float*, const float*, float*);
template void winograd_weight<double>(const ConvGeom&, const double*, const double*, double*);

}  // namespace nd::cpu::NATIVEDL_ISA
