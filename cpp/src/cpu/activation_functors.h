// The pointwise activations (ND_ACTIVATION_OPS): f and its derivative df per op, scalar code
// that runs in the CPU kernels (cpu/kernels/activation.cpp, once per ISA) and in the CUDA kernels
// (cuda/activation.cu), so both backends compute the same formulas and the CPU op table tests them.
// Per-ISA copies live in the ISA's namespace (Note [ISA namespaces]); nvcc's in nd::cuda.
#pragma once
#include <cmath>

#include "core/host_device.h"
#include "cpu/activation_kernels.h"

#ifdef __CUDACC__
namespace nd::cuda::act {
#else
namespace nd::cpu::NATIVEDL_ISA::act {
#endif

using cpu::ActParams;

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T> ND_HD T softplus1(T x) { return (x > T(0) ? x : T(0)) + ND_M(log1p)(ND_M(exp)(-ND_M(fabs)(x))); }
// 1 / (1 + exp(-x)) from exp(-|x|), which never overflows.
template <typename T> ND_HD T sigm(T x) {
  const T e = ND_M(exp)(-ND_M(fabs)(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

constexpr double kSqrt1_2 = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588, kGeluC = 0.044715;

// hardtanh (relu6) selects between values only, with its bounds converted outside the
// selects, a form the compiler vectorizes even where FP ops may trap (see CMakeLists.txt: the CPU
// activation kernels are built with -fno-trapping-math so the other selecting functors vectorize too).
struct hardtanh_f {  // PyTorch: the gradient is 0 at and beyond the bounds; NaN stays NaN
  template <typename T> ND_HD static T f(T x, const ActParams& p) {
    const T lo = T(p.a), hi = T(p.b), y = x < lo ? lo : x;
    return y > hi ? hi : y;
  }
  template <typename T> ND_HD static T df(T x, const ActParams& p) { return T(x > T(p.a)) * T(x < T(p.b)); }
  // The gradient selected rather than multiplied by df, as PyTorch's hardtanh_backward: an
  // infinite g stays 0 where clamped (inf * 0 would be NaN), a NaN x passes g through.
  template <typename T> ND_HD static T grad(T g, T x, const ActParams& p) {
    return x <= T(p.a) || x >= T(p.b) ? T(0) : g;
  }
};
struct leaky_relu_f {
  template <typename T> ND_HD static T f(T x, const ActParams& p) { return x > T(0) ? x : T(x * T(p.a)); }
  template <typename T> ND_HD static T df(T x, const ActParams& p) { return x > T(0) ? T(1) : T(p.a); }
};
struct elu_f {  // scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1)); also selu, celu
  template <typename T> ND_HD static T f(T x, const ActParams& p) {
    return x > T(0) ? T(T(p.b) * x) : T(T(p.b) * T(p.a) * ND_M(expm1)(x * T(p.c)));
  }
  template <typename T> ND_HD static T df(T x, const ActParams& p) {
    return x > T(0) ? T(p.b) : T(T(p.b * p.a * p.c) * ND_M(exp)(x * T(p.c)));
  }
};
struct gelu_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return T(0.5) * x * (T(1) + ND_M(erf)(x * T(kSqrt1_2))); }
  template <typename T> ND_HD static T df(T x, const ActParams&) {
    return T(0.5) * (T(1) + ND_M(erf)(x * T(kSqrt1_2))) + x * T(kInvSqrt2Pi) * ND_M(exp)(T(-0.5) * x * x);
  }
};
struct gelu_tanh_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) {
    return T(0.5) * x * (T(1) + ND_M(tanh)(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x)));
  }
  template <typename T> ND_HD static T df(T x, const ActParams&) {
    const T t = ND_M(tanh)(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x));
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * x * x);
  }
};
struct silu_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return x * sigm(x); }
  template <typename T> ND_HD static T df(T x, const ActParams&) { const T s = sigm(x); return s * (T(1) + x * (T(1) - s)); }
};
struct mish_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return x * ND_M(tanh)(softplus1(x)); }
  template <typename T> ND_HD static T df(T x, const ActParams&) {
    const T t = ND_M(tanh)(softplus1(x));
    return t + x * (T(1) - t * t) * sigm(x);
  }
};
struct hardsigmoid_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : x / T(6) + T(0.5)); }
  template <typename T> ND_HD static T df(T x, const ActParams&) { return x > T(-3) && x < T(3) ? T(1) / T(6) : T(0); }
};
struct hardswish_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return x <= T(-3) ? T(0) : (x >= T(3) ? x : x * (x + T(3)) / T(6)); }
  template <typename T> ND_HD static T df(T x, const ActParams&) {  // PyTorch's one-sided choice at +-3
    return x < T(-3) ? T(0) : (x <= T(3) ? x / T(3) + T(0.5) : T(1));
  }
};
struct softplus_f {  // log(1 + exp(beta x)) / beta, linear above the threshold
  template <typename T> ND_HD static T f(T x, const ActParams& p) {
    const T bx = x * T(p.a);
    return bx > T(p.b) ? x : T(softplus1(bx) / T(p.a));
  }
  template <typename T> ND_HD static T df(T x, const ActParams& p) {
    const T bx = x * T(p.a);
    return bx > T(p.b) ? T(1) : sigm(bx);
  }
};
struct softsign_f {
  template <typename T> ND_HD static T f(T x, const ActParams&) { return x / (T(1) + ND_M(fabs)(x)); }
  template <typename T> ND_HD static T df(T x, const ActParams&) { const T d = T(1) + ND_M(fabs)(x); return T(1) / (d * d); }
};
struct logsigmoid_f {  // -softplus(-x)
  template <typename T> ND_HD static T f(T x, const ActParams&) { return -softplus1(-x); }
  template <typename T> ND_HD static T df(T x, const ActParams&) { return sigm(-x); }
};

// grad_out * f'(x): Op::grad(g, x) where the op defines it, else g * Op::df(x).
template <typename Op, typename = void> struct has_grad { static constexpr bool value = false; };
template <typename Op> struct has_grad<Op, decltype(void(&Op::template grad<float>))> {
  static constexpr bool value = true;
};
template <typename Op, typename T> ND_HD T grad_of(T g, T x, const ActParams& p) {
  if constexpr (has_grad<Op>::value) return Op::grad(g, x, p);
  else return g * Op::df(x, p);
}

}  // namespace
