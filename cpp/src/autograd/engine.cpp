// Graph recording and the iterative backward engine.
#include <algorithm>
#include <atomic>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/meta.h"
#include "nativedl/nativedl.h"
#include "ops/view_history.h"

namespace nd {

static thread_local bool t_grad_mode = true;
bool grad_mode_enabled() { return t_grad_mode; }
void set_grad_mode_enabled(bool enabled) { t_grad_mode = enabled; }

// The node whose backward is running on this thread; SavedTensor::unpack reattaches saved
// outputs to it.
static thread_local Node* t_current_node = nullptr;

Node::~Node() {
  static thread_local std::vector<std::shared_ptr<Node>> pending;
  static thread_local bool draining = false;
  for (Edge& e : next_edges)
    if (e.node) pending.push_back(std::move(e.node));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // may push n's children
  }
  draining = false;
}

TensorList FunctionNode::apply(const TensorList& grads) {
  ND_CHECK(fn_ != nullptr, Error, "[backward] trying to backward through the graph a second time (or to "
           "access saved tensors after they were freed): ", name_, "'s saved values were released. "
           "Specify retain_graph=True on the first backward call if you need to backward twice");
  Node* prev = t_current_node;
  t_current_node = this;
  struct Restore { Node* p; ~Restore() { t_current_node = p; } } restore{prev};
  return fn_(grads);
}

namespace {

std::atomic<uint64_t> g_sequence{0};

/// Adds incoming gradients into a leaf's .grad.
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(const Tensor& leaf) : leaf_(leaf.impl_ptr()) {
    outputs.push_back({leaf.shape(), leaf.dtype()});
    pre_hooks.resize(1);
    sequence_nr = UINT64_MAX;  // leaves go last among ready nodes
  }
  std::string name() const override { return "AccumulateGrad"; }
  TensorList apply(const TensorList& grads) override {
    auto impl = leaf_.lock();
    if (!impl) return {};  // the leaf is gone: nobody can read its .grad
    const Tensor leaf(std::move(impl));
    Tensor g = grads[0];
    // A gradient handed to several leaves (add's backward passes it through) must not be
    // shared: an in-place update of one leaf's .grad would change the other's.
    if (!grad_mode_enabled()) g = g.impl_ptr().use_count() > 1 ? clone(g) : g.detach();
    Tensor old = leaf.grad();
    leaf.set_grad(old.defined() ? add(old, g) : g);
    return {};
  }
 private:
  std::weak_ptr<TensorImpl> leaf_;
};

std::shared_ptr<Node> grad_accumulator(const Tensor& t) {
  AutogradMeta& m = autograd::meta(t);
  if (!m.grad_accumulator) m.grad_accumulator = std::make_shared<AccumulateGrad>(t);
  return m.grad_accumulator;
}

}  // namespace

SavedTensor::SavedTensor(const Tensor& t, int output_nr) : output_nr_(output_nr) {
  if (!t.defined()) return;
  data_ = output_nr >= 0 ? t.detach() : t;
  version_ = t.version();
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return data_;
  ND_CHECK(data_.version() == version_, Error, "[backward] one of the variables needed for gradient "
           "computation has been modified by an inplace operation: [", dtype_name(data_.dtype()), " ",
           shape_str(data_.shape()), "] is at version ", data_.version(), "; expected version ", version_,
           " instead");
  if (output_nr_ < 0 || t_current_node == nullptr) return data_;
  Tensor t = data_.detach();
  AutogradMeta& m = autograd::meta(t);
  m.grad_fn = t_current_node->shared_from_this();
  m.output_nr = output_nr_;
  return t;
}

namespace autograd {

AutogradMeta& meta(const Tensor& t) {
  auto& m = t.impl()->autograd;
  if (!m) m = std::make_unique<AutogradMeta>();
  return *m;
}

bool any_requires_grad(std::initializer_list<const Tensor*> ts) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor* t : ts)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool any_requires_grad(const TensorList& ts) {
  if (!grad_mode_enabled()) return false;
  for (const Tensor& t : ts)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (t.impl()->view_base) ops::refresh_view_history(t);
  if (t.grad_fn()) return {t.grad_fn(), t.output_nr()};
  if (t.requires_grad()) return {grad_accumulator(t), 0};
  return {};
}

std::shared_ptr<Node> record(const char* name, const TensorList& inputs, const TensorList& outputs,
                             FunctionNode::Backward fn) {
  if (!any_requires_grad(inputs)) return nullptr;
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->sequence_nr = g_sequence++;
  node->next_edges.reserve(inputs.size());
  for (const Tensor& in : inputs)
    node->next_edges.push_back(in.defined() && in.requires_grad() ? gradient_edge(in) : Edge{});
  node->pre_hooks.resize(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    AutogradMeta& m = meta(outputs[i]);
    m.grad_fn = node;
    m.output_nr = int(i);
    node->outputs.push_back({outputs[i].shape(), outputs[i].dtype()});
  }
  return node;
}

void record_inplace(const char* name, const Tensor& self, std::function<Tensor(const Tensor&, const Tensor&)> fn) {
  if (!any_requires_grad({&self})) return;
  // The new values under a fresh handle (same storage and version counter): the node's output,
  // while self still carries the history its input gradient flows into.
  const Tensor result = self.detach();
  const SavedTensor saved(result, 0);
  record(name, {self}, {result}, [saved, fn = std::move(fn)](const TensorList& g) {
    return TensorList{fn(g[0], saved.unpack())};
  });
  rebase_history(self, result);
}

void check_inplace(const Tensor& self, const TensorList& others, const char* op) {
  if (!grad_mode_enabled()) return;
  ND_CHECK(!(self.is_leaf() && self.requires_grad()), Error, "[", op, "] a leaf tensor that requires grad "
           "is being used in an in-place operation; wrap it in no_grad() or use an out-of-place op");
  const auto& base = self.impl()->view_base;
  if (base && (self.requires_grad() || any_requires_grad(others))) {
    const Tensor b(base);
    ND_CHECK(!(b.is_leaf() && b.requires_grad()), Error, "[", op, "] a view of a leaf tensor that requires grad is "
             "being used in an in-place operation; wrap it in no_grad() or modify a clone");
    ND_CHECK(ops::view_history_rebasable(self), Error, "[", op, "] in-place modification of a view of a "
             "non-contiguous base ", shape_str(b.shape()), " is not differentiable; use an out-of-place op");
  }
}

namespace {

struct NodeHash { size_t operator()(const Node* n) const { return std::hash<const Node*>()(n); } };

/// One backward pass: dependency counts, gradient buffers, and what grad() captures.
class GraphTask {
 public:
  GraphTask(bool retain_graph, bool create_graph) : retain_(retain_graph), create_(create_graph) {}

  void add_root(const Edge& e, const Tensor& grad) {
    roots_.push_back(e.node.get());
    accumulate(e, grad);
  }

  /// For grad(): capture the gradient flowing into `e` instead of accumulating into leaves.
  void add_capture(const Edge& e, size_t slot) { captures_[e.node.get()].push_back({e.input_nr, slot}); }

  void run(size_t ncaptured) {
    captured_.assign(ncaptured, Tensor());
    count_dependencies();
    auto later_first = [](Node* a, Node* b) { return a->sequence_nr < b->sequence_nr; };
    std::priority_queue<Node*, std::vector<Node*>, decltype(later_first)> ready(later_first);
    std::unordered_set<Node*, NodeHash> queued;
    for (Node* r : roots_)
      if (deps_[r] == 0 && queued.insert(r).second) ready.push(r);
    while (!ready.empty()) {
      Node* node = ready.top();
      ready.pop();
      TensorList grads = std::move(buffers_[node]);
      buffers_.erase(node);
      grads.resize(node->outputs.size());
      run_pre_hooks(node, grads);
      capture(node, grads);
      TensorList input_grads;
      if (should_execute(node)) input_grads = execute(node, grads);
      for (size_t j = 0; j < node->next_edges.size(); ++j) {
        const Edge& e = node->next_edges[j];
        if (!e.node) continue;
        if (j < input_grads.size() && input_grads[j].defined()) accumulate(e, input_grads[j]);
        if (--deps_[e.node.get()] == 0) ready.push(e.node.get());
      }
    }
  }

  TensorList& captured() { return captured_; }

 private:
  struct Capture { int input_nr; size_t slot; };

  void accumulate(const Edge& e, const Tensor& g) {
    TensorList& buf = buffers_[e.node.get()];
    if (buf.size() < e.node->outputs.size()) buf.resize(e.node->outputs.size());
    Tensor& slot = buf[size_t(e.input_nr)];
    slot = slot.defined() ? add(slot, g) : g;
  }

  // Counts, for every node reachable from the roots, the edges pointing at it, and marks
  // the nodes that lead to a capture (only those run in grad() mode).
  void count_dependencies() {
    std::unordered_set<Node*, NodeHash> seen;
    std::vector<std::pair<Node*, size_t>> stack;  // node, next edge to visit
    std::vector<Node*> postorder;
    for (Node* r : roots_) {
      if (!seen.insert(r).second) continue;
      stack.push_back({r, 0});
      while (!stack.empty()) {
        auto& [node, i] = stack.back();
        if (i < node->next_edges.size()) {
          Node* next = node->next_edges[i++].node.get();
          if (!next) continue;
          ++deps_[next];
          if (seen.insert(next).second) stack.push_back({next, 0});
        } else {
          postorder.push_back(node);
          stack.pop_back();
        }
      }
    }
    if (captures_.empty()) return;
    for (Node* n : postorder) {  // children come before parents
      bool need = captures_.count(n) > 0;
      for (const Edge& e : n->next_edges)
        if (e.node && needed_.count(e.node.get())) need = true;
      if (need) needed_.insert(n);
    }
  }

  bool should_execute(Node* node) const {
    if (captures_.empty()) return true;
    if (dynamic_cast<AccumulateGrad*>(node)) return false;
    for (const Edge& e : node->next_edges)
      if (e.node && needed_.count(e.node.get())) return true;
    return false;
  }

  void run_pre_hooks(Node* node, TensorList& grads) {
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) continue;
      for (size_t h = 0; i < node->pre_hooks.size() && h < node->pre_hooks[i].size(); ++h) {
        const TensorHook& hook = node->pre_hooks[i][h];
        if (!hook) continue;
        Tensor r = hook(grads[i]);
        if (r.defined()) grads[i] = r;
      }
      if (i < node->retain_grad_hooks.size() && node->retain_grad_hooks[i]) node->retain_grad_hooks[i](grads[i]);
    }
  }

  void capture(Node* node, const TensorList& grads) {
    auto it = captures_.find(node);
    if (it == captures_.end()) return;
    for (const Capture& c : it->second) {
      const Tensor& g = grads[size_t(c.input_nr)];
      captured_[c.slot] = create_ ? g : (g.defined() ? g.detach() : g);
    }
  }

  TensorList execute(Node* node, TensorList& grads) {
    const Tensor* given = nullptr;
    for (const Tensor& g : grads) if (given == nullptr && g.defined()) given = &g;
    if (given == nullptr) return {};
    // A node's outputs share one device: the missing gradients are zeros on the given one's.
    const Device device = given->device();
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined())
        grads[i] = zeros(node->outputs[i].shape, TensorOptions(node->outputs[i].dtype).with_device(device));
    TensorList out;
    {
      GradModeGuard mode(create_);
      out = node->apply(grads);
    }
    ND_CHECK(out.empty() || out.size() == node->next_edges.size(), Error, "[backward] ", node->name(),
             " returned ", out.size(), " gradients for ", node->next_edges.size(), " inputs");
    if (!retain_) node->release_saved();
    return out;
  }

  bool retain_, create_;
  std::vector<Node*> roots_;
  std::unordered_map<Node*, int, NodeHash> deps_;
  std::unordered_map<Node*, TensorList, NodeHash> buffers_;
  std::unordered_map<Node*, std::vector<Capture>, NodeHash> captures_;
  std::unordered_set<Node*, NodeHash> needed_;
  TensorList captured_;
};

Tensor root_gradient(const Tensor& out, const Tensor& given, size_t i, const char* op) {
  ND_CHECK(out.requires_grad(), Error, "[", op, "] element ", i, " of tensors does not require grad and "
           "does not have a grad_fn");
  if (!given.defined()) {
    ND_CHECK(out.numel() == 1, Error, "[", op, "] grad can be implicitly created only for scalar outputs; "
             "output ", i, " has shape ", shape_str(out.shape()), ": pass a gradient");
    return ones_like(out);
  }
  ND_CHECK(given.shape() == out.shape(), ValueError, "[", op, "] gradient ", i, " has shape ",
           shape_str(given.shape()), " but the output has shape ", shape_str(out.shape()));
  return given;
}

}  // namespace

void backward(const TensorList& outputs, const TensorList& grad_outputs, bool retain_graph,
              bool create_graph) {
  GraphTask task(retain_graph || create_graph, create_graph);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor g = root_gradient(outputs[i], i < grad_outputs.size() ? grad_outputs[i] : Tensor(), i, "backward");
    task.add_root(gradient_edge(outputs[i]), g);
  }
  task.run(0);
}

TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs,
                bool retain_graph, bool create_graph, bool allow_unused) {
  GraphTask task(retain_graph || create_graph, create_graph);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor g = root_gradient(outputs[i], i < grad_outputs.size() ? grad_outputs[i] : Tensor(), i, "grad");
    task.add_root(gradient_edge(outputs[i]), g);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    ND_CHECK(inputs[i].requires_grad(), Error, "[grad] input ", i, " does not require grad");
    task.add_capture(gradient_edge(inputs[i]), i);
  }
  task.run(inputs.size());
  TensorList result = std::move(task.captured());
  for (size_t i = 0; i < result.size(); ++i)
    ND_CHECK(result[i].defined() || allow_unused, Error, "[grad] one of the differentiated tensors (input ", i,
             ") appears to not have been used in the graph; set allow_unused=True if this is the desired "
             "behavior");
  return result;
}

}  // namespace autograd

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

void Tensor::retain_grad() const {
  ND_CHECK(requires_grad(), Error, "[retain_grad] can't retain_grad on a tensor that has requires_grad=False");
  if (is_leaf() || retains_grad()) return;
  autograd::meta(*this).retains_grad = true;
  std::weak_ptr<TensorImpl> weak = impl_ptr();
  auto& retain_hooks = grad_fn()->retain_grad_hooks;
  if (retain_hooks.size() <= size_t(output_nr())) retain_hooks.resize(size_t(output_nr()) + 1);
  retain_hooks[size_t(output_nr())] = [weak](const Tensor& g) {
    if (auto impl = weak.lock()) {
      Tensor self(impl);
      Tensor old = self.grad();
      self.set_grad(old.defined() ? add(old, g) : (grad_mode_enabled() ? g : clone(g)));
    }
    return Tensor();
  };
}

std::function<void()> Tensor::register_hook(TensorHook hook) const {
  ND_CHECK(requires_grad(), Error, "[register_hook] cannot register a hook on a tensor that doesn't require "
           "gradient");
  Edge e = autograd::gradient_edge(*this);
  auto& hooks = e.node->pre_hooks[size_t(e.input_nr)];
  hooks.push_back(std::move(hook));
  std::weak_ptr<Node> weak = e.node;
  const size_t slot = hooks.size() - 1, input = size_t(e.input_nr);
  // Removal empties the slot rather than erasing it, so other handles stay valid.
  return [weak, input, slot] { if (auto n = weak.lock()) n->pre_hooks[input][slot] = nullptr; };
}

}  // namespace nd
