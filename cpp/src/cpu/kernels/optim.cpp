// Fused optimizer updates (Note [Fused optimizer steps]): one rule functor per optimizer,
// written once for Vec<T> lanes; the same functor runs the tail with one-lane vectors.
#include "cpu/loops.h"
#include "cpu/optim_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Parameters per thread below which a step stays on one thread (a few memory pages each
// across 3-5 streams: spreading less costs more in wake-ups than it saves).
constexpr int64_t kOptimGrain = 16384;

template <typename T> struct Bufs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// PyTorch's gradient prologue: negated under maximize, then plus L2 weight decay.
template <typename V, typename T> V load_grad(const Bufs<T>& b, int64_t i, V p, bool maximize, T wd) {
  V g = V::loadu(b.g + i);
  if (maximize) g = -g;
  if (wd != T(0)) g = g + V(wd) * p;
  return g;
}

// torch.lerp(a, b, w) as PyTorch evaluates it: from the nearer end for accuracy.
template <typename V, typename T> V lerp(V a, V b, T w) {
  return w < T(0.5) ? a + V(w) * (b - a) : b - (b - a) * V(T(1) - w);
}

template <typename T> struct SgdRule {
  T lr, momentum, damp1, wd;
  bool nesterov, maximize, first, has_momentum;
  explicit SgdRule(const SgdCoef& c)
      : lr(T(c.lr)), momentum(T(c.momentum)), damp1(T(1 - c.dampening)), wd(T(c.weight_decay)),
        nesterov(c.nesterov), maximize(c.maximize), first(c.first_step), has_momentum(c.momentum != 0) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    V g = load_grad(b, i, p, maximize, wd);
    if (has_momentum) {
      V buf = first ? g : V::loadu(b.s0 + i) * V(momentum) + V(damp1) * g;
      buf.storeu(b.s0 + i);
      g = nesterov ? g + V(momentum) * buf : buf;
    }
    (p - V(lr) * g).storeu(b.p + i);
  }
};

template <typename T> struct AdagradRule {
  T clr, wd, eps;
  bool maximize;
  explicit AdagradRule(const AdagradCoef& c) : clr(T(c.clr)), wd(T(c.weight_decay)), eps(T(c.eps)), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    V g = load_grad(b, i, p, maximize, wd);
    V sum = V::loadu(b.s0 + i) + g * g;
    sum.storeu(b.s0 + i);
    (p - V(clr) * (g / (vsqrt(sum) + V(eps)))).storeu(b.p + i);
  }
};

template <typename T> struct AdadeltaRule {
  T lr, rho, eps, wd;
  bool maximize;
  explicit AdadeltaRule(const AdadeltaCoef& c)
      : lr(T(c.lr)), rho(T(c.rho)), eps(T(c.eps)), wd(T(c.weight_decay)), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    V g = load_grad(b, i, p, maximize, wd);
    V sq = V::loadu(b.s0 + i) * V(rho) + V(T(1) - rho) * g * g;
    V delta = vsqrt(V::loadu(b.s1 + i) + V(eps)) / vsqrt(sq + V(eps)) * g;
    V acc = V::loadu(b.s1 + i) * V(rho) + V(T(1) - rho) * delta * delta;
    sq.storeu(b.s0 + i);
    acc.storeu(b.s1 + i);
    (p - V(lr) * delta).storeu(b.p + i);
  }
};

template <typename T> struct RmspropRule {
  T lr, alpha, eps, wd, momentum;
  bool centered, maximize;
  explicit RmspropRule(const RmspropCoef& c)
      : lr(T(c.lr)), alpha(T(c.alpha)), eps(T(c.eps)), wd(T(c.weight_decay)), momentum(T(c.momentum)),
        centered(c.centered), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    V g = load_grad(b, i, p, maximize, wd);
    V sq = V::loadu(b.s0 + i) * V(alpha) + V(T(1) - alpha) * g * g;
    sq.storeu(b.s0 + i);
    V avg = sq;
    if (centered) {
      V ga = lerp(V::loadu(b.s2 + i), g, T(1) - alpha);
      ga.storeu(b.s2 + i);
      avg = sq - ga * ga;
    }
    avg = vsqrt(avg) + V(eps);
    if (momentum > T(0)) {
      V buf = V::loadu(b.s1 + i) * V(momentum) + g / avg;
      buf.storeu(b.s1 + i);
      (p - V(lr) * buf).storeu(b.p + i);
    } else {
      (p - V(lr) * (g / avg)).storeu(b.p + i);
    }
  }
};

// Adam's first and second moments, shared by Adam(W), NAdam and RAdam.
template <typename V, typename T> void adam_moments(const Bufs<T>& b, int64_t i, V g, T beta1, T beta2, V& m, V& v) {
  m = lerp(V::loadu(b.s0 + i), g, T(1) - beta1);
  v = V::loadu(b.s1 + i) * V(beta2) + V(T(1) - beta2) * g * g;
  m.storeu(b.s0 + i);
  v.storeu(b.s1 + i);
}

template <typename T> struct AdamRule {
  T beta1, beta2, eps, wd, scale, step_size, bc2_sqrt;
  bool amsgrad, maximize;
  explicit AdamRule(const AdamCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), scale(T(c.param_scale)),
        step_size(T(c.step_size)), bc2_sqrt(T(c.bc2_sqrt)), amsgrad(c.amsgrad), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    if (scale != T(1)) p = p * V(scale);
    V g = load_grad(b, i, p, maximize, wd);
    V m, v;
    adam_moments(b, i, g, beta1, beta2, m, v);
    if (amsgrad) {
      v = vmax(V::loadu(b.s2 + i), v);
      v.storeu(b.s2 + i);
    }
    V denom = vsqrt(v) / V(bc2_sqrt) + V(eps);
    (p - V(step_size) * (m / denom)).storeu(b.p + i);
  }
};

template <typename T> struct AdamaxRule {
  T beta1, beta2, eps, wd, clr;
  bool maximize;
  explicit AdamaxRule(const AdamaxCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), clr(T(c.clr)),
        maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    V g = load_grad(b, i, p, maximize, wd);
    V m = lerp(V::loadu(b.s0 + i), g, T(1) - beta1);
    V u = vmax(V::loadu(b.s1 + i) * V(beta2), vabs(g) + V(eps));
    m.storeu(b.s0 + i);
    u.storeu(b.s1 + i);
    (p - V(clr) * (m / u)).storeu(b.p + i);
  }
};

template <typename T> struct NadamRule {
  T beta1, beta2, eps, wd, scale, bc2, grad_coef, avg_coef;
  bool maximize;
  explicit NadamRule(const NadamCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), scale(T(c.param_scale)),
        bc2(T(c.bc2)), grad_coef(T(c.grad_coef)), avg_coef(T(c.avg_coef)), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    if (scale != T(1)) p = p * V(scale);
    V g = load_grad(b, i, p, maximize, wd);
    V m, v;
    adam_moments(b, i, g, beta1, beta2, m, v);
    V denom = vsqrt(v / V(bc2)) + V(eps);
    p = p + V(grad_coef) * (g / denom);
    (p + V(avg_coef) * (m / denom)).storeu(b.p + i);
  }
};

template <typename T> struct RadamRule {
  T lr, beta1, beta2, eps, wd, scale, bc1, bc2_sqrt, rect;
  bool rectified, maximize;
  explicit RadamRule(const RadamCoef& c)
      : lr(T(c.lr)), beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)),
        scale(T(c.param_scale)), bc1(T(c.bc1)), bc2_sqrt(T(c.bc2_sqrt)), rect(T(c.rect)),
        rectified(c.rectified), maximize(c.maximize) {}
  template <typename V> void apply(const Bufs<T>& b, int64_t i) const {
    V p = V::loadu(b.p + i);
    if (scale != T(1)) p = p * V(scale);
    V g = load_grad(b, i, p, maximize, wd);
    V m, v;
    adam_moments(b, i, g, beta1, beta2, m, v);
    V step = m / V(bc1) * V(lr);
    if (rectified) step = step * (V(bc2_sqrt) / (vsqrt(v) + V(eps))) * V(rect);
    (p - step).storeu(b.p + i);
  }
};

// The one loop: full vectors, then the tail as one-lane vectors, split across threads.
template <template <typename> class Rule, typename Coef> void fused_step(const OptimBuffers& ob, const Coef& c) {
  ND_DISPATCH_FLOAT_TYPES(ob.dtype, T, {
    const Rule<T> rule(c);
    const Bufs<T> b{static_cast<T*>(ob.param), static_cast<const T*>(ob.grad), static_cast<T*>(ob.state[0]),
                    static_cast<T*>(ob.state[1]), static_cast<T*>(ob.state[2])};
    core::parallel_for(0, ob.numel, kOptimGrain, [&](int64_t lo, int64_t hi) {
      using V = Vec<T>;
      int64_t i = lo;
      for (; i + V::size <= hi; i += V::size) rule.template apply<V>(b, i);
      for (; i < hi; ++i) rule.template apply<VecN<T, 1>>(b, i);
    });
  });
}

}  // namespace

void register_optim_kernels() {
  sgd_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<SgdRule, SgdCoef>;
  adagrad_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<AdagradRule, AdagradCoef>;
  adadelta_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<AdadeltaRule, AdadeltaCoef>;
  rmsprop_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<RmspropRule, RmspropCoef>;
  adam_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<AdamRule, AdamCoef>;
  adamax_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<AdamaxRule, AdamaxCoef>;
  nadam_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<NadamRule, NadamCoef>;
  radam_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fused_step<RadamRule, RadamCoef>;
}

}  // namespace nd::cpu::NATIVEDL_ISA
