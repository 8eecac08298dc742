// What ops hand to CPU kernels: plain descriptors (no inline code, see Note [ISA namespaces])
// and the dispatch stubs that run-time CPU detection fills.
//
// Note [ISA namespaces]
// Kernel files under cpu/kernels/ are compiled once per ISA (scalar, avx2; avx512 for the
// few kernels in its set) with different
// flags. An inline function or template instantiated in two such copies is one symbol to the
// linker, which may keep the AVX2 copy for both: the scalar path would then run AVX2 code.
// So everything those files define or include lives in namespace nd::cpu::NATIVEDL_ISA,
// and this header, shared by both, declares plain data and function-pointer types only.
#pragma once
#include <cstdint>

#include "nativedl/dtype.h"
#include "nativedl/ops/op_list.h"

namespace nd::cpu {

constexpr int kMaxDims = 16;
constexpr int kMaxOperands = 4;

/// An elementwise iteration: operand 0 is the output, dims are coalesced and stored
/// innermost first, strides in bytes (0 along broadcast dims).
struct ElementwiseIter {
  int noperands = 0;
  int ndim = 0;
  int64_t numel = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxOperands][kMaxDims];
  char* data[kMaxOperands];
  DType dtypes[kMaxOperands];
  Device devices[kMaxOperands];
  const char* op = "";  // for error messages
};

/// Instruction sets with a compiled kernel set; the index into DispatchStub::fns.
enum class Isa : int { Scalar = 0, Avx2 = 1, Avx512 = 2 };
constexpr int kNumIsas = 3;

/// One function pointer per ISA; kernels register themselves, ops call through select(),
/// which falls back to the next lower ISA with a kernel (avx512 -> avx2 -> scalar). `cuda` is
/// the CUDA backend's kernel for the same descriptor, when it has one (ops::launch picks).
template <typename Fn> struct DispatchStub {
  Fn fns[kNumIsas] = {};
  Fn cuda = nullptr;
};

/// The ISA chosen at startup: the best the CPU supports, or NATIVEDL_ISA=scalar|avx2|avx512.
Isa active_isa();
const char* isa_name(Isa isa);
/// Registers every kernel set once; active_isa() calls it.
void register_all_kernels();

template <typename Fn> Fn select(const DispatchStub<Fn>& stub) {
  int i = int(active_isa());
  while (i > 0 && stub.fns[i] == nullptr) --i;
  return stub.fns[i];
}

// Elementwise kernel families, generated from the op lists.
#define ND_ENUM_ENTRY(name) name,
enum class UnaryOp : int { ND_UNARY_FLOAT_OPS(ND_ENUM_ENTRY) ND_UNARY_ANY_OPS(ND_ENUM_ENTRY) kCount };
enum class BinaryOp : int { ND_BINARY_ARITH_OPS(ND_ENUM_ENTRY) ND_BINARY_BOOL_OPS(ND_ENUM_ENTRY) kCount };
#undef ND_ENUM_ENTRY
const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);
bool unary_op_keeps_integers(UnaryOp op);
bool binary_op_outputs_bool(BinaryOp op);

/// Elementwise kernels: all input operands share `dtype` (the output too, except bool ops).
using UnaryKernel = void (*)(const ElementwiseIter&, UnaryOp op);
using BinaryKernel = void (*)(const ElementwiseIter&, BinaryOp op);
/// Copies operand 1 into operand 0, converting dtypes.
using CopyKernel = void (*)(const ElementwiseIter&);
/// Fills operand 0 with a value given as double and int64 (exact for each dtype).
using FillKernel = void (*)(const ElementwiseIter&, double v, int64_t iv);

extern DispatchStub<UnaryKernel> unary_stub;
extern DispatchStub<BinaryKernel> binary_stub;
extern DispatchStub<CopyKernel> copy_stub;
/// out = cond ? a : b; operands (out, cond, a, b), cond bool, the others of one dtype.
using WhereKernel = void (*)(const ElementwiseIter&);

extern DispatchStub<FillKernel> fill_stub;
extern DispatchStub<WhereKernel> where_stub;

}  // namespace nd::cpu
