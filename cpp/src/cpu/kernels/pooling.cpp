// Pooling kernels over window tables (Note [Window tables]): threads split the planes, so
// each backward writes its input plane alone. Along a row, the outputs whose windows are all
// whole and evenly spaced (a run) are computed as vector lanes; the few at the row's ends
// (clipped by padding) take scalar loops.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "cpu/max_window.h"
#include "cpu/pooling_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Planes per thread chunk: enough elements that small planes don't pay for threads.
int64_t plane_grain(int64_t plane_size) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(plane_size, 1)); }

template <typename Body> void for_plane_chunks(const PoolWindows& w, Body&& body) {
  core::parallel_for(0, w.planes, plane_grain(w.H * w.W + w.OH * w.OW), body);
}

// A run's lanes are computed in multiples of kRunPad, so the vector loops have no scalar
// remainder (which, with a branch per tap, costs as much as the rest of the row); the extra
// lanes are dropped (forward) or carry zeros (backward).
constexpr int64_t kRunPad = 16;

// The outputs [lo, hi) of every row whose windows are all whole, K taps wide, and S apart
// (1 or 2; otherwise the run is empty and lo = hi = OW): output lo + k's columns are
// c0 + k * S + j * dil_w (k < padded lanes, j < K). A stride-2 window row is first split
// into its even and odd columns, `half` of each, so that every tap reads contiguous lanes
// (strided loads would make the compiler peel the last vector's outputs into a scalar loop
// with a branch per tap). `span`: the columns past c0 that a run's window row touches.
struct Run {
  int64_t lo = 0, hi = 0, K = 0, S = 1, c0 = 0, n = 0, padded = 0, half = 0, span = 0;
};

// The run's lane counts, from its outputs [lo, hi).
void size_run(Run& r, int64_t dw) {
  r.n = r.hi - r.lo;
  r.padded = (r.n + kRunPad - 1) / kRunPad * kRunPad;
  r.half = r.padded + r.K * dw / 2 + 1;
  r.span = r.S == 2 ? 2 * r.half : r.padded + r.K * dw;
}

Run make_run(const PoolWindows& w) {
  Run r;
  auto taps = [&](int64_t ow) { return (w.end_w[ow] - w.start_w[ow] + w.dil_w - 1) / w.dil_w; };
  for (int64_t ow = 0; ow < w.OW; ++ow) r.K = std::max(r.K, taps(ow));
  while (r.lo < w.OW && taps(r.lo) != r.K) ++r.lo;
  r.hi = std::min(r.lo + 1, w.OW);
  r.S = r.hi < w.OW ? w.start_w[r.hi] - w.start_w[r.lo] : 1;
  while (r.hi < w.OW && taps(r.hi) == r.K && w.start_w[r.hi] - w.start_w[r.hi - 1] == r.S) ++r.hi;
  if ((r.S != 1 && r.S != 2) || r.hi == r.lo) {
    r.lo = r.hi = w.OW;
    return r;
  }
  r.c0 = w.start_w[r.lo];
  size_run(r, w.dil_w);
  return r;
}

// Tap j's lanes: output k's element for tap j, in the window row (S == 1) or its split.
template <int S, typename P> P tap_lanes(P row, P even, P odd, int64_t j, int64_t dw) {
  return S == 1 ? row + j * dw : ((j * dw) % 2 ? odd : even) + j * dw / 2;
}

template <typename T> void deinterleave(const T* row, T* even, T* odd, int64_t half) {
  for (int64_t m = 0; m < half; ++m) {
    even[m] = row[2 * m];
    odd[m] = row[2 * m + 1];
  }
}

template <typename T> void interleave(T* row, const T* even, const T* odd, int64_t half) {
  for (int64_t m = 0; m < half; ++m) {
    row[2 * m] = even[m];
    row[2 * m + 1] = odd[m];
  }
}

// Tap codes (Note [Tap codes]) are held in integer lanes as wide as T's, so the selects
// between them and the values vectorize together.
template <typename T> using Code = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// ---- Max pooling forward -------------------------------------------------------------

// A window tap takes over where it is greater (so the first maximum stays) or NaN (so the
// last NaN wins); branch-free, so the loops around it vectorize.
template <typename T, typename C> inline void take_tap(T v, C code, T& best, C& arg) {
  const bool take = (v > best) | (v != v);
  best = take ? v : best;
  arg = take ? code : arg;
}

// Max pooling is separable too, with its tie rules: a window's first maximum in row-major
// tap order lies in the first window row that holds the window's maximum, at that row's
// first maximum; its last NaN lies in the last row holding a NaN, at that row's last NaN.
// So each input row's run is first reduced across its window columns (the row's maximum
// and its column code j, per output lane), once per input row however many windows share
// it; then each output row combines its window rows' results in order, taking a row's
// where strictly greater or NaN, code i * tap_cols + j (Note [Tap codes]).

// The run's column reduction of one input row (at the run's first column): the taps in the
// scalar scan's order, the code blended alongside. With the tap count KC a constant, the
// taps unroll inside the lane loop, so the running maxima stay in registers; otherwise
// (KC == 0) each tap is one pass over the lanes.
template <typename T, int S, int KC>
void max_run_cols(const Run& r, int64_t dw, const T* row, T* best, Code<T>* arg, T* split) {
  using C = Code<T>;
  const int64_t K = KC > 0 ? KC : r.K, n = r.padded;
  T* even = split;
  T* odd = split + r.half;
  if (S == 2) deinterleave(row, even, odd, r.half);
  const T* first = tap_lanes<S, const T*>(row, even, odd, 0, dw);  // tap 0 always takes over from -inf
  if (KC > 0) {
    const T* src[KC > 0 ? KC : 1];
    for (int j = 0; j < KC; ++j) src[j] = tap_lanes<S, const T*>(row, even, odd, j, dw);
    for (int64_t k = 0; k < n; ++k) {
      T b = first[k];
      C a = 0;
      for (int j = 1; j < KC; ++j) take_tap(src[j][k], C(j), b, a);
      best[k] = b;
      arg[k] = a;
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      best[k] = first[k];
      arg[k] = 0;
    }
    for (int64_t j = 1; j < K; ++j) {
      const T* src = tap_lanes<S, const T*>(row, even, odd, j, dw);
      for (int64_t k = 0; k < n; ++k) take_tap(src[k], C(j), best[k], arg[k]);
    }
  }
}

template <typename T>
void max_run_cols_for(const Run& r, int64_t dw, const T* row, T* best, Code<T>* arg, T* split) {
  if (r.S == 1) {
    if (r.K == 2) max_run_cols<T, 1, 2>(r, dw, row, best, arg, split);
    else if (r.K == 3) max_run_cols<T, 1, 3>(r, dw, row, best, arg, split);
    else max_run_cols<T, 1, 0>(r, dw, row, best, arg, split);
  } else {
    if (r.K == 2) max_run_cols<T, 2, 2>(r, dw, row, best, arg, split);
    else if (r.K == 3) max_run_cols<T, 2, 3>(r, dw, row, best, arg, split);
    else max_run_cols<T, 2, 0>(r, dw, row, best, arg, split);
  }
}

// Combines an output row's window rows (their column reductions rb, rc) in order into
// best, arg (n lanes), as the separable rule above; KR: the row count when a constant.
template <typename T, int KR>
void max_run_rows(const T* const* rb, const Code<T>* const* rc, int64_t rows, Code<T> tap_cols, int64_t n, T* best,
                  Code<T>* arg) {
  using C = Code<T>;
  if (KR > 0) {
    for (int64_t k = 0; k < n; ++k) {
      T b = rb[0][k];
      C a = rc[0][k];
      for (int i = 1; i < KR; ++i) take_tap(rb[i][k], C(rc[i][k] + i * tap_cols), b, a);
      best[k] = b;
      arg[k] = a;
    }
    return;
  }
  std::copy(rb[0], rb[0] + n, best);
  std::copy(rc[0], rc[0] + n, arg);
  for (int64_t i = 1; i < rows; ++i) {
    const T* b = rb[i];
    const C* c = rc[i];
    const C base = C(i * tap_cols);
    for (int64_t k = 0; k < n; ++k) take_tap(b[k], C(c[k] + base), best[k], arg[k]);
  }
}

// The column reduction of output ow's window row (from row, the input row) where the
// windows are not evenly spaced (adaptive pooling, strides past 2): the scalar scan.
template <typename T>
inline void max_cols_scalar(const PoolWindows& w, const T* row, int64_t ow, T& best, Code<T>& arg) {
  T b = -std::numeric_limits<T>::infinity();
  Code<T> a = 0, j = 0;
  for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; c += w.dil_w, ++j) take_tap(row[c], j, b, a);
  best = b;
  arg = a;
}

// Where all windows of a row are evenly spaced K-tap windows clipped by padding, the run
// can cover every output: over a copy of the input row between -inf columns (which never
// take over), window ow is whole, starting `lead[ow]` taps before its clipped start
// (Note [Window tables]); its code is then the whole window's less lead[ow] (at least 0:
// when every element is -inf, the first tap inside). Returns the run (empty when the
// windows are not so) and fills lead.
Run whole_row_run(const PoolWindows& w, const Run& r, int64_t* lead) {
  Run u;
  u.lo = u.hi = w.OW;
  if (r.n == 0) return u;
  const int64_t first = r.c0 - r.lo * r.S;  // window 0's unclipped start
  for (int64_t ow = 0; ow < w.OW; ++ow) {
    const int64_t us = first + ow * r.S, ue = std::min(us + (r.K - 1) * w.dil_w + 1, w.W);
    int64_t cs = us;
    while (cs < 0) cs += w.dil_w;
    if (w.start_w[ow] != cs || w.end_w[ow] != ue) return u;
    lead[ow] = (cs - us) / w.dil_w;
  }
  u = r;
  u.lo = 0;
  u.hi = w.OW;
  u.c0 = first;
  size_run(u, w.dil_w);
  return u;
}

// Column reductions of the input rows (one lane per output column), kept while windows
// still to come read them: input row h sits in slot h & (slots - 1) (tagged with h; no
// division per row), and slots is a power of two no less than the most rows a window spans,
// so one window's rows never share a slot.
template <typename T> struct RowReductions {
  int64_t slots = 1, n;
  ConvScratch<T> best;
  ConvScratch<Code<T>> arg;
  ConvScratch<int64_t> tag;
  static int64_t pow2(int64_t span) {
    int64_t s = 1;
    while (s < span) s *= 2;
    return s;
  }
  RowReductions(int64_t span, int64_t n_)
      : slots(pow2(span)), n(n_), best(slots * n_), arg(slots * n_), tag(slots) {}
  void reset() { std::fill(tag.p, tag.p + slots, int64_t(-1)); }
  int64_t slot(int64_t h) const { return h & (slots - 1); }
};

template <typename T> void max_pool_typed(const PoolWindows& w, const T* in, T* out, int64_t* indices, uint8_t* taps) {
  using C = Code<T>;
  ConvScratch<int64_t> lead(w.OW);
  const Run u = whole_row_run(w, make_run(w), lead.p);
  const bool vec = u.n > 0;
  // The padded row: -inf, the input row from column `left` on, -inf to the run's reach.
  const int64_t left = vec ? std::max<int64_t>(0, -u.c0) : 0;
  const int64_t width = vec ? std::max(left + w.W, left + u.c0 + u.span) : 0;
  const int64_t lanes = (std::max(w.OW, u.padded) + kRunPad - 1) / kRunPad * kRunPad;
  int64_t span_h = 1;  // the most input rows a window spans
  for (int64_t oh = 0; oh < w.OH; ++oh) span_h = std::max(span_h, w.end_h[oh] - w.start_h[oh]);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    ConvScratch<T> best(lanes), split(2 * u.half), padded(width);
    ConvScratch<C> arg(lanes);
    std::fill(padded.p, padded.p + width, -std::numeric_limits<T>::infinity());
    RowReductions<T> red(span_h, lanes);
    for (int64_t q = 0; q < red.slots * lanes; ++q) {  // lanes no output reads: defined values
      red.best.p[q] = T(0);
      red.arg.p[q] = 0;
    }
    ConvScratch<const T*> rb(span_h);
    ConvScratch<const C*> rc(span_h);
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * w.H * w.W;
      red.reset();
      auto reduce_row = [&](int64_t h, T* hb, C* hc) {
        const T* row = x + h * w.W;
        if (!vec) {
          for (int64_t ow = 0; ow < w.OW; ++ow) max_cols_scalar(w, row, ow, hb[ow], hc[ow]);
          return;
        }
        std::copy(row, row + w.W, padded.p + left);
        max_run_cols_for(u, w.dil_w, padded.p + left + u.c0, hb, hc, split.p);
        // Only the first windows are clipped at their start (lead > 0).
        for (int64_t ow = 0; ow < w.OW && lead.p[ow] > 0; ++ow) hc[ow] = std::max<C>(hc[ow] - C(lead.p[ow]), 0);
      };
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        int64_t rows = 0;
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; h += w.dil_h, ++rows) {
          const int64_t slot = red.slot(h);
          T* hb = red.best.p + slot * lanes;
          C* hc = red.arg.p + slot * lanes;
          if (red.tag.p[slot] != h) {
            reduce_row(h, hb, hc);
            red.tag.p[slot] = h;
          }
          rb.p[rows] = hb;
          rc.p[rows] = hc;
        }
        const C cols = C(w.tap_cols);
        if (rows == 0) {  // a window row wholly in the padding: -inf (see max_pool_backward_typed)
          std::fill(best.p, best.p + lanes, -std::numeric_limits<T>::infinity());
          std::fill(arg.p, arg.p + lanes, C(0));
        } else if (rows == 2) max_run_rows<T, 2>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
        else if (rows == 3) max_run_rows<T, 3>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
        else max_run_rows<T, 0>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
        const int64_t o = (p * w.OH + oh) * w.OW;
        std::copy(best.p, best.p + w.OW, out + o);
        const C* a = arg.p;
        if (taps) {  // through locals: byte stores may alias anything, so OW would be reloaded per byte
          uint8_t* t = taps + o;
          for (int64_t k = 0, n = w.OW; k < n; ++k) t[k] = uint8_t(a[k]);
        }
        if (indices) for (int64_t ow = 0; ow < w.OW; ++ow) indices[o + ow] = tap_flat(w, oh, ow, a[ow]);
      }
    }
  });
}

void max_pool_kernel(const PoolWindows& w, const void* in, void* out, int64_t* indices, uint8_t* taps) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, max_pool_typed<T>(w, static_cast<const T*>(in), static_cast<T*>(out), indices,
                                                        taps))
}

// ---- Backward row ring ---------------------------------------------------------------

// dst[0, n) = src[0, n), with non-temporal stores where the ISA has them: the destination
// is not read first (as a plain store's cache line is) and does not evict the inputs.
inline void stream_vec(float* d, const float* s) {
#if defined(__AVX512F__)
  _mm512_stream_ps(d, _mm512_loadu_ps(s));
#elif defined(__AVX2__)
  _mm256_stream_ps(d, _mm256_loadu_ps(s));
#else
  std::copy(s, s + 4, d);
#endif
}
inline void stream_vec(double* d, const double* s) {
#if defined(__AVX512F__)
  _mm512_stream_pd(d, _mm512_loadu_pd(s));
#elif defined(__AVX2__)
  _mm256_stream_pd(d, _mm256_loadu_pd(s));
#else
  std::copy(s, s + 2, d);
#endif
}

template <typename T> void stream_row(T* dst, const T* src, int64_t n) {
  constexpr int64_t L = (kVecBytes < 32 ? 16 : kVecBytes) / int64_t(sizeof(T));
  int64_t c = 0;
  for (; c < n && reinterpret_cast<uintptr_t>(dst + c) % (L * sizeof(T)) != 0; ++c) dst[c] = src[c];
  for (; c + L <= n; c += L) stream_vec(dst + c, src + c);
  for (; c < n; ++c) dst[c] = src[c];
}

// Orders this thread's streaming stores before what follows the kernel.
inline void stream_fence() {
#if defined(__AVX2__)
  _mm_sfence();
#endif
}

// Note [Gradient row ring]
// A backward sums each input-gradient row in a ring of cache-resident rows and writes it to
// memory once, when no later window reaches it: no zero-fill pass, no read-modify-write of
// memory. Window rows only move down: the least start of the windows still to come
// (first[oh], a suffix minimum, as dilation can make start_h dip) and the greatest end so
// far never decrease, so the live rows are [first[oh], end so far), at most `rows` of them.
struct RingPlan {
  ConvScratch<int64_t> first;
  int64_t rows = 1;
  explicit RingPlan(const PoolWindows& w) : first(w.OH) {
    int64_t lo = w.H, end = 0;
    for (int64_t oh = w.OH - 1; oh >= 0; --oh) first.p[oh] = lo = std::min(lo, w.start_h[oh]);
    for (int64_t oh = 0; oh < w.OH; ++oh) {
      end = std::max(end, w.end_h[oh]);
      rows = std::max(rows, end - first.p[oh]);
    }
  }
};

template <typename T> struct RowRing {
  const PoolWindows& w;
  int64_t rows, width;  // width: the plane's W, or more where a run's lanes reach past it
  ConvScratch<T> buf;   // `rows` rows, then one of zeros
  T* dst = nullptr;
  int64_t done = 0, live = 0;  // rows < done are written out; rows [done, live) are in the ring

  RowRing(const PoolWindows& w_, int64_t rows_, int64_t width_)
      : w(w_), rows(rows_), width(width_), buf((rows_ + 1) * width_) {
    std::fill(buf.p + rows * width, buf.p + (rows + 1) * width, T(0));
  }
  T* row(int64_t h) { return buf.p + (h % rows) * width; }
  void begin(T* plane) {
    dst = plane;
    done = live = 0;
  }
  // Rows < first are complete; rows < end are to be summed into.
  void advance(int64_t first, int64_t end) {
    for (; done < first; ++done) stream_row(dst + done * w.W, done < live ? row(done) : buf.p + rows * width, w.W);
    live = std::max(live, done);
    for (; live < end; ++live) std::fill(row(live), row(live) + width, T(0));
  }
  void finish() { advance(w.H, w.H); }
};

// Adds the run's lane values g[k] at columns k * S + j of dst (at the run's first column),
// for every tap j (avg pooling's backward: no dilation). Taps go in descending j, so each
// column receives its outputs in ascending order, as the scalar and CUDA paths add.
template <typename T, int S> void spread_run(const Run& r, const T* g, T* dst, T* split) {
  T* even = split;
  T* odd = split + r.half;
  if (S == 2) deinterleave(dst, even, odd, r.half);
  for (int64_t j = r.K - 1; j >= 0; --j) {
    T* lanes = tap_lanes<S, T*>(dst, even, odd, j, 1);
    for (int64_t k = 0; k < r.padded; ++k) lanes[k] += g[k];
  }
  if (S == 2) interleave(dst, even, odd, r.half);
}

// ---- Max pooling backward ------------------------------------------------------------

// Each plane's gradient is summed in a cache-resident scratch plane (zeroed there, not in
// memory) and streamed out once: the output gradients go to their maxima in output order,
// the order the CUDA kernel adds in. Tap codes become plane offsets through a table per
// code (Note [Tap codes]); flat indices are the offsets already. A window wholly in the
// padding (dilation can step over the input: PyTorch allows it, its output is -inf) has no
// maximum to receive its gradient; such windows only come first along an axis (only
// windows starting in the padding can miss the input), so the columns from `full` on are
// all non-empty. Max unpooling (written, not summed; no windows) takes the same path with
// plain stores.
template <typename T>
void max_pool_backward_typed(const PoolWindows& w, const T* gout, const int64_t* indices, const uint8_t* taps, T* gin,
                             bool accumulate) {
  const int64_t hw = w.H * w.W, ohw = w.OH * w.OW;
  int64_t tap_offset[256] = {};
  if (taps)
    for (int64_t c = 0; c < 256; ++c) tap_offset[c] = c / w.tap_cols * w.dil_h * w.W + c % w.tap_cols * w.dil_w;
  int64_t full = w.OW;
  if (accumulate)
    while (full > 0 && w.start_w[full - 1] < w.end_w[full - 1]) --full;
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    ConvScratch<T> plane(hw);
    for (int64_t p = b; p < e; ++p) {
      std::fill(plane.p, plane.p + hw, T(0));
      T* gi = plane.p;
      const T* go = gout + p * ohw;
      if (!accumulate) {
        const int64_t* ix = indices + p * ohw;
        for (int64_t k = 0; k < ohw; ++k) gi[ix[k]] = go[k];
      } else {
        for (int64_t oh = 0; oh < w.OH; ++oh) {
          if (w.start_h[oh] >= w.end_h[oh]) continue;
          const int64_t o = p * ohw + oh * w.OW;
          T* row = gi + w.start_h[oh] * w.W;
          const T* g = gout + o;
          auto at = [&](int64_t ow) {  // the plane offset of output ow's maximum
            return taps ? w.start_h[oh] * w.W + w.start_w[ow] + tap_offset[taps[o + ow]] : indices[o + ow];
          };
          for (int64_t ow = 0; ow < full; ++ow)
            if (w.start_w[ow] < w.end_w[ow]) gi[at(ow)] += g[ow];
          if (taps) {
            const uint8_t* t = taps + o;
            for (int64_t ow = full; ow < w.OW; ++ow) row[w.start_w[ow] + tap_offset[t[ow]]] += g[ow];
          } else {
            const int64_t* ix = indices + o;
            for (int64_t ow = full; ow < w.OW; ++ow) gi[ix[ow]] += g[ow];
          }
        }
      }
      stream_row(gin + p * hw, gi, hw);
    }
    stream_fence();
  });
}

void max_pool_backward_kernel(const PoolWindows& w, const void* src, const int64_t* indices, const uint8_t* taps,
                              void* out, bool accumulate) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, max_pool_backward_typed<T>(w, static_cast<const T*>(src), indices, taps,
                                                                 static_cast<T*>(out), accumulate))
}

// ---- Avg pooling ---------------------------------------------------------------------

// The divisors of all outputs of a plane, as T (exact: window sizes and products of them).
template <typename T> void fill_divisors(const PoolWindows& w, T* d) {
  for (int64_t oh = 0; oh < w.OH; ++oh)
    for (int64_t ow = 0; ow < w.OW; ++ow)
      d[oh * w.OW + ow] = T(w.divisor_override != 0 ? w.divisor_override : w.div_h[oh] * w.div_w[ow]);
}

// Avg pooling is separable: per output row, the window rows are first summed into a row of
// column sums (vector adds along contiguous rows), then each output adds its columns (the
// run's as lanes, as in max pooling) and divides. The backward runs the two steps
// transposed. The sums run in the CUDA kernels' order, so both agree bit for bit.
template <typename T> void avg_pool_typed(const PoolWindows& w, const T* in, T* out) {
  using V = Vec<T>;
  const Run r = make_run(w);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    const int64_t width = std::max(w.W, r.c0 + r.span);
    ConvScratch<T> cs(width), split(2 * r.half), s(r.padded), div(w.OH * w.OW);
    std::fill(cs.p + w.W, cs.p + width, T(0));  // the padded lanes' columns (dropped)
    fill_divisors(w, div.p);
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * w.H * w.W;
      T* y = out + p * w.OH * w.OW;
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        const T* d = div.p + oh * w.OW;
        int64_t c = 0;
        for (; c + V::size <= w.W; c += V::size) {
          V acc(T(0));
          for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) acc = acc + V::loadu(x + h * w.W + c);
          acc.storeu(cs.p + c);
        }
        for (; c < w.W; ++c) {
          T acc = 0;
          for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) acc += x[h * w.W + c];
          cs.p[c] = acc;
        }
        auto one = [&](int64_t ow) {
          T sum = 0;
          for (int64_t col = w.start_w[ow]; col < w.end_w[ow]; ++col) sum += cs.p[col];
          y[oh * w.OW + ow] = sum / d[ow];
        };
        for (int64_t ow = 0; ow < r.lo; ++ow) one(ow);
        if (r.n > 0) {
          const T* row = cs.p + r.c0;
          T* even = split.p;
          T* odd = split.p + r.half;
          if (r.S == 2) deinterleave(row, even, odd, r.half);
          std::fill(s.p, s.p + r.padded, T(0));
          for (int64_t j = 0; j < r.K; ++j) {
            const T* lanes = r.S == 1 ? tap_lanes<1, const T*>(row, even, odd, j, 1)
                                      : tap_lanes<2, const T*>(row, even, odd, j, 1);
            for (int64_t k = 0; k < r.padded; ++k) s.p[k] += lanes[k];
          }
          T* yo = y + oh * w.OW + r.lo;
          for (int64_t k = 0; k < r.n; ++k) yo[k] = s.p[k] / d[r.lo + k];
        }
        for (int64_t ow = r.hi; ow < w.OW; ++ow) one(ow);
      }
    }
  });
}

void avg_pool_kernel(const PoolWindows& w, const void* in, void* out) {
  ND_DISPATCH_FLOAT_TYPES(w.dtype, T, avg_pool_typed<T>(w, static_cast<const T*>(in), static_cast<T*>(out)))
}

// Per output row: the divided gradients spread over their columns into a row (the run's as
// lanes), which is then added to each of the window rows in the ring.
template <typename T> void avg_pool_backward_typed(const PoolWindows& w, const T* gout, T* gin) {
  using V = Vec<T>;
  const Run r = make_run(w);
  const RingPlan plan(w);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    const int64_t width = std::max(w.W, r.c0 + r.span);
    RowRing<T> ring(w, plan.rows, width);
    ConvScratch<T> cs(width), g(r.padded), split(2 * r.half), div(w.OH * w.OW);
    fill_divisors(w, div.p);
    for (int64_t p = b; p < e; ++p) {
      ring.begin(gin + p * w.H * w.W);
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        ring.advance(plan.first.p[oh], w.end_h[oh]);
        const T* go = gout + (p * w.OH + oh) * w.OW;
        const T* d = div.p + oh * w.OW;
        std::fill(cs.p, cs.p + width, T(0));
        auto one = [&](int64_t ow) {
          const T v = go[ow] / d[ow];
          for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) cs.p[c] += v;
        };
        for (int64_t ow = 0; ow < r.lo; ++ow) one(ow);
        if (r.n > 0) {
          for (int64_t k = 0; k < r.padded; ++k) g.p[k] = k < r.n ? go[r.lo + k] / d[r.lo + k] : T(0);
          if (r.S == 1) spread_run<T, 1>(r, g.p, cs.p + r.c0, split.p);
          else spread_run<T, 2>(r, g.p, cs.p + r.c0, split.p);
        }
        for (int64_t ow = r.hi; ow < w.OW; ++ow) one(ow);
        for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) {
          T* row = ring.row(h);
          int64_t c = 0;
          for (; c + V::size <= w.W; c += V::size) (V::loadu(row + c) + V::loadu(cs.p + c)).storeu(row + c);
          for (; c < w.W; ++c) row[c] += cs.p[c];
        }
      }
      ring.finish();
    }
    stream_fence();
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
