// Inclusive scans (cumsum, cumprod) along the middle dim of (outer, len, inner), forward or
// reversed. Floats accumulate in double, integers in int64, so a long float32 cumsum does
// not drift. One loop per layout; the operation is a functor.
#include "cpu/loops.h"
#include "cpu/reduce_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int kSplit = 64;    // chunks of one long row (fixed: thread-count independent)
constexpr int64_t kTile = 64;  // columns scanned together when inner > 1

template <typename T> using ScanAcc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <typename T> struct AddOp {
  static ScanAcc<T> identity() { return 0; }
  static ScanAcc<T> apply(ScanAcc<T> a, ScanAcc<T> b) { return a + b; }
};
template <typename T> struct MulOp {
  static ScanAcc<T> identity() { return 1; }
  static ScanAcc<T> apply(ScanAcc<T> a, ScanAcc<T> b) { return a * b; }
};

// Scans positions [lo, hi) (in scan order) of one row starting from `acc`; `write` false only
// totals them. Position q of a reversed scan is element len - 1 - q.
template <typename T, typename Op>
ScanAcc<T> scan_range(const T* in, T* out, int64_t len, int64_t lo, int64_t hi, bool reverse, ScanAcc<T> acc,
                      bool write) {
  const int64_t step = reverse ? -1 : 1;
  int64_t pos = reverse ? len - 1 - lo : lo;
  for (int64_t q = lo; q < hi; ++q, pos += step) {
    acc = Op::apply(acc, ScanAcc<T>(in[pos]));
    if (write) out[pos] = T(acc);
  }
  return acc;
}

template <typename T, typename Op> void scan_typed(const ScanArgs& a) {
  using Acc = ScanAcc<T>;
  const T* in = static_cast<const T*>(a.in);
  T* out = static_cast<T*>(a.out);
  const int64_t len = a.len, inner = a.inner;
  if (inner == 1) {
    if (a.outer < 8 && len >= 4 * kElementwiseGrain) {
      // Few long rows: chunk totals in parallel, then each chunk scans from the running total
      // of the chunks before it.
      const int64_t per = (len + kSplit - 1) / kSplit;
      const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / per);
      for (int64_t o = 0; o < a.outer; ++o) {
        const T* ri = in + o * len;
        T* ro = out + o * len;
        Acc start[kSplit];
        core::parallel_for(0, kSplit, grain, [&](int64_t b, int64_t e) {
          for (int64_t c = b; c < e; ++c)
            start[c] = scan_range<T, Op>(ri, ro, len, std::min(len, c * per), std::min(len, (c + 1) * per),
                                         a.reverse, Op::identity(), false);
        });
        Acc run = Op::identity();
        for (int c = 0; c < kSplit; ++c) { const Acc total = start[c]; start[c] = run; run = Op::apply(run, total); }
        core::parallel_for(0, kSplit, grain, [&](int64_t b, int64_t e) {
          for (int64_t c = b; c < e; ++c)
            scan_range<T, Op>(ri, ro, len, std::min(len, c * per), std::min(len, (c + 1) * per), a.reverse,
                              start[c], true);
        });
      }
      return;
    }
    core::parallel_for(0, a.outer, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1)),
                       [&](int64_t b, int64_t e) {
                         for (int64_t o = b; o < e; ++o)
                           scan_range<T, Op>(in + o * len, out + o * len, len, 0, len, a.reverse, Op::identity(), true);
                       });
    return;
  }
  const int64_t tiles = (inner + kTile - 1) / kTile;
  core::parallel_for(0, a.outer * tiles, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len * kTile, 1)),
                     [&](int64_t b, int64_t e) {
                       Acc acc[kTile];
                       for (int64_t t = b; t < e; ++t) {
                         const int64_t o = t / tiles, i0 = (t % tiles) * kTile, w = std::min(kTile, inner - i0);
                         for (int64_t i = 0; i < w; ++i) acc[i] = Op::identity();
                         for (int64_t q = 0; q < len; ++q) {
                           const int64_t off = (o * len + (a.reverse ? len - 1 - q : q)) * inner + i0;
                           for (int64_t i = 0; i < w; ++i) {
                             acc[i] = Op::apply(acc[i], Acc(in[off + i]));
                             out[off + i] = T(acc[i]);
                           }
                         }
                       }
                     });
}

void scan_kernel(const ScanArgs& a, ScanKind kind) {
  if (kind == ScanKind::Sum) { ND_DISPATCH_ALL_TYPES(a.dtype, T, (scan_typed<T, AddOp<T>>(a))) }
  else { ND_DISPATCH_ALL_TYPES(a.dtype, T, (scan_typed<T, MulOp<T>>(a))) }
}

}  // namespace

void register_scan_kernels() { scan_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = scan_kernel; }

}  // namespace nd::cpu::NATIVEDL_ISA
