// Softmax / log_softmax forward and backward over a dim, and the fused cross-entropy rows. Compiled in the avx512 set too:
// for rows that fit in cache the exp is the bottleneck, and 16 lanes with a vscalef exp
// halve its cost (Note [AVX-512 kernel set]).
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/activation_kernels.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

using std::min;

// A run of n elements is walked in vectors: full ones, then one partial vector of k < size
// lanes held in a padded copy (no scalar tail: exp on a lane costs a libm call there).
template <typename T> Vec<T> ld(const T* p, int64_t k, T fill) {
  if (k == Vec<T>::size) return Vec<T>::loadu(p);
  T b[Vec<T>::size];
  for (int64_t l = 0; l < Vec<T>::size; ++l) b[l] = l < k ? p[l] : fill;
  return Vec<T>::loadu(b);
}
template <typename T> void st(const Vec<T>& v, T* p, int64_t k) {
  if (k == Vec<T>::size) return v.storeu(p);
  T b[Vec<T>::size];
  v.storeu(b);
  for (int64_t l = 0; l < k; ++l) p[l] = b[l];
}
// Calls f(i, k) for the vectors of [0, n): k lanes from i (a compile-time full width for
// every vector but the last, so the main loop has no partial-vector branches).
template <typename T, typename F> void for_vecs(int64_t n, F&& f) {
  constexpr int64_t L = Vec<T>::size;
  int64_t i = 0;
  for (; i + L <= n; i += L) f(i, L);
  if (i < n) f(i, n - i);
}

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// The row maximum, four vectors at a time (a single vmax chain is latency-bound). A NaN in
// the row makes every output NaN through x - m and the sum anyway.
template <typename T> T row_max(const T* x, int64_t n) {
  using V = Vec<T>;
  constexpr int64_t L = V::size;
  const V lo = V(T(kNegInf));
  V a0 = lo, a1 = lo, a2 = lo, a3 = lo;
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    a0 = vmax(a0, V::loadu(x + i)), a1 = vmax(a1, V::loadu(x + i + L));
    a2 = vmax(a2, V::loadu(x + i + 2 * L)), a3 = vmax(a3, V::loadu(x + i + 3 * L));
  }
  for (; i < n; i += L) a0 = vmax(a0, ld(x + i, min(L, n - i), T(kNegInf)));
  T t[L];
  vmax(vmax(a0, a1), vmax(a2, a3)).storeu(t);
  T m = t[0];
  for (int64_t k = 1; k < L; ++k) m = t[k] > m ? t[k] : m;
  return m;
}

// One contiguous row (inner == 1): max, exp and sum, scale.
template <typename T> void softmax_row(const T* x, T* y, int64_t n, bool log) {
  using V = Vec<T>;
  const T m = row_max(x, n);
  V acc(T(0));
  for_vecs<T>(n, [&](int64_t i, int64_t k) {
    const V e = vexp(ld(x + i, k, T(kNegInf)) - V(m));  // padding lanes give exp(-inf) = 0
    if (!log) st(e, y + i, k);
    acc = acc + e;
  });
  const T s = lane_sum<T>(acc);
  // (x - m) - log(s), not x - (m + log(s)): m + log(s) would round at m's magnitude.
  const T log_s = std::log(s), inv = T(1) / s;
  for_vecs<T>(n, [&](int64_t i, int64_t k) {
    st(log ? (ld(x + i, k, T(0)) - V(m)) - V(log_s) : ld(y + i, k, T(0)) * V(inv), y + i, k);
  });
}

template <typename T> void softmax_row_backward(const T* y, const T* g, T* gx, int64_t n, bool log) {
  using V = Vec<T>;
  V acc(T(0));
  for_vecs<T>(n, [&](int64_t i, int64_t k) {
    const V gv = ld(g + i, k, T(0));
    acc = log ? acc + gv : vfmadd(gv, ld(y + i, k, T(0)), acc);
  });
  const V s(lane_sum<T>(acc));
  for_vecs<T>(n, [&](int64_t i, int64_t k) {
    const V yv = ld(y + i, k, T(0)), gv = ld(g + i, k, T(0));
    st(log ? gv - vexp(yv) * s : yv * (gv - s), gx + i, k);
  });
}

// Columns: a tile of up to kTile adjacent columns of one (len, inner) slab, reduced
// together so every pass reads contiguous memory.
constexpr int64_t kTile = 256;

template <typename T> void softmax_cols(const T* x, T* y, int64_t len, int64_t inner, int64_t w, bool log) {
  using V = Vec<T>;
  T m[kTile], s[kTile];
  for (int64_t i = 0; i < w; ++i) { m[i] = T(kNegInf); s[i] = T(0); }
  for (int64_t j = 0; j < len; ++j)
    for_vecs<T>(w, [&](int64_t i, int64_t k) {
      st(vmax(ld(m + i, k, T(0)), ld(x + j * inner + i, k, T(0))), m + i, k);
    });
  for (int64_t j = 0; j < len; ++j)
    for_vecs<T>(w, [&](int64_t i, int64_t k) {
      const V e = vexp(ld(x + j * inner + i, k, T(0)) - ld(m + i, k, T(0)));
      if (!log) st(e, y + j * inner + i, k);
      st(ld(s + i, k, T(0)) + e, s + i, k);
    });
  for (int64_t i = 0; i < w; ++i) s[i] = log ? std::log(s[i]) : T(1) / s[i];
  for (int64_t j = 0; j < len; ++j)
    for_vecs<T>(w, [&](int64_t i, int64_t k) {
      const T* xr = x + j * inner + i;
      T* yr = y + j * inner + i;
      st(log ? (ld(xr, k, T(0)) - ld(m + i, k, T(0))) - ld(s + i, k, T(0)) : ld(yr, k, T(0)) * ld(s + i, k, T(0)),
         yr, k);
    });
}

template <typename T> void softmax_cols_backward(const T* y, const T* g, T* gx, int64_t len, int64_t inner,
                                                 int64_t w, bool log) {
  using V = Vec<T>;
  T s[kTile];
  for (int64_t i = 0; i < w; ++i) s[i] = T(0);
  for (int64_t j = 0; j < len; ++j)
    for_vecs<T>(w, [&](int64_t i, int64_t k) {
      const V gv = ld(g + j * inner + i, k, T(0)), sv = ld(s + i, k, T(0));
      st(log ? sv + gv : vfmadd(gv, ld(y + j * inner + i, k, T(0)), sv), s + i, k);
    });
  for (int64_t j = 0; j < len; ++j)
    for_vecs<T>(w, [&](int64_t i, int64_t k) {
      const V yv = ld(y + j * inner + i, k, T(0)), gv = ld(g + j * inner + i, k, T(0)), sv = ld(s + i, k, T(0));
      st(log ? gv - vexp(yv) * sv : yv * (gv - sv), gx + j * inner + i, k);
    });
}

// Splits the work into rows (inner == 1) or column tiles and runs them in parallel.
template <typename T, typename RowFn, typename ColFn>
void softmax_driver(const SoftmaxArgs& a, RowFn row, ColFn cols) {
  if (a.len == 0) return;
  if (a.inner == 1) {
    core::parallel_for(0, a.outer, std::max<int64_t>(1, 16384 / a.len), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) row(o * a.len, a.len);
    });
    return;
  }
  const int64_t tiles = (a.inner + kTile - 1) / kTile;
  core::parallel_for(0, a.outer * tiles, std::max<int64_t>(1, 16384 / (a.len * kTile)), [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t o = k / tiles, i0 = (k % tiles) * kTile;
      cols(o * a.len * a.inner + i0, std::min(kTile, a.inner - i0));
    }
  });
}

template <typename T> void softmax_forward_typed(const SoftmaxArgs& a) {
  const T* x = static_cast<const T*>(a.x);
  T* y = static_cast<T*>(a.out);
  softmax_driver<T>(a, [&](int64_t off, int64_t n) { softmax_row(x + off, y + off, n, a.log); },
                    [&](int64_t off, int64_t w) { softmax_cols(x + off, y + off, a.len, a.inner, w, a.log); });
}

template <typename T> void softmax_backward_typed(const SoftmaxArgs& a) {
  const T* y = static_cast<const T*>(a.x);
  const T* g = static_cast<const T*>(a.grad);
  T* gx = static_cast<T*>(a.out);
  softmax_driver<T>(a, [&](int64_t off, int64_t n) { softmax_row_backward(y + off, g + off, gx + off, n, a.log); },
                    [&](int64_t off, int64_t w) {
                      softmax_cols_backward(y + off, g + off, gx + off, a.len, a.inner, w, a.log);
                    });
}

// Cross-entropy rows: the forward needs only the row max and the exp sum (nothing stored but
// logsumexp); the backward writes softmax - onehot in one pass.
template <typename T> void cross_entropy_forward_typed(const CrossEntropyArgs& a) {
  using V = Vec<T>;
  const T* x = static_cast<const T*>(a.x);
  T* lse = static_cast<T*>(a.lse);
  T* loss = static_cast<T*>(a.loss);
  const int64_t n = a.classes;
  core::parallel_for(0, a.rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * n;
      const T m = row_max(xr, n);
      V acc(T(0));
      for_vecs<T>(n, [&](int64_t i, int64_t k) { acc = acc + vexp(ld(xr + i, k, T(kNegInf)) - V(m)); });
      const T log_s = std::log(lane_sum<T>(acc));
      lse[r] = m + log_s;
      const int64_t t = a.target[r];
      loss[r] = t == a.ignore_index ? T(0) : (m - xr[t]) + log_s;
    }
  });
}

template <typename T> void cross_entropy_backward_typed(const CrossEntropyArgs& a) {
  using V = Vec<T>;
  const T* x = static_cast<const T*>(a.x);
  const T* lse = static_cast<const T*>(a.lse);
  const T* grad = static_cast<const T*>(a.grad);
  T* out = static_cast<T*>(a.out);
  const int64_t n = a.classes;
  core::parallel_for(0, a.rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * n;
      T* o = out + r * n;
      const int64_t t = a.target[r];
      const bool ignored = t == a.ignore_index;
      const V g(ignored ? T(0) : grad[r]), l(lse[r]);
      for_vecs<T>(n, [&](int64_t i, int64_t k) { st(g * vexp(ld(xr + i, k, T(0)) - l), o + i, k); });
      if (!ignored) o[t] -= grad[r];
    }
  });
}

void softmax_forward(const SoftmaxArgs& a) { ND_DISPATCH_FLOAT_TYPES(a.dtype, T, softmax_forward_typed<T>(a)) }
void softmax_backward(const SoftmaxArgs& a) { ND_DISPATCH_FLOAT_TYPES(a.dtype, T, softmax_backward_typed<T>(a)) }
void cross_entropy_forward(const CrossEntropyArgs& a) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, cross_entropy_forward_typed<T>(a))
}
void cross_entropy_backward(const CrossEntropyArgs& a) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, cross_entropy_backward_typed<T>(a))
}

}  // namespace

void register_softmax_kernels() {
  const int i = int(Isa::NATIVEDL_ISA_ENUM);
  softmax_forward_stub.fns[i] = softmax_forward;
  softmax_backward_stub.fns[i] = softmax_backward;
  cross_entropy_forward_stub.fns[i] = cross_entropy_forward;
  cross_entropy_backward_stub.fns[i] = cross_entropy_backward;
}

}  // namespace nd::cpu::NATIVEDL_ISA
