// Unary elementwise kernels: one functor per op (scalar form and vector form), one loop.
#include <cmath>
#include <type_traits>

#include "cpu/loops.h"
#include "cpu/unary_functors.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Each functor: the shared scalar form s(x) (cpu/unary_functors.h, the CUDA kernels' too) and a
// vector form v(x) on a Vec; ops without a SIMD form map s over the lanes.
#define ND_VEC(name, vexpr) \
  struct name##_f : un::name##_f { template <typename V> static V v(V x) { return vexpr; } };
#define ND_MAPPED(name) ND_VEC(name, x.map([](auto e) { return un::name##_f::s(e); }))
ND_VEC(exp, vexp(x))
ND_MAPPED(exp2)
ND_VEC(expm1, vexpm1(x))
ND_VEC(log, vlog(x))
ND_VEC(log1p, vlog1p(x))
ND_MAPPED(log2)
ND_MAPPED(log10)
ND_MAPPED(sin)
ND_MAPPED(cos)
ND_MAPPED(tan)
ND_MAPPED(asin)
ND_MAPPED(acos)
ND_MAPPED(atan)
ND_MAPPED(sinh)
ND_MAPPED(cosh)
ND_VEC(tanh, vtanh(x))
ND_MAPPED(asinh)
ND_MAPPED(acosh)
ND_MAPPED(atanh)
ND_MAPPED(erf)
ND_MAPPED(erfc)
ND_VEC(sigmoid, vsigmoid(x))
ND_MAPPED(sign)
ND_MAPPED(frac)
ND_VEC(sqrt, vsqrt(x))
ND_VEC(rsqrt, V(1) / vsqrt(x))
ND_VEC(reciprocal, V(1) / x)
ND_VEC(neg, -x)
ND_VEC(abs, vabs(x))
ND_VEC(square, x * x)
ND_VEC(floor, vfloor(x))
ND_VEC(ceil, vceil(x))
ND_VEC(round, vround(x))  // half to even, as torch.round
ND_VEC(trunc, vtrunc(x))
ND_VEC(relu, vrelu(x))
#undef ND_MAPPED
#undef ND_VEC

template <typename T, typename Op> void unary_typed(const ElementwiseIter& it) {
  using V = Vec<T>;
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      int64_t i = 0;
      for (; i + V::size <= n; i += V::size) Op::v(V::loadu(a + i)).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) = Op::s(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

// The avx512 set runs exp, expm1, log, log1p, tanh and sigmoid, whose polynomial math is
// compute-bound, on 16 lanes (Note [AVX-512 activations]); every other op goes to the avx2
// kernel, whose loops are bandwidth-bound or map libm lane by lane either way.
template <typename Op> constexpr bool runs_here() {
#if defined(__AVX512F__)
  return std::is_same_v<Op, exp_f> || std::is_same_v<Op, expm1_f> || std::is_same_v<Op, log_f> ||
         std::is_same_v<Op, log1p_f> || std::is_same_v<Op, tanh_f> || std::is_same_v<Op, sigmoid_f>;
#else
  return true;
#endif
}

template <typename Op> void float_op(const ElementwiseIter& it, UnaryOp op) {
  if constexpr (runs_here<Op>()) {
    ND_DISPATCH_FLOAT_TYPES(it.dtypes[1], T, unary_typed<T, Op>(it))
  } else {
    unary_stub.fns[int(Isa::Avx2)](it, op);
  }
}

template <typename Op> void any_op(const ElementwiseIter& it, UnaryOp op) {
  if constexpr (runs_here<Op>()) {
    ND_DISPATCH_ALL_TYPES(it.dtypes[1], T, if constexpr (!std::is_same_v<T, bool>) unary_typed<T, Op>(it))
  } else {
    unary_stub.fns[int(Isa::Avx2)](it, op);
  }
}

void unary_kernel(const ElementwiseIter& it, UnaryOp op) {
  switch (op) {
#define ND_FLOAT_CASE(name) \
    case UnaryOp::name: return float_op<name##_f>(it, op);
    ND_UNARY_FLOAT_OPS(ND_FLOAT_CASE)
#undef ND_FLOAT_CASE
#define ND_ANY_CASE(name) \
    case UnaryOp::name: return any_op<name##_f>(it, op);
    ND_UNARY_ANY_OPS(ND_ANY_CASE)
#undef ND_ANY_CASE
    default: return;
  }
}

}  // namespace

void register_unary_kernels() { unary_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = unary_kernel; }

}  // namespace nd::cpu::NATIVEDL_ISA
