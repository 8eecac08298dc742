// Dropout ops: a keep mask drawn from the seeded generator (rand < 1 - p), composed with
// elementwise ops, so the backward (a multiplication by the same scaled mask) comes from
// the ops' own rules and is differentiable again.
#include <cmath>

#include "nativedl/nativedl.h"

namespace nd {

namespace {

void check_p(double p, const char* op) {
  ND_CHECK(p >= 0 && p <= 1, ValueError, "[", op, "] dropout probability has to be between 0 and 1, but got ", p);
}

void check_float(const Tensor& x, const char* op) {
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
}

// The shape of one draw: x's shape, or (N, C, 1, ...) for feature dropout.
Shape mask_shape(const Tensor& x, bool feature, const char* op) {
  if (!feature) return x.shape();
  ND_CHECK(x.dim() >= 2, ValueError, "[", op, "] expected an input with at least 2 dims (N, C, ...), got shape ",
           shape_str(x.shape()));
  Shape s(x.shape().size(), 1);
  s[0] = x.shape()[0];
  s[1] = x.shape()[1];
  return s;
}

// 1 with probability 1 - p, else 0, in x's dtype.
Tensor keep_mask(const Tensor& x, double p, bool feature, const char* op) {
  NoGradGuard no_grad;
  // On x's device, from that device's generator (drawn there by the Philox kernel for CUDA).
  const Tensor u = rand(mask_shape(x, feature, op), TensorOptions(x.dtype()).with_device(x.device()));
  return to_dtype(lt(u, scalar_tensor(Scalar(1 - p), DType::Float64)), x.dtype());
}

Tensor plain(const Tensor& x, double p, bool train, bool feature, const char* op) {
  check_float(x, op);
  check_p(p, op);
  if (!train || p == 0 || x.numel() == 0) return x;
  if (p == 1) return x * zeros(mask_shape(x, feature, op), TensorOptions(x.dtype()).with_device(x.device()));
  return x * (keep_mask(x, p, feature, op) * Scalar(1 / (1 - p)));
}

Tensor alpha(const Tensor& x, double p, bool train, bool feature, const char* op) {
  check_float(x, op);
  check_p(p, op);
  if (!train || p == 0 || x.numel() == 0) return x;
  // p = 1: zeros, as PyTorch (the affine correction divides by 1 - p).
  if (p == 1) return x * zeros(mask_shape(x, feature, op), TensorOptions(x.dtype()).with_device(x.device()));
  constexpr double kAlpha = 1.7580993408473766;
  // As PyTorch: with keep mask k, y = x * k * a + (k - 1) * alpha * a + alpha * a * p, which
  // keeps zero mean and unit variance for SELU activations.
  const double a = 1.0 / std::sqrt((kAlpha * kAlpha * p + 1) * (1 - p));
  const Tensor k = keep_mask(x, p, feature, op);
  Tensor shift;
  {
    NoGradGuard no_grad;
    shift = (k - Scalar(1.0)) * Scalar(kAlpha * a) + Scalar(kAlpha * a * p);
  }
  return x * (k * Scalar(a)) + shift;
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool train) { return plain(x, p, train, false, "dropout"); }

Tensor& dropout_(Tensor& x, double p, bool train) {
  check_float(x, "dropout_");
  check_p(p, "dropout_");
  if (!train || p == 0 || x.numel() == 0) return x;
  if (p == 1) return mul_(x, Scalar(0.0));
  return mul_(x, keep_mask(x, p, false, "dropout_") * Scalar(1 / (1 - p)));
}

Tensor feature_dropout(const Tensor& x, double p, bool train) { return plain(x, p, train, true, "feature_dropout"); }
Tensor alpha_dropout(const Tensor& x, double p, bool train) { return alpha(x, p, train, false, "alpha_dropout"); }
Tensor feature_alpha_dropout(const Tensor& x, double p, bool train) {
  return alpha(x, p, train, true, "feature_alpha_dropout");
}

}  // namespace nd
