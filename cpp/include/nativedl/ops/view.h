// Ops that return views: tensors sharing their input's storage (and version counter).
#pragma once
#include <optional>

#include "nativedl/tensor.h"

namespace nd {

/// Same data, new shape (one entry may be -1); raises if the layout can't be viewed so.
Tensor view(const Tensor& x, const Shape& shape);
/// A view when the layout allows, else a copy.
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
/// All dims reversed (PyTorch's .T).
Tensor t(const Tensor& x);
/// The last two dims swapped (PyTorch's .mT).
Tensor mT(const Tensor& x);
/// Broadcasts size-1 dims to `shape` without copying (-1 keeps a size).
Tensor expand(const Tensor& x, const Shape& shape);
/// Removes size-1 dims: all of them, or those listed.
Tensor squeeze(const Tensor& x, const std::optional<std::vector<int64_t>>& dims = std::nullopt);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// x[..., index, ...] along dim (the dim is removed).
Tensor select(const Tensor& x, int64_t dim, int64_t index);
/// x[start:end:step] along dim, with Python's clamping of start and end; step > 0.
Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
             int64_t step = 1);
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);
/// The diagonal with offset between two dims, as a view.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
/// x itself if contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& x);
/// A view with explicit shape, strides and offset (elements) over x's storage.
Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset);

}  // namespace nd
