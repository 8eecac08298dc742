// Reductions over one or several dims.
#pragma once
#include <optional>

#include "nativedl/tensor.h"

namespace nd {

/// Sum over `dims` (all dims when empty); integer inputs sum in int64, bool too.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
/// Mean over `dims` (all dims when empty); floating inputs only.
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Sums g down to `shape` over the dims broadcasting added (the backward of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace nd
