// Matrix products and contractions, with PyTorch's shape rules. All are differentiable
// for float dtypes; integer dtypes compute exactly (with wrap-around), bool is rejected.
#pragma once
#include <string>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

/// torch.matmul: dot (1-D x 1-D), matrix-vector, vector-matrix (the 1 is prepended, then
/// removed), matrix product, and batched products broadcasting the batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);
/// Matrix product of two 2-D tensors.
Tensor mm(const Tensor& a, const Tensor& b);
/// Batched matrix product of two 3-D tensors with the same batch size.
Tensor bmm(const Tensor& a, const Tensor& b);
/// Matrix (n, m) times vector (m,): a vector (n,).
Tensor mv(const Tensor& mat, const Tensor& vec);
/// Inner product of two 1-D tensors of equal length: a 0-d tensor.
Tensor dot(const Tensor& a, const Tensor& b);
/// Outer product of two 1-D tensors: out[i, j] = a[i] * b[j].
Tensor outer(const Tensor& a, const Tensor& b);
/// beta * input + alpha * (mat1 @ mat2); input broadcasts to the product's shape and is
/// not read when beta == 0 (its NaNs don't propagate).
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, Scalar beta = 1, Scalar alpha = 1);
/// beta * input + alpha * bmm(batch1, batch2), input broadcast as in addmm.
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1,
               Scalar alpha = 1);
/// Einstein summation: "ij,jk->ik", implicit output ("ij,jk"), repeated subscripts in one
/// operand (diagonals: "ii->i", traces: "ii"), "..." for broadcast batch dims.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
/// Sums the products of a and b over dims_a of a paired with dims_b of b; the result has
/// a's remaining dims followed by b's.
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b);
/// tensordot over the last `dims` dims of a and the first `dims` dims of b.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims);

}  // namespace nd
