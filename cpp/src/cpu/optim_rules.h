// The update rules of the fused optimizer steps (Note [Fused optimizer steps]), written once
// for the CPU kernels (cpu/kernels/optim.cpp: Vec<T> lanes, once per ISA) and the CUDA kernels
// (cuda/optim.cu: one element per thread), so both backends run the same arithmetic in the same
// order and the CPU optimizer tests exercise the GPU's math. Per-ISA copies live in the ISA's
// namespace (Note [ISA namespaces]); nvcc's and the host tests' (NATIVEDL_ISA undefined) in
// nd::cuda::optim.
//
// A rule reads and writes one position through a lanes object L (the backend's loads, stores
// and math): L::V is the value type (a vector of lanes on the CPU, one T on the GPU);
// param()/grad()/state(k) load, set_param/set_state store; L::sqrt, L::abs and L::max (NaN when
// either operand is NaN, as PyTorch's maximum) are the math. A rule touches only the state
// slots its options use (the others may be null).
#pragma once
#include "core/host_device.h"
#include "cpu/optim_kernels.h"

#ifdef NATIVEDL_ISA
namespace nd::cpu::NATIVEDL_ISA::optim {
#else
namespace nd::cuda::optim {
#endif

/// The buffers of OptimBuffers, typed.
template <typename T> struct Bufs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};
template <typename T> Bufs<T> typed(const cpu::OptimBuffers& ob) {
  return {static_cast<T*>(ob.param), static_cast<const T*>(ob.grad), static_cast<T*>(ob.state[0]),
          static_cast<T*>(ob.state[1]), static_cast<T*>(ob.state[2])};
}

/// The lanes of one element i (the CUDA kernels'; cpp/tests/test_optim_rules.cpp runs them on
/// the host against the CPU's vector kernels).
template <typename T> struct ScalarLanes {
  using V = T;
  const Bufs<T>& b;
  int64_t i;
  ND_HD T* slot(int k) const { return k == 0 ? b.s0 : k == 1 ? b.s1 : b.s2; }
  ND_HD T param() const { return b.p[i]; }
  ND_HD T grad() const { return b.g[i]; }
  ND_HD T state(int k) const { return slot(k)[i]; }
  ND_HD void set_param(T v) const { b.p[i] = v; }
  ND_HD void set_state(int k, T v) const { slot(k)[i] = v; }
  ND_HD static T sqrt(T v) { return ND_M(sqrt)(v); }
  ND_HD static T abs(T v) { return ND_M(fabs)(v); }
  ND_HD static T max(T a, T c) { return (a != a || c != c) ? T(a + c) : (a > c ? a : c); }
};

// PyTorch's gradient prologue: negated under maximize, then plus L2 weight decay.
template <typename L, typename V, typename T> ND_HD V load_grad(const L& l, V p, bool maximize, T wd) {
  V g = l.grad();
  if (maximize) g = -g;
  if (wd != T(0)) g = g + V(wd) * p;
  return g;
}

// torch.lerp(a, b, w) as PyTorch evaluates it: from the nearer end for accuracy.
template <typename V, typename T> ND_HD V lerp(V a, V b, T w) {
  return w < T(0.5) ? a + V(w) * (b - a) : b - (b - a) * V(T(1) - w);
}

// Adam's first and second moments (state 0 and 1), shared by Adam(W), NAdam and RAdam.
template <typename L, typename V, typename T> ND_HD void adam_moments(const L& l, V g, T beta1, T beta2, V& m, V& v) {
  m = lerp(l.state(0), g, T(1) - beta1);
  v = l.state(1) * V(beta2) + V(T(1) - beta2) * g * g;
  l.set_state(0, m);
  l.set_state(1, v);
}

template <typename T> struct SgdRule {
  T lr, momentum, damp1, wd;
  bool nesterov, maximize, first, has_momentum;
  SgdRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit SgdRule(const cpu::SgdCoef& c)
      : lr(T(c.lr)), momentum(T(c.momentum)), damp1(T(1 - c.dampening)), wd(T(c.weight_decay)),
        nesterov(c.nesterov), maximize(c.maximize), first(c.first_step), has_momentum(c.momentum != 0) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    const V p = l.param();
    V g = load_grad(l, p, maximize, wd);
    if (has_momentum) {
      const V buf = first ? g : l.state(0) * V(momentum) + V(damp1) * g;
      l.set_state(0, buf);
      g = nesterov ? g + V(momentum) * buf : buf;
    }
    l.set_param(p - V(lr) * g);
  }
};

template <typename T> struct AdagradRule {
  T clr, wd, eps;
  bool maximize;
  AdagradRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit AdagradRule(const cpu::AdagradCoef& c)
      : clr(T(c.clr)), wd(T(c.weight_decay)), eps(T(c.eps)), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    const V p = l.param();
    const V g = load_grad(l, p, maximize, wd);
    const V sum = l.state(0) + g * g;
    l.set_state(0, sum);
    l.set_param(p - V(clr) * (g / (L::sqrt(sum) + V(eps))));
  }
};

template <typename T> struct AdadeltaRule {
  T lr, rho, eps, wd;
  bool maximize;
  AdadeltaRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit AdadeltaRule(const cpu::AdadeltaCoef& c)
      : lr(T(c.lr)), rho(T(c.rho)), eps(T(c.eps)), wd(T(c.weight_decay)), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    const V p = l.param();
    const V g = load_grad(l, p, maximize, wd);
    const V sq = l.state(0) * V(rho) + V(T(1) - rho) * g * g;
    const V acc0 = l.state(1);
    const V delta = L::sqrt(acc0 + V(eps)) / L::sqrt(sq + V(eps)) * g;
    l.set_state(0, sq);
    l.set_state(1, acc0 * V(rho) + V(T(1) - rho) * delta * delta);
    l.set_param(p - V(lr) * delta);
  }
};

template <typename T> struct RmspropRule {
  T lr, alpha, eps, wd, momentum;
  bool centered, maximize;
  RmspropRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit RmspropRule(const cpu::RmspropCoef& c)
      : lr(T(c.lr)), alpha(T(c.alpha)), eps(T(c.eps)), wd(T(c.weight_decay)), momentum(T(c.momentum)),
        centered(c.centered), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    const V p = l.param();
    const V g = load_grad(l, p, maximize, wd);
    const V sq = l.state(0) * V(alpha) + V(T(1) - alpha) * g * g;
    l.set_state(0, sq);
    V avg = sq;
    if (centered) {
      const V ga = lerp(l.state(2), g, T(1) - alpha);
      l.set_state(2, ga);
      avg = sq - ga * ga;
    }
    avg = L::sqrt(avg) + V(eps);
    if (momentum > T(0)) {
      const V buf = l.state(1) * V(momentum) + g / avg;
      l.set_state(1, buf);
      l.set_param(p - V(lr) * buf);
    } else {
      l.set_param(p - V(lr) * (g / avg));
    }
  }
};

// Adam and AdamW (scale = 1 - lr * weight_decay for the decoupled decay).
template <typename T> struct AdamRule {
  T beta1, beta2, eps, wd, scale, step_size, bc2_sqrt;
  bool amsgrad, maximize;
  AdamRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit AdamRule(const cpu::AdamCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), scale(T(c.param_scale)),
        step_size(T(c.step_size)), bc2_sqrt(T(c.bc2_sqrt)), amsgrad(c.amsgrad), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    V p = l.param();
    if (scale != T(1)) p = p * V(scale);
    const V g = load_grad(l, p, maximize, wd);
    V m, v;
    adam_moments(l, g, beta1, beta2, m, v);
    if (amsgrad) {
      v = L::max(l.state(2), v);
      l.set_state(2, v);
    }
    const V denom = L::sqrt(v) / V(bc2_sqrt) + V(eps);
    l.set_param(p - V(step_size) * (m / denom));
  }
};

template <typename T> struct AdamaxRule {
  T beta1, beta2, eps, wd, clr;
  bool maximize;
  AdamaxRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit AdamaxRule(const cpu::AdamaxCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), clr(T(c.clr)),
        maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    const V p = l.param();
    const V g = load_grad(l, p, maximize, wd);
    const V m = lerp(l.state(0), g, T(1) - beta1);
    const V u = L::max(l.state(1) * V(beta2), L::abs(g) + V(eps));
    l.set_state(0, m);
    l.set_state(1, u);
    l.set_param(p - V(clr) * (m / u));
  }
};

template <typename T> struct NadamRule {
  T beta1, beta2, eps, wd, scale, bc2, grad_coef, avg_coef;
  bool maximize;
  NadamRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit NadamRule(const cpu::NadamCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), scale(T(c.param_scale)),
        bc2(T(c.bc2)), grad_coef(T(c.grad_coef)), avg_coef(T(c.avg_coef)), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    V p = l.param();
    if (scale != T(1)) p = p * V(scale);
    const V g = load_grad(l, p, maximize, wd);
    V m, v;
    adam_moments(l, g, beta1, beta2, m, v);
    const V denom = L::sqrt(v / V(bc2)) + V(eps);
    p = p + V(grad_coef) * (g / denom);
    l.set_param(p + V(avg_coef) * (m / denom));
  }
};

template <typename T> struct RadamRule {
  T lr, beta1, beta2, eps, wd, scale, bc1, bc2_sqrt, rect;
  bool rectified, maximize;
  RadamRule() = default;  // a slot of the CUDA kernels' launch tables
  explicit RadamRule(const cpu::RadamCoef& c)
      : lr(T(c.lr)), beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)),
        scale(T(c.param_scale)), bc1(T(c.bc1)), bc2_sqrt(T(c.bc2_sqrt)), rect(T(c.rect)),
        rectified(c.rectified), maximize(c.maximize) {}
  template <typename L> ND_HD void apply(const L& l) const {
    using V = typename L::V;
    V p = l.param();
    if (scale != T(1)) p = p * V(scale);
    const V g = load_grad(l, p, maximize, wd);
    V m, v;
    adam_moments(l, g, beta1, beta2, m, v);
    V step = m / V(bc1) * V(lr);
    if (rectified) step = step * (V(bc2_sqrt) / (L::sqrt(v) + V(eps))) * V(rect);
    l.set_param(p - step);
  }
};

}  // namespace
