// Binary elementwise kernels: one functor per op, one loop with fast paths for
// contiguous operands and for a broadcast scalar on either side.
#include <cmath>
#include <type_traits>

#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

template <typename T> constexpr bool is_fp = std::is_floating_point_v<T>;

#define ND_MAPPED2(expr) \
  template <typename T> static auto s(T a, T b) { return expr; } \
  template <typename V> static V v(V a, V b) { return zip(a, b, [](auto x, auto y) { return s(x, y); }); }

struct add_f {
  template <typename T> static T s(T a, T b) { if constexpr (std::is_same_v<T, bool>) return a || b; else return T(a + b); }
  template <typename V> static V v(V a, V b) { return a + b; }
};
struct sub_f {
  template <typename T> static T s(T a, T b) { return T(a - b); }
  template <typename V> static V v(V a, V b) { return a - b; }
};
struct mul_f {
  template <typename T> static T s(T a, T b) { if constexpr (std::is_same_v<T, bool>) return a && b; else return T(a * b); }
  template <typename V> static V v(V a, V b) { return a * b; }
};
struct div_f {  // true division; integer inputs are promoted to float before they get here
  template <typename T> static T s(T a, T b) { return T(a / b); }
  template <typename V> static V v(V a, V b) { return a / b; }
};
// Python's floor division, computed as CPython and NumPy do so a == b * (a // b) + a % b.
template <typename T> T floor_div(T a, T b) {
  if constexpr (is_fp<T>) {
    if (b == 0) return a / b;
    T mod = std::fmod(a, b);
    T div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= T(1);
    if (div == 0) return std::copysign(T(0), a / b);
    T fl = std::floor(div);
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
struct div_floor_f { ND_MAPPED2(T(floor_div(a, b))) };
struct div_trunc_f {
  template <typename T> static T s(T a, T b) { if constexpr (is_fp<T>) return std::trunc(a / b); else return T(a / b); }
  template <typename V> static V v(V a, V b) { return zip(a, b, [](auto x, auto y) { return s(x, y); }); }
};
struct remainder_f {  // sign of the divisor, as Python's %
  template <typename T> static T s(T a, T b) {
    if constexpr (is_fp<T>) {
      T m = std::fmod(a, b);
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
  template <typename V> static V v(V a, V b) { return zip(a, b, [](auto x, auto y) { return s(x, y); }); }
};
struct fmod_f {
  template <typename T> static T s(T a, T b) { if constexpr (is_fp<T>) return std::fmod(a, b); else return T(a % b); }
  template <typename V> static V v(V a, V b) { return zip(a, b, [](auto x, auto y) { return s(x, y); }); }
};
template <typename T> T int_pow(T base, T exp) {
  T result = 1;
  while (exp > 0) { if (exp & 1) result = T(result * base); base = T(base * base); exp = T(exp >> 1); }
  return result;
}
struct pow_f {
  template <typename T> static T s(T a, T b) {
    if constexpr (is_fp<T>) return std::pow(a, b);
    else if constexpr (std::is_same_v<T, bool>) return a || !b;
    else return int_pow(a, b);  // negative exponents are rejected by the op
  }
  template <typename V> static V v(V a, V b) { return zip(a, b, [](auto x, auto y) { return s(x, y); }); }
};
struct maximum_f {
  template <typename T> static T s(T a, T b) {
    if constexpr (is_fp<T>) { if (a != a || b != b) return a + b; }
    return a > b ? a : b;
  }
  template <typename V> static V v(V a, V b) { return vmax(a, b); }
};
struct minimum_f {
  template <typename T> static T s(T a, T b) {
    if constexpr (is_fp<T>) { if (a != a || b != b) return a + b; }
    return a < b ? a : b;
  }
  template <typename V> static V v(V a, V b) { return vmin(a, b); }
};
struct atan2_f { ND_MAPPED2(T(std::atan2(a, b))) };
struct hypot_f { ND_MAPPED2(T(std::hypot(a, b))) };
struct copysign_f { ND_MAPPED2(T(std::copysign(a, b))) };
struct eq_f { template <typename T> static bool s(T a, T b) { return a == b; } };
struct ne_f { template <typename T> static bool s(T a, T b) { return a != b; } };
struct lt_f { template <typename T> static bool s(T a, T b) { return a < b; } };
struct le_f { template <typename T> static bool s(T a, T b) { return a <= b; } };
struct gt_f { template <typename T> static bool s(T a, T b) { return a > b; } };
struct ge_f { template <typename T> static bool s(T a, T b) { return a >= b; } };
struct logical_and_f { template <typename T> static bool s(T a, T b) { return a != T(0) && b != T(0); } };
struct logical_or_f { template <typename T> static bool s(T a, T b) { return a != T(0) || b != T(0); } };
struct logical_xor_f { template <typename T> static bool s(T a, T b) { return (a != T(0)) != (b != T(0)); } };
#undef ND_MAPPED2

template <typename T, typename Op> void arith_typed(const ElementwiseIter& it) {
  using V = Vec<T>;
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    const T* b = reinterpret_cast<const T*>(p[2]);
    constexpr int64_t e = sizeof(T);
    int64_t i = 0;
    if (s[0] == e && s[1] == e && s[2] == e) {
      for (; i + V::size <= n; i += V::size) Op::v(V::loadu(a + i), V::loadu(b + i)).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(a[i], b[i]);
    } else if (s[0] == e && s[1] == e && s[2] == 0) {
      const V bv(*b);
      for (; i + V::size <= n; i += V::size) Op::v(V::loadu(a + i), bv).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(a[i], *b);
    } else if (s[0] == e && s[1] == 0 && s[2] == e) {
      const V av(*a);
      for (; i + V::size <= n; i += V::size) Op::v(av, V::loadu(b + i)).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(*a, b[i]);
    } else {
      for (; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            Op::s(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

template <typename T, typename Op> void bool_typed(const ElementwiseIter& it) {
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    if (s[0] == 1 && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      bool* o = reinterpret_cast<bool*>(p[0]);
      const T* a = reinterpret_cast<const T*>(p[1]);
      const T* b = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = Op::s(a[i], b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<bool*>(p[0] + i * s[0]) =
            Op::s(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

void binary_kernel(const ElementwiseIter& it, BinaryOp op) {
  const DType dt = it.dtypes[1];
  switch (op) {
#define ND_ARITH_CASE(name) case BinaryOp::name: ND_DISPATCH_ALL_TYPES(dt, T, arith_typed<T, name##_f>(it)) return;
    ND_BINARY_ARITH_OPS(ND_ARITH_CASE)
#undef ND_ARITH_CASE
#define ND_BOOL_CASE(name) case BinaryOp::name: ND_DISPATCH_ALL_TYPES(dt, T, bool_typed<T, name##_f>(it)) return;
    ND_BINARY_BOOL_OPS(ND_BOOL_CASE)
#undef ND_BOOL_CASE
    default: return;
  }
}

void where_kernel(const ElementwiseIter& it) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[2], T, {
    parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[1] + i * s[1])
            ? *reinterpret_cast<const T*>(p[2] + i * s[2]) : *reinterpret_cast<const T*>(p[3] + i * s[3]);
    });
  })
}

}  // namespace

void register_binary_kernels() {
  binary_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = binary_kernel;
  where_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = where_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
