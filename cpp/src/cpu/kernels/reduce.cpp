// Reductions over the middle dim of (outer, len, inner) (Note [Reduction layout]): one
// driver loop, parameterized by a reduction functor that says how to start (init), take one
// element (step), merge two partial results of consecutive ranges (combine), reduce one
// contiguous run fast (run) and write a result (store).
//
// Float sums are blocked: each block of kBlock elements is summed in vector lanes and block
// sums are added in double, so a 10^7-element float32 sum keeps about float precision instead
// of drifting by sqrt(n) ulps. Variance uses the same blocks: an exact two-pass mean and sum
// of squared deviations per block, merged with Chan's formula (stable for large means).
#include <cmath>
#include <limits>

#include "cpu/loops.h"
#include "cpu/reduce_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kBlock = 1024;
// One long row is cut into this many chunks: a fixed count, so results don't depend on the
// number of threads.
constexpr int kSplit = 64;
// Columns reduced together in the inner > 1 layout (accumulators live on the stack).
constexpr int64_t kTile = 64;

template <typename T> constexpr bool kFloat = std::is_floating_point_v<T>;
// Sums and products accumulate in double for floats and in int64 for integers and bool.
template <typename T> using WideAcc = std::conditional_t<kFloat<T>, double, int64_t>;
template <typename T> using WideOut = std::conditional_t<kFloat<T>, T, int64_t>;

// The default fast path of a functor: step through the run.
template <typename Derived, typename T, typename AccT> struct OpBase {
  using In = T;
  using Acc = AccT;
  Acc run(Acc a, const T* p, int64_t n, int64_t j0) const {
    const Derived& d = static_cast<const Derived&>(*this);
    for (int64_t j = 0; j < n; ++j) a = d.step(a, p[j], j0 + j);
    return a;
  }
};

template <typename T> double sum_block(const T* p, int64_t n) {
  using V = Vec<T>;
  V acc[4] = {V(T(0)), V(T(0)), V(T(0)), V(T(0))};
  int64_t i = 0;
  for (; i + 4 * V::size <= n; i += 4 * V::size)
    for (int k = 0; k < 4; ++k) acc[k] = acc[k] + V::loadu(p + i + k * V::size);
  for (; i + V::size <= n; i += V::size) acc[0] = acc[0] + V::loadu(p + i);
  T lanes[V::size];
  ((acc[0] + acc[1]) + (acc[2] + acc[3])).storeu(lanes);
  double s = 0;
  for (int k = 0; k < V::size; ++k) s += double(lanes[k]);
  for (; i < n; ++i) s += double(p[i]);
  return s;
}

template <typename T> struct SumOp : OpBase<SumOp<T>, T, WideAcc<T>> {
  using Acc = WideAcc<T>;
  WideOut<T>* out;
  Acc init() const { return Acc(0); }
  Acc step(Acc a, T x, int64_t) const { return a + Acc(x); }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Acc run(Acc a, const T* p, int64_t n, int64_t j0) const {
    if constexpr (!kFloat<T>) return OpBase<SumOp<T>, T, Acc>::run(a, p, n, j0);
    else {
      for (int64_t b = 0; b < n; b += kBlock) a += sum_block(p + b, n - b < kBlock ? n - b : kBlock);
      return a;
    }
  }
  void store(Acc a, int64_t k) const { out[k] = WideOut<T>(a); }
};

template <typename T> struct ProdOp : OpBase<ProdOp<T>, T, WideAcc<T>> {
  using Acc = WideAcc<T>;
  WideOut<T>* out;
  Acc init() const { return Acc(1); }
  Acc step(Acc a, T x, int64_t) const { return a * Acc(x); }
  Acc combine(Acc a, Acc b) const { return a * b; }
  void store(Acc a, int64_t k) const { out[k] = WideOut<T>(a); }
};

template <typename T> bool is_nan(T x) {
  if constexpr (kFloat<T>) return x != x;
  else return false;
}

// Max (IsMax) or min with the index of its first occurrence; a NaN beats every number and
// the first NaN wins. init() is the identity {lowest, 0}: a row of all-lowest values keeps
// index 0, which is their first occurrence.
template <typename T, bool IsMax> struct ExtremeAcc { T v; int64_t i; };
template <typename T, bool IsMax> struct ExtremeOp : OpBase<ExtremeOp<T, IsMax>, T, ExtremeAcc<T, IsMax>> {
  using Acc = ExtremeAcc<T, IsMax>;
  T* out;
  int64_t* out_index;
  static bool better(T x, T cur) { return IsMax ? x > cur : x < cur; }
  Acc init() const {
    using L = std::numeric_limits<T>;
    if constexpr (kFloat<T>) return {IsMax ? -L::infinity() : L::infinity(), 0};
    else return {IsMax ? L::lowest() : L::max(), 0};
  }
  Acc step(Acc a, T x, int64_t j) const {
    if (is_nan(a.v)) return a;
    return (is_nan(x) || better(x, a.v)) ? Acc{x, j} : a;
  }
  Acc combine(Acc a, Acc b) const { return step(a, b.v, b.i); }
  Acc run(Acc a, const T* p, int64_t n, int64_t j0) const {
    if (out_index != nullptr) return OpBase<ExtremeOp, T, Acc>::run(a, p, n, j0);
    // Values only: NaN-propagating vector max/min; the index is not needed.
    using V = Vec<T>;
    int64_t i = 0;
    if (n >= V::size) {
      V m = V::loadu(p);
      for (i = V::size; i + V::size <= n; i += V::size) m = IsMax ? vmax(m, V::loadu(p + i)) : vmin(m, V::loadu(p + i));
      T lanes[V::size];
      m.storeu(lanes);
      for (int k = 0; k < V::size; ++k) a = step(a, lanes[k], j0);
    }
    for (; i < n; ++i) a = step(a, p[i], j0 + i);
    return a;
  }
  void store(Acc a, int64_t k) const {
    if (out != nullptr) out[k] = a.v;
    if (out_index != nullptr) out_index[k] = a.i;
  }
};

template <typename T, bool IsAll> struct LogicalOp : OpBase<LogicalOp<T, IsAll>, T, bool> {
  bool* out;
  bool init() const { return IsAll; }
  bool step(bool a, T x, int64_t) const { return IsAll ? (a && x != T(0)) : (a || x != T(0)); }
  bool combine(bool a, bool b) const { return IsAll ? (a && b) : (a || b); }
  void store(bool a, int64_t k) const { out[k] = a; }
};

// Count, mean and sum of squared deviations from the mean.
struct Moments { double n, mean, m2; };

// Exact-enough moments of one block in vector lanes. Values are shifted by the block's first
// element k first: with a large mean and a small spread, x - k is small and exact, so even
// float lanes sum it accurately. Two passes: the mean, then squared deviations from it.
template <typename T> Moments block_moments(const T* p, int64_t n) {
  using V = Vec<T>;
  const T k = p[0];
  const V kv(k);
  T lanes[V::size];
  V s(T(0));
  int64_t i = 0;
  for (; i + V::size <= n; i += V::size) s = s + (V::loadu(p + i) - kv);
  s.storeu(lanes);
  double sum = 0;
  for (int l = 0; l < V::size; ++l) sum += double(lanes[l]);
  for (; i < n; ++i) sum += double(p[i] - k);
  const double md = sum / double(n);  // mean - k
  const T c = T(md);
  const V cv(c);
  V q(T(0));
  for (i = 0; i + V::size <= n; i += V::size) { const V d = (V::loadu(p + i) - kv) - cv; q = vfmadd(d, d, q); }
  q.storeu(lanes);
  double m2 = 0;
  for (int l = 0; l < V::size; ++l) m2 += double(lanes[l]);
  for (; i < n; ++i) { const double d = double(p[i] - k) - double(c); m2 += d * d; }
  // Deviations were taken from c, the mean rounded to T: sum (y - c)^2 = m2 + n (mean - c)^2.
  const double off = md - double(c);
  return {double(n), double(k) + md, std::max(0.0, m2 - double(n) * off * off)};
}

template <typename T> struct VarOp : OpBase<VarOp<T>, T, Moments> {
  T* out;
  double correction;
  Moments init() const { return {0, 0, 0}; }
  Moments step(Moments a, T x, int64_t) const {  // Welford
    a.n += 1;
    const double d = double(x) - a.mean;
    a.mean += d / a.n;
    a.m2 += d * (double(x) - a.mean);
    return a;
  }
  Moments combine(Moments a, Moments b) const {  // Chan et al.
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = a.n + b.n, d = b.mean - a.mean;
    return {n, a.mean + d * (b.n / n), a.m2 + b.m2 + d * d * (a.n * b.n / n)};
  }
  Moments run(Moments a, const T* p, int64_t n, int64_t) const {
    for (int64_t b = 0; b < n; b += kBlock) a = combine(a, block_moments(p + b, n - b < kBlock ? n - b : kBlock));
    return a;
  }
  void store(Moments a, int64_t k) const {
    const double dof = a.n - correction;
    out[k] = T(a.m2 / (dof > 0 ? dof : 0.0));
  }
};

// One row reduced by kSplit chunks in parallel, chunks aligned to kBlock.
template <typename Op> typename Op::Acc reduce_long_row(const Op& op, const typename Op::In* p, int64_t len) {
  using Acc = typename Op::Acc;
  Acc partial[kSplit];
  const int64_t per = ((len + kSplit - 1) / kSplit + kBlock - 1) / kBlock * kBlock;
  core::parallel_for(0, kSplit, std::max<int64_t>(1, kElementwiseGrain / per), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const int64_t lo = std::min(len, c * per), hi = std::min(len, (c + 1) * per);
      partial[c] = op.run(op.init(), p + lo, hi - lo, lo);
    }
  });
  Acc a = partial[0];
  for (int64_t c = 1; c < kSplit && c * per < len; ++c) a = op.combine(a, partial[c]);
  return a;
}

template <typename Op> void reduce_with(const Op& op, const ReduceArgs& r) {
  using T = typename Op::In;
  using Acc = typename Op::Acc;
  const T* in = static_cast<const T*>(r.in);
  const int64_t len = r.len, inner = r.inner;
  if (inner == 1) {
    // Few long rows: each row is split across threads; else rows are.
    if (r.outer < 8 && len >= 4 * kElementwiseGrain) {
      for (int64_t o = 0; o < r.outer; ++o) op.store(reduce_long_row(op, in + o * len, len), o);
      return;
    }
    core::parallel_for(0, r.outer, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1)),
                       [&](int64_t b, int64_t e) {
                         for (int64_t o = b; o < e; ++o) op.store(op.run(op.init(), in + o * len, len, 0), o);
                       });
    return;
  }
  // Columns: a tile of kTile adjacent outputs is accumulated while walking the reduced dim.
  const int64_t tiles = (inner + kTile - 1) / kTile;
  core::parallel_for(0, r.outer * tiles, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len * kTile, 1)),
                     [&](int64_t b, int64_t e) {
                       Acc acc[kTile];
                       for (int64_t t = b; t < e; ++t) {
                         const int64_t o = t / tiles, i0 = (t % tiles) * kTile;
                         const int64_t w = std::min(kTile, inner - i0);
                         for (int64_t i = 0; i < w; ++i) acc[i] = op.init();
                         const T* base = in + o * len * inner + i0;
                         for (int64_t j = 0; j < len; ++j) {
                           const T* p = base + j * inner;
                           for (int64_t i = 0; i < w; ++i) acc[i] = op.step(acc[i], p[i], j);
                         }
                         for (int64_t i = 0; i < w; ++i) op.store(acc[i], o * inner + i0 + i);
                       }
                     });
}

template <typename T> void reduce_typed(const ReduceArgs& r, ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: { SumOp<T> op; op.out = static_cast<WideOut<T>*>(r.out); reduce_with(op, r); break; }
    case ReduceKind::Prod: { ProdOp<T> op; op.out = static_cast<WideOut<T>*>(r.out); reduce_with(op, r); break; }
    case ReduceKind::Max: {
      ExtremeOp<T, true> op; op.out = static_cast<T*>(r.out); op.out_index = r.out_index; reduce_with(op, r); break;
    }
    case ReduceKind::Min: {
      ExtremeOp<T, false> op; op.out = static_cast<T*>(r.out); op.out_index = r.out_index; reduce_with(op, r); break;
    }
    case ReduceKind::All: { LogicalOp<T, true> op; op.out = static_cast<bool*>(r.out); reduce_with(op, r); break; }
    case ReduceKind::Any: { LogicalOp<T, false> op; op.out = static_cast<bool*>(r.out); reduce_with(op, r); break; }
    case ReduceKind::Var:
      if constexpr (kFloat<T>) {
        VarOp<T> op; op.out = static_cast<T*>(r.out); op.correction = r.correction; reduce_with(op, r);
      }
      break;
  }
}

void reduce_kernel(const ReduceArgs& r, ReduceKind kind) { ND_DISPATCH_ALL_TYPES(r.dtype, T, reduce_typed<T>(r, kind)) }

}  // namespace

void register_reduce_kernels() { reduce_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = reduce_kernel; }

}  // namespace nd::cpu::NATIVEDL_ISA
