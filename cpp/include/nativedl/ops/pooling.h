// Pooling over the trailing spatial dims of (C, L) / (N, C, L) (1-d) and (C, H, W) /
// (N, C, H, W) (2-d) inputs, PyTorch's semantics: output size
// floor_or_ceil((in + 2*padding - dilation*(k-1) - 1) / stride) + 1, where with ceil_mode a
// last window that would start in the right padding is dropped; padding at most half the
// kernel. Max-pool indices are flat (h * W + w) positions within each input plane.
#pragma once
#include <optional>
#include <tuple>

#include "nativedl/tensor.h"

namespace nd {

/// Two ints: (height, width) for 2-d ops; 1-d ops use only the first.
using Size2 = std::vector<int64_t>;

/// (values, indices) of 2-d max pooling; `stride` empty means kernel_size. The gradient goes
/// to the recorded maximum of each window.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const Size2& kernel_size, const Size2& stride = {},
                                                   const Size2& padding = {0, 0}, const Size2& dilation = {1, 1},
                                                   bool ceil_mode = false);
/// The same over the last dim of a 2-d or 3-d input.
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride,
                                                   int64_t padding = 0, int64_t dilation = 1, bool ceil_mode = false);
/// The values of max_pool2d_with_indices / max_pool1d_with_indices alone (their backward
/// then keeps one byte per output instead of the indices).
Tensor max_pool2d(const Tensor& x, const Size2& kernel_size, const Size2& stride = {}, const Size2& padding = {0, 0},
                  const Size2& dilation = {1, 1}, bool ceil_mode = false);
Tensor max_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding = 0,
                  int64_t dilation = 1, bool ceil_mode = false);
/// 2-d average pooling; the divisor is the window size counting padding (count_include_pad),
/// or only the input elements it covers, or divisor_override when given (non-zero).
Tensor avg_pool2d(const Tensor& x, const Size2& kernel_size, const Size2& stride = {}, const Size2& padding = {0, 0},
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor avg_pool1d(const Tensor& x, int64_t kernel_size, std::optional<int64_t> stride, int64_t padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);
/// Adaptive pooling to `output_size`: output cell i covers input [floor(i*in/out), ceil((i+1)*in/out)).
Tensor adaptive_avg_pool2d(const Tensor& x, const Size2& output_size);
Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& x, const Size2& output_size);
std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& x, int64_t output_size);
/// Inverse of max pooling: zeros of (..., output_size[0], output_size[1]) with x's values
/// placed at `indices` (flat positions per plane, as max_pool2d_with_indices returns).
Tensor max_unpool2d(const Tensor& x, const Tensor& indices, const Size2& output_size);

}  // namespace nd
