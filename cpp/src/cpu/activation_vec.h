// Vector forms of the activation functors in cpu/activation_functors.h, for the CPU kernels
// only (nvcc uses the scalar f / df there, which stay the reference formulas). Each
// vec_form<Op> has f and df templated on the vector type, written once for every ISA: the
// AVX2 build runs them on Vf / Vd with the polynomial vexp / vexpm1 / vlog1p / vtanh /
// vsigmoid / verf of cpu/vec/vec_math.h (each <= 2 ulp), and every build runs them on one-lane
// VecN for the tail of a run, where the vector math maps to std:: lane by lane. The
// formulas mirror the scalar ones term by term (same order of operations, same guards), so
// the two differ only by the vector math's rounding. Functors without a vec_form keep the
// scalar loop (they have no libm calls and the compiler vectorizes them already).
#pragma once
#include "cpu/activation_functors.h"
#include "cpu/vec/vec.h"

namespace nd::cpu::NATIVEDL_ISA {

// Lane compare and select for the generic VecN, matching the AVX2 ones in vec_math.h
// (vlt(a, b): a < b, false for NaN; vif(m, a, b) = m ? a : b). A VecN mask lane is 1 or 0.
template <typename T, int N> VecN<T, N> vlt(const VecN<T, N>& a, const VecN<T, N>& b) {
  return zip(a, b, [](T x, T y) { return T(x < y); });
}
template <typename T, int N> VecN<T, N> vif(const VecN<T, N>& m, const VecN<T, N>& a, const VecN<T, N>& b) {
  VecN<T, N> r;
  for (int i = 0; i < N; ++i) r.v[i] = m.v[i] != T(0) ? a.v[i] : b.v[i];
  return r;
}

namespace act {

// softplus1 and sigm of activation_functors.h: max(x, 0) + log1p(exp(-|x|)) (vrelu keeps NaN).
template <typename V> V vsoftplus1(V x) { return vrelu(x) + vlog1p(vexp(-vabs(x))); }

template <typename Op> struct vec_form { static constexpr bool value = false; };

template <> struct vec_form<elu_f> {
  static constexpr bool value = true;
  // vexpm1 is accurate for small |x| (no 1 - 1 cancellation), like std::expm1.
  template <typename V> static V f(V x, const ActParams& p) {
    return vif(vlt(V(0.0f), x), V(p.b) * x, V(p.b) * V(p.a) * vexpm1(x * V(p.c)));
  }
  template <typename V> static V df(V x, const ActParams& p) {
    return vif(vlt(V(0.0f), x), V(p.b), V(p.b * p.a * p.c) * vexp(x * V(p.c)));
  }
};
template <> struct vec_form<gelu_f> {
  static constexpr bool value = true;
  template <typename V> static V f(V x, const ActParams&) { return V(0.5) * x * (V(1.0) + verf(x * V(kSqrt1_2))); }
  template <typename V> static V df(V x, const ActParams&) {
    return V(0.5) * (V(1.0) + verf(x * V(kSqrt1_2))) + x * V(kInvSqrt2Pi) * vexp(V(-0.5) * x * x);
  }
};
template <> struct vec_form<gelu_tanh_f> {
  static constexpr bool value = true;
  template <typename V> static V inner(V x) { return V(kSqrt2OverPi) * (x + V(kGeluC) * x * x * x); }
  template <typename V> static V f(V x, const ActParams&) { return V(0.5) * x * (V(1.0) + vtanh(inner(x))); }
  template <typename V> static V df(V x, const ActParams&) {
    const V t = vtanh(inner(x)), one(1.0);
    return V(0.5) * (one + t) + V(0.5) * x * (one - t * t) * V(kSqrt2OverPi) * (one + V(3 * kGeluC) * x * x);
  }
};
template <> struct vec_form<silu_f> {
  static constexpr bool value = true;
  template <typename V> static V f(V x, const ActParams&) { return x * vsigmoid(x); }
  template <typename V> static V df(V x, const ActParams&) {
    const V s = vsigmoid(x), one(1.0);
    return s * (one + x * (one - s));
  }
};
template <> struct vec_form<mish_f> {
  static constexpr bool value = true;
  template <typename V> static V f(V x, const ActParams&) { return x * vtanh(vsoftplus1(x)); }
  template <typename V> static V df(V x, const ActParams&) {
    const V t = vtanh(vsoftplus1(x));
    return t + x * (V(1.0) - t * t) * vsigmoid(x);
  }
};
template <> struct vec_form<softplus_f> {
  static constexpr bool value = true;
  template <typename V> static V f(V x, const ActParams& p) {
    const V bx = x * V(p.a);
    return vif(vlt(V(p.b), bx), x, vsoftplus1(bx) / V(p.a));
  }
  template <typename V> static V df(V x, const ActParams& p) {
    const V bx = x * V(p.a);
    return vif(vlt(V(p.b), bx), V(1.0), vsigmoid(bx));
  }
};
template <> struct vec_form<logsigmoid_f> {
  static constexpr bool value = true;
  template <typename V> static V f(V x, const ActParams&) { return -vsoftplus1(-x); }
  template <typename V> static V df(V x, const ActParams&) { return vsigmoid(-x); }
};

}  // namespace act
}  // namespace nd::cpu::NATIVEDL_ISA
