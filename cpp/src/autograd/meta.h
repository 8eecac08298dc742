// Per-tensor autograd state, created the first time autograd touches a tensor.
#pragma once
#include <memory>

#include "nativedl/autograd.h"

namespace nd {

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  int output_nr = 0;
  // Leaves: their AccumulateGrad node, owned here so hooks registered on it live as long as
  // the leaf (the node refers back to the leaf weakly, so there is no cycle).
  std::shared_ptr<Node> grad_accumulator;
  bool retains_grad = false;
};

namespace autograd {
/// The tensor's meta, created if absent.
AutogradMeta& meta(const Tensor& t);
/// The tensor's meta or null.
inline AutogradMeta* meta_or_null(const Tensor& t) { return t.impl()->autograd.get(); }
}  // namespace autograd
}  // namespace nd
