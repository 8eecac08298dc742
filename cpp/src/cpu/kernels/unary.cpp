// Unary elementwise kernels: one functor per op (scalar form and vector form), one loop.
#include <cmath>
#include <type_traits>

#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Each functor: s(x) on one element, v(x) on a Vec. Ops without a SIMD form map s over lanes.
#define ND_MAPPED(expr) \
  template <typename T> static T s(T x) { return expr; } \
  template <typename V> static V v(V x) { return x.map([](auto e) { return s(e); }); }

struct exp_f {
  template <typename T> static T s(T x) { return T(std::exp(x)); }
  template <typename V> static V v(V x) { return vexp(x); }
};
struct exp2_f { ND_MAPPED(T(std::exp2(x))) };
struct expm1_f {
  template <typename T> static T s(T x) { return T(std::expm1(x)); }
  template <typename V> static V v(V x) { return vexpm1(x); }
};
struct log_f {
  template <typename T> static T s(T x) { return T(std::log(x)); }
  template <typename V> static V v(V x) { return vlog(x); }
};
struct log1p_f {
  template <typename T> static T s(T x) { return T(std::log1p(x)); }
  template <typename V> static V v(V x) { return vlog1p(x); }
};
struct log2_f { ND_MAPPED(T(std::log2(x))) };
struct log10_f { ND_MAPPED(T(std::log10(x))) };
struct sin_f { ND_MAPPED(T(std::sin(x))) };
struct cos_f { ND_MAPPED(T(std::cos(x))) };
struct tan_f { ND_MAPPED(T(std::tan(x))) };
struct asin_f { ND_MAPPED(T(std::asin(x))) };
struct acos_f { ND_MAPPED(T(std::acos(x))) };
struct atan_f { ND_MAPPED(T(std::atan(x))) };
struct sinh_f { ND_MAPPED(T(std::sinh(x))) };
struct cosh_f { ND_MAPPED(T(std::cosh(x))) };
struct tanh_f {
  template <typename T> static T s(T x) { return T(std::tanh(x)); }
  template <typename V> static V v(V x) { return vtanh(x); }
};
struct asinh_f { ND_MAPPED(T(std::asinh(x))) };
struct acosh_f { ND_MAPPED(T(std::acosh(x))) };
struct atanh_f { ND_MAPPED(T(std::atanh(x))) };
struct erf_f { ND_MAPPED(T(std::erf(x))) };
struct erfc_f { ND_MAPPED(T(std::erfc(x))) };
// 1/(1+e^-x) overflows e^-x for very negative x but still gives the right limit 0.
struct sigmoid_f {
  template <typename T> static T s(T x) { return T(T(1) / (T(1) + std::exp(-x))); }
  template <typename V> static V v(V x) { return vsigmoid(x); }
};
struct sign_f { ND_MAPPED(T((T(0) < x) - (x < T(0)))) };
struct frac_f { ND_MAPPED(T(x - std::trunc(x))) };

struct sqrt_f {
  template <typename T> static T s(T x) { return T(std::sqrt(x)); }
  template <typename V> static V v(V x) { return vsqrt(x); }
};
struct rsqrt_f {
  template <typename T> static T s(T x) { return T(1) / std::sqrt(x); }
  template <typename V> static V v(V x) { return V(1) / vsqrt(x); }
};
struct reciprocal_f {
  template <typename T> static T s(T x) { return T(1) / x; }
  template <typename V> static V v(V x) { return V(1) / x; }
};
struct neg_f {
  template <typename T> static T s(T x) { return T(-x); }
  template <typename V> static V v(V x) { return -x; }
};
struct abs_f {
  template <typename T> static T s(T x) {
    if constexpr (std::is_unsigned_v<T>) return x; else return x < T(0) ? T(-x) : T(x == 0 ? 0 : x);
  }
  template <typename V> static V v(V x) { return vabs(x); }
};
struct square_f {
  template <typename T> static T s(T x) { return T(x * x); }
  template <typename V> static V v(V x) { return x * x; }
};
struct floor_f {
  template <typename T> static T s(T x) { if constexpr (std::is_floating_point_v<T>) return std::floor(x); else return x; }
  template <typename V> static V v(V x) { return vfloor(x); }
};
struct ceil_f {
  template <typename T> static T s(T x) { if constexpr (std::is_floating_point_v<T>) return std::ceil(x); else return x; }
  template <typename V> static V v(V x) { return vceil(x); }
};
struct round_f {  // half to even, as torch.round
  template <typename T> static T s(T x) { if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x); else return x; }
  template <typename V> static V v(V x) { return vround(x); }
};
struct trunc_f {
  template <typename T> static T s(T x) { if constexpr (std::is_floating_point_v<T>) return std::trunc(x); else return x; }
  template <typename V> static V v(V x) { return vtrunc(x); }
};
struct relu_f {
  template <typename T> static T s(T x) { return x < T(0) ? T(0) : x; }
  template <typename V> static V v(V x) { return vrelu(x); }
};
#undef ND_MAPPED

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
