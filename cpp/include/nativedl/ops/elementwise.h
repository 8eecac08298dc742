// Elementwise ops with broadcasting and PyTorch's type promotion. Each has an in-place
// form ending in `_` that writes into its first argument, and an out= form ending in `_out`
// that writes into `out` (resized when empty; no autograd), as PyTorch's out= arguments.
#pragma once
#include <optional>
#include <string>

#include "nativedl/ops/op_list.h"
#include "nativedl/tensor.h"

namespace nd {

#define ND_DECLARE_UNARY(name) \
  Tensor name(const Tensor& x); Tensor& name##_(Tensor& x); Tensor& name##_out(Tensor& out, const Tensor& x);
ND_UNARY_FLOAT_OPS(ND_DECLARE_UNARY)
ND_UNARY_ANY_OPS(ND_DECLARE_UNARY)
#undef ND_DECLARE_UNARY

#define ND_DECLARE_BINARY(name)                                                    \
  Tensor name(const Tensor& a, const Tensor& b);                                   \
  Tensor name(const Tensor& a, Scalar b);                                          \
  Tensor& name##_(Tensor& self, const Tensor& other);                              \
  Tensor& name##_(Tensor& self, Scalar other);                                     \
  Tensor& name##_out(Tensor& out, const Tensor& a, const Tensor& b);
ND_BINARY_ARITH_OPS(ND_DECLARE_BINARY)
ND_BINARY_BOOL_OPS(ND_DECLARE_BINARY)
#undef ND_DECLARE_BINARY

/// a + alpha * b.
Tensor add(const Tensor& a, const Tensor& b, Scalar alpha);
/// a - alpha * b.
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha);
/// Division with rounding_mode "" (true division), "trunc" or "floor".
Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode);
/// The dtype PyTorch's type promotion gives an op over these operands.
DType result_type(const Tensor& a, const Tensor& b);

Tensor logical_not(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
/// Clamps into [min, max]; either bound may be absent. The gradient flows where x is inside.
Tensor clamp(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max);
/// cond ? a : b, broadcasting all three.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// a + weight * (b - a).
Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight);
/// a + value * t1 * t2.
Tensor addcmul(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value = 1);
/// a + value * t1 / t2.
Tensor addcdiv(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value = 1);

/// A copy of x with its own memory (differentiable).
Tensor clone(const Tensor& x);
/// x converted to dtype (x itself when it already has it; differentiable between floats).
Tensor to_dtype(const Tensor& x, DType dtype);
/// Copies src (broadcast to self's shape, converted to self's dtype) into self.
Tensor& copy_(Tensor& self, const Tensor& src);
/// Fills self with a value.
Tensor& fill_(Tensor& self, Scalar value);
Tensor& zero_(Tensor& self);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);

}  // namespace nd
