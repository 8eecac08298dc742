// Activations with PyTorch's definitions and defaults (torch.nn.functional). Each is one fused
// kernel forward and one fused kernel backward; under create_graph the backward is written
// with differentiable ops instead, so higher derivatives work. Floating inputs only.
// sigmoid, tanh and relu are elementwise ops (nativedl/ops/elementwise.h).
#pragma once
#include <string>

#include "nativedl/tensor.h"

namespace nd {

/// Clamps into [min_val, max_val]; the gradient is 0 at and beyond the bounds.
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// hardtanh(x, 0, 6).
Tensor relu6(const Tensor& x);
/// hardtanh written into x (relu6 in place is hardtanh_(x, 0, 6)); its backward keeps its own
/// copy of the clamped values, so later writes to x don't affect it (as in PyTorch).
Tensor& hardtanh_(Tensor& x, double min_val = -1.0, double max_val = 1.0);
/// x > 0 ? x : negative_slope * x.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// scale * (x > 0 ? x : alpha * (exp(x * input_scale) - 1)).
Tensor elu(const Tensor& x, double alpha = 1.0, double scale = 1.0, double input_scale = 1.0);
/// elu with alpha = 1.6732632423543772, scale = 1.0507009873554805 (Klambauer et al.).
Tensor selu(const Tensor& x);
/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)); alpha must not be 0.
Tensor celu(const Tensor& x, double alpha = 1.0);
/// x * Phi(x) ("none") or its tanh approximation ("tanh").
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
/// x * sigmoid(x).
Tensor silu(const Tensor& x);
/// x * tanh(softplus(x)).
Tensor mish(const Tensor& x);
/// relu6(x + 3) / 6.
Tensor hardsigmoid(const Tensor& x);
/// x * relu6(x + 3) / 6.
Tensor hardswish(const Tensor& x);
/// log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold. Stable for any x.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
/// x / (1 + |x|).
Tensor softsign(const Tensor& x);
/// log(sigmoid(x)) = -softplus(-x), stable for any x.
Tensor logsigmoid(const Tensor& x);
/// exp(x) / sum(exp(x)) along dim, computed from x - max (finite for any finite x).
Tensor softmax(const Tensor& x, int64_t dim);
/// x - max - log(sum(exp(x - max))) along dim.
Tensor log_softmax(const Tensor& x, int64_t dim);
/// Per-row cross-entropy of logits x (N, C) with class-index target (N): logsumexp(x[n]) -
/// x[n][target[n]], 0 where target[n] == ignore_index; one fused pass each way.
Tensor cross_entropy_rows(const Tensor& x, const Tensor& target, int64_t ignore_index);

}  // namespace nd
