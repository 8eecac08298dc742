// Scaled dot-product attention composed of ops (so it is differentiable twice): the scale is
// applied to q (smaller than the scores), the mask is applied in place on the fresh score
// matrix when nothing records history, and the softmax is the only other (L, S) tensor.
#include <cmath>

#include "core/shape.h"
#include "nativedl/nativedl.h"

namespace nd {

std::vector<Tensor> attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                           double dropout_p, bool is_causal, std::optional<double> scale) {
  const char* op = "scaled_dot_product_attention";
  ND_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ValueError, "[", op,
           "] query, key and value need at least 2 dims (..., L, E), got ", shape_str(q.shape()), ", ",
           shape_str(k.shape()), ", ", shape_str(v.shape()));
  ND_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(), TypeError, "[", op,
           "] query, key and value must share one floating dtype, got ", dtype_name(q.dtype()), ", ",
           dtype_name(k.dtype()), ", ", dtype_name(v.dtype()));
  const int64_t E = q.shape().back(), L = q.shape()[size_t(q.dim() - 2)], S = k.shape()[size_t(k.dim() - 2)];
  ND_CHECK(k.shape().back() == E, ValueError, "[", op, "] key ", shape_str(k.shape()), " must have the query's ",
           "embedding size ", E, " in its last dim (query ", shape_str(q.shape()), ")");
  ND_CHECK(v.shape()[size_t(v.dim() - 2)] == S, ValueError, "[", op, "] value ", shape_str(v.shape()),
           " must have as many positions (dim -2) as key ", shape_str(k.shape()));
  ND_CHECK(!(is_causal && mask.defined()), ValueError, "[", op, "] pass either attn_mask or is_causal=True, not both");
  ND_CHECK(dropout_p >= 0 && dropout_p <= 1, ValueError, "[", op, "] dropout_p must be in [0, 1], got ", dropout_p);
  const double s = scale ? *scale : 1.0 / std::sqrt(double(E));
  Tensor scores = matmul(q * Scalar(s), mT(k));
  // In place on the fresh scores unless autograd records (scores may be a view of the GEMM
  // output) or the mask broadcasts the scores to a larger shape.
  const bool grad = grad_mode_enabled() && (q.requires_grad() || k.requires_grad() ||
                                            (mask.defined() && mask.requires_grad()));
  auto in_place = [&](const Tensor& m) {
    return !grad && core::broadcast_shapes(scores.shape(), m.shape(), op) == scores.shape();
  };
  Tensor drop;  // positions that take no part, as a bool mask
  if (is_causal) drop = triu(ones({L, S}, DType::Bool), 1);
  if (mask.defined()) {
    if (mask.dtype() == DType::Bool) {
      drop = logical_not(mask);
    } else {
      ND_CHECK(mask.dtype() == q.dtype(), TypeError, "[", op, "] attn_mask must be bool or of the query's dtype ",
               dtype_name(q.dtype()), ", got ", dtype_name(mask.dtype()));
      if (in_place(mask)) add_(scores, mask);
      else scores = scores + mask;
    }
  }
  if (drop.defined()) {
    if (in_place(drop)) masked_fill_(scores, drop, Scalar(-INFINITY));
    else scores = masked_fill(scores, drop, Scalar(-INFINITY));
  }
  Tensor attn = softmax(scores, -1);
  if (dropout_p > 0) attn = dropout(attn, dropout_p, true);
  return {matmul(attn, v), attn};
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale) {
  return attention_with_weights(q, k, v, mask, dropout_p, is_causal, scale)[0];
}

}  // namespace nd
