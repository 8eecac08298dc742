// Activation kernels: one functor per pointwise activation (f and its derivative df, both
// written once for every ISA), one forward loop and one backward loop; and the fused
// softmax / log_softmax forward and backward over a dim.
#include <cmath>
#include <limits>

#include "cpu/activation_functors.h"
#include "cpu/activation_kernels.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// The pointwise functors are in cpu/activation_functors.h, shared with the CUDA kernels.
using namespace act;

template <typename T, typename Op> void act_forward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = Op::f(*reinterpret_cast<const T*>(p[1] + i * s[1]), prm);
  });
}

template <typename T, typename Op> void act_backward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) =
          *reinterpret_cast<const T*>(p[1] + i * s[1]) * Op::df(*reinterpret_cast<const T*>(p[2] + i * s[2]), prm);
  });
}

void act_forward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_forward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

void act_backward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_backward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

// ---------------------------------------------------------------- softmax over a dim

// Calls f(i, W{}) over [0, n): W = Vec<T> for full vectors, then a one-lane vector for the
// tail, so each loop body is written once for both.
template <typename T, typename F> void for_lanes(int64_t n, F&& f) {
  using V = Vec<T>;
  int64_t i = 0;
  for (; i + V::size <= n; i += V::size) f(i, V());
  for (; i < n; ++i) f(i, VecN<T, 1>());
}

template <typename T, typename V> T hsum(const V& v) {
  T t[V::size];
  v.storeu(t);
  T s = 0;
  for (int k = 0; k < V::size; ++k) s += t[k];
  return s;
}
template <typename T, typename V> T hmax(const V& v) {
  T t[V::size];
  v.storeu(t);
  T m = t[0];
  for (int k = 1; k < V::size; ++k) m = t[k] > m ? t[k] : m;  // a NaN row is NaN anyway via x - m
  return m;
}

// A pair of accumulators (full vectors and the one-lane tail), picked by the loop's W.
template <typename T> struct Acc2 {
  Vec<T> v;
  VecN<T, 1> s;
  explicit Acc2(T init) : v(init), s(init) {}
  template <typename W> auto& get() { if constexpr (W::size == 1 && Vec<T>::size != 1) return s; else return v; }
};

// One contiguous row (inner == 1).
template <typename T> void softmax_row(const T* x, T* y, int64_t n, bool log) {
  Acc2<T> am(-std::numeric_limits<T>::infinity());
  for_lanes<T>(n, [&](int64_t i, auto w) {
    using W = decltype(w);
    auto& a = am.template get<W>();
    a = vmax(a, W::loadu(x + i));
  });
  const T m = std::max(hmax<T>(am.v), hmax<T>(am.s));  // NaN rows stay NaN through x - m
  Acc2<T> as(T(0));
  for_lanes<T>(n, [&](int64_t i, auto w) {
    using W = decltype(w);
    const W e = vexp(W::loadu(x + i) - W(m));
    if (!log) e.storeu(y + i);
    auto& a = as.template get<W>();
    a = a + e;
  });
  const T s = hsum<T>(as.v) + hsum<T>(as.s);
  // (x - m) - log(s), not x - (m + log(s)): m + log(s) would round at m's magnitude.
  const T log_s = std::log(s), inv = T(1) / s;
  for_lanes<T>(n, [&](int64_t i, auto w) {
    using W = decltype(w);
    (log ? (W::loadu(x + i) - W(m)) - W(log_s) : W::loadu(y + i) * W(inv)).storeu(y + i);
  });
}

template <typename T> void softmax_row_backward(const T* y, const T* g, T* gx, int64_t n, bool log) {
  Acc2<T> as(T(0));
  for_lanes<T>(n, [&](int64_t i, auto w) {
    using W = decltype(w);
    auto& a = as.template get<W>();
    a = log ? a + W::loadu(g + i) : vfmadd(W::loadu(g + i), W::loadu(y + i), a);
  });
  const T s = hsum<T>(as.v) + hsum<T>(as.s);
  for_lanes<T>(n, [&](int64_t i, auto w) {
    using W = decltype(w);
    const W yv = W::loadu(y + i), gv = W::loadu(g + i);
    (log ? gv - vexp(yv) * W(s) : yv * (gv - W(s))).storeu(gx + i);
  });
}

// Columns: a tile of up to kTile adjacent columns of one (len, inner) slab, reduced
// together so every pass reads contiguous memory.
constexpr int64_t kTile = 256;

template <typename T> void softmax_cols(const T* x, T* y, int64_t len, int64_t inner, int64_t w, bool log) {
  T m[kTile], s[kTile];
  for (int64_t i = 0; i < w; ++i) { m[i] = -std::numeric_limits<T>::infinity(); s[i] = T(0); }
  for (int64_t j = 0; j < len; ++j)
    for_lanes<T>(w, [&](int64_t i, auto v) {
      using W = decltype(v);
      vmax(W::loadu(m + i), W::loadu(x + j * inner + i)).storeu(m + i);
    });
  for (int64_t j = 0; j < len; ++j)
    for_lanes<T>(w, [&](int64_t i, auto v) {
      using W = decltype(v);
      const W e = vexp(W::loadu(x + j * inner + i) - W::loadu(m + i));
      if (!log) e.storeu(y + j * inner + i);
      (W::loadu(s + i) + e).storeu(s + i);
    });
  for (int64_t i = 0; i < w; ++i) {
    s[i] = log ? std::log(s[i]) : T(1) / s[i];
  }
  for (int64_t j = 0; j < len; ++j)
    for_lanes<T>(w, [&](int64_t i, auto v) {
      using W = decltype(v);
      (log ? (W::loadu(x + j * inner + i) - W::loadu(m + i)) - W::loadu(s + i) : W::loadu(y + j * inner + i) * W::loadu(s + i))
          .storeu(y + j * inner + i);
    });
}

template <typename T> void softmax_cols_backward(const T* y, const T* g, T* gx, int64_t len, int64_t inner,
                                                 int64_t w, bool log) {
  T s[kTile];
  for (int64_t i = 0; i < w; ++i) s[i] = T(0);
  for (int64_t j = 0; j < len; ++j)
    for_lanes<T>(w, [&](int64_t i, auto v) {
      using W = decltype(v);
      const W gv = W::loadu(g + j * inner + i);
      (log ? W::loadu(s + i) + gv : vfmadd(gv, W::loadu(y + j * inner + i), W::loadu(s + i))).storeu(s + i);
    });
  for (int64_t j = 0; j < len; ++j)
    for_lanes<T>(w, [&](int64_t i, auto v) {
      using W = decltype(v);
      const W yv = W::loadu(y + j * inner + i), gv = W::loadu(g + j * inner + i), sv = W::loadu(s + i);
      (log ? gv - vexp(yv) * sv : yv * (gv - sv)).storeu(gx + j * inner + i);
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

void softmax_forward(const SoftmaxArgs& a) { ND_DISPATCH_FLOAT_TYPES(a.dtype, T, softmax_forward_typed<T>(a)) }
void softmax_backward(const SoftmaxArgs& a) { ND_DISPATCH_FLOAT_TYPES(a.dtype, T, softmax_backward_typed<T>(a)) }

}  // namespace

void register_activation_kernels() {
  const int i = int(Isa::NATIVEDL_ISA_ENUM);
  act_forward_stub.fns[i] = act_forward;
  act_backward_stub.fns[i] = act_backward;
  softmax_forward_stub.fns[i] = softmax_forward;
  softmax_backward_stub.fns[i] = softmax_backward;
}

}  // namespace nd::cpu::NATIVEDL_ISA
