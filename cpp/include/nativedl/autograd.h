// Reverse-mode automatic differentiation: graph nodes, the backward engine and grad mode.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

using TensorList = std::vector<Tensor>;

/// Where a gradient flows: input `input_nr` of `node`.
struct Edge {
  std::shared_ptr<Node> node;
  int input_nr = 0;
};

/// Shape and dtype of a forward output, so the engine can make zeros for
/// outputs that received no gradient.
struct OutputMeta {
  Shape shape;
  DType dtype;
};

/// One recorded operation. Its inputs during backward are the gradients of its
/// forward outputs; it returns the gradients of its forward inputs, one per edge.
class Node : public std::enable_shared_from_this<Node> {
 public:
  /// Releases the graph behind this node iteratively, so dropping a 100,000-node chain
  /// does not recurse 100,000 destructors deep.
  virtual ~Node();
  /// PyTorch-style name, e.g. "MulBackward0".
  virtual std::string name() const = 0;
  /// Computes input gradients from output gradients (undefined entries become zeros first).
  virtual TensorList apply(const TensorList& grad_outputs) = 0;
  /// Frees saved tensors; a later apply raises (a second backward without retain_graph).
  virtual void release_saved() {}

  std::vector<Edge> next_edges;
  std::vector<OutputMeta> outputs;
  /// Hooks per forward output, run on the gradient before apply (tensor hooks, retain_grad).
  std::vector<std::vector<TensorHook>> pre_hooks;
  /// retain_grad() per forward output, run after pre_hooks so .grad sees the hooked gradient
  /// whatever the registration order (as PyTorch).
  std::vector<TensorHook> retain_grad_hooks;
  /// Order of creation: a later node is processed earlier among ready nodes.
  uint64_t sequence_nr = 0;
};

/// A node whose backward is a function (the usual case: the backward rule of an op).
class FunctionNode : public Node {
 public:
  using Backward = std::function<TensorList(const TensorList& grads)>;
  FunctionNode(std::string name, Backward fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  TensorList apply(const TensorList& grads) override;
  void release_saved() override { fn_ = nullptr; }
 private:
  std::string name_;
  Backward fn_;
};

/// A tensor kept for backward; unpack() raises if it was modified in place since.
/// An output of the saving node is kept without its history (the node would own itself);
/// unpack() during that node's backward gives it back its grad_fn, so double backward works.
class SavedTensor {
 public:
  SavedTensor() = default;
  /// `output_nr` >= 0: the tensor is that output of the node that saves it.
  explicit SavedTensor(const Tensor& t, int output_nr = -1);
  Tensor unpack() const;
  bool defined() const { return data_.defined(); }
 private:
  Tensor data_;
  uint32_t version_ = 0;
  int output_nr_ = -1;
};

/// Whether ops record history (false inside no_grad).
bool grad_mode_enabled();
void set_grad_mode_enabled(bool enabled);

/// RAII: sets grad mode for a scope and restores it.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(grad_mode_enabled()) { set_grad_mode_enabled(enabled); }
  ~GradModeGuard() { set_grad_mode_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;
 private:
  bool prev_;
};
/// RAII: no history is recorded in this scope.
struct NoGradGuard : GradModeGuard { NoGradGuard() : GradModeGuard(false) {} };

namespace autograd {

/// True if any tensor requires grad and grad mode is on.
bool any_requires_grad(std::initializer_list<const Tensor*> ts);
bool any_requires_grad(const TensorList& ts);

/// Records a node named `name` whose inputs are `inputs` and outputs `outputs`, when any
/// input requires grad. `fn` maps output gradients to one gradient per input
/// (undefined where an input needs none). Returns the node, or null when nothing was recorded.
std::shared_ptr<Node> record(const char* name, const TensorList& inputs, const TensorList& outputs,
                             FunctionNode::Backward fn);

/// Checks that `self` may be written in place by `op` given its operands; raises otherwise
/// (a leaf that requires grad, or a view when autograd is involved).
void check_inplace(const Tensor& self, const TensorList& others, const char* op);

/// After an in-place op wrote `result`'s values into `self`: gives self the history of result
/// (a view's base gets it too, see Note [In-place on views]); a result without history makes
/// self a constant. Does nothing outside grad mode.
void rebase_history(const Tensor& self, const Tensor& result);

/// Records an in-place op that wrote its result straight into `self` (no copy of the old
/// values) and whose backward reads only that result: `fn(grad, result)` gives the gradient of
/// self's previous value. Call after the write and the version bump; rebases self's history
/// onto the new node as rebase_history does. Does nothing unless self requires grad.
void record_inplace(const char* name, const Tensor& self, std::function<Tensor(const Tensor&, const Tensor&)> fn);

/// The edge a gradient for `t` flows into (its grad_fn, or its leaf accumulator).
Edge gradient_edge(const Tensor& t);

/// Runs backward from `outputs` with `grad_outputs` (defined for each output), accumulating
/// into the .grad of the leaves.
void backward(const TensorList& outputs, const TensorList& grad_outputs, bool retain_graph,
              bool create_graph);

/// Returns d(outputs)/d(inputs) contracted with grad_outputs, without touching .grad.
/// An input the outputs do not depend on gives an undefined tensor if allow_unused, else raises.
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph, bool create_graph, bool allow_unused);

}  // namespace autograd
}  // namespace nd
