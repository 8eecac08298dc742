// Scaled dot-product attention (PyTorch's semantics): softmax(q k^T * scale + mask) v over
// (..., L, E) queries, (..., S, E) keys and (..., S, Ev) values.
#pragma once
#include <optional>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

/// attn_mask (broadcastable to (..., L, S)): bool (true = takes part) or additive float.
/// is_causal masks key j > query i (no attn_mask then). scale defaults to 1/sqrt(E).
/// dropout_p drops attention weights (in training: the caller passes 0 in eval).
/// Materializes only the score matrix and its softmax; differentiable twice.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = {}, double dropout_p = 0.0, bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);
/// As scaled_dot_product_attention; also returns the attention weights (after dropout):
/// {output (..., L, Ev), weights (..., L, S)}.
std::vector<Tensor> attention_with_weights(const Tensor& query, const Tensor& key, const Tensor& value,
                                           const Tensor& attn_mask, double dropout_p, bool is_causal,
                                           std::optional<double> scale);

}  // namespace nd
