// Convolutions over NCHW (2-D) and NCL (1-D) tensors with PyTorch's semantics: explicit
// zero padding, stride, dilation and groups; float32 and float64; differentiable twice and
// more (every gradient is itself a convolution). An unbatched input (no N dim) is accepted.
#pragma once
#include <array>

#include "nativedl/tensor.h"

namespace nd {

/// A pair of (height, width) parameters.
using Int2 = std::array<int64_t, 2>;

/// torch.nn.functional.conv2d: input (N, C, H, W), weight (O, C / groups, kH, kW), bias (O,)
/// or undefined; output (N, O, (H + 2p - d(k - 1) - 1) / s + 1, ...).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), Int2 stride = {1, 1},
              Int2 padding = {0, 0}, Int2 dilation = {1, 1}, int64_t groups = 1);
/// torch.nn.functional.conv1d: input (N, C, L), weight (O, C / groups, k), bias (O,).
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), int64_t stride = 1,
              int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);
/// torch.nn.functional.conv_transpose2d, the adjoint of conv2d in its input: input
/// (N, C_in, H, W), weight (C_in, O / groups, kH, kW), bias (O,); output size per dim
/// (i - 1) s - 2p + d (k - 1) + output_padding + 1, output_padding < max(stride, dilation).
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        Int2 stride = {1, 1}, Int2 padding = {0, 0}, Int2 output_padding = {0, 0},
                        int64_t groups = 1, Int2 dilation = {1, 1});
/// torch.nn.functional.conv_transpose1d: input (N, C_in, L), weight (C_in, O / groups, k).
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                        int64_t stride = 1, int64_t padding = 0, int64_t output_padding = 0, int64_t groups = 1,
                        int64_t dilation = 1);

}  // namespace nd
