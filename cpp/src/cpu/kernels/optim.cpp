// Fused optimizer updates (Note [Fused optimizer steps]): the rules of cpu/optim_rules.h (shared
// with the CUDA kernels) over Vec<T> lanes; the same rule runs the tail with one-lane vectors.
#include "cpu/loops.h"
#include "cpu/optim_kernels.h"
#include "cpu/optim_rules.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

using namespace optim;

// Parameters per thread below which a step stays on one thread (a few memory pages each
// across 3-5 streams: spreading less costs more in wake-ups than it saves).
constexpr int64_t kOptimGrain = 16384;

// The lanes of cpu/optim_rules.h: V-wide unaligned loads and stores at position i.
template <typename Vt, typename T> struct VecLanes {
  using V = Vt;
  const Bufs<T>& b;
  int64_t i;
  T* slot(int k) const { return k == 0 ? b.s0 : k == 1 ? b.s1 : b.s2; }
  V param() const { return V::loadu(b.p + i); }
  V grad() const { return V::loadu(b.g + i); }
  V state(int k) const { return V::loadu(slot(k) + i); }
  void set_param(V v) const { v.storeu(b.p + i); }
  void set_state(int k, V v) const { v.storeu(slot(k) + i); }
  static V sqrt(V v) { return vsqrt(v); }
  static V abs(V v) { return vabs(v); }
  static V max(V a, V c) { return vmax(a, c); }
};

// The one loop: full vectors, then the tail as one-lane vectors, split across threads.
template <template <typename> class Rule, typename Coef> void fused_step(const OptimBuffers& ob, const Coef& c) {
  ND_DISPATCH_FLOAT_TYPES(ob.dtype, T, {
    const Rule<T> rule(c);
    const Bufs<T> b = typed<T>(ob);
    core::parallel_for(0, ob.numel, kOptimGrain, [&](int64_t lo, int64_t hi) {
      int64_t i = lo;
      for (; i + Vec<T>::size <= hi; i += Vec<T>::size) rule.apply(VecLanes<Vec<T>, T>{b, i});
      for (; i < hi; ++i) rule.apply(VecLanes<VecN<T, 1>, T>{b, i});
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
