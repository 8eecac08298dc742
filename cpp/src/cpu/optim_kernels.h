// Descriptors and dispatch stubs of the fused optimizer kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
//
// Note [Fused optimizer steps]
// Each kernel updates one contiguous parameter, its gradient and up to three state buffers in
// a single pass: every element is loaded once, updated with the optimizer's rule (PyTorch's
// order of operations: maximize negates the gradient, then L2 weight decay is added to it,
// then the moments, then the parameter) and stored once. Everything that depends only on the
// step count (bias corrections, step sizes) is computed once per step by the optimizer in
// cpp/src/optim/ and handed over as coefficients.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// The parameter, its gradient (same shape/dtype, contiguous) and the rule's state buffers;
/// a state slot a rule does not use under its options is null.
struct OptimBuffers {
  void* param = nullptr;
  const void* grad = nullptr;
  void* state[3] = {nullptr, nullptr, nullptr};
  int64_t numel = 0;
  DType dtype = DType::Float32;
  Device device;  // of every buffer above
};

// Coefficients per rule. weight_decay is the coupled (L2) decay added to the gradient;
// param_scale multiplies the parameter first (decoupled decay: 1 - lr * weight_decay, else 1).

/// state: momentum_buffer (when momentum != 0). first_step: the buffer starts as the gradient.
struct SgdCoef { double lr, momentum, dampening, weight_decay; bool nesterov, maximize, first_step; };
/// state: sum. clr = lr / (1 + (step - 1) * lr_decay).
struct AdagradCoef { double clr, weight_decay, eps; bool maximize; };
/// state: square_avg, acc_delta.
struct AdadeltaCoef { double lr, rho, eps, weight_decay; bool maximize; };
/// state: square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
struct RmspropCoef { double lr, alpha, eps, weight_decay, momentum; bool centered, maximize; };
/// state: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad). step_size = lr / (1 - beta1^t),
/// bc2_sqrt = sqrt(1 - beta2^t).
struct AdamCoef {
  double beta1, beta2, eps, weight_decay, param_scale, step_size, bc2_sqrt;
  bool amsgrad, maximize;
};
/// state: exp_avg, exp_inf. clr = lr / (1 - beta1^t).
struct AdamaxCoef { double beta1, beta2, eps, weight_decay, clr; bool maximize; };
/// state: exp_avg, exp_avg_sq. bc2 = 1 - beta2^t; the parameter moves by
/// grad_coef * g / denom + avg_coef * exp_avg / denom.
struct NadamCoef {
  double beta1, beta2, eps, weight_decay, param_scale, bc2, grad_coef, avg_coef;
  bool maximize;
};
/// state: exp_avg, exp_avg_sq. rectified: the variance is tractable (rho_t > 5) and rect is
/// the rectification term.
struct RadamCoef {
  double lr, beta1, beta2, eps, weight_decay, param_scale, bc1, bc2_sqrt, rect;
  bool rectified, maximize;
};

template <typename Coef> using OptimKernel = void (*)(const OptimBuffers&, const Coef&);

extern DispatchStub<OptimKernel<SgdCoef>> sgd_stub;
extern DispatchStub<OptimKernel<AdagradCoef>> adagrad_stub;
extern DispatchStub<OptimKernel<AdadeltaCoef>> adadelta_stub;
extern DispatchStub<OptimKernel<RmspropCoef>> rmsprop_stub;
extern DispatchStub<OptimKernel<AdamCoef>> adam_stub;
extern DispatchStub<OptimKernel<AdamaxCoef>> adamax_stub;
extern DispatchStub<OptimKernel<NadamCoef>> nadam_stub;
extern DispatchStub<OptimKernel<RadamCoef>> radam_stub;

}  // namespace nd::cpu
