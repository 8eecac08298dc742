// Elementwise ops: type promotion, output allocation, dispatch, and the backward rules.
#include <cmath>

#include "autograd/meta.h"
#include "core/shape.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"
#include "ops/view_history.h"

namespace nd {

using cpu::BinaryOp;
using cpu::UnaryOp;
using autograd::record;

// ---------------------------------------------------------------- type promotion

namespace {

// PyTorch's result_type: operands with dims outrank 0-d tensors, which outrank Python
// numbers; a lower tier only matters when it is of a higher category (bool < int < float).
struct PromotionState {
  std::optional<DType> dim, zero, wrapped;
  void add(const Tensor& t) {
    auto& slot = t.impl()->is_wrapped_number ? wrapped : (t.dim() == 0 ? zero : dim);
    DType d = t.dtype();
    if (t.impl()->is_wrapped_number && is_floating(d)) d = default_float_dtype();
    slot = slot ? promote_types(*slot, d) : d;
  }
};

int category(DType d) { return d == DType::Bool ? 0 : (is_floating(d) ? 2 : 1); }

std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (category(*lower) > category(*higher)) return promote_types(*higher, *lower);
  if (*higher == DType::Bool) return promote_types(*higher, *lower);
  return higher;
}

}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  PromotionState s;
  s.add(a);
  s.add(b);
  return *combine(s.dim, combine(s.zero, s.wrapped));
}

// A number operand: floats are held in float64 so a float64 tensor sees the exact value; the
// promotion rules above still treat a wrapped float as the default dtype.
static Tensor wrap(Scalar s) {
  return scalar_tensor(s, s.is_floating() ? DType::Float64 : s.natural_dtype(), /*wrapped=*/true);
}

static bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

// fill_ stays allowed on broadcast dims: every write is the same.
void ops::check_no_internal_overlap(const Tensor& self, const char* op) {
  for (int64_t i = 0; i < self.dim(); ++i)
    ND_CHECK(self.strides()[size_t(i)] != 0 || self.shape()[size_t(i)] <= 1, Error, "[", op, "] unsupported "
             "operation: more than one element of the written-to tensor (shape ", shape_str(self.shape()),
             ", strides ", shape_str(self.strides()), ") refers to a single memory location; clone() it first");
}

// ---------------------------------------------------------------- copies and casts

static void raw_copy(const Tensor& dst, const Tensor& src) {
  ops::launch(cpu::copy_stub, ops::make_iter(dst, {src}, "copy_"));
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = empty(x.shape(), TensorOptions(dtype).with_device(x.device()));
  raw_copy(out, x);
  if (is_floating(dtype) && is_floating(x.dtype())) {
    const DType src = x.dtype();
    record("ToCopyBackward0", {x}, {out}, [src](const TensorList& g) { return TensorList{to_dtype(g[0], src)}; });
  }
  return out;
}

Tensor clone(const Tensor& x) {
  Tensor out = empty_like(x);
  raw_copy(out, x);
  record("CloneBackward0", {x}, {out}, [](const TensorList& g) { return TensorList{g[0]}; });
  return out;
}

namespace autograd {
/// Gives `self` the history of `result` (same shape and dtype) after `result`'s values
/// were copied into it: an in-place op is the out-of-place op plus this.
void rebase_history(const Tensor& self, const Tensor& result) {
  if (!grad_mode_enabled()) return;
  const auto& base = self.impl()->view_base;
  if (base && (result.requires_grad() || Tensor(base).requires_grad()) && ops::view_history_rebasable(self)) {
    ops::rebase_view_history(self, result);  // Note [In-place on views]
    return;
  }
  if (result.requires_grad()) {
    AutogradMeta& m = meta(self);
    m.grad_fn = result.grad_fn();
    m.output_nr = result.output_nr();
  } else if (self.impl()->autograd && self.grad_fn()) {
    meta(self).grad_fn = nullptr;  // overwritten by values without history: a constant now
  }
}
}  // namespace autograd

// Writes `result` into self as the final step of an in-place op whose result was computed
// out of place (the autograd path, or a dtype or layout that the kernel can't write directly).
static Tensor& assign_result(Tensor& self, const Tensor& result, const char* op) {
  ND_CHECK(can_cast(result.dtype(), self.dtype()), TypeError, "[", op, "] result type ",
           dtype_name(result.dtype()), " can't be cast to the desired output type ", dtype_name(self.dtype()));
  Tensor converted = to_dtype(result, self.dtype());
  raw_copy(self, converted);
  self.bump_version();
  autograd::rebase_history(self, converted);
  return self;
}

Tensor& copy_(Tensor& self, const Tensor& src_in) {
  // Across devices the values travel first (differentiably); the copy below is then local.
  const Tensor src = src_in.device() == self.device() ? src_in : to_device(src_in, self.device());
  core::broadcast_shapes(self.shape(), src.shape(), "copy_");
  ND_CHECK(core::broadcast_shapes(self.shape(), src.shape(), "copy_") == self.shape(), ValueError,
           "[copy_] source of shape ", shape_str(src.shape()), " can't be broadcast to the destination shape ",
           shape_str(self.shape()));
  ops::check_no_internal_overlap(self, "copy_");
  autograd::check_inplace(self, {src}, "copy_");
  if (autograd::any_requires_grad({&src})) {
    Tensor r = clone(expand(to_dtype(src, self.dtype()), self.shape()));
    raw_copy(self, r);
    self.bump_version();
    autograd::rebase_history(self, r);
    return self;
  }
  // An overlapping source (e.g. x.copy_(x.t())) is read fully before anything is written.
  const bool overlaps = src.impl()->storage == self.impl()->storage;
  raw_copy(self, overlaps ? to_dtype(clone(src), src.dtype()) : src);
  self.bump_version();
  autograd::rebase_history(self, self.detach());
  return self;
}

Tensor& fill_(Tensor& self, Scalar value) {
  autograd::check_inplace(self, {}, "fill_");
  ops::launch(cpu::fill_stub, ops::make_iter(self, {}, "fill_"), value.to_double(), value.to_int());
  self.bump_version();
  autograd::rebase_history(self, self.detach());
  return self;
}

Tensor& zero_(Tensor& self) { return fill_(self, Scalar(0.0)); }

// ---------------------------------------------------------------- unary

namespace {

constexpr double kLn2 = 0.69314718055994530942, kLn10 = 2.30258509299404568402;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;

// d(op)/dx times g, written with differentiable ops so double backward works.
// `x` is the input, `y` the output.
Tensor unary_backward(UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y) {
  switch (op) {
    case UnaryOp::exp: return g * y;
    case UnaryOp::exp2: return g * y * Scalar(kLn2);
    case UnaryOp::expm1: return g * (y + Scalar(1.0));
    case UnaryOp::log: return g / x;
    case UnaryOp::log1p: return g / (x + Scalar(1.0));
    case UnaryOp::log2: return g / (x * Scalar(kLn2));
    case UnaryOp::log10: return g / (x * Scalar(kLn10));
    case UnaryOp::sqrt: return g / (y * Scalar(2.0));
    case UnaryOp::rsqrt: return g * y * y * y * Scalar(-0.5);
    case UnaryOp::sin: return g * cos(x);
    case UnaryOp::cos: return -(g * sin(x));
    case UnaryOp::tan: return g * (square(y) + Scalar(1.0));
    case UnaryOp::asin: return g * rsqrt(-square(x) + Scalar(1.0));
    case UnaryOp::acos: return -(g * rsqrt(-square(x) + Scalar(1.0)));
    case UnaryOp::atan: return g / (square(x) + Scalar(1.0));
    case UnaryOp::sinh: return g * cosh(x);
    case UnaryOp::cosh: return g * sinh(x);
    case UnaryOp::tanh: return g * (-square(y) + Scalar(1.0));
    case UnaryOp::asinh: return g * rsqrt(square(x) + Scalar(1.0));
    case UnaryOp::acosh: return g * rsqrt(square(x) - Scalar(1.0));
    case UnaryOp::atanh: return g / (-square(x) + Scalar(1.0));
    case UnaryOp::erf: return g * exp(-square(x)) * Scalar(kTwoOverSqrtPi);
    case UnaryOp::erfc: return g * exp(-square(x)) * Scalar(-kTwoOverSqrtPi);
    case UnaryOp::sigmoid: return g * y * (-y + Scalar(1.0));
    case UnaryOp::reciprocal: return -(g * square(y));
    case UnaryOp::neg: return -g;
    case UnaryOp::abs: return g * sign(x);
    case UnaryOp::square: return g * x * Scalar(2.0);
    case UnaryOp::frac: return g;
    case UnaryOp::relu: return g * to_dtype(gt(y, Scalar(0)), g.dtype());
    case UnaryOp::sign: case UnaryOp::floor: case UnaryOp::ceil: case UnaryOp::round: case UnaryOp::trunc:
      return zeros_like(g);
    default: throw Error(std::string("[backward] no derivative for ") + cpu::unary_op_name(op));
  }
}

// Which of (input, output) the backward of op reads, so only those are saved.
bool backward_uses_output(UnaryOp op) {
  switch (op) {
    case UnaryOp::exp: case UnaryOp::exp2: case UnaryOp::expm1: case UnaryOp::sqrt: case UnaryOp::rsqrt:
    case UnaryOp::tan: case UnaryOp::tanh: case UnaryOp::sigmoid: case UnaryOp::reciprocal: case UnaryOp::relu:
      return true;
    default: return false;
  }
}

// PyTorch's node name: "exp" -> "ExpBackward0".
std::string unary_grad_name(UnaryOp op) {
  std::string name = cpu::unary_op_name(op);
  name[0] = char(std::toupper(name[0]));
  return name + "Backward0";
}

DType unary_compute_dtype(UnaryOp op, const Tensor& x) {
  const char* name = cpu::unary_op_name(op);
  if (!cpu::unary_op_keeps_integers(op)) return is_floating(x.dtype()) ? x.dtype() : default_float_dtype();
  ND_CHECK(x.dtype() != DType::Bool, TypeError, "[", name, "] is not supported for bool tensors");
  return x.dtype();
}

Tensor unary_forward(UnaryOp op, const Tensor& x_in) {
  const Tensor x = to_dtype(x_in, unary_compute_dtype(op, x_in));
  Tensor out = empty_like(x);
  ops::launch(cpu::unary_stub, ops::make_iter(out, {x}, cpu::unary_op_name(op)), op);
  return out;
}

Tensor unary_op(UnaryOp op, const Tensor& x_in) {
  Tensor out;
  {
    NoGradGuard no_grad;  // the cast below is part of this op's node
    out = unary_forward(op, x_in);
  }
  if (autograd::any_requires_grad({&x_in}) && is_floating(out.dtype())) {
    const bool use_out = backward_uses_output(op);
    SavedTensor sx(use_out ? Tensor() : x_in), sy(use_out ? out : Tensor(), 0);
    const DType in_dtype = x_in.dtype();
    record(unary_grad_name(op).c_str(), {x_in}, {out}, [op, sx, sy, in_dtype](const TensorList& g) {
      return TensorList{to_dtype(unary_backward(op, g[0], sx.unpack(), sy.unpack()), in_dtype)};
    });
  }
  return out;
}

// In place: the kernel writes x directly when x has the op's result dtype and autograd needs
// no copy of the old values (no history, or a backward that reads only the output: relu, exp,
// sigmoid ...). Otherwise the op runs out of place on a copy and the result is written back.
Tensor& unary_inplace(UnaryOp op, Tensor& x) {
  const std::string name = std::string(cpu::unary_op_name(op)) + "_";
  ops::check_no_internal_overlap(x, name.c_str());
  autograd::check_inplace(x, {}, name.c_str());
  const bool grad = autograd::any_requires_grad({&x});
  if (unary_compute_dtype(op, x) != x.dtype() || (grad && !backward_uses_output(op)))
    return assign_result(x, unary_op(op, grad ? clone(x) : x), name.c_str());
  {
    NoGradGuard no_grad;
    ops::launch(cpu::unary_stub, ops::make_iter(x, {x}, name.c_str()), op);
  }
  x.bump_version();
  autograd::record_inplace(unary_grad_name(op).c_str(), x,
                           [op](const Tensor& g, const Tensor& y) { return unary_backward(op, g, Tensor(), y); });
  return x;
}

}  // namespace

#define ND_DEFINE_UNARY(name)                                         \
  Tensor name(const Tensor& x) { return unary_op(UnaryOp::name, x); } \
  Tensor& name##_(Tensor& x) { return unary_inplace(UnaryOp::name, x); }
ND_UNARY_FLOAT_OPS(ND_DEFINE_UNARY)
ND_UNARY_ANY_OPS(ND_DEFINE_UNARY)
#undef ND_DEFINE_UNARY

// ---------------------------------------------------------------- binary

namespace {

DType binary_compute_dtype(BinaryOp op, DType common) {
  switch (op) {
    case BinaryOp::div: case BinaryOp::atan2: case BinaryOp::hypot: case BinaryOp::copysign:
      return is_floating(common) ? common : default_float_dtype();
    default: return common;
  }
}

// As PyTorch: a - b with a bool operand is an error rather than a silent xor-like result.
void check_operand_dtypes(BinaryOp op, const Tensor& a, const Tensor& b) {
  ND_CHECK(op != BinaryOp::sub || (a.dtype() != DType::Bool && b.dtype() != DType::Bool), TypeError,
           "[sub] subtraction with a bool tensor is not supported (got ", dtype_name(a.dtype()), " and ",
           dtype_name(b.dtype()), "); use logical_xor or ~ instead");
}

bool any_true(const Tensor& mask) {
  const Tensor m = contiguous(to_device(mask, Device{}));  // read on the host
  const bool* p = m.data<bool>();
  for (int64_t i = 0, n = m.numel(); i < n; ++i)
    if (p[i]) return true;
  return false;
}

void check_integer_operands(BinaryOp op, const Tensor& b) {
  if (is_floating(b.dtype())) return;
  const char* name = cpu::binary_op_name(op);
  switch (op) {
    case BinaryOp::div_floor: case BinaryOp::div_trunc: case BinaryOp::remainder: case BinaryOp::fmod:
      ND_CHECK(!any_true(eq(b, Scalar(0))), ValueError, "[", name, "] integer division by zero");
      break;
    case BinaryOp::pow:
      ND_CHECK(b.dtype() == DType::Bool || !any_true(lt(b, Scalar(0))), ValueError, "[pow] integers to "
               "negative integer powers are not allowed");
      break;
    default: break;
  }
}

// Gradients of op with respect to a and b (before reducing broadcast dims).
TensorList binary_backward(BinaryOp op, const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& y) {
  switch (op) {
    case BinaryOp::add: return {g, g};
    case BinaryOp::sub: return {g, -g};
    case BinaryOp::mul: return {g * b, g * a};
    case BinaryOp::div: return {g / b, -(g * a) / square(b)};
    case BinaryOp::pow: {
      // d/db is 0 where a == 0 and b >= 0, as PyTorch (avoids log(0) * 0 = nan).
      Tensor ga = g * b * pow(a, b - Scalar(1.0));
      Tensor safe = logical_and(eq(a, Scalar(0.0)), ge(b, Scalar(0.0)));
      Tensor gb = where(safe, zeros_like(g), g * y * log(a));
      return {ga, gb};
    }
    case BinaryOp::maximum: case BinaryOp::minimum: {
      // Ties split the gradient evenly, as PyTorch.
      Tensor a_wins = op == BinaryOp::maximum ? gt(a, b) : lt(a, b);
      Tensor tie = to_dtype(eq(a, b), g.dtype()) * Scalar(0.5);
      Tensor wa = to_dtype(a_wins, g.dtype()) + tie;
      return {g * wa, g * (-wa + Scalar(1.0))};
    }
    case BinaryOp::atan2: {
      Tensor denom = square(a) + square(b);
      return {g * b / denom, -(g * a) / denom};
    }
    case BinaryOp::hypot: return {g * a / y, g * b / y};
    case BinaryOp::copysign: {
      Tensor ratio = where(eq(a, Scalar(0.0)), zeros_like(a), y / a);
      return {g * ratio, zeros_like(g)};
    }
    case BinaryOp::remainder: return {g, -(g * div(a, b, "floor"))};
    case BinaryOp::fmod: return {g, -(g * div(a, b, "trunc"))};
    case BinaryOp::div_floor: case BinaryOp::div_trunc: return {zeros_like(g), zeros_like(g)};
    default: throw Error(std::string("[backward] no derivative for ") + cpu::binary_op_name(op));
  }
}

std::string grad_name(BinaryOp op) {
  std::string n = cpu::binary_op_name(op);
  n[0] = char(std::toupper(n[0]));
  return n + "Backward0";
}

Tensor binary_forward(BinaryOp op, const Tensor& a_in, const Tensor& b_in, DType compute, const Shape& shape) {
  const Tensor a = to_dtype(a_in, compute), b = to_dtype(b_in, compute);
  check_integer_operands(op, b);
  Tensor out = empty(shape, TensorOptions(cpu::binary_op_outputs_bool(op) ? DType::Bool : compute).with_device(a.device()));
  ops::launch(cpu::binary_stub, ops::make_iter(out, {a, b}, cpu::binary_op_name(op)), op);
  return out;
}

Tensor binary_op(BinaryOp op, const Tensor& a_in, const Tensor& b_in) {
  const char* name = cpu::binary_op_name(op);
  const Tensor a = ops::scalar_to_device(a_in, b_in.device()), b = ops::scalar_to_device(b_in, a_in.device());
  const Shape shape = core::broadcast_shapes(a.shape(), b.shape(), name);
  check_operand_dtypes(op, a, b);
  const DType compute = binary_compute_dtype(op, result_type(a, b));
  Tensor out;
  {
    NoGradGuard no_grad;
    out = binary_forward(op, a, b, compute, shape);
  }
  if (!is_floating(out.dtype()) || !autograd::any_requires_grad({&a, &b})) return out;
  SavedTensor sa(a), sb(b), sy(op == BinaryOp::pow || op == BinaryOp::hypot || op == BinaryOp::copysign
                                   ? out : Tensor(), 0);
  const Shape a_shape = a.shape(), b_shape = b.shape();
  const DType a_dtype = a.dtype(), b_dtype = b.dtype();
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  record(grad_name(op).c_str(), {a, b}, {out},
         [=](const TensorList& g) {
           const Tensor av = to_dtype(sa.unpack(), g[0].dtype()), bv = to_dtype(sb.unpack(), g[0].dtype());
           TensorList r = binary_backward(op, g[0], av, bv, sy.unpack());
           return TensorList{need_a && is_floating(a_dtype) ? to_dtype(sum_to(r[0], a_shape), a_dtype) : Tensor(),
                             need_b && is_floating(b_dtype) ? to_dtype(sum_to(r[1], b_shape), b_dtype) : Tensor()};
         });
  return out;
}

Tensor& binary_inplace(BinaryOp op, Tensor& self, const Tensor& other) {
  const char* name = cpu::binary_op_name(op);
  const std::string inplace_name = std::string(name) + "_";
  const Shape shape = core::broadcast_shapes(self.shape(), other.shape(), name);
  ND_CHECK(shape == self.shape(), ValueError, "[", name, "_] output with shape ", shape_str(self.shape()),
           " doesn't match the broadcast shape ", shape_str(shape));
  check_operand_dtypes(op, self, other);
  ops::check_no_internal_overlap(self, inplace_name.c_str());
  autograd::check_inplace(self, {other}, inplace_name.c_str());
  const DType compute = binary_compute_dtype(op, result_type(self, other));
  const bool autograd_path = autograd::any_requires_grad({&self, &other});
  const bool overlaps = other.impl()->storage == self.impl()->storage && !other.is_same(self);
  if (autograd_path || compute != self.dtype() || overlaps || cpu::binary_op_outputs_bool(op))
    return assign_result(self, binary_op(op, autograd_path ? clone(self) : self, overlaps ? clone(other) : other),
                         inplace_name.c_str());
  const Tensor b = to_dtype(ops::scalar_to_device(other, self.device()), compute);
  check_integer_operands(op, b);
  ops::launch(cpu::binary_stub, ops::make_iter(self, {self, b}, name), op);
  self.bump_version();
  return self;
}

// ---------------------------------------------------------------- out= forms

// True when writing `out` could change elements of `in` not yet read: they share memory but
// not element for element (out=x itself is safe for an elementwise op).
bool overlaps_partially(const Tensor& out, const Tensor& in) {
  return in.impl()->storage == out.impl()->storage &&
         !(in.impl()->offset == out.impl()->offset && in.shape() == out.shape() && in.strides() == out.strides());
}

// Readies `out` for an op's result of `shape` and `dtype`, as PyTorch's out= does: no autograd,
// a dtype the result can be cast to, the result's shape (an empty out is resized to it). Every
// check runs before anything is written.
void prepare_out(Tensor& out, const Shape& shape, DType dtype, std::initializer_list<const Tensor*> inputs,
                 const char* op) {
  ND_CHECK(!autograd::any_requires_grad(inputs) && !(grad_mode_enabled() && out.requires_grad()), Error, "[", op,
           "] functions with out=... arguments don't support automatic differentiation, but one of the "
           "arguments requires grad");
  ND_CHECK(can_cast(dtype, out.dtype()), TypeError, "[", op, "] result type ", dtype_name(dtype),
           " can't be cast to the desired output type ", dtype_name(out.dtype()));
  if (out.shape() != shape) {
    ND_CHECK(out.numel() == 0 && !out.impl()->is_view, ValueError, "[", op, "] out has shape ",
             shape_str(out.shape()), " but the result has shape ", shape_str(shape),
             "; pass an out of the result's shape, or an empty one to be resized");
    const Tensor fresh = empty(shape, TensorOptions(out.dtype()).with_device(out.device()));
    TensorImpl& impl = *out.impl();
    impl.storage = fresh.impl()->storage;
    impl.offset = 0;
    impl.shape = fresh.shape();
    impl.strides = fresh.strides();
  }
  ops::check_no_internal_overlap(out, op);
}

// Writes `compute`-typed results into out: the kernel writes out directly when it has the
// result's dtype and overlaps no operand partially, otherwise out receives a converted copy.
template <typename Direct, typename Computed>
Tensor& write_out(Tensor& out, DType result, std::initializer_list<const Tensor*> inputs, Direct&& direct,
                  Computed&& computed) {
  NoGradGuard no_grad;
  bool direct_ok = out.dtype() == result;
  for (const Tensor* t : inputs) direct_ok = direct_ok && !overlaps_partially(out, *t);
  if (direct_ok) direct();
  else raw_copy(out, to_dtype(computed(), out.dtype()));
  out.bump_version();
  return out;
}

Tensor& unary_out(UnaryOp op, Tensor& out, const Tensor& x) {
  const char* name = cpu::unary_op_name(op);
  ops::common_device(name, {&x, &out});
  const DType compute = unary_compute_dtype(op, x);
  prepare_out(out, x.shape(), compute, {&x}, name);
  return write_out(out, compute, {&x},
                   [&] { ops::launch(cpu::unary_stub, ops::make_iter(out, {to_dtype(x, compute)}, name), op); },
                   [&] { return unary_forward(op, x); });
}

Tensor& binary_out(BinaryOp op, Tensor& out, const Tensor& a_in, const Tensor& b_in) {
  const char* name = cpu::binary_op_name(op);
  const Tensor a = ops::scalar_to_device(a_in, out.device()), b = ops::scalar_to_device(b_in, out.device());
  ops::common_device(name, {&a, &b, &out});
  const Shape shape = core::broadcast_shapes(a.shape(), b.shape(), name);
  check_operand_dtypes(op, a, b);
  const DType compute = binary_compute_dtype(op, result_type(a, b));
  const DType result = cpu::binary_op_outputs_bool(op) ? DType::Bool : compute;
  prepare_out(out, shape, result, {&a, &b}, name);
  return write_out(out, result, {&a, &b}, [&] {
    const Tensor ac = to_dtype(a, compute), bc = to_dtype(b, compute);
    check_integer_operands(op, bc);
    ops::launch(cpu::binary_stub, ops::make_iter(out, {ac, bc}, name), op);
  }, [&] { return binary_forward(op, a, b, compute, shape); });
}

}  // namespace

#define ND_DEFINE_BINARY(name)                                                                       \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_op(BinaryOp::name, a, b); }           \
  Tensor name(const Tensor& a, Scalar b) { return binary_op(BinaryOp::name, a, wrap(b)); }            \
  Tensor& name##_(Tensor& self, const Tensor& other) { return binary_inplace(BinaryOp::name, self, other); } \
  Tensor& name##_(Tensor& self, Scalar other) { return binary_inplace(BinaryOp::name, self, wrap(other)); } \
  Tensor& name##_out(Tensor& out, const Tensor& a, const Tensor& b) { return binary_out(BinaryOp::name, out, a, b); }
ND_BINARY_ARITH_OPS(ND_DEFINE_BINARY)
ND_BINARY_BOOL_OPS(ND_DEFINE_BINARY)
#undef ND_DEFINE_BINARY
#define ND_DEFINE_UNARY_OUT(name) \
  Tensor& name##_out(Tensor& out, const Tensor& x) { return unary_out(UnaryOp::name, out, x); }
ND_UNARY_FLOAT_OPS(ND_DEFINE_UNARY_OUT)
ND_UNARY_ANY_OPS(ND_DEFINE_UNARY_OUT)
#undef ND_DEFINE_UNARY_OUT

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return add(a, b);
  return add(a, mul(b, wrap(alpha)));
}
Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  if (alpha.to_double() == 1.0 && !alpha.is_floating()) return sub(a, b);
  return sub(a, mul(b, wrap(alpha)));
}

Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode) {
  if (rounding_mode.empty()) return div(a, b);
  if (rounding_mode == "floor") return div_floor(a, b);
  if (rounding_mode == "trunc") return div_trunc(a, b);
  throw ValueError("[div] rounding_mode must be None, 'trunc' or 'floor', got '" + rounding_mode + "'");
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }

// ---------------------------------------------------------------- predicates, where, clamp

Tensor logical_not(const Tensor& x) { return eq(x, Scalar(false)); }
Tensor isnan(const Tensor& x) { return ne(x, x); }
Tensor isinf(const Tensor& x) {
  if (!is_floating(x.dtype())) return zeros(x.shape(), TensorOptions(DType::Bool).with_device(x.device()));
  return eq(abs(x), Scalar(INFINITY));
}
Tensor isfinite(const Tensor& x) {
  if (!is_floating(x.dtype())) return ones(x.shape(), TensorOptions(DType::Bool).with_device(x.device()));
  return lt(abs(x), Scalar(INFINITY));
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  ND_CHECK(a.dtype() == b.dtype(), TypeError, "[isclose] expected both inputs to have the same dtype, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  ND_CHECK(rtol >= 0 && atol >= 0, ValueError, "[isclose] rtol and atol must be non-negative, got rtol=", rtol,
           " and atol=", atol);
  NoGradGuard no_grad;
  const Tensor same = eq(a, b);
  if (a.dtype() == DType::Bool) return same;
  // Integers are compared in float64, as the tolerance is a real number.
  const DType dt = is_floating(a.dtype()) ? a.dtype() : DType::Float64;
  const Tensor fa = to_dtype(a, dt), fb = to_dtype(b, dt), err = abs(fa - fb);
  Tensor close = logical_or(same, logical_and(isfinite(err), le(err, abs(fb) * Scalar(rtol) + Scalar(atol))));
  if (equal_nan && is_floating(dt)) close = logical_or(close, logical_and(isnan(fa), isnan(fb)));
  return close;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all(isclose(a, b, rtol, atol, equal_nan)).item<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  ops::common_device("equal", {&a, &b});
  if (a.shape() != b.shape()) return false;
  NoGradGuard no_grad;
  return all(eq(a, b)).item<bool>();
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  ND_CHECK(cond.dtype() == DType::Bool, TypeError, "[where] condition must be a bool tensor, got ",
           dtype_name(cond.dtype()));
  const Shape shape = core::broadcast_shapes(core::broadcast_shapes(cond.shape(), a.shape(), "where"),
                                             b.shape(), "where");
  const DType dt = result_type(a, b);
  // 0-d CPU operands (Python numbers) follow the others to their device, as in binary ops.
  const Device device = cond.is_cuda() ? cond.device() : a.is_cuda() ? a.device() : b.device();
  Tensor out = empty(shape, TensorOptions(dt).with_device(device));
  {
    NoGradGuard no_grad;
    ops::launch(cpu::where_stub, ops::make_iter(out, {ops::scalar_to_device(cond, device),
                                                      to_dtype(ops::scalar_to_device(a, device), dt),
                                                      to_dtype(ops::scalar_to_device(b, device), dt)}, "where"));
  }
  if (is_floating(dt) && autograd::any_requires_grad({&a, &b})) {
    const Shape sa = a.shape(), sb = b.shape();
    record("WhereBackward0", {a, b}, {out}, [cond, sa, sb](const TensorList& g) {
      const Tensor z = zeros_like(g[0]);
      return TensorList{sum_to(where(cond, g[0], z), sa), sum_to(where(cond, z, g[0]), sb)};
    });
  }
  return out;
}

Tensor clamp(const Tensor& x, const std::optional<Tensor>& min, const std::optional<Tensor>& max) {
  ND_CHECK(min || max, ValueError, "[clamp] at least one of 'min' or 'max' must not be None");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x;
    if (min) out = maximum(out, *min);
    if (max) out = minimum(out, *max);
    if (out.is_same(x)) out = clone(x);
  }
  TensorList inputs{x, min ? *min : Tensor(), max ? *max : Tensor()};
  if (is_floating(out.dtype()) && autograd::any_requires_grad(inputs)) {
    const Tensor lo = min ? *min : Tensor(), hi = max ? *max : Tensor();
    const Shape sx = x.shape();
    record("ClampBackward1", inputs, {out}, [x, lo, hi, sx](const TensorList& g) {
      Tensor inside = ones(g[0].shape(), TensorOptions(DType::Bool).with_device(g[0].device()));
      TensorList r(3);
      const Tensor z = zeros_like(g[0]);
      if (lo.defined()) { inside = logical_and(inside, ge(x, lo)); r[1] = sum_to(where(lt(x, lo), g[0], z), lo.shape()); }
      if (hi.defined()) { inside = logical_and(inside, le(x, hi)); r[2] = sum_to(where(gt(x, hi), g[0], z), hi.shape()); }
      r[0] = sum_to(where(inside, g[0], z), sx);
      return r;
    });
  }
  return out;
}

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  return clamp(x, min ? std::optional<Tensor>(wrap(*min)) : std::nullopt,
               max ? std::optional<Tensor>(wrap(*max)) : std::nullopt);
}

Tensor lerp(const Tensor& a, const Tensor& b, const Tensor& weight) { return a + weight * (b - a); }
Tensor addcmul(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  return add(a, t1 * t2, value);
}
Tensor addcdiv(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  return add(a, t1 / t2, value);
}

}  // namespace nd
