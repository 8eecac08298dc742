// Depthwise convolution kernels (groups == c, o = c * multiplier), forward, transpose and
// weight (Note [Convolution triple]).
//
// Note [Depthwise by padded planes]
// A depthwise conv does kh*kw multiply-adds per loaded value, so it is memory-bound and an
// im2col would multiply its traffic by kh*kw. Instead each thread copies one source plane
// into a small zero-bordered buffer (it stays in L1/L2), after which every tap of every
// output is in bounds and the inner loops are branch-free runs of vector FMAs along a row.
// The border is zeroed once per thread: every plane of a call writes the same interior.
// A column stride s is taken out of the loops by storing the buffer in s phases (column c
// of a row goes to phase c % s, position c / s): tap j of output q then reads position
// q + (j*dw) / s of phase (j*dw) % s, contiguous in q, so strided convolutions run the
// same vector loops as unit-stride ones. Buffer rows start 64-byte aligned, with the
// source's first column on a vector boundary.
// The kernels are register blocked: 4 output rows x 1-2 vectors of accumulators, and for
// unit row stride and dilation each loaded input vector feeds every output row it touches
// (an input row is loaded once per block instead of kh times). Row ends narrower than a
// vector are covered by one more vector overlapping the previous one (outputs are simply
// written twice) when outputs are overwritten, and by scalar code when accumulated.
// The transpose is the same correlation with the flipped kernel over y placed with
// (stride - 1) zeros between its elements; the weight gradient accumulates all taps' dot
// products between y and the shifted buffer in registers, over a whole plane.
#include <cstdint>

#include "core/parallel.h"
#include "cpu/conv_util.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

/// Multiply-adds per parallel chunk below which planes stay on one thread.
constexpr int64_t kDepthwiseGrain = int64_t(1) << 16;
/// Output rows per register block.
constexpr int kRows = 4;

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

/// prefetch for an output about to be written: its lines arrive owned, so the stores of the
/// next plane do not stall on read-for-ownership misses.
template <typename T> void prefetch_write(const T* p, int64_t n) {
  for (int64_t k = 0; k < n; k += 64 / int64_t(sizeof(T))) __builtin_prefetch(p + k, 1);
}

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

/// Where a padded plane of rows x cols lives in a buffer stored in s column phases (Note
/// [Depthwise by padded planes]); src_col is the padded column of the source's first one.
struct PadLayout {
  int64_t rows, cols, s, lead, pitch, phase;
  PadLayout(int64_t rows_, int64_t cols_, int64_t s_, int64_t src_col, int64_t lanes)
      : rows(rows_), cols(cols_), s(s_) {
    lead = (lanes - (src_col / s) % lanes) % lanes;
    pitch = round_up(lead + (cols + s - 1) / s, lanes);
    phase = rows * pitch;
  }
  int64_t at(int64_t r, int64_t c) const { return (c % s) * phase + r * pitch + lead + c / s; }
  int64_t size() const { return s * phase; }
};

/// Writes src (src_h x src_w) element (a, b) at padded (a * ins_h + off_h, b * ins_w + off_w)
/// of buf where that falls inside the plane, leaving every other element as it was (zero);
/// prefetches the plane `next` of the same size.
template <typename T>
void place(const T* src, int64_t src_h, int64_t src_w, int64_t ins_h, int64_t ins_w, int64_t off_h, int64_t off_w,
           T* buf, const PadLayout& l, const T* next) {
  prefetch(next, src_h * src_w);
  int64_t a0, a1, b0, b1;
  tap_range(src_h, ins_h, off_h, l.rows, &a0, &a1);
  tap_range(src_w, ins_w, off_w, l.cols, &b0, &b1);
  for (int64_t a = a0; a < a1; ++a) {
    const int64_t r = a * ins_h + off_h;
    const T* s = src + a * src_w;
    if (ins_w == 1 && l.s == 1) {
      copy_run(s + b0, buf + l.at(r, b0 + off_w), b1 - b0);
    } else if (ins_w == 1) {
      // One phase at a time: a strided read and a contiguous write.
      for (int64_t k = 0; k < l.s && b0 + k < b1; ++k) {
        T* d = buf + l.at(r, b0 + k + off_w);
        for (int64_t b = b0 + k, m = 0; b < b1; b += l.s, ++m) d[m] = s[b];
      }
    } else {
      for (int64_t b = b0; b < b1; ++b) buf[l.at(r, b * ins_w + off_w)] = s[b];
    }
  }
}

/// A correlation over a padded buffer: output (p, q) of tap (i, j) reads
/// buf[p * row_step + i * dh * pitch + coff[j] + q] with weight wt[i * kw + j]. `stream`
/// writes the outputs past the caches (see streams()).
template <typename T> struct Corr {
  const T* wt;
  int64_t kh, kw, dh, pitch, row_step;
  const int64_t* coff;
  bool stream = false;
};

/// The column offsets of the kw taps of stride-s, dilation-d columns in layout l.
void column_offsets(const PadLayout& l, int64_t kw, int64_t d, int64_t* coff) {
  for (int64_t j = 0; j < kw; ++j) coff[j] = l.at(0, j * d);
}

/// Whether a correlation's input rows advance one per output row and per tap, so that one
/// loaded input row serves several output rows (Note [Depthwise by padded planes]).
template <typename T> bool rows_shared(const Corr<T>& c) { return c.row_step == c.pitch && c.dh == 1; }

/// NR output rows x NV vectors from column q (base = buf + p * row_step + q, o = out + p * ow + q):
/// init (or out's values) plus every tap. KH = KW = 0 takes the taps from c; SHARED loads each
/// input row once for all the output rows it feeds (needs rows_shared(c) and KH > 0). The loops
/// over rows, taps and vectors are unrolled completely so the accumulators stay in registers
/// (indexed at run time they live on the stack).
template <int KH, int KW, int NR, int NV, bool SHARED, typename T>
void corr_block(const T* base, const Corr<T>& c, T* o, int64_t ow, bool accumulate, T init) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const int64_t kh = KH ? KH : c.kh, kw = KW ? KW : c.kw;
  V a[NR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) a[r][v] = accumulate ? V::loadu(o + r * ow + v * L) : V(init);
  if constexpr (SHARED) {
    static_assert(KH > 0 && KW > 0, "shared rows need a fixed kernel size");
#pragma GCC unroll 16
    for (int x = 0; x < NR + KH - 1; ++x)
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j) {
        V in[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) in[v] = V::loadu(base + x * c.pitch + c.coff[j] + v * L);
#pragma GCC unroll 8
        for (int i = 0; i < KH; ++i) {
          const int r = x - i;  // the output row that input row x feeds through tap row i
          if (r < 0 || r >= NR) continue;
          const V wv(c.wt[i * KW + j]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) a[r][v] = vfmadd(wv, in[v], a[r][v]);
        }
      }
  } else {
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) {
        const V wv(c.wt[i * kw + j]);
        const T* s = base + i * c.dh * c.pitch + c.coff[j];
#pragma GCC unroll 8
        for (int r = 0; r < NR; ++r)
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) a[r][v] = vfmadd(wv, V::loadu(s + r * c.row_step + v * L), a[r][v]);
      }
  }
#pragma GCC unroll 8
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) c.stream ? a[r][v].stream(o + r * ow + v * L) : a[r][v].storeu(o + r * ow + v * L);
}

/// Output rows [p, p + NR): two-vector blocks along the row, one vector, then the end of the
/// row (Note [Depthwise by padded planes]).
template <int KH, int KW, int NR, bool SHARED, typename T>
void corr_rows(const T* buf, const Corr<T>& c, T* out, int64_t p, int64_t ow, bool accumulate, T init) {
  constexpr int64_t L = Vec<T>::size;
  const T* base = buf + p * c.row_step;
  T* o = out + p * ow;
  int64_t q = 0;
  for (; q + 2 * L <= ow; q += 2 * L) corr_block<KH, KW, NR, 2, SHARED>(base + q, c, o + q, ow, accumulate, init);
  if (q + L <= ow) corr_block<KH, KW, NR, 1, SHARED>(base + q, c, o + q, ow, accumulate, init), q += L;
  if (q == ow) return;
  if (!accumulate && ow >= L) return corr_block<KH, KW, NR, 1, SHARED>(base + ow - L, c, o + ow - L, ow, false, init);
  const int64_t kh = KH ? KH : c.kh, kw = KW ? KW : c.kw;
  for (int r = 0; r < NR; ++r)
    for (int64_t col = q; col < ow; ++col) {
      T a = accumulate ? o[r * ow + col] : init;
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j)
          a += c.wt[i * kw + j] * base[r * c.row_step + i * c.dh * c.pitch + c.coff[j] + col];
      o[r * ow + col] = a;
    }
}

/// out (oh x ow) = (accumulate ? out : init) + the correlation c, in blocks of kRows rows; the
/// last rows are one more block overlapping the previous when outputs are overwritten.
template <int KH, int KW, bool SHARED, typename T>
void corr_plane(const T* buf, const Corr<T>& c, T* out, int64_t oh, int64_t ow, bool accumulate, T init) {
  int64_t p = 0;
  for (; p + kRows <= oh; p += kRows) corr_rows<KH, KW, kRows, SHARED>(buf, c, out, p, ow, accumulate, init);
  if (p == oh) return;
  if (!accumulate && oh >= kRows) return corr_rows<KH, KW, kRows, SHARED>(buf, c, out, oh - kRows, ow, false, init);
  for (; p < oh; ++p) corr_rows<KH, KW, 1, SHARED>(buf, c, out, p, ow, accumulate, init);
}

// Note [Flat small planes]
// Output rows shorter than a vector leave corr_rows only its element-by-element end (a 4x4
// plane: 144 scalar multiply-adds, most of MobileNet's last blocks). Indexed flat, f = p *
// row_step + q, output (p, q) of tap (i, j) reads buf[f + i * dh * pitch + coff[j]] whatever
// the row: the plane is one correlation over (oh - 1) * row_step + ow contiguous positions,
// in whole vectors (the last one overlapping), whose q >= ow positions are computed and dropped.
constexpr int64_t kFlatMax = 256;

/// Whether plane (oh x ow) of correlation c takes corr_flat.
template <typename T> bool flat_plane(const Corr<T>& c, int64_t oh, int64_t ow) {
  const int64_t len = (oh - 1) * c.row_step + ow;
  return ow < Vec<T>::size && !c.stream && len >= Vec<T>::size && len <= kFlatMax;
}

template <int KH, int KW, typename T>
void corr_flat(const T* buf, const Corr<T>& c, T* out, int64_t oh, int64_t ow, bool accumulate, T init) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const int64_t kh = KH ? KH : c.kh, kw = KW ? KW : c.kw, len = (oh - 1) * c.row_step + ow;
  T flat[kFlatMax];
  for (int64_t f = 0; f < len; f += L) {
    const int64_t f0 = std::min(f, len - L);
    V a(accumulate ? T(0) : init);
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j)
        a = vfmadd(V(c.wt[i * kw + j]), V::loadu(buf + f0 + i * c.dh * c.pitch + c.coff[j]), a);
    a.storeu(flat + f0);
  }
  for (int64_t p = 0; p < oh; ++p)
    for (int64_t q = 0; q < ow; ++q) out[p * ow + q] = accumulate ? out[p * ow + q] + flat[p * c.row_step + q]
                                                                  : flat[p * c.row_step + q];
}

/// corr_plane with the kernel size fixed at compile time for the common 3x3 and 5x5.
template <typename T>
void correlate(const T* buf, const Corr<T>& c, T* out, int64_t oh, int64_t ow, bool accumulate, T init) {
  if (flat_plane(c, oh, ow)) {
    if (c.kh == 3 && c.kw == 3) return corr_flat<3, 3>(buf, c, out, oh, ow, accumulate, init);
    return corr_flat<0, 0>(buf, c, out, oh, ow, accumulate, init);
  }
  const bool shared = rows_shared(c);
  if (c.kh == 3 && c.kw == 3)
    return shared ? corr_plane<3, 3, true>(buf, c, out, oh, ow, accumulate, init)
                  : corr_plane<3, 3, false>(buf, c, out, oh, ow, accumulate, init);
  if (c.kh == 5 && c.kw == 5)
    return shared ? corr_plane<5, 5, true>(buf, c, out, oh, ow, accumulate, init)
                  : corr_plane<5, 5, false>(buf, c, out, oh, ow, accumulate, init);
  corr_plane<0, 0, false>(buf, c, out, oh, ow, accumulate, init);
}

/// Rows [p, p + NR) of wgrad_plane: acc[i * KW + j] += y vectors times the buffer under tap
/// (i, j), tail[...] the same for the columns past the last whole vector.
template <int KH, int KW, int NR, bool SHARED, typename T>
void wgrad_rows(const T* buf, const Corr<T>& c, const T* y, int64_t p, int64_t ow, Vec<T> (&acc)[KH * KW],
                T (&tail)[KH * KW]) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const T* base = buf + p * c.row_step;
  const T* yr = y + p * ow;
  int64_t q = 0;
  for (; q + L <= ow; q += L) {
    V yv[NR];
#pragma GCC unroll 8
    for (int r = 0; r < NR; ++r) yv[r] = V::loadu(yr + r * ow + q);
    if constexpr (SHARED) {
#pragma GCC unroll 16
      for (int x = 0; x < NR + KH - 1; ++x)
#pragma GCC unroll 8
        for (int j = 0; j < KW; ++j) {
          const V in = V::loadu(base + x * c.pitch + c.coff[j] + q);
#pragma GCC unroll 8
          for (int i = 0; i < KH; ++i) {
            const int r = x - i;  // the y row that meets input row x through tap row i
            if (r >= 0 && r < NR) acc[i * KW + j] = vfmadd(yv[r], in, acc[i * KW + j]);
          }
        }
    } else {
#pragma GCC unroll 8
      for (int r = 0; r < NR; ++r)
#pragma GCC unroll 8
        for (int i = 0; i < KH; ++i)
#pragma GCC unroll 8
          for (int j = 0; j < KW; ++j)
            acc[i * KW + j] =
                vfmadd(yv[r], V::loadu(base + r * c.row_step + i * c.dh * c.pitch + c.coff[j] + q), acc[i * KW + j]);
    }
  }
  for (int r = 0; r < NR; ++r)
    for (int64_t col = q; col < ow; ++col)
      for (int i = 0; i < KH; ++i)
        for (int j = 0; j < KW; ++j)
          tail[i * KW + j] += yr[r * ow + col] * base[r * c.row_step + i * c.dh * c.pitch + c.coff[j] + col];
}

/// sum_{p, q} y[p][q] * buf[p * row_step + i * dh * pitch + coff[j] + q], the gradient of
/// correlation c's weight (i, j), added to vector dv[(i * kw + j) * L ...] (whole vectors of
/// columns) and d[i * kw + j] (the rest): every tap's accumulators in registers for the
/// plane, their lanes added once per call (WeightSums), not per plane.
template <int KH, int KW, bool SHARED, typename T>
void wgrad_plane(const T* buf, const Corr<T>& c, const T* y, int64_t oh, int64_t ow, T* d, T* dv) {
  constexpr int64_t L = Vec<T>::size;
  Vec<T> acc[KH * KW];
  T tail[KH * KW];
  for (int k = 0; k < KH * KW; ++k) acc[k] = Vec<T>::loadu(dv + k * L), tail[k] = T(0);
  int64_t p = 0;
  for (; p + kRows <= oh; p += kRows) wgrad_rows<KH, KW, kRows, SHARED>(buf, c, y, p, ow, acc, tail);
  for (; p < oh; ++p) wgrad_rows<KH, KW, 1, SHARED>(buf, c, y, p, ow, acc, tail);
  for (int k = 0; k < KH * KW; ++k) acc[k].storeu(dv + k * L), d[k] += tail[k];
}

/// wgrad_plane for any kernel size: one tap at a time, two accumulators deep.
template <typename T> void wgrad_plane_any(const T* buf, const Corr<T>& c, const T* y, int64_t oh, int64_t ow, T* d) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  for (int64_t i = 0; i < c.kh; ++i)
    for (int64_t j = 0; j < c.kw; ++j) {
      V a0(T(0)), a1(T(0));
      T tail = 0;
      for (int64_t p = 0; p < oh; ++p) {
        const T* s = buf + p * c.row_step + i * c.dh * c.pitch + c.coff[j];
        const T* yr = y + p * ow;
        int64_t q = 0;
        for (; q + 2 * L <= ow; q += 2 * L) {
          a0 = vfmadd(V::loadu(yr + q), V::loadu(s + q), a0);
          a1 = vfmadd(V::loadu(yr + q + L), V::loadu(s + q + L), a1);
        }
        for (; q + L <= ow; q += L) a0 = vfmadd(V::loadu(yr + q), V::loadu(s + q), a0);
        for (; q < ow; ++q) tail += yr[q] * s[q];
      }
      d[i * c.kw + j] += tail + lane_sum<T>(a0 + a1);
    }
}

/// Per-thread weight-gradient sums of output channels [o0, o1): one vector per tap, whose
/// lanes are added into the gradient once at the end (a lane sum per tap and plane cost as
/// much as a third of the weight gradient's arithmetic on 32 x 32 planes).
template <typename T> struct WeightSums {
  static constexpr int64_t L = Vec<T>::size;
  ConvScratch<T> lanes, tails;
  int64_t o0, taps;
  WeightSums(int64_t o0_, int64_t o1, int64_t taps_)
      : lanes((o1 - o0_) * taps_ * L), tails((o1 - o0_) * taps_), o0(o0_), taps(taps_) {
    std::fill(lanes.p, lanes.p + (o1 - o0) * taps * L, T(0));
    std::fill(tails.p, tails.p + (o1 - o0) * taps, T(0));
  }
  /// The vectors (taps x L) and scalar sums (taps) of output channel oc.
  T* at(int64_t oc) const { return lanes.p + (oc - o0) * taps * L; }
  T* tail(int64_t oc) const { return tails.p + (oc - o0) * taps; }
  /// dw[oc * taps + k] = the sums of tap k (of tap taps - 1 - k when `flipped`), oc in [o0, o1).
  void finish(T* dw, int64_t o1, bool flipped) const {
    for (int64_t oc = o0; oc < o1; ++oc)
      for (int64_t k = 0; k < taps; ++k) {
        const int64_t t = flipped ? taps - 1 - k : k;
        dw[oc * taps + k] = tail(oc)[t] + lane_sum<T>(Vec<T>::loadu(at(oc) + t * L));
      }
  }
};

/// One plane's weight gradient, into d (dw of one output channel) and dv (its WeightSums vectors).
template <typename T>
void weight_plane(const T* buf, const Corr<T>& c, const T* y, int64_t oh, int64_t ow, T* d, T* dv) {
  const bool shared = rows_shared(c);
  if (c.kh == 3 && c.kw == 3)
    return shared ? wgrad_plane<3, 3, true>(buf, c, y, oh, ow, d, dv)
                  : wgrad_plane<3, 3, false>(buf, c, y, oh, ow, d, dv);
  if (c.kh == 5 && c.kw == 5)
    return shared ? wgrad_plane<5, 5, true>(buf, c, y, oh, ow, d, dv)
                  : wgrad_plane<5, 5, false>(buf, c, y, oh, ow, d, dv);
  wgrad_plane_any(buf, c, y, oh, ow, d);
}

// Buffer sizes for reading a y of (oh, ow) through the taps: the last tap of the last output.
int64_t span(int64_t out, int64_t s, int64_t k, int64_t d) { return (out - 1) * s + (k - 1) * d + 1; }

// Note [Streaming depthwise outputs]
// An output much larger than the last-level cache is written with streaming stores: a
// plain store first reads the line it writes (read-for-ownership), a third stream of
// traffic on a kernel that moves two, and the output would leave the cache anyway. It needs
// rows of whole aligned vectors and overwritten (not accumulated) outputs; the caller
// fences before its chunk ends. Outputs that fit in the cache stay cached for their reader.
// The size is fixed rather than asked of the OS: sysconf reports a whole socket's L3, while
// one core reaches only its own complex's (32 MiB on the Zen 5 parts here).
constexpr int64_t kStreamBytes = int64_t(64) << 20;

/// Whether `planes` output planes of oh x ow at out are streamed (Note [Streaming depthwise outputs]).
template <typename T> bool streams(const T* out, int64_t planes, int64_t oh, int64_t ow) {
  constexpr int64_t L = Vec<T>::size;
  return planes * oh * ow * int64_t(sizeof(T)) >= kStreamBytes && ow % L == 0 &&
         reinterpret_cast<uintptr_t>(out) % (L * sizeof(T)) == 0;
}

/// The padded, phased layout of x as conv(x, w) reads it.
template <typename T> PadLayout forward_layout(const ConvGeom& g) {
  return PadLayout(span(g.oh, g.sh, g.kh, g.dh), span(g.ow, g.sw, g.kw, g.dw), g.sw, g.pw, Vec<T>::size);
}

/// Per-thread scratch: a zeroed buffer of layout l and the column offsets of its taps.
template <typename T> struct PlaneScratch {
  ConvScratch<T> buf;
  ConvScratch<int64_t> coff;
  PlaneScratch(const PadLayout& l, int64_t kw, int64_t dw) : buf(l.size()), coff(kw) {
    std::fill(buf.p, buf.p + l.size(), T(0));
    column_offsets(l, kw, dw, coff.p);
  }
};

template <typename T> void forward_typed(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw;
  const PadLayout l = forward_layout<T>(g);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.oh * g.ow * taps, 1));
  const bool stream = streams(y, g.n * g.o, g.oh, g.ow);
  core::parallel_for(0, g.n * g.o, grain, [&](int64_t b, int64_t e) {
    PlaneScratch<T> s(l, g.kw, g.dw);
    int64_t placed = -1;  // the (n, ci) plane in buf: consecutive planes share it when m > 1
    for (int64_t pl = b; pl < e; ++pl) {
      const int64_t oc = pl % g.o, src = pl / m;
      if (src != placed)
        place(x + src * g.h * g.w, g.h, g.w, 1, 1, g.ph, g.pw, s.buf.p, l, x + (src + 1) * g.h * g.w), placed = src;
      const Corr<T> c{w + oc * taps, g.kh, g.kw, g.dh, l.pitch, g.sh * l.pitch, s.coff.p, stream};
      if (!stream) prefetch_write(y + (pl + 1) * g.oh * g.ow, g.oh * g.ow);
      correlate(s.buf.p, c, y + pl * g.oh * g.ow, g.oh, g.ow, false, bias ? bias[oc] : T(0));
    }
    if (stream) stream_fence();
  });
}

/// conv^T reads y through the flipped kernel at stride 1, y's elements placed stride apart
/// from (off_h, off_w) of a padded plane of this layout.
int64_t transpose_offset(int64_t k, int64_t d, int64_t pad) { return (k - 1) * d - pad; }
template <typename T> PadLayout transpose_layout(const ConvGeom& g) {
  return PadLayout(span(g.h, 1, g.kh, g.dh), span(g.w, 1, g.kw, g.dw), 1,
                   std::max<int64_t>(transpose_offset(g.kw, g.dw, g.pw), 0), Vec<T>::size);
}

/// dst[k] = src[taps - 1 - k]: the kernel rotated by 180 degrees.
template <typename T> void flip(const T* src, int64_t taps, T* dst) {
  for (int64_t k = 0; k < taps; ++k) dst[k] = src[taps - 1 - k];
}

/// x plane (accumulate ? x : bias) += conv^T of the y plane yp through the flipped kernel,
/// with s holding y's padded layout l; prefetches the y plane `next`.
template <typename T>
void transpose_plane(const ConvGeom& g, const T* yp, const T* flipped, const PlaneScratch<T>& s, const PadLayout& l,
                     T* xp, bool accumulate, T bias, const T* next, bool stream) {
  place(yp, g.oh, g.ow, g.sh, g.sw, transpose_offset(g.kh, g.dh, g.ph), transpose_offset(g.kw, g.dw, g.pw), s.buf.p,
        l, next);
  const Corr<T> c{flipped, g.kh, g.kw, g.dh, l.pitch, l.pitch, s.coff.p, stream};
  correlate(s.buf.p, c, xp, g.h, g.w, accumulate, bias);
}

template <typename T> void transpose_typed(const ConvGeom& g, const T* y, const T* w, const T* bias, T* x) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw, ysize = g.oh * g.ow;
  const PadLayout l = transpose_layout<T>(g);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.h * g.w * taps * m, 1));
  const bool stream = m == 1 && streams(x, g.n * g.c, g.h, g.w);  // multipliers accumulate
  core::parallel_for(0, g.n * g.c, grain, [&](int64_t b, int64_t e) {
    PlaneScratch<T> s(l, g.kw, g.dw);
    ConvScratch<T> flipped(taps);
    for (int64_t pl = b; pl < e; ++pl) {
      const int64_t ci = pl % g.c;
      if (!stream) prefetch_write(x + (pl + 1) * g.h * g.w, g.h * g.w);
      for (int64_t mm = 0; mm < m; ++mm) {
        const T* yp = y + (pl * m + mm) * ysize;
        flip(w + (ci * m + mm) * taps, taps, flipped.p);
        transpose_plane(g, yp, flipped.p, s, l, x + pl * g.h * g.w, mm > 0, bias ? bias[ci] : T(0), yp + ysize,
                        stream);
      }
    }
    if (stream) stream_fence();
  });
}

template <typename T> void weight_typed(const ConvGeom& g, const T* x, const T* y, T* dw) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw;
  const PadLayout l = forward_layout<T>(g);
  const int64_t grain = std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(g.n * g.oh * g.ow * taps, 1));
  core::parallel_for(0, g.o, grain, [&](int64_t b, int64_t e) {
    PlaneScratch<T> s(l, g.kw, g.dw);
    WeightSums<T> sums(b, e, taps);
    // Images outer, channels inner: one image's planes of this chunk are contiguous, so the
    // reads stream (channels outer strode a whole image between planes and waited on memory).
    for (int64_t n = 0; n < g.n; ++n) {
      int64_t placed = -1;  // the x plane in buf: consecutive outputs share it when m > 1
      for (int64_t oc = b; oc < e; ++oc) {
        const int64_t src = n * g.c + oc / m;
        const T* xp = x + src * g.h * g.w;
        if (src != placed) place(xp, g.h, g.w, 1, 1, g.ph, g.pw, s.buf.p, l, xp + g.h * g.w), placed = src;
        const T* yp = y + (n * g.o + oc) * g.oh * g.ow;
        prefetch(yp + g.oh * g.ow, g.oh * g.ow);
        const Corr<T> c{nullptr, g.kh, g.kw, g.dh, l.pitch, g.sh * l.pitch, s.coff.p};
        weight_plane(s.buf.p, c, yp, g.oh, g.ow, sums.tail(oc), sums.at(oc));
      }
    }
    sums.finish(dw, e, false);
  });
}

/// The sum of the n elements at p.
template <typename T> T plane_sum(const T* p, int64_t n) {
  using V = Vec<T>;
  V a0(T(0)), a1(T(0));
  int64_t k = 0;
  for (; k + 2 * V::size <= n; k += 2 * V::size) a0 = a0 + V::loadu(p + k), a1 = a1 + V::loadu(p + k + V::size);
  T tail = 0;
  for (; k < n; ++k) tail += p[k];
  return tail + lane_sum<T>(a0 + a1);
}

// Note [Fused depthwise backward]
// The input and weight gradients both read the output gradient gy, and the weight gradient
// also x: computed apart they read gy twice from memory. Here each thread owns a range of
// channels and walks images outer, channels inner (contiguous planes), placing each gy
// plane in its padded buffer once; it is then still in L1 for the weight gradient's dot
// products and the bias sums. With unit strides the weight gradient needs no padded x
// either: with T the transpose's buffer (gy at (off_h, off_w) = ((kh-1)dh - ph, (kw-1)dw - pw)),
//   dw[i][j] = sum_{p,q} gy[p][q] x[p - ph + i dh][q - pw + j dw]
//            = sum_{a,b} x[a][b] T[a + (kh-1-i) dh][b + (kw-1-j) dw],
// the weight gradient of the correlation of T with x as the "output", taps flipped. (Strided
// convs would multiply the zeros T holds between gy's elements; they place x instead.)
template <typename T>
void backward_typed(const ConvGeom& g, const T* x, const T* gy, const T* w, T* gx, T* gw, T* gb) {
  const int64_t m = g.o / g.c, taps = g.kh * g.kw, xsize = g.h * g.w, ysize = g.oh * g.ow;
  const PadLayout lx = forward_layout<T>(g), ly = transpose_layout<T>(g);
  const int64_t grain =
      std::max<int64_t>(1, kDepthwiseGrain / std::max<int64_t>(2 * g.n * m * std::max(xsize, ysize) * taps, 1));
  const bool stream = m == 1 && streams(gx, g.n * g.c, g.h, g.w);  // multipliers accumulate
  const bool unit = g.sh == 1 && g.sw == 1;  // the weight gradient reads x as it is
  core::parallel_for(0, g.c, grain, [&](int64_t b, int64_t e) {
    PlaneScratch<T> sx(unit ? PadLayout(1, 1, 1, 0, 1) : lx, g.kw, g.dw), sy(ly, g.kw, g.dw);  // sx: unused if unit
    const int64_t o0 = b * m, o1 = e * m;
    ConvScratch<T> flipped((o1 - o0) * taps);
    for (int64_t oc = o0; oc < o1; ++oc) flip(w + oc * taps, taps, flipped.p + (oc - o0) * taps);
    WeightSums<T> sums(o0, o1, taps);
    if (gb) std::fill(gb + o0, gb + o1, T(0));
    const Corr<T> cw = unit ? Corr<T>{nullptr, g.kh, g.kw, g.dh, ly.pitch, ly.pitch, sy.coff.p}
                            : Corr<T>{nullptr, g.kh, g.kw, g.dh, lx.pitch, g.sh * lx.pitch, sx.coff.p};
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t ci = b; ci < e; ++ci) {
        const T* xp = x + (n * g.c + ci) * xsize;
        if (unit) prefetch(xp + xsize, xsize);
        else place(xp, g.h, g.w, 1, 1, g.ph, g.pw, sx.buf.p, lx, xp + xsize);
        if (!stream) prefetch_write(gx + (n * g.c + ci + 1) * xsize, xsize);
        for (int64_t oc = ci * m; oc < (ci + 1) * m; ++oc) {
          const T* yp = gy + (n * g.o + oc) * ysize;
          transpose_plane(g, yp, flipped.p + (oc - o0) * taps, sy, ly, gx + (n * g.c + ci) * xsize, oc > ci * m,
                          T(0), yp + ysize, stream);
          if (unit) weight_plane(sy.buf.p, cw, xp, g.h, g.w, sums.tail(oc), sums.at(oc));
          else weight_plane(sx.buf.p, cw, yp, g.oh, g.ow, sums.tail(oc), sums.at(oc));
          if (gb) gb[oc] += plane_sum(yp, ysize);
        }
      }
    sums.finish(gw, o1, unit);
    if (stream) stream_fence();
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

void backward_kernel(const ConvGeom& g, const void* x, const void* gy, const void* w, void* gx, void* gw, void* gb) {
  if (auto f = narrow_kernel(depthwise_backward_stub, std::min(g.w, g.ow), g.dtype)) return f(g, x, gy, w, gx, gw, gb);
  ND_DISPATCH_FLOAT_TYPES(g.dtype, T, backward_typed<T>(g, static_cast<const T*>(x), static_cast<const T*>(gy),
                                                        static_cast<const T*>(w), static_cast<T*>(gx),
                                                        static_cast<T*>(gw), static_cast<T*>(gb)))
}

}  // namespace

void register_depthwise_kernels() {
  depthwise_forward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = forward_kernel;
  depthwise_transpose_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = transpose_kernel;
  depthwise_weight_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = weight_kernel;
  depthwise_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = backward_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
