// Activation kernels: one functor per pointwise activation (f and its derivative df, both
// written once for every ISA), one forward loop and one backward loop. Softmax is in
// softmax.cpp.
#include <cmath>

#include "cpu/activation_kernels.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// ---------------------------------------------------------------- pointwise functors

// log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
template <typename T> T softplus1(T x) { return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::fabs(x))); }
// 1 / (1 + exp(-x)) from exp(-|x|), which never overflows.
template <typename T> T sigm(T x) {
  const T e = std::exp(-std::fabs(x));
  return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
}

constexpr double kSqrt1_2 = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588, kGeluC = 0.044715;

// hardtanh (relu6) selects between values only, with its bounds converted outside the
// selects, a form the compiler vectorizes even where FP ops may trap (see CMakeLists.txt: this
// file is built with -fno-trapping-math so the other selecting functors vectorize too).
struct hardtanh_f {  // PyTorch: the gradient is 0 at and beyond the bounds; NaN stays NaN
  template <typename T> static T f(T x, const ActParams& p) {
    const T lo = T(p.a), hi = T(p.b), y = x < lo ? lo : x;
    return y > hi ? hi : y;
  }
  template <typename T> static T df(T x, const ActParams& p) { return T(x > T(p.a)) * T(x < T(p.b)); }
};
struct leaky_relu_f {
  template <typename T> static T f(T x, const ActParams& p) { return x > T(0) ? x : T(x * T(p.a)); }
  template <typename T> static T df(T x, const ActParams& p) { return x > T(0) ? T(1) : T(p.a); }
};
struct elu_f {  // scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1)); also selu, celu
  template <typename T> static T f(T x, const ActParams& p) {
    return x > T(0) ? T(T(p.b) * x) : T(T(p.b) * T(p.a) * std::expm1(x * T(p.c)));
  }
  template <typename T> static T df(T x, const ActParams& p) {
    return x > T(0) ? T(p.b) : T(T(p.b * p.a * p.c) * std::exp(x * T(p.c)));
  }
};
struct gelu_f {
  template <typename T> static T f(T x, const ActParams&) { return T(0.5) * x * (T(1) + std::erf(x * T(kSqrt1_2))); }
  template <typename T> static T df(T x, const ActParams&) {
    return T(0.5) * (T(1) + std::erf(x * T(kSqrt1_2))) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
  }
};
struct gelu_tanh_f {
  template <typename T> static T f(T x, const ActParams&) {
    return T(0.5) * x * (T(1) + std::tanh(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x)));
  }
  template <typename T> static T df(T x, const ActParams&) {
    const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x));
    return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * x * x);
  }
};
struct silu_f {
  template <typename T> static T f(T x, const ActParams&) { return x * sigm(x); }
  template <typename T> static T df(T x, const ActParams&) { const T s = sigm(x); return s * (T(1) + x * (T(1) - s)); }
};
struct mish_f {
  template <typename T> static T f(T x, const ActParams&) { return x * std::tanh(softplus1(x)); }
  template <typename T> static T df(T x, const ActParams&) {
    const T t = std::tanh(softplus1(x));
    return t + x * (T(1) - t * t) * sigm(x);
  }
};
struct hardsigmoid_f {
  template <typename T> static T f(T x, const ActParams&) { return x <= T(-3) ? T(0) : (x >= T(3) ? T(1) : x / T(6) + T(0.5)); }
  template <typename T> static T df(T x, const ActParams&) { return x > T(-3) && x < T(3) ? T(1) / T(6) : T(0); }
};
struct hardswish_f {
  template <typename T> static T f(T x, const ActParams&) { return x <= T(-3) ? T(0) : (x >= T(3) ? x : x * (x + T(3)) / T(6)); }
  template <typename T> static T df(T x, const ActParams&) {  // PyTorch's one-sided choice at +-3
    return x < T(-3) ? T(0) : (x <= T(3) ? x / T(3) + T(0.5) : T(1));
  }
};
struct softplus_f {  // log(1 + exp(beta x)) / beta, linear above the threshold
  template <typename T> static T f(T x, const ActParams& p) {
    const T bx = x * T(p.a);
    return bx > T(p.b) ? x : T(softplus1(bx) / T(p.a));
  }
  template <typename T> static T df(T x, const ActParams& p) {
    const T bx = x * T(p.a);
    return bx > T(p.b) ? T(1) : sigm(bx);
  }
};
struct softsign_f {
  template <typename T> static T f(T x, const ActParams&) { return x / (T(1) + std::fabs(x)); }
  template <typename T> static T df(T x, const ActParams&) { const T d = T(1) + std::fabs(x); return T(1) / (d * d); }
};
struct logsigmoid_f {  // -softplus(-x)
  template <typename T> static T f(T x, const ActParams&) { return -softplus1(-x); }
  template <typename T> static T df(T x, const ActParams&) { return sigm(-x); }
};

// Contiguous runs get plain pointer loops, which the compiler vectorizes where f / df allow
// it (the functors without libm calls); strided runs walk byte strides.
template <typename T, typename Op> void act_forward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      T* __restrict y = reinterpret_cast<T*>(p[0]);
      const T* __restrict x = reinterpret_cast<const T*>(p[1]);
      const ActParams q = prm;
      for (int64_t i = 0; i < n; ++i) y[i] = Op::f(x[i], q);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = Op::f(*reinterpret_cast<const T*>(p[1] + i * s[1]), prm);
  });
}

template <typename T, typename Op> void act_backward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      T* __restrict gx = reinterpret_cast<T*>(p[0]);
      const T* __restrict g = reinterpret_cast<const T*>(p[1]);
      const T* __restrict x = reinterpret_cast<const T*>(p[2]);
      const ActParams q = prm;
      for (int64_t i = 0; i < n; ++i) gx[i] = g[i] * Op::df(x[i], q);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) =
          *reinterpret_cast<const T*>(p[1] + i * s[1]) * Op::df(*reinterpret_cast<const T*>(p[2] + i * s[2]), prm);
  });
}

void act_forward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_forward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

void act_backward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_backward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

}  // namespace

void register_activation_kernels() {
  const int i = int(Isa::NATIVEDL_ISA_ENUM);
  act_forward_stub.fns[i] = act_forward;
  act_backward_stub.fns[i] = act_backward;
}

}  // namespace nd::cpu::NATIVEDL_ISA
