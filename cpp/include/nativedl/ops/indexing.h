// Indexing ops: advanced (integer/boolean tensor) indexing, gather/scatter, masks, sorting.
#pragma once
#include <optional>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

/// One entry per leading dim of an indexed tensor: an index tensor, or nothing (the whole dim).
using IndexList = std::vector<std::optional<Tensor>>;

/// aten::index: x indexed by integer (int64/int32) or boolean (bool/uint8) tensors, one per
/// leading dim. Boolean masks stand for their nonzero coordinates; index tensors broadcast
/// together. The indexed dims are replaced by the broadcast index shape, in place when the
/// indexed dims are adjacent, else at the front (as NumPy). Negative indices count from the end.
Tensor index(const Tensor& x, const IndexList& indices);
/// Out of place index_put_: a copy of x with x[indices] = values (or += when accumulate).
Tensor index_put(const Tensor& x, const IndexList& indices, const Tensor& values, bool accumulate = false);
/// x[indices] = values (broadcast to the indexed shape), or += with accumulate (repeated
/// indices then add up); without accumulate the last of repeated indices wins.
Tensor& index_put_(Tensor& x, const IndexList& indices, const Tensor& values, bool accumulate = false);
/// Entries of x along dim at the positions of a 1-d (or 0-d) integer index.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// A copy of x with alpha * source[.., i, ..] added to x[.., index[i], ..] along dim.
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
Tensor& index_add_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
/// out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on): out has index's shape.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// A copy of x with x[index[i][j][k]][j][k] = src[i][j][k] for dim 0 (and so on).
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, Scalar value);
Tensor& scatter_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_(Tensor& x, int64_t dim, const Tensor& index, Scalar value);
/// As scatter, adding (repeated indices add up).
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_add_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// x with `value` where mask (bool, broadcast to x's shape) is true; value is a number or a
/// 0-d tensor (differentiable).
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor& masked_fill_(Tensor& x, const Tensor& mask, Scalar value);
Tensor& masked_fill_(Tensor& x, const Tensor& mask, const Tensor& value);
/// The entries of x (broadcast with mask) where mask is true, as a 1-d tensor.
Tensor masked_select(const Tensor& x, const Tensor& mask);
/// Coordinates of the nonzero entries: an int64 tensor (count, x.dim()).
Tensor nonzero(const Tensor& x);
/// The same coordinates as one 1-d tensor per dim.
std::vector<Tensor> nonzero_tuple(const Tensor& x);
/// x flattened, indexed by an integer tensor (the result has index's shape).
Tensor take(const Tensor& x, const Tensor& index);

/// sort's and topk's result: values and their int64 positions along the dim.
struct SortResult {
  Tensor values;
  Tensor indices;
};
/// Sorts along dim (NaN above every number); stable keeps the input order of ties
/// (ties always keep it here, so `stable` only documents the request).
SortResult sort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
/// The positions sort() would give.
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
/// The k largest (or smallest) entries along dim, sorted (`sorted` = false allows any order).
SortResult topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true);

}  // namespace nd
