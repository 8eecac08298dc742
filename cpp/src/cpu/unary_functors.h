// The unary elementwise ops' scalar math (ND_UNARY_FLOAT_OPS, ND_UNARY_ANY_OPS): one functor per
// op, `s(x)`, written once for the CPU kernels (cpu/kernels/unary.cpp, once per ISA, which add the
// vector forms) and the CUDA kernels (cuda/unary.cu through cuda/functors.h), so both backends
// compute the same formulas. Per-ISA copies live in the ISA's namespace (Note [ISA namespaces]);
// nvcc's and the host tests' (NATIVEDL_ISA undefined) in nd::cuda::fn.
#pragma once
#include <cmath>
#include <type_traits>

#include "core/host_device.h"

#ifdef NATIVEDL_ISA
namespace nd::cpu::NATIVEDL_ISA::un {
#else
namespace nd::cuda::fn {
#endif

#define ND_UNARY_FN(name, expr) \
  struct name##_f { template <typename T> ND_HD static T s(T x) { return expr; } };
ND_UNARY_FN(exp, T(ND_M(exp)(x)))
ND_UNARY_FN(exp2, T(ND_M(exp2)(x)))
ND_UNARY_FN(expm1, T(ND_M(expm1)(x)))
ND_UNARY_FN(log, T(ND_M(log)(x)))
ND_UNARY_FN(log1p, T(ND_M(log1p)(x)))
ND_UNARY_FN(log2, T(ND_M(log2)(x)))
ND_UNARY_FN(log10, T(ND_M(log10)(x)))
ND_UNARY_FN(sqrt, T(ND_M(sqrt)(x)))
ND_UNARY_FN(rsqrt, T(T(1) / ND_M(sqrt)(x)))
ND_UNARY_FN(sin, T(ND_M(sin)(x)))
ND_UNARY_FN(cos, T(ND_M(cos)(x)))
ND_UNARY_FN(tan, T(ND_M(tan)(x)))
ND_UNARY_FN(asin, T(ND_M(asin)(x)))
ND_UNARY_FN(acos, T(ND_M(acos)(x)))
ND_UNARY_FN(atan, T(ND_M(atan)(x)))
ND_UNARY_FN(sinh, T(ND_M(sinh)(x)))
ND_UNARY_FN(cosh, T(ND_M(cosh)(x)))
ND_UNARY_FN(tanh, T(ND_M(tanh)(x)))
ND_UNARY_FN(asinh, T(ND_M(asinh)(x)))
ND_UNARY_FN(acosh, T(ND_M(acosh)(x)))
ND_UNARY_FN(atanh, T(ND_M(atanh)(x)))
ND_UNARY_FN(erf, T(ND_M(erf)(x)))
ND_UNARY_FN(erfc, T(ND_M(erfc)(x)))
// 1/(1+e^-x) overflows e^-x for very negative x but still gives the right limit 0.
ND_UNARY_FN(sigmoid, T(T(1) / (T(1) + ND_M(exp)(-x))))
ND_UNARY_FN(reciprocal, T(T(1) / x))
ND_UNARY_FN(neg, T(-x))
ND_UNARY_FN(square, T(x * x))
#undef ND_UNARY_FN
// Unsigned types are never negative (spelled out so no compiler warns about x < 0).
struct sign_f {
  template <typename T> ND_HD static T s(T x) {
    if constexpr (std::is_unsigned_v<T>) return T(x != T(0)); else return T((T(0) < x) - (x < T(0)));
  }
};
struct relu_f {
  template <typename T> ND_HD static T s(T x) {
    if constexpr (std::is_unsigned_v<T>) return x; else return x < T(0) ? T(0) : x;
  }
};

struct abs_f {
  template <typename T> ND_HD static T s(T x) {
    if constexpr (std::is_unsigned_v<T>) return x; else return x < T(0) ? T(-x) : T(x == 0 ? 0 : x);
  }
};
// Integers are their own floor, ceil, round and trunc.
#define ND_ROUNDING_FN(name, fexpr) \
  struct name##_f { template <typename T> ND_HD static T s(T x) { if constexpr (std::is_floating_point_v<T>) return fexpr; else return x; } };
ND_ROUNDING_FN(floor, ND_M(floor)(x))
ND_ROUNDING_FN(ceil, ND_M(ceil)(x))
ND_ROUNDING_FN(round, ND_M(nearbyint)(x))  // half to even, as torch.round
ND_ROUNDING_FN(trunc, ND_M(trunc)(x))
#undef ND_ROUNDING_FN
struct frac_f {  // an integer has no fractional part
  template <typename T> ND_HD static T s(T x) { if constexpr (std::is_floating_point_v<T>) return T(x - ND_M(trunc)(x)); else return T(0); }
};

#ifdef NATIVEDL_ISA
}  // namespace nd::cpu::NATIVEDL_ISA::un
#else
}  // namespace nd::cuda::fn
#endif
