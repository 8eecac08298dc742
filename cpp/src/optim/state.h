// Helpers the optimizer rules share: lazily created state, the step counter, kernel buffers
// and option checks.
#pragma once
#include <initializer_list>
#include <string>
#include <tuple>

#include "cpu/optim_kernels.h"
#include "nativedl/optim.h"
#include "ops/iter.h"

namespace nd::optim {

constexpr const char* kStep = "step";
constexpr const char* kMuProduct = "mu_product";
/// Whether a state entry is a 0-d float32 number (the step count, NAdam's mu product).
inline bool is_scalar_state(const std::string& key) { return key == kStep || key == kMuProduct; }

/// The state buffer `key`, created as a tensor like `param` filled with `fill` on first use.
Tensor& state_buffer(ParamState& state, const char* key, const Tensor& param, double fill = 0);
/// Adds one to the float32 "step" tensor (created at 0) and returns the new count.
double increment_step(ParamState& state);
/// The kernel's view of a parameter, its grad and its state buffers (null: slot unused);
/// the state buffers' versions are bumped since the kernel writes them.
cpu::OptimBuffers buffers(Tensor& param, const Tensor& grad, std::initializer_list<Tensor*> state);
/// Raises "[optimizer] invalid option: value (requirement)" unless ok.
void check_option(bool ok, const char* optimizer, const char* option, double value, const char* requirement);
/// Both betas in [0, 1).
void check_betas(const std::tuple<double, double>& betas, const char* optimizer);

/// Runs the kernel from `stub` for the buffers' device (the active ISA's on the CPU).
template <typename Coef>
void run_kernel(const cpu::DispatchStub<cpu::OptimKernel<Coef>>& stub, const cpu::OptimBuffers& b, const Coef& c) {
  ops::launch_on(b.device, "optimizer.step", stub, b, c);
}

}  // namespace nd::optim
