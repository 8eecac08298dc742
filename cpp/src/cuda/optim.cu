// Fused optimizer updates on the GPU (Note [Fused optimizer steps]): one thread per element
// (grid-stride), each loading the parameter, its gradient and the rule's state once and storing
// them once, in PyTorch's order of operations, as the CPU rules in cpu/kernels/optim.cpp.
// SGD (momentum, Nesterov), Adagrad, RMSprop (momentum, centered) and Adam/AdamW (amsgrad).
#include "cpu/optim_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::OptimBuffers;

template <typename T> struct Bufs {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// Negated under maximize, then plus L2 weight decay.
template <typename T> __device__ __forceinline__ T load_grad(const Bufs<T>& b, int64_t i, T p, bool maximize, T wd) {
  T g = b.g[i];
  if (maximize) g = -g;
  if (wd != T(0)) g = g + wd * p;
  return g;
}

// torch.lerp(a, b, w) as PyTorch evaluates it: from the nearer end.
template <typename T> __device__ __forceinline__ T lerp(T a, T b, T w) {
  return w < T(0.5) ? a + w * (b - a) : b - (b - a) * (T(1) - w);
}

template <typename T> struct SgdRule {
  T lr, momentum, damp1, wd;
  bool nesterov, maximize, first, has_momentum;
  explicit SgdRule(const cpu::SgdCoef& c)
      : lr(T(c.lr)), momentum(T(c.momentum)), damp1(T(1 - c.dampening)), wd(T(c.weight_decay)),
        nesterov(c.nesterov), maximize(c.maximize), first(c.first_step), has_momentum(c.momentum != 0) {}
  __device__ void apply(const Bufs<T>& b, int64_t i) const {
    const T p = b.p[i];
    T g = load_grad(b, i, p, maximize, wd);
    if (has_momentum) {
      const T buf = first ? g : b.s0[i] * momentum + damp1 * g;
      b.s0[i] = buf;
      g = nesterov ? g + momentum * buf : buf;
    }
    b.p[i] = p - lr * g;
  }
};

template <typename T> struct AdagradRule {
  T clr, wd, eps;
  bool maximize;
  explicit AdagradRule(const cpu::AdagradCoef& c)
      : clr(T(c.clr)), wd(T(c.weight_decay)), eps(T(c.eps)), maximize(c.maximize) {}
  __device__ void apply(const Bufs<T>& b, int64_t i) const {
    const T p = b.p[i];
    const T g = load_grad(b, i, p, maximize, wd);
    const T sum = b.s0[i] + g * g;
    b.s0[i] = sum;
    b.p[i] = p - clr * (g / (sqrt(sum) + eps));
  }
};

template <typename T> struct RmspropRule {
  T lr, alpha, eps, wd, momentum;
  bool centered, maximize;
  explicit RmspropRule(const cpu::RmspropCoef& c)
      : lr(T(c.lr)), alpha(T(c.alpha)), eps(T(c.eps)), wd(T(c.weight_decay)), momentum(T(c.momentum)),
        centered(c.centered), maximize(c.maximize) {}
  __device__ void apply(const Bufs<T>& b, int64_t i) const {
    const T p = b.p[i];
    const T g = load_grad(b, i, p, maximize, wd);
    const T sq = b.s0[i] * alpha + (T(1) - alpha) * g * g;
    b.s0[i] = sq;
    T avg = sq;
    if (centered) {
      const T ga = lerp(b.s2[i], g, T(1) - alpha);
      b.s2[i] = ga;
      avg = sq - ga * ga;
    }
    avg = sqrt(avg) + eps;
    if (momentum > T(0)) {
      const T buf = b.s1[i] * momentum + g / avg;
      b.s1[i] = buf;
      b.p[i] = p - lr * buf;
    } else {
      b.p[i] = p - lr * (g / avg);
    }
  }
};

// Adam and AdamW (param_scale = 1 - lr * weight_decay for the decoupled decay).
template <typename T> struct AdamRule {
  T beta1, beta2, eps, wd, scale, step_size, bc2_sqrt;
  bool amsgrad, maximize;
  explicit AdamRule(const cpu::AdamCoef& c)
      : beta1(T(c.beta1)), beta2(T(c.beta2)), eps(T(c.eps)), wd(T(c.weight_decay)), scale(T(c.param_scale)),
        step_size(T(c.step_size)), bc2_sqrt(T(c.bc2_sqrt)), amsgrad(c.amsgrad), maximize(c.maximize) {}
  __device__ void apply(const Bufs<T>& b, int64_t i) const {
    T p = b.p[i];
    if (scale != T(1)) p = p * scale;
    const T g = load_grad(b, i, p, maximize, wd);
    const T m = lerp(b.s0[i], g, T(1) - beta1);
    T v = b.s1[i] * beta2 + (T(1) - beta2) * g * g;
    b.s0[i] = m;
    b.s1[i] = v;
    if (amsgrad) {
      const T vmax = b.s2[i];
      v = (vmax != vmax || vmax > v) ? vmax : v;
      b.s2[i] = v;
    }
    const T denom = sqrt(v) / bc2_sqrt + eps;
    b.p[i] = p - step_size * (m / denom);
  }
};

template <typename Rule, typename T> __global__ void step_kernel(const Rule rule, const Bufs<T> b, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    rule.apply(b, i);
}

template <template <typename> class Rule, typename Coef> void fused_step(const OptimBuffers& ob, const Coef& c) {
  if (ob.numel == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const Bufs<T> b{static_cast<T*>(ob.param), static_cast<const T*>(ob.grad), static_cast<T*>(ob.state[0]),
                    static_cast<T*>(ob.state[1]), static_cast<T*>(ob.state[2])};
    step_kernel<<<grid_for(ob.numel), kBlock>>>(Rule<T>(c), b, ob.numel);
    ND_CUDA_CHECK_LAUNCH(step_kernel);
  };
  if (ob.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_optim_kernels() {
  cpu::sgd_stub.cuda = fused_step<SgdRule, cpu::SgdCoef>;
  cpu::adagrad_stub.cuda = fused_step<AdagradRule, cpu::AdagradCoef>;
  cpu::rmsprop_stub.cuda = fused_step<RmspropRule, cpu::RmspropCoef>;
  cpu::adam_stub.cuda = fused_step<AdamRule, cpu::AdamCoef>;
}

}  // namespace nd::cuda
