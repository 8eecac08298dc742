// Scaled dot-product attention. attention_with_weights composes ops (it returns the weights
// and supports dropout); scaled_dot_product_attention without dropout is fused: the scores,
// the mask and the softmax share one (L, S) buffer, which backward reuses.
#include <cmath>

#include "core/shape.h"
#include "cpu/activation_kernels.h"
#include "ops/iter.h"
#include "nativedl/nativedl.h"

namespace nd {

namespace {

void check_attention_args(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                          bool is_causal) {
  const char* op = "scaled_dot_product_attention";
  ND_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ValueError, "[", op,
           "] query, key and value need at least 2 dims (..., L, E), got ", shape_str(q.shape()), ", ",
           shape_str(k.shape()), ", ", shape_str(v.shape()));
  ND_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(), TypeError, "[", op,
           "] query, key and value must share one floating dtype, got ", dtype_name(q.dtype()), ", ",
           dtype_name(k.dtype()), ", ", dtype_name(v.dtype()));
  const int64_t E = q.shape().back(), S = k.shape()[size_t(k.dim() - 2)];
  ND_CHECK(k.shape().back() == E, ValueError, "[", op, "] key ", shape_str(k.shape()), " must have the query's ",
           "embedding size ", E, " in its last dim (query ", shape_str(q.shape()), ")");
  ND_CHECK(v.shape()[size_t(v.dim() - 2)] == S, ValueError, "[", op, "] value ", shape_str(v.shape()),
           " must have as many positions (dim -2) as key ", shape_str(k.shape()));
  ND_CHECK(!(is_causal && mask.defined()), ValueError, "[", op, "] pass either attn_mask or is_causal=True, not both");
  ND_CHECK(dropout_p >= 0 && dropout_p <= 1, ValueError, "[", op, "] dropout_p must be in [0, 1], got ", dropout_p);
  if (mask.defined() && mask.dtype() != DType::Bool)
    ND_CHECK(mask.dtype() == q.dtype(), TypeError, "[", op, "] attn_mask must be bool or of the query's dtype ",
             dtype_name(q.dtype()), ", got ", dtype_name(mask.dtype()));
}

// The positions above the diagonal (the future), on the queries' device.
Tensor causal_mask(int64_t L, int64_t S, Device device) {
  return triu(ones({L, S}, TensorOptions(DType::Bool).with_device(device)), 1);
}

}  // namespace

std::vector<Tensor> attention_with_weights(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                           double dropout_p, bool is_causal, std::optional<double> scale) {
  const char* op = "scaled_dot_product_attention";
  check_attention_args(q, k, v, mask, dropout_p, is_causal);
  const int64_t E = q.shape().back(), L = q.shape()[size_t(q.dim() - 2)], S = k.shape()[size_t(k.dim() - 2)];
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
  if (is_causal) drop = causal_mask(L, S, q.device());
  if (mask.defined()) {
    if (mask.dtype() == DType::Bool) {
      drop = logical_not(mask);
    } else {
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

namespace {

// Softmax over the last dim of a fresh contiguous tensor, in place on its device (the row
// kernels read each element before writing it).
void softmax_last_dim_inplace(Tensor& t) {
  cpu::SoftmaxArgs a;
  a.dtype = t.dtype();
  a.len = t.shape().back();
  a.outer = a.len == 0 ? 0 : t.numel() / a.len;
  a.x = a.out = t.device_data_ptr();
  ops::launch_on(t.device(), "scaled_dot_product_attention", cpu::softmax_forward_stub, a);
}

// The fused path handles masks that broadcast to the score matrix (not the other way round).
bool fusable(const Tensor& q, const Tensor& k, const Tensor& mask, double dropout_p) {
  if (dropout_p > 0) return false;
  if (!mask.defined()) return true;
  Shape full = core::broadcast_shapes(Shape(q.shape().begin(), q.shape().end() - 2),
                                     Shape(k.shape().begin(), k.shape().end() - 2), "scaled_dot_product_attention");
  full.push_back(q.shape()[size_t(q.dim() - 2)]);
  full.push_back(k.shape()[size_t(k.dim() - 2)]);
  return core::broadcast_shapes(full, mask.shape(), "scaled_dot_product_attention") == full;
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                    double dropout_p, bool is_causal, std::optional<double> scale) {
  check_attention_args(q, k, v, mask, dropout_p, is_causal);
  if (!fusable(q, k, mask, dropout_p) || q.numel() == 0 || k.numel() == 0)
    return attention_with_weights(q, k, v, mask, dropout_p, is_causal, scale)[0];
  const double s = scale ? *scale : 1.0 / std::sqrt(double(q.shape().back()));
  Tensor probs, out;
  {
    NoGradGuard no_grad;
    probs = contiguous(matmul(q * Scalar(s), mT(k)));
    const int64_t L = q.shape()[size_t(q.dim() - 2)], S = k.shape()[size_t(k.dim() - 2)];
    if (is_causal) masked_fill_(probs, causal_mask(L, S, q.device()), Scalar(-INFINITY));
    if (mask.defined()) {
      if (mask.dtype() == DType::Bool) masked_fill_(probs, logical_not(mask), Scalar(-INFINITY));
      else add_(probs, mask);
    }
    softmax_last_dim_inplace(probs);
    out = matmul(probs, v);
  }
  const Tensor add_mask = mask.defined() && mask.dtype() != DType::Bool ? mask : Tensor();
  if (autograd::any_requires_grad({&q, &k, &v, &add_mask})) {
    const Shape qs = q.shape(), ks = k.shape(), vs = v.shape();
    const SavedTensor sq(q), sk(k), sv(v), smask(mask);
    autograd::record("ScaledDotProductAttentionBackward0", {q, k, v, add_mask}, {out},
                     [=](const TensorList& g) {
                       const Tensor q = sq.unpack(), k = sk.unpack(), v = sv.unpack();
                       // Under create_graph the weights are recomputed with history, so second
                       // derivatives see how they depend on q and k.
                       const Tensor p = grad_mode_enabled()
                           ? attention_with_weights(q, k, v, smask.unpack(), 0.0, is_causal, scale)[1] : probs;
                       const Tensor dp = matmul(g[0], mT(v));
                       const Tensor ds = p * (dp - sum(dp * p, {-1}, true));
                       return TensorList{sum_to(matmul(ds, k) * Scalar(s), qs), sum_to(matmul(mT(ds), q) * Scalar(s), ks),
                                         sum_to(matmul(mT(p), g[0]), vs),
                                         add_mask.defined() ? sum_to(ds, add_mask.shape()) : Tensor()};
                     });
  }
  return out;
}

}  // namespace nd
