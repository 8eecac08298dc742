// Fused optimizer updates on the GPU (Note [Fused optimizer steps]): one thread per element
// (grid-stride), running the rules of cpu/optim_rules.h, the CPU kernels' own code, on one
// element: each loads the parameter, its gradient and the state its options use once and stores
// them once. Every rule the CPU has (SGD, Adagrad, Adadelta, RMSprop, Adam/AdamW, Adamax, NAdam,
// RAdam) goes through the one launch below.
#include "cpu/optim_kernels.h"
#include "cpu/optim_rules.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using namespace optim;
using cpu::OptimBuffers;

template <typename Rule, typename T> __global__ void step_kernel(const Rule rule, const Bufs<T> b, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    rule.apply(ScalarLanes<T>{b, i});
}

template <template <typename> class Rule, typename Coef> void fused_step(const OptimBuffers& ob, const Coef& c) {
  if (ob.numel == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    step_kernel<<<grid_for(ob.numel), kBlock>>>(Rule<T>(c), typed<T>(ob), ob.numel);
    ND_CUDA_CHECK_LAUNCH(step_kernel);
  };
  if (ob.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_optim_kernels() {
  cpu::sgd_stub.cuda = fused_step<SgdRule, cpu::SgdCoef>;
  cpu::adagrad_stub.cuda = fused_step<AdagradRule, cpu::AdagradCoef>;
  cpu::adadelta_stub.cuda = fused_step<AdadeltaRule, cpu::AdadeltaCoef>;
  cpu::rmsprop_stub.cuda = fused_step<RmspropRule, cpu::RmspropCoef>;
  cpu::adam_stub.cuda = fused_step<AdamRule, cpu::AdamCoef>;
  cpu::adamax_stub.cuda = fused_step<AdamaxRule, cpu::AdamaxCoef>;
  cpu::nadam_stub.cuda = fused_step<NadamRule, cpu::NadamCoef>;
  cpu::radam_stub.cuda = fused_step<RadamRule, cpu::RadamCoef>;
}

}  // namespace nd::cuda
