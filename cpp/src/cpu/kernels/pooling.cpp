// Pooling kernels over window tables (Note [Window tables]): threads split the planes, so
// each backward writes its input plane alone. Along a row, the outputs whose windows are
// evenly spaced (a run) are computed as vector lanes, the rest by scalar loops; max
// pooling's run covers whole rows, reading the padding as -inf. 2x2 and 3x3 stride-2
// windows on float planes (the common CNN poolings) have AVX2 kernels that read the rows
// directly and split even and odd columns in registers. Every path adds in the same order,
// so all agree bit for bit, and with the CUDA kernels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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

#if defined(__AVX2__)
// avg_row_s2 prefetches the input rows kPrefetchRows below those it reads: the hardware
// prefetcher alone keeps too few lines in flight for its access (short runs along several
// rows at once), and from memory its loads then wait (it was slower than the split through
// memory it replaces: 5.0 -> 2.7 ms on the bench case).
constexpr int64_t kPrefetchRows = 16;
inline void prefetch_row(const float* row, int64_t W) {
  for (int64_t c = 0; c < W; c += 16) _mm_prefetch(reinterpret_cast<const char*>(row + c), _MM_HINT_T0);
}

// x[c, c + 8) as 8 lanes, `fill` at the columns outside [0, W) (which it does not read);
// `inside`: all are in.
inline __m256 load_cols(const float* x, int64_t c, int64_t W, bool inside, __m256 fill) {
  if (inside) return _mm256_loadu_ps(x + c);
  const __m256i col = _mm256_add_epi32(_mm256_set1_epi32(int32_t(c)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256i in = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), col),
                                         _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(W)), col));
  return _mm256_blendv_ps(fill, _mm256_maskload_ps(x + c, in), _mm256_castsi256_ps(in));
}

// The even (odd) elements of the 16 lanes a, b: shuffles within 128-bit halves give
// [0 2 8 10 | 4 6 12 14], and a 64-bit permute puts the pairs in order.
template <int Odd> inline __m256 split_lanes(__m256 a, __m256 b) {
  const __m256 h = _mm256_shuffle_ps(a, b, Odd ? 0xDD : 0x88);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(h), 0xD8));
}

// The even (odd) columns of x[c, c + 16), -inf outside the row.
template <int Odd> inline __m256 split_cols(const float* x, int64_t c, int64_t W, bool inside) {
  const __m256 fill = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  return split_lanes<Odd>(load_cols(x, c, W, inside, fill), load_cols(x, c + 8, W, inside, fill));
}

// Writes the 16 columns [c, c + 16) of an input-gradient row (its first W) from their even
// and odd columns' lanes; streamed where whole and aligned when `stream` (Note [Streaming
// pooling gradients]).
inline void store_interleaved(__m256 even, __m256 odd, float* row, int64_t c, int64_t W, bool stream) {
  const __m256 lo = _mm256_unpacklo_ps(even, odd), hi = _mm256_unpackhi_ps(even, odd);
  const __m256 v0 = _mm256_permute2f128_ps(lo, hi, 0x20), v1 = _mm256_permute2f128_ps(lo, hi, 0x31);
  float* o = row + c;
  if (stream && c + 16 <= W && reinterpret_cast<uintptr_t>(o) % 32 == 0) {
    _mm256_stream_ps(o, v0);
    _mm256_stream_ps(o + 8, v1);
  } else if (c + 16 <= W) {
    _mm256_storeu_ps(o, v0);
    _mm256_storeu_ps(o + 8, v1);
  } else {
    alignas(32) float t[16];
    _mm256_store_ps(t, v0);
    _mm256_store_ps(t + 8, v1);
    std::copy(t, t + (W - c), o);
  }
}

inline void take_lanes(__m256 v, __m256i code, __m256& best, __m256i& arg) {  // take_tap, 8 lanes
  const __m256 take = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  best = _mm256_blendv_ps(best, v, take);
  arg = _mm256_blendv_epi8(arg, code, _mm256_castps_si256(take));
}

// The run's column reduction of float input row x for stride 2 and K = 2 or 3 undilated
// taps (2x2 and 3x3 stride-2 pooling), straight from the row: taps 0, 1, 2 of output k are
// the even, odd and next even element of the 16 columns from r.c0 + 2k, split in registers;
// the columns outside the row read as -inf, as in the padded copy the general path makes.
// Splitting through memory (and copying the row first) cost as much as the taps: each
// load overlapping a just-stored vector at another offset waits for the store to retire.
template <int K> void max_run_cols_s2(const Run& r, const float* x, int64_t W, float* best, int32_t* arg) {
  const __m256i one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2);
  for (int64_t k = 0; k < r.n; k += 8) {  // the lanes max_rows_out reads
    const int64_t c = r.c0 + 2 * k;
    const bool inside = c >= 0 && c + 16 + (K - 1) <= W;
    __m256 b = split_cols<0>(x, c, W, inside);
    __m256i a = _mm256_setzero_si256();
    take_lanes(split_cols<1>(x, c, W, inside), one, b, a);
    if (K == 3) take_lanes(split_cols<0>(x, c + 2, W, inside), two, b, a);
    _mm256_storeu_ps(best + k, b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(arg + k), a);
  }
}
#endif

// The run's column reduction straight from input row x where a kernel for its shape
// exists (see max_run_cols_s2); false otherwise.
template <typename T> bool max_run_cols_direct(const Run& r, const PoolWindows& w, const T* x, T* best, Code<T>* arg) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    if (r.S != 2 || w.dil_w != 1) return false;
    if (r.K == 2) max_run_cols_s2<2>(r, x, w.W, best, arg);
    else if (r.K == 3) max_run_cols_s2<3>(r, x, w.W, best, arg);
    return r.K == 2 || r.K == 3;
  }
#endif
  (void)r, (void)w, (void)x, (void)best, (void)arg;
  return false;
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

#if defined(__AVX2__)
// max_run_rows for float rows, writing the output row y and its tap codes t (if non-null;
// codes fit a byte, Note [Tap codes]) straight from the registers, OW outputs.
inline void max_rows_out(const float* const* rb, const int32_t* const* rc, int64_t rows, int32_t tap_cols, int64_t OW,
                         float* y, uint8_t* t) {
  for (int64_t k = 0; k < OW; k += 8) {
    __m256 b = _mm256_loadu_ps(rb[0] + k);
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rc[0] + k));
    for (int64_t i = 1; i < rows; ++i) {
      const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rc[i] + k));
      take_lanes(_mm256_loadu_ps(rb[i] + k), _mm256_add_epi32(c, _mm256_set1_epi32(int32_t(i) * tap_cols)), b, a);
    }
    // Codes to bytes: the packs work within 128-bit halves, leaving codes 0-3 in the low
    // half's first 4 bytes and 4-7 in the high half's.
    const __m256i p8 = _mm256_packus_epi16(_mm256_packus_epi32(a, a), _mm256_setzero_si256());
    const uint64_t bytes = uint64_t(uint32_t(_mm256_extract_epi32(p8, 0))) |
                           uint64_t(uint32_t(_mm256_extract_epi32(p8, 4))) << 32;
    if (k + 8 <= OW) {
      _mm256_storeu_ps(y + k, b);
      if (t) std::memcpy(t + k, &bytes, 8);
    } else {
      alignas(32) float v[8];
      _mm256_store_ps(v, b);
      std::copy(v, v + (OW - k), y + k);
      if (t) std::memcpy(t + k, &bytes, size_t(OW - k));
    }
  }
}
#endif

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
        if (!max_run_cols_direct(u, w, row, hb, hc)) {
          std::copy(row, row + w.W, padded.p + left);
          max_run_cols_for(u, w.dil_w, padded.p + left + u.c0, hb, hc, split.p);
        }
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
        const int64_t o = (p * w.OH + oh) * w.OW;
#if defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>) {
          if (rows > 0 && !indices) {
            max_rows_out(rb.p, rc.p, rows, cols, w.OW, out + o, taps ? taps + o : nullptr);
            continue;
          }
        }
#endif
        if (rows == 0) {  // a window row wholly in the padding: -inf (see max_pool_backward_typed)
          std::fill(best.p, best.p + lanes, -std::numeric_limits<T>::infinity());
          std::fill(arg.p, arg.p + lanes, C(0));
        } else if (rows == 2) max_run_rows<T, 2>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
        else if (rows == 3) max_run_rows<T, 3>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
        else max_run_rows<T, 0>(rb.p, rc.p, rows, cols, lanes, best.p, arg.p);
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

// Note [Streaming pooling gradients]
// The backward writes each input-gradient value once and does not read it again, so a large
// gradient goes out with streaming stores (no read-for-ownership of the lines it writes). A
// gradient that fits in the cache is stored plainly instead: the layer below reads it next,
// and streamed it would have to come back from memory (LeNet-5's 1 MiB pooling gradients
// took twice as long that way). The bound is the last-level cache one core reaches.
constexpr int64_t kStreamGradientBytes = int64_t(32) << 20;
template <typename T> bool streams_gradient(const PoolWindows& w) {
  return w.planes * w.H * w.W * int64_t(sizeof(T)) >= kStreamGradientBytes;
}

// dst = src, n values, streamed when `stream` (Note [Streaming pooling gradients]): the
// destination is not read first (as a plain store's cache line is) and does not evict the inputs.
template <typename T> void stream_row(T* dst, const T* src, int64_t n, bool stream) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  if (!stream) {
    std::copy(src, src + n, dst);
    return;
  }
  int64_t c = 0;
  for (; c < n && reinterpret_cast<uintptr_t>(dst + c) % sizeof(V) != 0; ++c) dst[c] = src[c];
  for (; c + L <= n; c += L) V::loadu(src + c).stream(dst + c);
  for (; c < n; ++c) dst[c] = src[c];
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

  const bool stream;     // Note [Streaming pooling gradients]

  RowRing(const PoolWindows& w_, int64_t rows_, int64_t width_)
      : w(w_), rows(rows_), width(width_), buf((rows_ + 1) * width_), stream(streams_gradient<T>(w_)) {
    std::fill(buf.p + rows * width, buf.p + (rows + 1) * width, T(0));
  }
  T* row(int64_t h) { return buf.p + (h % rows) * width; }
  void begin(T* plane) {
    dst = plane;
    done = live = 0;
  }
  // Rows < first are complete; rows < end are to be summed into.
  void advance(int64_t first, int64_t end) {
    for (; done < first; ++done)
      stream_row(dst + done * w.W, done < live ? row(done) : buf.p + rows * width, w.W, stream);
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

// ---- Stride-2 backward rows ------------------------------------------------------------

// The output rows whose windows cover input row h, [cover[2h], cover[2h + 1]) (undilated
// windows; window rows only move down).
void covering_rows(const PoolWindows& w, int64_t* cover) {
  for (int64_t h = 0, lo = 0, hi = 0; h < w.H; ++h) {
    while (lo < w.OH && w.end_h[lo] <= h) ++lo;
    while (hi < w.OH && w.start_h[hi] <= h) ++hi;
    cover[2 * h] = lo;
    cover[2 * h + 1] = std::max(lo, hi);
  }
}

// The row stride of the per-plane output-gradient copies the stride-2 backward kernels read
// (avg_backward_row_s2, max_backward_row_s2): 8 lanes before output 0 and enough after the
// last for 16 columns' reads past the row's end, all padding.
int64_t s2_row_stride(const PoolWindows& w) { return (8 + std::max(w.OW, w.W / 2 + 17) + 8 + 7) / 8 * 8; }

// ---- Max pooling backward ------------------------------------------------------------

// 2x2 and 3x3 stride-2 max pooling's backward on float planes with tap codes, with AVX2:
// where max_s2_taps gives the windows' K (2 or 3; undilated, every column window
// non-empty), output ow's window columns are c0 + 2 ow + j (j < K, c0 = 0 or -1), and its
// code, less lead[ow] where clipped at the start (whole_row_run), is row * K + j. Returns 0
// where the general path runs.
template <typename T>
int64_t max_s2_taps(const PoolWindows& w, const uint8_t* taps, bool accumulate, int64_t* c0, int64_t* lead) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    if (!taps || !accumulate || w.dil_h != 1 || w.dil_w != 1) return 0;
    for (int64_t ow = 0; ow < w.OW; ++ow)
      if (w.start_w[ow] >= w.end_w[ow]) return 0;
    const Run u = whole_row_run(w, make_run(w), lead);
    if (u.n == 0 || u.S != 2 || (u.K != 2 && u.K != 3) || (u.c0 != 0 && u.c0 != -1) || w.tap_cols != u.K) return 0;
    *c0 = u.c0;
    return u.K;
  }
#endif
  (void)w, (void)taps, (void)accumulate, (void)c0, (void)lead;
  return 0;
}

#if defined(__AVX2__)
// Input row h: per 16 columns, the gradients of the outputs that picked them, from the
// covering output rows [oh0, oh1) (gp: the gradients, cp: their codes as whole-window codes,
// rows s apart, padding 0 and -1 around each row's OW), summed in the scalar path's order
// (output rows, then outputs, ascending, from zero) as the even and odd columns' lanes.
// Column 2m + t takes tap j of output m - 1, m or m + 1, by K, c0 and t (as avg's).
template <int K>
void max_backward_row_s2(const PoolWindows& w, int64_t c0, const float* gp, const int32_t* cp, int64_t s, int64_t h,
                         int64_t oh0, int64_t oh1, float* row, bool stream) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < w.W; c += 16) {
    __m256 even = zero, odd = zero;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const int64_t m = oh * s + c / 2;
      const int32_t base = int32_t((h - w.start_h[oh]) * K);
      auto pick = [&](int64_t next, int32_t j) {  // outputs m + next ...: their gradients where they took tap j
        const __m256i code = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cp + m + next));
        const __m256i hit = _mm256_cmpeq_epi32(code, _mm256_set1_epi32(base + j));
        return _mm256_and_ps(_mm256_castsi256_ps(hit), _mm256_loadu_ps(gp + m + next));
      };
      if (c0 == 0) {
        if (K == 3) even = _mm256_add_ps(even, pick(-1, 2));
        even = _mm256_add_ps(even, pick(0, 0));
        odd = _mm256_add_ps(odd, pick(0, 1));
      } else {
        even = _mm256_add_ps(even, pick(0, 1));
        if (K == 3) odd = _mm256_add_ps(odd, pick(0, 2));
        odd = _mm256_add_ps(odd, pick(1, 0));
      }
    }
    store_interleaved(even, odd, row, c, w.W, stream);
  }
}
#endif

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
  const bool stream = streams_gradient<T>(w);
  int64_t tap_offset[256] = {};
  if (taps)
    for (int64_t c = 0; c < 256; ++c) tap_offset[c] = c / w.tap_cols * w.dil_h * w.W + c % w.tap_cols * w.dil_w;
  int64_t full = w.OW;
  if (accumulate)
    while (full > 0 && w.start_w[full - 1] < w.end_w[full - 1]) --full;
  ConvScratch<int64_t> lead(w.OW), cover(2 * w.H);
  int64_t c0 = 0;
  const int64_t s2 = max_s2_taps<T>(w, taps, accumulate, &c0, lead.p);
  if (s2 != 0) covering_rows(w, cover.p);
  const int64_t rs = s2_row_stride(w);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {
      if (s2 != 0) {
        ConvScratch<float> gp(w.OH * rs);
        ConvScratch<int32_t> cp(w.OH * rs);
        std::fill(gp.p, gp.p + w.OH * rs, 0.f);
        std::fill(cp.p, cp.p + w.OH * rs, -1);
        for (int64_t p = b; p < e; ++p) {
          for (int64_t oh = 0; oh < w.OH; ++oh) {
            const float* go = gout + (p * w.OH + oh) * w.OW;
            const uint8_t* t = taps + (p * w.OH + oh) * w.OW;
            float* g = gp.p + oh * rs + 8;
            int32_t* code = cp.p + oh * rs + 8;
            std::copy(go, go + w.OW, g);
            for (int64_t ow = 0; ow < w.OW; ++ow) code[ow] = int32_t(t[ow]) + int32_t(lead.p[ow]);
          }
          for (int64_t h = 0; h < w.H; ++h) {
            float* row = gin + (p * w.H + h) * w.W;
            const int64_t h0 = cover.p[2 * h], h1 = cover.p[2 * h + 1];
            if (s2 == 2) max_backward_row_s2<2>(w, c0, gp.p + 8, cp.p + 8, rs, h, h0, h1, row, stream);
            else max_backward_row_s2<3>(w, c0, gp.p + 8, cp.p + 8, rs, h, h0, h1, row, stream);
          }
        }
        stream_fence();
        return;
      }
    }
#endif
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
      stream_row(gin + p * hw, gi, hw, stream);
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

// 2x2 and 3x3 stride-2 avg pooling of float planes, straight from the rows with AVX2 (as
// max_run_cols_s2): where avg_s2_taps gives the windows' K (2 or 3), output ow's window
// columns are c0 + 2 ow + j (j < K, c0 = 0 or -1), those outside the row adding zeros.
// Returns 0 where another shape, dtype or ISA takes the general path.
template <typename T> int64_t avg_s2_taps(const PoolWindows& w, int64_t* c0) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    ConvScratch<int64_t> lead(w.OW);
    const Run u = whole_row_run(w, make_run(w), lead.p);
    if (u.n == 0 || u.S != 2 || (u.K != 2 && u.K != 3) || (u.c0 != 0 && u.c0 != -1)) return 0;
    *c0 = u.c0;
    return u.K;
  }
#endif
  (void)w, (void)c0;
  return 0;
}

#if defined(__AVX2__)
// Output row oh: per 8 outputs, the column sums of 16 (and, for K = 3, 16 more from two
// columns on) down the window rows, split into even and odd columns and added across, in
// the CUDA kernel's order (columns first, each from zero); d: the row's divisors, readable 8
// past the row's end.
template <int K> void avg_row_s2(const PoolWindows& w, int64_t c0, const float* x, int64_t oh, const float* d, float* y) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t h = w.end_h[oh] + kPrefetchRows; h < std::min(w.end_h[oh] + kPrefetchRows + 2, w.H); ++h)
    prefetch_row(x + h * w.W, w.W);
  for (int64_t k = 0; k < w.OW; k += 8) {
    const int64_t c = c0 + 2 * k;
    const bool inside = c >= 0 && c + 16 + (K - 1) <= w.W;
    __m256 a = zero, b = zero, e = zero, f = zero;
    for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) {
      const float* r = x + h * w.W;
      a = _mm256_add_ps(a, load_cols(r, c, w.W, inside, zero));
      b = _mm256_add_ps(b, load_cols(r, c + 8, w.W, inside, zero));
      if (K == 3) {
        e = _mm256_add_ps(e, load_cols(r, c + 2, w.W, inside, zero));
        f = _mm256_add_ps(f, load_cols(r, c + 10, w.W, inside, zero));
      }
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(zero, split_lanes<0>(a, b)), split_lanes<1>(a, b));
    if (K == 3) s = _mm256_add_ps(s, split_lanes<0>(e, f));
    s = _mm256_div_ps(s, _mm256_loadu_ps(d + k));
    if (k + 8 <= w.OW) {
      _mm256_storeu_ps(y + k, s);
    } else {
      alignas(32) float t[8];
      _mm256_store_ps(t, s);
      std::copy(t, t + (w.OW - k), y + k);
    }
  }
}

// Input row h of the backward: per 16 columns, the divided gradients of the covering output
// rows [oh0, oh1) (gd, rows gs apart, zeros 8 before and past each row's OW outputs) summed
// per column in the CUDA kernel's order (per output row across its outputs from zero, then
// across output rows from zero), as the even and odd columns' lanes, then interleaved.
// Column 2m + t takes outputs m - 1 and m, or m alone, or m and m + 1, by K, c0 and t.
template <int K>
void avg_backward_row_s2(const PoolWindows& w, int64_t c0, const float* gd, int64_t gs, int64_t oh0, int64_t oh1,
                         float* row, bool stream) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < w.W; c += 16) {
    __m256 even = zero, odd = zero;
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const float* g = gd + oh * gs + c / 2;
      const __m256 m = _mm256_loadu_ps(g);
      if (c0 == 0) {
        even = _mm256_add_ps(even, K == 3 ? _mm256_add_ps(_mm256_add_ps(zero, _mm256_loadu_ps(g - 1)), m)
                                          : _mm256_add_ps(zero, m));
        odd = _mm256_add_ps(odd, _mm256_add_ps(zero, m));
      } else {
        const __m256 next = _mm256_loadu_ps(g + 1);
        even = _mm256_add_ps(even, _mm256_add_ps(zero, m));
        odd = _mm256_add_ps(odd, K == 3 ? _mm256_add_ps(_mm256_add_ps(zero, m), next) : _mm256_add_ps(zero, next));
      }
    }
    store_interleaved(even, odd, row, c, w.W, stream);
  }
}
#endif

// Avg pooling is separable: per output row, the window rows are first summed into a row of
// column sums (vector adds along contiguous rows), then each output adds its columns (the
// run's as lanes, as in max pooling) and divides. The backward runs the two steps
// transposed. The sums run in the CUDA kernels' order, so both agree bit for bit.
template <typename T> void avg_pool_typed(const PoolWindows& w, const T* in, T* out) {
  using V = Vec<T>;
  const Run r = make_run(w);
  int64_t c0 = 0;
  const int64_t s2 = avg_s2_taps<T>(w, &c0);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    const int64_t width = std::max(w.W, r.c0 + r.span);
    ConvScratch<T> cs(width), split(2 * r.half), s(r.padded), div(w.OH * w.OW + 8);
    std::fill(cs.p + w.W, cs.p + width, T(0));  // the padded lanes' columns (dropped)
    fill_divisors(w, div.p);
    std::fill(div.p + w.OH * w.OW, div.p + w.OH * w.OW + 8, T(1));
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * w.H * w.W;
      T* y = out + p * w.OH * w.OW;
#if defined(__AVX2__)
      if constexpr (std::is_same_v<T, float>) {
        if (s2 != 0) {
          for (int64_t oh = 0; oh < w.OH; ++oh) {
            if (s2 == 2) avg_row_s2<2>(w, c0, x, oh, div.p + oh * w.OW, y + oh * w.OW);
            else avg_row_s2<3>(w, c0, x, oh, div.p + oh * w.OW, y + oh * w.OW);
          }
          continue;
        }
      }
#endif
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
  const bool stream = streams_gradient<T>(w);
  const Run r = make_run(w);
  const RingPlan plan(w);
  int64_t c0 = 0;
  const int64_t s2 = avg_s2_taps<T>(w, &c0);
  ConvScratch<int64_t> cover(2 * w.H);
  covering_rows(w, cover.p);
  const int64_t gs = s2_row_stride(w);
  for_plane_chunks(w, [&](int64_t b, int64_t e) {
    const int64_t width = std::max(w.W, r.c0 + r.span);
    RowRing<T> ring(w, plan.rows, width);
    ConvScratch<T> cs(width), g(r.padded), split(2 * r.half), div(w.OH * w.OW);
    fill_divisors(w, div.p);
#if defined(__AVX2__)
    if constexpr (std::is_same_v<T, float>) {
      if (s2 != 0) {
        ConvScratch<float> gd(w.OH * gs);
        std::fill(gd.p, gd.p + w.OH * gs, 0.f);
        for (int64_t p = b; p < e; ++p) {
          for (int64_t oh = 0; oh < w.OH; ++oh) {
            const float* go = gout + (p * w.OH + oh) * w.OW;
            const float* d = div.p + oh * w.OW;
            float* g = gd.p + oh * gs + 8;
            for (int64_t ow = 0; ow < w.OW; ++ow) g[ow] = go[ow] / d[ow];
          }
          for (int64_t h = 0; h < w.H; ++h) {
            float* row = gin + (p * w.H + h) * w.W;
            if (s2 == 2) avg_backward_row_s2<2>(w, c0, gd.p + 8, gs, cover.p[2 * h], cover.p[2 * h + 1], row, stream);
            else avg_backward_row_s2<3>(w, c0, gd.p + 8, gs, cover.p[2 * h], cover.p[2 * h + 1], row, stream);
          }
        }
        stream_fence();
        return;
      }
    }
#endif
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
