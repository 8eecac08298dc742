// Adagrad, Adadelta and RMSprop: per-element step sizes from running squared gradients.
#include "optim/state.h"

namespace nd {
namespace cpu {
DispatchStub<OptimKernel<AdagradCoef>> adagrad_stub;
DispatchStub<OptimKernel<AdadeltaCoef>> adadelta_stub;
DispatchStub<OptimKernel<RmspropCoef>> rmsprop_stub;
}  // namespace cpu

namespace optim {

// ---------------------------------------------------------------- Adagrad

void Adagrad::validate(const AdagradOptions& o) const {
  check_option(o.lr >= 0, name(), "learning rate", o.lr, "must be >= 0");
  check_option(o.lr_decay >= 0, name(), "lr_decay value", o.lr_decay, "must be >= 0");
  check_option(o.weight_decay >= 0, name(), "weight_decay value", o.weight_decay, "must be >= 0");
  check_option(o.initial_accumulator_value >= 0, name(), "initial_accumulator_value", o.initial_accumulator_value,
               "must be >= 0");
  check_option(o.eps >= 0, name(), "epsilon value", o.eps, "must be >= 0");
}

// PyTorch creates Adagrad's state with the group, so the accumulator holds its initial value
// (and appears in state_dict) before the first step.
void Adagrad::on_group_added(size_t group) {
  for (const Tensor& p : group_params(group)) {
    ParamState& st = mutable_state(p);
    st[kStep] = zeros({}, TensorOptions(DType::Float32));
    st["sum"] = full(p.shape(), options_[group].initial_accumulator_value,
                     TensorOptions(p.dtype()).with_device(p.device()));
  }
}

std::vector<std::string> Adagrad::state_names() const { return {kStep, "sum"}; }

void Adagrad::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const AdagradOptions& o = options_[group];
  const double step = increment_step(state);
  Tensor& sum = state_buffer(state, "sum", param, o.initial_accumulator_value);
  const double clr = o.lr / (1 + (step - 1) * o.lr_decay);
  run_kernel(cpu::adagrad_stub, buffers(param, grad, {&sum}), cpu::AdagradCoef{clr, o.weight_decay, o.eps, o.maximize});
}

// ---------------------------------------------------------------- Adadelta

void Adadelta::validate(const AdadeltaOptions& o) const {
  check_option(o.lr >= 0, name(), "learning rate", o.lr, "must be >= 0");
  check_option(o.rho >= 0 && o.rho <= 1, name(), "rho value", o.rho, "must be in [0, 1]");
  check_option(o.eps >= 0, name(), "epsilon value", o.eps, "must be >= 0");
  check_option(o.weight_decay >= 0, name(), "weight_decay value", o.weight_decay, "must be >= 0");
}

std::vector<std::string> Adadelta::state_names() const { return {kStep, "square_avg", "acc_delta"}; }

void Adadelta::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const AdadeltaOptions& o = options_[group];
  increment_step(state);
  Tensor& square_avg = state_buffer(state, "square_avg", param);
  Tensor& acc_delta = state_buffer(state, "acc_delta", param);
  run_kernel(cpu::adadelta_stub, buffers(param, grad, {&square_avg, &acc_delta}),
             cpu::AdadeltaCoef{o.lr, o.rho, o.eps, o.weight_decay, o.maximize});
}

// ---------------------------------------------------------------- RMSprop

void RMSprop::validate(const RMSpropOptions& o) const {
  check_option(o.lr >= 0, name(), "learning rate", o.lr, "must be >= 0");
  check_option(o.eps >= 0, name(), "epsilon value", o.eps, "must be >= 0");
  check_option(o.momentum >= 0, name(), "momentum value", o.momentum, "must be >= 0");
  check_option(o.weight_decay >= 0, name(), "weight_decay value", o.weight_decay, "must be >= 0");
  check_option(o.alpha >= 0, name(), "alpha value", o.alpha, "must be >= 0");
}

std::vector<std::string> RMSprop::state_names() const {
  return {kStep, "square_avg", "momentum_buffer", "grad_avg"};
}

void RMSprop::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const RMSpropOptions& o = options_[group];
  increment_step(state);
  Tensor& square_avg = state_buffer(state, "square_avg", param);
  Tensor* buf = o.momentum > 0 ? &state_buffer(state, "momentum_buffer", param) : nullptr;
  Tensor* grad_avg = o.centered ? &state_buffer(state, "grad_avg", param) : nullptr;
  run_kernel(cpu::rmsprop_stub, buffers(param, grad, {&square_avg, buf, grad_avg}),
             cpu::RmspropCoef{o.lr, o.alpha, o.eps, o.weight_decay, o.momentum, o.centered, o.maximize});
}

}  // namespace optim
}  // namespace nd
