// The optimizer base: parameter groups, the step loop, zero_grad
// and state import/export.
#include <algorithm>

#include "nativedl/nativedl.h"
#include "nativedl/optim.h"
#include "cuda/runtime.h"
#include "optim/state.h"

namespace nd::optim {

const TensorList& Optimizer::group_params(size_t group) const {
  ND_CHECK(group < params_.size(), IndexError, "[", name(), "] group ", group, " out of range for ",
           params_.size(), " groups");
  return params_[group];
}

void Optimizer::add_params(const TensorList& params) {
  ND_CHECK(!params.empty(), ValueError, "[", name(), "] optimizer got an empty parameter list");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    ND_CHECK(p.defined(), TypeError, "[", name(), "] parameter ", i, " is an undefined tensor");
    ND_CHECK(is_floating(p.dtype()), TypeError, "[", name(), "] parameter ", i, " has dtype ",
             dtype_name(p.dtype()), "; only floating-point tensors can be optimized");
    ND_CHECK(p.is_leaf(), ValueError, "[", name(), "] can't optimize a non-leaf Tensor (parameter ", i,
             ", shape ", shape_str(p.shape()), ")");
    ND_CHECK(p.is_contiguous(), ValueError, "[", name(), "] parameter ", i, " of shape ", shape_str(p.shape()),
             " is not contiguous");
    const bool seen = group_of_.count(p.impl()) != 0 ||
                      std::any_of(params.begin(), params.begin() + i, [&](const Tensor& q) { return q.is_same(p); });
    ND_CHECK(!seen, ValueError, "[", name(), "] parameter ", i, " of shape ", shape_str(p.shape()),
             " appears more than once in the optimizer's parameter groups");
  }
  for (const Tensor& p : params) group_of_[p.impl()] = params_.size();
  params_.push_back(params);
}

void Optimizer::step() {
  // Tensor::set_grad guarantees a grad of the parameter's shape and dtype; the options were
  // validated when set, so nothing below can fail half-way through the parameters.
  NoGradGuard no_grad;
  // CUDA updates run when their group is flushed: the gradients they read (contiguous copies
  // among them) are kept until then.
  struct Queue {
    TensorList grads;
    bool flushed = false;
    ~Queue() { if (!flushed) cuda::discard_optimizer_steps(); }
  };
  for (size_t g = 0; g < params_.size(); ++g) {
    Queue queue;
    for (Tensor& p : params_[g]) {
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      queue.grads.push_back(contiguous(grad));
      update(g, p, queue.grads.back(), state_[p.impl()]);
      p.bump_version();
    }
    cuda::flush_optimizer_steps();
    queue.flushed = true;
  }
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const TensorList& group : params_) {
    for (const Tensor& p : group) {
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (set_to_none) p.set_grad(Tensor());
      else if (grad.is_contiguous()) zero_(grad);
      else p.set_grad(zeros_like(p));  // an expanded (broadcast) grad can't be zeroed in place
    }
  }
}

const ParamState& Optimizer::state(const Tensor& param) const {
  static const ParamState kEmpty;
  auto it = state_.find(param.impl());
  return it == state_.end() ? kEmpty : it->second;
}

void Optimizer::load_state(const std::vector<ParamState>& states) {
  std::vector<const Tensor*> params;
  for (const TensorList& group : params_) for (const Tensor& p : group) params.push_back(&p);
  ND_CHECK(states.size() == params.size(), ValueError, "[", name(), "] load_state got ", states.size(),
           " parameter states but the optimizer has ", params.size(), " parameters");
  const std::vector<std::string> names = state_names();
  for (size_t i = 0; i < states.size(); ++i) {
    for (const auto& [key, value] : states[i]) {
      ND_CHECK(std::find(names.begin(), names.end(), key) != names.end(), ValueError, "[", name(),
               "] unexpected state '", key, "' for parameter ", i);
      ND_CHECK(value.defined() && is_floating(value.dtype()), TypeError, "[", name(), "] state '", key,
               "' of parameter ", i, " must be a floating-point tensor");
      const Shape want = is_scalar_state(key) ? Shape{} : params[i]->shape();
      ND_CHECK(value.shape() == want, ValueError, "[", name(), "] state '", key, "' of parameter ", i,
               " has shape ", shape_str(value.shape()), " but ", shape_str(want), " is expected");
    }
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < states.size(); ++i) {
    ParamState copied;
    for (const auto& [key, value] : states[i]) {
      // Scalars (step, mu_product) keep PyTorch's float32 0-d form; buffers take the parameter's dtype.
      // Buffers live on the parameter's device; the step count stays on the CPU, as PyTorch's.
      const bool scalar = is_scalar_state(key);
      Tensor t = empty(value.shape(), TensorOptions(scalar ? DType::Float32 : params[i]->dtype())
                                          .with_device(scalar ? Device{} : params[i]->device()));
      copy_(t, value);
      copied[key] = t;
    }
    state_[params[i]->impl()] = std::move(copied);
  }
}

// ---------------------------------------------------------------- helpers for the rules

Tensor& state_buffer(ParamState& state, const char* key, const Tensor& param, double fill) {
  auto it = state.find(key);
  if (it == state.end())
    it = state.emplace(key, full(param.shape(), fill, TensorOptions(param.dtype()).with_device(param.device()))).first;
  return it->second;
}

double increment_step(ParamState& state) {
  auto it = state.find(kStep);
  if (it == state.end()) it = state.emplace(kStep, zeros({}, TensorOptions(DType::Float32))).first;
  float* s = it->second.data<float>();
  *s += 1.0f;
  it->second.bump_version();
  return double(*s);
}

cpu::OptimBuffers buffers(Tensor& param, const Tensor& grad, std::initializer_list<Tensor*> state) {
  cpu::OptimBuffers b;
  b.device = ops::common_device("optimizer.step", {&param, &grad});
  b.param = param.device_data_ptr();
  b.grad = grad.device_data_ptr();
  int k = 0;
  for (Tensor* t : state) {
    if (t != nullptr) {
      ops::common_device("optimizer.step", {&param, t});
      b.state[k] = t->device_data_ptr();
      t->bump_version();
    }
    ++k;
  }
  b.numel = param.numel();
  b.dtype = param.dtype();
  return b;
}

void check_option(bool ok, const char* optimizer, const char* option, double value, const char* requirement) {
  ND_CHECK(ok, ValueError, "[", optimizer, "] invalid ", option, ": ", value, " (", requirement, ")");
}

void check_betas(const std::tuple<double, double>& betas, const char* optimizer) {
  const auto [b1, b2] = betas;
  check_option(b1 >= 0 && b1 < 1, optimizer, "beta parameter at index 0", b1, "must be in [0, 1)");
  check_option(b2 >= 0 && b2 < 1, optimizer, "beta parameter at index 1", b2, "must be in [0, 1)");
}

}  // namespace nd::optim
