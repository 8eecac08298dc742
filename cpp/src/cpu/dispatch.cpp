// Run-time ISA selection and the stubs of the elementwise families.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "core/cpu_features.h"
#include "cpu/kernel_api.h"
#include "cuda/runtime.h"
#include "nativedl/errors.h"

namespace nd::cpu {

DispatchStub<UnaryKernel> unary_stub;
DispatchStub<BinaryKernel> binary_stub;
DispatchStub<CopyKernel> copy_stub;
DispatchStub<FillKernel> fill_stub;
DispatchStub<WhereKernel> where_stub;

namespace scalar { void register_kernels(); }
namespace avx2 { void register_kernels(); }
namespace avx512 { void register_kernels(); }

void register_all_kernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    scalar::register_kernels();
    // The AVX2 file's own code may use AVX instructions: only run it on a CPU that has them.
    if (core::cpu_has_avx2_fma()) avx2::register_kernels();
    if (core::cpu_has_avx512()) avx512::register_kernels();
    cuda::register_kernels();
  });
}

static Isa detect_isa() {
  const Isa best = core::cpu_has_avx512()     ? Isa::Avx512
                   : core::cpu_has_avx2_fma() ? Isa::Avx2
                                              : Isa::Scalar;
  const char* env = std::getenv("NATIVEDL_ISA");
  if (env == nullptr || *env == '\0') return best;
  std::string want(env);
  if (want == "scalar") return Isa::Scalar;
  if (want == "avx2") {
    ND_CHECK(best >= Isa::Avx2, Error, "[nativedl] NATIVEDL_ISA=avx2 but this CPU lacks AVX2/FMA");
    return Isa::Avx2;
  }
  if (want == "avx512") {
    ND_CHECK(best == Isa::Avx512, Error, "[nativedl] NATIVEDL_ISA=avx512 but this CPU (or OS) lacks AVX-512 F/BW/VL/DQ");
    return Isa::Avx512;
  }
  throw ValueError("[nativedl] NATIVEDL_ISA must be 'scalar', 'avx2' or 'avx512', got '" + want + "'");
}

Isa active_isa() {
  static const Isa isa = [] { register_all_kernels(); return detect_isa(); }();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

#define ND_NAME_ENTRY(name) #name,
static const char* kUnaryNames[] = {ND_UNARY_FLOAT_OPS(ND_NAME_ENTRY) ND_UNARY_ANY_OPS(ND_NAME_ENTRY)};
static const char* kBinaryNames[] = {ND_BINARY_ARITH_OPS(ND_NAME_ENTRY) ND_BINARY_BOOL_OPS(ND_NAME_ENTRY)};
#undef ND_NAME_ENTRY
const char* unary_op_name(UnaryOp op) { return kUnaryNames[int(op)]; }
const char* binary_op_name(BinaryOp op) { return kBinaryNames[int(op)]; }
bool unary_op_keeps_integers(UnaryOp op) { return op >= UnaryOp::neg; }
bool binary_op_outputs_bool(BinaryOp op) { return op >= BinaryOp::eq; }

}  // namespace nd::cpu
