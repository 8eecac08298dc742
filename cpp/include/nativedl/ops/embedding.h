// Embedding lookups and bags (PyTorch's semantics). Indices are int64 or int32 tensors.
#pragma once
#include <optional>
#include <string>

#include "nativedl/tensor.h"

namespace nd {

/// weight[indices]: (*indices.shape, D) for a (N, D) weight. Indices outside [0, N) raise
/// IndexError. The gradient is scattered back into weight's rows (index_add); the row
/// padding_idx (negative: counted from N) receives none; scale_grad_by_freq divides each
/// row's gradient by how often its index occurs in `indices`. Differentiable twice.
Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx = std::nullopt,
                 bool scale_grad_by_freq = false);
/// Rescales, in place and without recording history, each row of weight referenced by
/// indices whose norm_type-norm exceeds max_norm to norm max_norm (PyTorch: scale
/// max_norm / (norm + 1e-7)). Returns weight.
Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type);
/// Sums ("sum") or averages ("mean") the embeddings of each bag: input (B, L) is B bags of L;
/// input 1-d with offsets (B) (or (B + 1) with include_last_offset) gives bag b the indices
/// [offsets[b], offsets[b + 1]). per_sample_weights (same shape as input, "sum" only) scales
/// each embedding. Entries equal to padding_idx are left out (and not counted by "mean");
/// an empty bag gives zeros. Returns (B, D).
Tensor embedding_bag(const Tensor& weight, const Tensor& input, const Tensor& offsets, const std::string& mode,
                     const Tensor& per_sample_weights, bool include_last_offset,
                     std::optional<int64_t> padding_idx = std::nullopt);

}  // namespace nd
