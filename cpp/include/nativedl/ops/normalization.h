// Normalization layers' numerics: batch, layer, group and instance norm, PyTorch's semantics.
// Optional tensors are passed as undefined Tensors. The forward and the backward are each one
// fused pass family (Note [Normalization layout] in cpu/norm_kernels.h); under create_graph
// the backward is recomputed from a composition of ops, so double backward works.
#pragma once
#include "nativedl/tensor.h"

namespace nd {

/// Normalizes an (N, C, ...) input per channel. training: with the batch's mean and biased
/// variance, and updates running_mean / running_var in place (when defined) as
/// (1 - momentum) * running + momentum * batch_statistic, the variance unbiased. Raises when a
/// channel has one value. Not training: with the running statistics (required).
/// y = (x - mean) / sqrt(var + eps) * weight + bias, weight and bias of shape (C) or undefined.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps);
/// Normalizes over the trailing dims `normalized_shape`; weight/bias have that shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
/// Normalizes an (N, C, ...) input over groups of C / num_groups channels; weight/bias (C).
Tensor group_norm(const Tensor& x, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps);
/// Normalizes each (sample, channel) plane of an (N, C, ...) input. use_input_stats: with its
/// own statistics, updating the running statistics (when defined) with their mean over the
/// batch; otherwise with the running statistics.
Tensor instance_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                     const Tensor& bias, bool use_input_stats, double momentum, double eps);

}  // namespace nd
