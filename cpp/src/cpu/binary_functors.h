// The binary elementwise ops' scalar math (ND_BINARY_ARITH_OPS, ND_BINARY_BOOL_OPS): one functor
// per op, `s(a, b)`, written once for the CPU kernels (cpu/kernels/binary.cpp, once per ISA, which
// add the vector forms) and the CUDA kernels (cuda/binary.cu through cuda/functors.h), so both
// backends agree on signs of zero, NaN and integer rounding. Per-ISA copies live in the ISA's
// namespace (Note [ISA namespaces]); nvcc's and the host tests' (NATIVEDL_ISA undefined) in
// nd::cuda::fn.
#pragma once
#include <cmath>
#include <type_traits>

#include "core/host_device.h"

#ifdef NATIVEDL_ISA
namespace nd::cpu::NATIVEDL_ISA::bin {
#else
namespace nd::cuda::fn {
#endif

template <typename T> constexpr bool is_fp = std::is_floating_point_v<T>;

struct add_f {
  template <typename T> ND_HD static T s(T a, T b) { if constexpr (std::is_same_v<T, bool>) return a || b; else return T(a + b); }
};
struct sub_f { template <typename T> ND_HD static T s(T a, T b) { return T(a - b); } };
struct mul_f {
  template <typename T> ND_HD static T s(T a, T b) { if constexpr (std::is_same_v<T, bool>) return a && b; else return T(a * b); }
};
struct div_f { template <typename T> ND_HD static T s(T a, T b) { return T(a / b); } };
// Python's floor division, computed as CPython and NumPy do so a == b * (a // b) + a % b.
struct div_floor_f {
  template <typename T> ND_HD static T s(T a, T b) {
    if constexpr (is_fp<T>) {
      if (b == 0) return a / b;
      T mod = ND_M(fmod)(a, b);
      T div = (a - mod) / b;
      if (mod != 0 && ((b < 0) != (mod < 0))) div -= T(1);
      if (div == 0) return ND_M(copysign)(T(0), a / b);
      T fl = ND_M(floor)(div);
      if (div - fl > T(0.5)) fl += T(1);
      return fl;
    } else if constexpr (std::is_unsigned_v<T>) {
      return T(a / b);
    } else {
      T q = T(a / b);
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    }
  }
};
struct div_trunc_f {
  template <typename T> ND_HD static T s(T a, T b) { if constexpr (is_fp<T>) return ND_M(trunc)(a / b); else return T(a / b); }
};
struct remainder_f {  // sign of the divisor, as Python's %
  template <typename T> ND_HD static T s(T a, T b) {
    if constexpr (is_fp<T>) {
      T m = ND_M(fmod)(a, b);
      if (m != 0 && ((b < 0) != (m < 0))) m += b;
      return m;
    } else if constexpr (std::is_unsigned_v<T>) {
      return T(a % b);
    } else {
      T m = T(a % b);
      if (m != 0 && ((b < 0) != (m < 0))) m = T(m + b);
      return m;
    }
  }
};
struct fmod_f {
  template <typename T> ND_HD static T s(T a, T b) { if constexpr (is_fp<T>) return ND_M(fmod)(a, b); else return T(a % b); }
};
struct pow_f {
  template <typename T> ND_HD static T s(T a, T b) {
    if constexpr (is_fp<T>) {
      return ND_M(pow)(a, b);
    } else if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else {  // negative exponents are rejected by the op
      T result = 1;
      while (b > 0) { if (b & 1) result = T(result * a); a = T(a * a); b = T(b >> 1); }
      return result;
    }
  }
};
struct maximum_f {
  template <typename T> ND_HD static T s(T a, T b) {
    if constexpr (is_fp<T>) { if (a != a || b != b) return a + b; }
    return a > b ? a : b;
  }
};
struct minimum_f {
  template <typename T> ND_HD static T s(T a, T b) {
    if constexpr (is_fp<T>) { if (a != a || b != b) return a + b; }
    return a < b ? a : b;
  }
};
struct atan2_f { template <typename T> ND_HD static T s(T a, T b) { return T(ND_M(atan2)(a, b)); } };
struct hypot_f { template <typename T> ND_HD static T s(T a, T b) { return T(ND_M(hypot)(a, b)); } };
struct copysign_f { template <typename T> ND_HD static T s(T a, T b) { return T(ND_M(copysign)(a, b)); } };
#define ND_PREDICATE_FN(name, expr) \
  struct name##_f { template <typename T> ND_HD static bool s(T a, T b) { return expr; } };
ND_PREDICATE_FN(eq, a == b)
ND_PREDICATE_FN(ne, a != b)
ND_PREDICATE_FN(lt, a < b)
ND_PREDICATE_FN(le, a <= b)
ND_PREDICATE_FN(gt, a > b)
ND_PREDICATE_FN(ge, a >= b)
ND_PREDICATE_FN(logical_and, a != T(0) && b != T(0))
ND_PREDICATE_FN(logical_or, a != T(0) || b != T(0))
ND_PREDICATE_FN(logical_xor, (a != T(0)) != (b != T(0)))
#undef ND_PREDICATE_FN

}  // namespace
