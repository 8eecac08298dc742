// Reductions over one or several dims, and cumulative scans. `dims` empty means every dim;
// negative dims count from the end; a dim listed twice raises. PyTorch's semantics throughout.
#pragma once
#include <optional>
#include <tuple>

#include "nativedl/tensor.h"

namespace nd {

/// Sum over `dims`; integer and bool inputs sum in int64 unless `dtype` says otherwise.
/// A float32 sum adds blocks in double, so it stays accurate over 10^7 elements.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
/// Mean over `dims`; floating inputs only.
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Product over `dim` (every element when absent); same dtype rules as sum. Its gradient is
/// exact with zeros in the input (the product of the other elements).
Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
            std::optional<DType> dtype = std::nullopt);

/// The largest element (a 0-d tensor); NaN if any element is NaN; raises on an empty tensor.
/// Its gradient is split evenly among tied maxima.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
/// (values, indices) of the maxima along `dim`; indices point at the first maximum (the first
/// NaN when there is one). The gradient flows to the indexed element.
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
/// Maxima over `dims`, with the gradient split evenly among ties.
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Index (int64) of the first maximum along `dim`, or in the flattened tensor when absent
/// (keepdim then gives a shape of ones).
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);

/// Variance: sum of squared deviations / max(0, N - correction); floating inputs only.
/// Computed in double from exact per-block moments, stable for a large mean.
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, double correction = 1, bool keepdim = false);
/// Standard deviation, sqrt(var) (PyTorch's torch.std); its gradient is 0 where it is 0.
Tensor std_dev(const Tensor& x, const std::vector<int64_t>& dims = {}, double correction = 1,
               bool keepdim = false);
/// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the maximum (0 for rows
/// whose maximum is infinite); -inf over an empty dim. Integer inputs become float.
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
/// Vector p-norm over `dims` (torch.norm): p = 0 (count of non-zeros), 1, 2, inf, -inf or any
/// other p > 0. Floating inputs only. The p = 2 gradient is 0 where the norm is 0.
Tensor norm(const Tensor& x, double p = 2, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Whether all (any) elements are non-zero; bool result (uint8 for a uint8 input, as PyTorch).
Tensor all(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor any(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);

/// Inclusive cumulative sum along `dim`; integer inputs give int64 unless `dtype` is given.
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
/// Inclusive cumulative product along `dim`; the gradient is exact with zeros in the input.
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);

/// Sums g down to `shape` over the dims broadcasting added (the backward of broadcasting).
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace nd
