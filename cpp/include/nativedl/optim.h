// Optimizers: PyTorch's update rules over groups of parameters, each step one fused,
// multi-threaded, vectorized pass over a parameter, its gradient and its state.
//
// Usage from C++:
//   nd::optim::Adam opt({w, b}, nd::optim::AdamOptions{}.with_lr(1e-3));
//   loss.backward(); opt.step(); opt.zero_grad();
#pragma once
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "nativedl/autograd.h"
#include "nativedl/tensor.h"

namespace nd::optim {

/// Per-parameter state by name ("step", "exp_avg" ...), PyTorch's names; "step" is a 0-d
/// float32 tensor as in PyTorch.
using ParamState = std::map<std::string, Tensor>;

/// Options of each optimizer, PyTorch's argument names and defaults.
struct SGDOptions {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
  SGDOptions& with_lr(double v) { lr = v; return *this; }
};
struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10;
  bool maximize = false;
  AdagradOptions& with_lr(double v) { lr = v; return *this; }
};
struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
  AdadeltaOptions& with_lr(double v) { lr = v; return *this; }
};
struct RMSpropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
  RMSpropOptions& with_lr(double v) { lr = v; return *this; }
};
/// Adam and AdamW (AdamW's default weight_decay is 1e-2, applied decoupled).
struct AdamOptions {
  double lr = 1e-3;
  std::tuple<double, double> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, maximize = false;
  AdamOptions& with_lr(double v) { lr = v; return *this; }
};
struct AdamaxOptions {
  double lr = 2e-3;
  std::tuple<double, double> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0;
  bool maximize = false;
  AdamaxOptions& with_lr(double v) { lr = v; return *this; }
};
struct NAdamOptions {
  double lr = 2e-3;
  std::tuple<double, double> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3;
  bool decoupled_weight_decay = false, maximize = false;
  NAdamOptions& with_lr(double v) { lr = v; return *this; }
};
struct RAdamOptions {
  double lr = 1e-3;
  std::tuple<double, double> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
  RAdamOptions& with_lr(double v) { lr = v; return *this; }
};

/// The part of every optimizer that does not depend on its options: parameters by group,
/// per-parameter state, zero_grad and state import/export.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// PyTorch's class name ("Adam"), used in error messages.
  virtual const char* name() const = 0;
  /// Updates every parameter whose grad is defined, group by group, without recording history.
  void step();
  /// Clears the gradients: undefined if set_to_none, else zeroed in place.
  void zero_grad(bool set_to_none = true);

  size_t num_groups() const { return params_.size(); }
  const TensorList& group_params(size_t group) const;
  /// The state of a parameter (empty before its first step).
  const ParamState& state(const Tensor& param) const;
  /// Replaces the state of every parameter (one entry per parameter, groups in order, as
  /// state_dict lists them); the tensors are checked against the optimizer's state names and
  /// the parameters' shapes, all before any state changes, then copied (buffers take the
  /// parameter's dtype).
  void load_state(const std::vector<ParamState>& states);

 protected:
  /// Checks the parameters of a new group (floating, contiguous leaves, none seen before)
  /// and appends them.
  void add_params(const TensorList& params);
  /// One parameter's update; runs under NoGradGuard with a grad matching the parameter.
  virtual void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) = 0;
  /// Every state name this optimizer may keep (for load_state's check).
  virtual std::vector<std::string> state_names() const = 0;
  /// The (lazily created) state of a parameter.
  ParamState& mutable_state(const Tensor& param) { return state_[param.impl()]; }

 private:
  std::vector<TensorList> params_;
  std::unordered_map<const TensorImpl*, size_t> group_of_;
  std::unordered_map<const TensorImpl*, ParamState> state_;
};

/// An optimizer whose groups carry options of type Options.
template <typename Options> class OptimizerWithOptions : public Optimizer {
 public:
  /// Adds a group of parameters with its own options (validated first).
  void add_param_group(const TensorList& params, const Options& options) {
    validate(options);
    add_params(params);
    options_.push_back(options);
    on_group_added(options_.size() - 1);
  }
  const Options& options(size_t group) const { return options_.at(group); }
  /// Replaces the options of every group (one per group, all validated first), as editing
  /// param_groups between steps does.
  void set_options(const std::vector<Options>& options) {
    ND_CHECK(options.size() == options_.size(), ValueError, "[", name(), "] got options for ", options.size(),
             " parameter groups but the optimizer has ", options_.size());
    for (const Options& o : options) validate(o);
    options_ = options;
  }

 protected:
  /// Raises ValueError on an option out of its range.
  virtual void validate(const Options& o) const = 0;
  /// Called once a group exists (Adagrad creates its state here, as PyTorch does).
  virtual void on_group_added(size_t group) { (void)group; }
  std::vector<Options> options_;
};

#define ND_OPTIMIZER_CLASS(Cls)                                                                 \
  class Cls : public OptimizerWithOptions<Cls##Options> {                                       \
   public:                                                                                      \
    Cls() = default;                                                                            \
    Cls(const TensorList& params, const Cls##Options& options = {}) { add_param_group(params, options); } \
    const char* name() const override { return #Cls; }                                         \
                                                                                                \
   protected:                                                                                   \
    void validate(const Cls##Options& o) const override;                                       \
    void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) override;  \
    std::vector<std::string> state_names() const override;                         \
  }

ND_OPTIMIZER_CLASS(SGD);
ND_OPTIMIZER_CLASS(Adadelta);
ND_OPTIMIZER_CLASS(RMSprop);
ND_OPTIMIZER_CLASS(Adam);
ND_OPTIMIZER_CLASS(Adamax);
ND_OPTIMIZER_CLASS(NAdam);
ND_OPTIMIZER_CLASS(RAdam);
#undef ND_OPTIMIZER_CLASS

/// Adagrad: its accumulator starts at initial_accumulator_value, so state exists from the start.
class Adagrad : public OptimizerWithOptions<AdagradOptions> {
 public:
  Adagrad() = default;
  Adagrad(const TensorList& params, const AdagradOptions& options = {}) { add_param_group(params, options); }
  const char* name() const override { return "Adagrad"; }

 protected:
  void validate(const AdagradOptions& o) const override;
  void on_group_added(size_t group) override;
  void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) override;
  std::vector<std::string> state_names() const override;
};

/// AdamW's defaults: Adam's with weight_decay 1e-2.
struct AdamWOptions : AdamOptions {
  AdamWOptions() { weight_decay = 1e-2; }
};

/// AdamW: Adam with weight decay applied to the parameter (decoupled).
class AdamW : public Adam {
 public:
  AdamW() = default;
  AdamW(const TensorList& params, const AdamOptions& options = AdamWOptions()) { add_param_group(params, options); }
  const char* name() const override { return "AdamW"; }

 protected:
  void update(size_t group, Tensor& param, const Tensor& grad, ParamState& state) override;
};

}  // namespace nd::optim
