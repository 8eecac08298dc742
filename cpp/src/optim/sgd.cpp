// SGD with momentum, dampening, Nesterov momentum, L2 weight decay and maximize (PyTorch's rule).
#include "optim/state.h"

namespace nd {
namespace cpu {
DispatchStub<OptimKernel<SgdCoef>> sgd_stub;
}  // namespace cpu

namespace optim {

void SGD::validate(const SGDOptions& o) const {
  check_option(o.lr >= 0, name(), "learning rate", o.lr, "must be >= 0");
  check_option(o.momentum >= 0, name(), "momentum value", o.momentum, "must be >= 0");
  check_option(o.weight_decay >= 0, name(), "weight_decay value", o.weight_decay, "must be >= 0");
  ND_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), ValueError, "[", name(),
           "] Nesterov momentum requires a momentum and zero dampening (momentum=", o.momentum,
           ", dampening=", o.dampening, ")");
}

std::vector<std::string> SGD::state_names() const { return {"momentum_buffer"}; }

void SGD::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const SGDOptions& o = options_[group];
  Tensor* buf = nullptr;
  bool first = false;
  if (o.momentum != 0) {
    first = state.count("momentum_buffer") == 0;  // the buffer starts as a copy of the gradient
    buf = &state_buffer(state, "momentum_buffer", param);
  }
  run_kernel(cpu::sgd_stub, buffers(param, grad, {buf}),
             cpu::SgdCoef{o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov, o.maximize, first});
}

}  // namespace optim
}  // namespace nd
