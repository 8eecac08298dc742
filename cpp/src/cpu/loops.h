// The one elementwise loop: walks an ElementwiseIter in contiguous runs and hands each
// run to a body; the bodies (unary, binary, copy ...) only see pointers, strides and a count.
#pragma once
#ifndef NATIVEDL_ISA
#error "loops.h is for per-ISA kernel files"
#endif
#include "core/parallel.h"
#include "cpu/kernel_api.h"
#include "cpu/vec/vec.h"

namespace nd::cpu::NATIVEDL_ISA {

/// Elements per thread below which an elementwise loop stays on one thread.
constexpr int64_t kElementwiseGrain = 32768;

/// Calls body(ptrs, inner_strides, n) for each run of the innermost dim inside the
/// linear range [begin, end) of the iteration space.
template <typename Body>
void for_each_run(const ElementwiseIter& it, int64_t begin, int64_t end, Body&& body) {
  const int nop = it.noperands;
  if (it.ndim == 0) {
    char* ptrs[kMaxOperands];
    int64_t zero[kMaxOperands] = {};
    for (int k = 0; k < nop; ++k) ptrs[k] = it.data[k];
    if (end > begin) body(ptrs, zero, int64_t(1));
    return;
  }
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = 0; d < it.ndim; ++d) { idx[d] = rem % it.sizes[d]; rem /= it.sizes[d]; }
  int64_t inner[kMaxOperands];
  for (int k = 0; k < nop; ++k) inner[k] = it.strides[k][0];
  int64_t pos = begin;
  while (pos < end) {
    char* ptrs[kMaxOperands];
    for (int k = 0; k < nop; ++k) {
      int64_t off = 0;
      for (int d = 0; d < it.ndim; ++d) off += idx[d] * it.strides[k][d];
      ptrs[k] = it.data[k] + off;
    }
    int64_t n = it.sizes[0] - idx[0];
    if (n > end - pos) n = end - pos;
    body(ptrs, inner, n);
    pos += n;
    idx[0] += n;
    for (int d = 0; d + 1 < it.ndim && idx[d] == it.sizes[d]; ++d) { idx[d] = 0; ++idx[d + 1]; }
  }
}

/// for_each_run over the whole iteration, split across threads.
template <typename Body> void parallel_runs(const ElementwiseIter& it, Body&& body) {
  core::parallel_for(0, it.numel, kElementwiseGrain,
                     [&](int64_t b, int64_t e) { for_each_run(it, b, e, body); });
}

}  // namespace nd::cpu::NATIVEDL_ISA

/// Runs the statement with `T` bound to the element type of `dtype` (all six dtypes).
#define ND_DISPATCH_ALL_TYPES(dtype, T, ...)                 \
  switch (dtype) {                                           \
    case ::nd::DType::Bool: { using T = bool; __VA_ARGS__; break; }     \
    case ::nd::DType::UInt8: { using T = uint8_t; __VA_ARGS__; break; } \
    case ::nd::DType::Int32: { using T = int32_t; __VA_ARGS__; break; } \
    case ::nd::DType::Int64: { using T = int64_t; __VA_ARGS__; break; } \
    case ::nd::DType::Float32: { using T = float; __VA_ARGS__; break; } \
    case ::nd::DType::Float64: { using T = double; __VA_ARGS__; break; } \
  }
#define ND_DISPATCH_FLOAT_TYPES(dtype, T, ...)                            \
  switch (dtype) {                                                        \
    case ::nd::DType::Float32: { using T = float; __VA_ARGS__; break; }  \
    case ::nd::DType::Float64: { using T = double; __VA_ARGS__; break; } \
    default: break;                                                       \
  }
