// Row reductions. Float sums are blocked: each block of kBlock elements is summed in
// vector lanes, and block sums are added in double, so a 10^7-element float32 sum keeps
// about float precision instead of drifting by sqrt(n) ulps.
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kBlock = 1024;

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

template <typename T> double sum_row(const T* p, int64_t n) {
  double s = 0;
  for (int64_t b = 0; b < n; b += kBlock) s += sum_block(p + b, n - b < kBlock ? n - b : kBlock);
  return s;
}

template <typename T> void sum_rows_typed(const T* in, void* out, int64_t rows, int64_t len) {
  auto store = [out](int64_t r, double v) {
    if constexpr (std::is_floating_point_v<T>) static_cast<T*>(out)[r] = T(v);
    else static_cast<int64_t*>(out)[r] = int64_t(v);
  };
  if constexpr (!std::is_floating_point_v<T>) {
    // Integers sum exactly in int64.
    core::parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t s = 0;
        for (int64_t i = 0; i < len; ++i) s += int64_t(in[r * len + i]);
        static_cast<int64_t*>(out)[r] = s;
      }
    });
  } else if (rows == 1) {
    // One long row: split it into blocks across threads.
    const int64_t nblocks = (len + kBlock - 1) / kBlock;
    double partial[64] = {};
    const int64_t per = (nblocks + 63) / 64;
    core::parallel_for(0, 64, std::max<int64_t>(1, kElementwiseGrain / (per * kBlock)), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t lo = std::min(len, c * per * kBlock), hi = std::min(len, (c + 1) * per * kBlock);
        partial[c] = hi > lo ? sum_row(in + lo, hi - lo) : 0.0;
      }
    });
    double s = 0;
    for (double v : partial) s += v;
    store(0, s);
  } else {
    core::parallel_for(0, rows, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) store(r, sum_row(in + r * len, len));
    });
  }
}

void sum_rows_kernel(const void* in, void* out, int64_t rows, int64_t len, DType dtype) {
  ND_DISPATCH_ALL_TYPES(dtype, T, sum_rows_typed<T>(static_cast<const T*>(in), out, rows, len))
}

}  // namespace

void register_reduce_kernels() { sum_rows_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = sum_rows_kernel; }

}  // namespace nd::cpu::NATIVEDL_ISA
