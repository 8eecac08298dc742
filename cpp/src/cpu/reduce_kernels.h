// Descriptors and dispatch stubs of the reduction and scan kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
//
// Note [Reduction layout]
// Every reduction kernel reads a contiguous input viewed as (outer, len, inner) and reduces
// the middle dim: out[o, i] = reduce_j in[o, j, i]. The op layer picks outer/len/inner so
// that the reduced dims are one contiguous block of the input's dims (a copy with the reduced
// dims moved innermost only when they are not), so reducing dim 0, the last dim, or every
// dim never copies. inner == 1 gives contiguous rows; inner > 1 reduces columns, vectorized
// across the inner dim.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

enum class ReduceKind : int {
  Sum,   // floats accumulate in double (blocked), integers and bool in int64; out: acc dtype
  Prod,  // same accumulation types as Sum
  Max,   // out: the values (if non-null), out_index: the first index of the max (if non-null);
  Min,   //      NaN wins over numbers, as PyTorch
  All,   // out: bool
  Any,   // out: bool
  Var,   // out: sum of squared deviations / max(0, len - correction); float inputs only
};

struct ReduceArgs {
  const void* in = nullptr;
  void* out = nullptr;
  int64_t* out_index = nullptr;
  DType dtype = DType::Float32;  // of `in`
  int64_t outer = 1, len = 0, inner = 1;
  double correction = 0;  // Var only
};
using ReduceKernel = void (*)(const ReduceArgs& args, ReduceKind kind);

enum class ScanKind : int { Sum, Prod };

/// Inclusive scan along the middle dim of a contiguous (outer, len, inner) input into a
/// contiguous output of the same shape and dtype; `reverse` scans from the end.
struct ScanArgs {
  const void* in = nullptr;
  void* out = nullptr;
  DType dtype = DType::Float32;
  int64_t outer = 1, len = 0, inner = 1;
  bool reverse = false;
};
using ScanKernel = void (*)(const ScanArgs& args, ScanKind kind);

extern DispatchStub<ReduceKernel> reduce_stub;
extern DispatchStub<ScanKernel> scan_stub;

}  // namespace nd::cpu
