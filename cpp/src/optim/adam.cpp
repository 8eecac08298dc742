// The Adam family: Adam, AdamW (decoupled weight decay), Adamax, NAdam and RAdam, with
// PyTorch's bias corrections computed once per step and the element work in the fused kernels.
#include <cmath>

#include "optim/state.h"

namespace nd {
namespace cpu {
DispatchStub<OptimKernel<AdamCoef>> adam_stub;
DispatchStub<OptimKernel<AdamaxCoef>> adamax_stub;
DispatchStub<OptimKernel<NadamCoef>> nadam_stub;
DispatchStub<OptimKernel<RadamCoef>> radam_stub;
}  // namespace cpu

namespace optim {
namespace {

template <typename Options> void check_adam_like(const Options& o, const char* name) {
  check_option(o.lr >= 0, name, "learning rate", o.lr, "must be >= 0");
  check_option(o.eps >= 0, name, "epsilon value", o.eps, "must be >= 0");
  check_betas(o.betas, name);
  check_option(o.weight_decay >= 0, name, "weight_decay value", o.weight_decay, "must be >= 0");
}

// Weight decay as (coupled L2 added to the gradient, factor applied to the parameter first).
std::pair<double, double> split_decay(double lr, double weight_decay, bool decoupled) {
  return decoupled ? std::pair{0.0, 1 - lr * weight_decay} : std::pair{weight_decay, 1.0};
}

void adam_step(const AdamOptions& o, Tensor& param, const Tensor& grad, ParamState& state, bool decoupled) {
  const auto [beta1, beta2] = o.betas;
  const double step = increment_step(state);
  Tensor& exp_avg = state_buffer(state, "exp_avg", param);
  Tensor& exp_avg_sq = state_buffer(state, "exp_avg_sq", param);
  Tensor* max_sq = o.amsgrad ? &state_buffer(state, "max_exp_avg_sq", param) : nullptr;
  const auto [l2, scale] = split_decay(o.lr, o.weight_decay, decoupled);
  const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  run_kernel(cpu::adam_stub, buffers(param, grad, {&exp_avg, &exp_avg_sq, max_sq}),
             cpu::AdamCoef{beta1, beta2, o.eps, l2, scale, o.lr / bc1, std::sqrt(bc2), o.amsgrad, o.maximize});
}

}  // namespace

// ---------------------------------------------------------------- Adam, AdamW

void Adam::validate(const AdamOptions& o) const { check_adam_like(o, name()); }

std::vector<std::string> Adam::state_names() const {
  return {kStep, "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
}

void Adam::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  adam_step(options_[group], param, grad, state, false);
}

void AdamW::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  adam_step(options_[group], param, grad, state, true);
}

// ---------------------------------------------------------------- Adamax

void Adamax::validate(const AdamaxOptions& o) const { check_adam_like(o, name()); }

std::vector<std::string> Adamax::state_names() const { return {kStep, "exp_avg", "exp_inf"}; }

void Adamax::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const AdamaxOptions& o = options_[group];
  const auto [beta1, beta2] = o.betas;
  const double step = increment_step(state);
  Tensor& exp_avg = state_buffer(state, "exp_avg", param);
  Tensor& exp_inf = state_buffer(state, "exp_inf", param);
  const double clr = o.lr / (1 - std::pow(beta1, step));
  run_kernel(cpu::adamax_stub, buffers(param, grad, {&exp_avg, &exp_inf}),
             cpu::AdamaxCoef{beta1, beta2, o.eps, o.weight_decay, clr, o.maximize});
}

// ---------------------------------------------------------------- NAdam

void NAdam::validate(const NAdamOptions& o) const {
  check_adam_like(o, name());
  check_option(o.momentum_decay >= 0, name(), "momentum_decay value", o.momentum_decay, "must be >= 0");
}

std::vector<std::string> NAdam::state_names() const { return {kStep, kMuProduct, "exp_avg", "exp_avg_sq"}; }

void NAdam::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const NAdamOptions& o = options_[group];
  const auto [beta1, beta2] = o.betas;
  const double step = increment_step(state);
  auto it = state.find(kMuProduct);
  if (it == state.end()) it = state.emplace(kMuProduct, ones({}, TensorOptions(DType::Float32))).first;
  Tensor& exp_avg = state_buffer(state, "exp_avg", param);
  Tensor& exp_avg_sq = state_buffer(state, "exp_avg_sq", param);
  // The momentum schedule mu_t; the running product is a float32 tensor, as in PyTorch.
  const double mu = beta1 * (1 - 0.5 * std::pow(0.96, step * o.momentum_decay));
  const double mu_next = beta1 * (1 - 0.5 * std::pow(0.96, (step + 1) * o.momentum_decay));
  float* mu_product = it->second.data<float>();
  *mu_product = *mu_product * float(mu);
  it->second.bump_version();
  const double mu_product_next = double(*mu_product) * mu_next;
  const auto [l2, scale] = split_decay(o.lr, o.weight_decay, o.decoupled_weight_decay);
  run_kernel(cpu::nadam_stub, buffers(param, grad, {&exp_avg, &exp_avg_sq}),
             cpu::NadamCoef{beta1, beta2, o.eps, l2, scale, 1 - std::pow(beta2, step),
                            -o.lr * (1 - mu) / (1 - double(*mu_product)), -o.lr * mu_next / (1 - mu_product_next),
                            o.maximize});
}

// ---------------------------------------------------------------- RAdam

void RAdam::validate(const RAdamOptions& o) const { check_adam_like(o, name()); }

std::vector<std::string> RAdam::state_names() const { return {kStep, "exp_avg", "exp_avg_sq"}; }

void RAdam::update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) {
  const RAdamOptions& o = options_[group];
  const auto [beta1, beta2] = o.betas;
  const double step = increment_step(state);
  Tensor& exp_avg = state_buffer(state, "exp_avg", param);
  Tensor& exp_avg_sq = state_buffer(state, "exp_avg_sq", param);
  const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  // The length of the approximated simple moving average decides whether the variance of the
  // adaptive step is tractable (rho_t > 5); only then is the step rectified and adaptive.
  const double rho_inf = 2 / (1 - beta2) - 1;
  const double rho_t = rho_inf - 2 * step * std::pow(beta2, step) / bc2;
  const bool rectified = rho_t > 5;
  const double rect = rectified ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0;
  const auto [l2, scale] = split_decay(o.lr, o.weight_decay, o.decoupled_weight_decay);
  run_kernel(cpu::radam_stub, buffers(param, grad, {&exp_avg, &exp_avg_sq}),
             cpu::RadamCoef{o.lr, beta1, beta2, o.eps, l2, scale, bc1, std::sqrt(bc2), rect, rectified, o.maximize});
}

}  // namespace optim
}  // namespace nd
