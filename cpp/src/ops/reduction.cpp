// Reductions and scans: checks, output allocation, dispatch (see Note [Reduction layout] for
// how the input is presented to the kernels), and the backward rules, written with nd ops so
// they can be differentiated again.
#include <algorithm>
#include <cmath>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/reduce_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<ReduceKernel> reduce_stub;
DispatchStub<ScanKernel> scan_stub;
}  // namespace cpu

using autograd::record;
using cpu::ReduceKind;

namespace {

// ---------------------------------------------------------------- shapes and layout

std::vector<bool> reduced_mask(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> mask(size_t(x.dim()), dims.empty());
  std::vector<bool> seen(size_t(std::max<int64_t>(x.dim(), 1)), false);
  for (int64_t d : dims) {
    const int64_t w = core::wrap_dim(d, x.dim(), op);
    ND_CHECK(!seen[size_t(w)], ValueError, "[", op, "] dim ", w, " appears multiple times in the list of dims ",
             core::ints_str(dims));
    seen[size_t(w)] = true;
    if (x.dim() > 0) mask[size_t(w)] = true;
  }
  return mask;
}

Shape reduced_shape(const Tensor& x, const std::vector<bool>& mask, bool keepdim) {
  Shape s;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) s.push_back(x.shape()[i]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

int64_t reduced_count(const Tensor& x, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) n *= x.shape()[i];
  return n;
}

// Raises unless every reduced dim is non-empty (max, min, argmax ... have no identity).
void check_nonempty(const Tensor& x, const std::vector<bool>& mask, bool all_dims, const char* op) {
  ND_CHECK(!(all_dims && x.numel() == 0), IndexError, "[", op, "] expected reduction dim to be specified for "
           "an input with no elements (shape ", shape_str(x.shape()), "); specify the reduction dim with 'dim'");
  for (size_t i = 0; i < mask.size(); ++i)
    ND_CHECK(!mask[i] || x.shape()[i] != 0, IndexError, "[", op, "] expected reduction dim ", i,
             " to have non-zero size, input has shape ", shape_str(x.shape()));
}

// The input as a contiguous (outer, len, inner) block, Note [Reduction layout].
struct Layout {
  Tensor src;
  int64_t outer = 1, len = 1, inner = 1;
};

Layout reduce_layout(const Tensor& x, const std::vector<bool>& mask) {
  // Size-1 dims can sit anywhere, so they don't break a block.
  int64_t first = -1, last = -1;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i] && x.shape()[i] != 1) { if (first < 0) first = int64_t(i); last = int64_t(i); }
  bool block = true;
  for (int64_t i = first + 1; first >= 0 && i < last; ++i)
    if (!mask[size_t(i)] && x.shape()[size_t(i)] != 1) block = false;
  Layout l;
  if (block) {
    l.src = contiguous(x);
    for (int64_t i = 0; i < x.dim(); ++i) {
      const int64_t s = x.shape()[size_t(i)];
      if (first >= 0 && i >= first && i <= last) l.len *= mask[size_t(i)] ? s : 1;
      else if (first >= 0 && i > last) l.inner *= s;
      else l.outer *= s;
    }
    if (first < 0) l.outer = x.numel();  // nothing of size != 1 reduced
    return l;
  }
  std::vector<int64_t> order;
  for (size_t i = 0; i < mask.size(); ++i) if (!mask[i]) { order.push_back(int64_t(i)); l.outer *= x.shape()[i]; }
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) { order.push_back(int64_t(i)); l.len *= x.shape()[i]; }
  l.src = contiguous(permute(x, order));
  return l;
}

const char* reduce_name(ReduceKind kind) {
  static const char* names[] = {"sum", "prod", "max", "min", "all", "any", "var"};
  return names[int(kind)];
}

// out and out_index are on l.src's device (outputs are allocated with like()).
void run_reduce(ReduceKind kind, const Layout& l, void* out, int64_t* out_index, double correction = 0) {
  if (l.outer * l.inner == 0) return;
  cpu::ReduceArgs a;
  a.in = l.src.device_data_ptr();
  a.out = out;
  a.out_index = out_index;
  a.dtype = l.src.dtype();
  a.outer = l.outer;
  a.len = l.len;
  a.inner = l.inner;
  a.correction = correction;
  ops::launch_on(l.src.device(), reduce_name(kind), cpu::reduce_stub, a, kind);
}

// Options for an output of x's reduction: `dtype` on x's device.
TensorOptions like(const Tensor& x, DType dtype) { return TensorOptions(dtype).with_device(x.device()); }

// g (shaped like the reduced output) broadcast back over the input's shape.
Tensor expand_grad(const Tensor& g, const Shape& kept_shape, const Shape& in_shape) {
  return expand(reshape(g, kept_shape), in_shape);
}

// A constant as a 0-d tensor of dtype: unlike a Scalar operand (a wrapped number, which
// binary ops store in the default float dtype) it keeps full float64 precision.
Tensor constant(double v, DType dtype) { return scalar_tensor(Scalar(v), dtype); }

void check_floating(const Tensor& x, const char* op) {
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
}

// Sum and prod: floats reduce in their own dtype (or `dtype`), integers and bool in int64.
Tensor sum_like(ReduceKind kind, const char* op, const Tensor& x_in, const std::vector<bool>& mask, bool keepdim,
                std::optional<DType> dtype) {
  const DType result = dtype ? *dtype : (is_floating(x_in.dtype()) ? x_in.dtype() : DType::Int64);
  const Tensor x = is_floating(result) ? to_dtype(x_in, result) : x_in;
  ND_CHECK(is_floating(result) || !is_floating(x.dtype()), TypeError, "[", op, "] can't reduce a ",
           dtype_name(x.dtype()), " input into dtype ", dtype_name(result));
  Tensor acc = empty(reduced_shape(x, mask, keepdim), like(x, is_floating(result) ? result : DType::Int64));
  run_reduce(kind, reduce_layout(x, mask), acc.device_data_ptr(), nullptr);
  return to_dtype(acc, result);
}

// max/min/amax/amin values over `mask`, no autograd.
Tensor extreme_values(const Tensor& x, const std::vector<bool>& mask, bool keepdim, bool is_max) {
  Tensor out = empty(reduced_shape(x, mask, keepdim), like(x, x.dtype()));
  run_reduce(is_max ? ReduceKind::Max : ReduceKind::Min, reduce_layout(x, mask), out.device_data_ptr(), nullptr);
  return out;
}

// The gradient of amax/amin-like ops: split evenly among the elements equal to the result
// (NaN counts as equal to a NaN result).
Tensor evenly_distribute(const Tensor& g_full, const Tensor& x, const Tensor& y_full,
                         const std::vector<int64_t>& dims) {
  const Tensor hit = logical_or(eq(x, y_full), logical_and(isnan(x), isnan(y_full)));
  const Tensor count = sum(hit, dims, /*keepdim=*/true, g_full.dtype());
  return where(hit, g_full / count, zeros_like(g_full));
}

std::vector<int64_t> mask_dims(const std::vector<bool>& mask) {
  std::vector<int64_t> d;
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) d.push_back(int64_t(i));
  return d;
}

Tensor amax_amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool is_max, const char* op,
                 const char* grad_name) {
  const std::vector<bool> mask = reduced_mask(x, dims, op);
  check_nonempty(x, mask, dims.empty(), op);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = extreme_values(x, mask, keepdim, is_max);
  }
  if (is_floating(x.dtype()) && autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const std::vector<int64_t> rd = mask_dims(mask);
    SavedTensor sx(x), sy(out, 0);
    record(grad_name, {x}, {out}, [=](const TensorList& g) {
      return TensorList{evenly_distribute(expand_grad(g[0], kept, in_shape), sx.unpack(),
                                          expand_grad(sy.unpack(), kept, in_shape), rd)};
    });
  }
  return out;
}

std::tuple<Tensor, Tensor> max_min_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max, const char* op) {
  const std::vector<bool> mask = reduced_mask(x, {dim}, op);
  check_nonempty(x, mask, false, op);
  const Shape out_shape = reduced_shape(x, mask, keepdim);
  Tensor values = empty(out_shape, like(x, x.dtype())), indices = empty(out_shape, like(x, DType::Int64));
  {
    NoGradGuard no_grad;
    run_reduce(is_max ? ReduceKind::Max : ReduceKind::Min, reduce_layout(x, mask), values.device_data_ptr(),
               static_cast<int64_t*>(indices.device_data_ptr()));
  }
  if (is_floating(x.dtype()) && autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const int64_t d = x.dim() == 0 ? 0 : core::wrap_dim(dim, x.dim(), op);
    record(is_max ? "MaxBackward0" : "MinBackward0", {x}, {values}, [=](const TensorList& g) {
      if (in_shape.empty()) return TensorList{g[0]};
      // One-hot of the index along d: positions (arange along d) equal to the index.
      Shape pos_shape(in_shape.size(), 1);
      pos_shape[size_t(d)] = in_shape[size_t(d)];
      const Tensor pos = reshape(arange(Scalar(int64_t(0)), Scalar(in_shape[size_t(d)]), Scalar(int64_t(1)),
                                        like(g[0], DType::Int64)), pos_shape);
      const Tensor hit = eq(pos, reshape(indices, kept));
      const Tensor gf = expand_grad(g[0], kept, in_shape);
      return TensorList{where(hit, gf, zeros_like(gf))};
    });
  }
  return {values, indices};
}

Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max, const char* op) {
  const Tensor src = dim ? x : reshape(x, {-1});
  const std::vector<bool> mask = reduced_mask(src, dim ? std::vector<int64_t>{*dim} : std::vector<int64_t>{}, op);
  check_nonempty(x, dim ? mask : std::vector<bool>(size_t(x.dim()), true), !dim, op);
  Tensor idx = empty(dim ? reduced_shape(src, mask, keepdim) : Shape(size_t(keepdim ? x.dim() : 0), 1),
                     like(x, DType::Int64));
  NoGradGuard no_grad;
  run_reduce(is_max ? ReduceKind::Max : ReduceKind::Min, reduce_layout(src, mask), nullptr,
             static_cast<int64_t*>(idx.device_data_ptr()));
  return idx;
}

Tensor logical_reduce(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, bool is_all) {
  const std::vector<bool> mask = reduced_mask(x, dims, is_all ? "all" : "any");
  Tensor out = empty(reduced_shape(x, mask, keepdim), like(x, DType::Bool));
  NoGradGuard no_grad;
  run_reduce(is_all ? ReduceKind::All : ReduceKind::Any, reduce_layout(x, mask), out.device_data_ptr(), nullptr);
  return x.dtype() == DType::UInt8 ? to_dtype(out, DType::UInt8) : out;
}

// Variance over mask (no autograd) and its degrees of freedom.
Tensor variance(const Tensor& x, const std::vector<bool>& mask, double correction, bool keepdim) {
  Tensor out = empty(reduced_shape(x, mask, keepdim), like(x, x.dtype()));
  run_reduce(ReduceKind::Var, reduce_layout(x, mask), out.device_data_ptr(), nullptr, correction);
  return out;
}

// ---------------------------------------------------------------- scans

Tensor scan(const Tensor& x, int64_t dim, cpu::ScanKind kind, bool reverse);

// d cumprod / dx, exact with zeros: before the first zero of a row (in scan order) the
// gradient is revsum(g * y) / x; at the first zero it is revsum(g * y') where y' is the
// cumprod with that zero replaced by 1; after it, every product contains the zero, so 0.
Tensor cumprod_backward(const Tensor& g, const Tensor& x, const Tensor& y, int64_t dim, bool reverse) {
  using cpu::ScanKind;
  const Tensor is_zero = eq(x, Scalar(0.0));
  const Tensor zeros_seen = scan(to_dtype(is_zero, DType::Int64), dim, ScanKind::Sum, reverse);
  const Tensor before = eq(zeros_seen, Scalar(int64_t(0)));
  const Tensor first_zero = logical_and(is_zero, eq(zeros_seen, Scalar(int64_t(1))));
  const Tensor one = ones_like(x), zero = zeros_like(g);
  const Tensor x_safe = where(is_zero, one, x);
  const Tensor part_before = scan(g * y, dim, ScanKind::Sum, !reverse) / x_safe;
  const Tensor y_skip = scan(where(first_zero, one, x), dim, ScanKind::Prod, reverse);
  const Tensor part_zero = scan(g * y_skip, dim, ScanKind::Sum, !reverse);
  return where(before, part_before, where(first_zero, part_zero, zero));
}

Tensor scan(const Tensor& x_in, int64_t dim, cpu::ScanKind kind, bool reverse) {
  const char* op = kind == cpu::ScanKind::Sum ? "cumsum" : "cumprod";
  const int64_t d = core::wrap_dim(dim, x_in.dim(), op);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor x = contiguous(x_in);
    out = empty(x.shape(), like(x, x.dtype()));
    cpu::ScanArgs a;
    a.in = x.device_data_ptr();
    a.out = out.device_data_ptr();
    a.dtype = x.dtype();
    a.reverse = reverse;
    a.len = 1;
    for (int64_t i = 0; i < x.dim(); ++i) (i < d ? a.outer : (i == d ? a.len : a.inner)) *= x.shape()[size_t(i)];
    if (x.numel() > 0) ops::launch_on(x.device(), op, cpu::scan_stub, a, kind);
  }
  if (is_floating(out.dtype()) && autograd::any_requires_grad({&x_in})) {
    if (kind == cpu::ScanKind::Sum) {
      record("CumsumBackward0", {x_in}, {out}, [d, reverse](const TensorList& g) {
        return TensorList{scan(g[0], d, cpu::ScanKind::Sum, !reverse)};
      });
    } else {
      SavedTensor sx(x_in), sy(out, 0);
      record("CumprodBackward0", {x_in}, {out}, [=](const TensorList& g) {
        return TensorList{cumprod_backward(g[0], sx.unpack(), sy.unpack(), d, reverse)};
      });
    }
  }
  return out;
}

Tensor scan_op(const Tensor& x, int64_t dim, std::optional<DType> dtype, cpu::ScanKind kind) {
  const DType result = dtype ? *dtype : (is_floating(x.dtype()) ? x.dtype() : DType::Int64);
  return scan(to_dtype(x, result), dim, kind, /*reverse=*/false);
}

}  // namespace

// ---------------------------------------------------------------- sum, mean, prod

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dtype) {
  const std::vector<bool> mask = reduced_mask(x, dims, "sum");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sum_like(ReduceKind::Sum, "sum", x, mask, keepdim, dtype);
  }
  if (is_floating(out.dtype()) && is_floating(x.dtype()) && autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const DType in_dtype = x.dtype();
    record(dims.empty() ? "SumBackward0" : "SumBackward1", {x}, {out}, [=](const TensorList& g) {
      return TensorList{to_dtype(expand_grad(g[0], kept, in_shape), in_dtype)};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  ND_CHECK(is_floating(x.dtype()), TypeError, "[mean] could not infer output dtype: input dtype must be a "
           "floating point type, got ", dtype_name(x.dtype()));
  const std::vector<bool> mask = reduced_mask(x, dims, "mean");
  return div(sum(x, dims, keepdim), constant(double(reduced_count(x, mask)), x.dtype()));
}

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  const std::vector<int64_t> dims = dim ? std::vector<int64_t>{*dim} : std::vector<int64_t>{};
  const std::vector<bool> mask = reduced_mask(x, dims, "prod");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sum_like(ReduceKind::Prod, "prod", x, mask, keepdim, dtype);
  }
  if (is_floating(out.dtype()) && is_floating(x.dtype()) && autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const std::vector<int64_t> rd = mask_dims(mask);
    const DType in_dtype = x.dtype();
    SavedTensor sx(x);
    record(dim ? "ProdBackward1" : "ProdBackward0", {x}, {out}, [=](const TensorList& g) {
      // With no zero in a slice, d/dx_k = P / x_k; with exactly one zero, only the zero gets
      // a gradient (the product of the others); with two or more, none does.
      const Tensor xv = to_dtype(sx.unpack(), g[0].dtype());
      const Tensor is_zero = eq(xv, Scalar(0.0));
      const Tensor x_safe = where(is_zero, ones_like(xv), xv);
      const Tensor p_nonzero = dim ? prod(x_safe, *dim, true) : prod(x_safe);
      const Tensor nz = sum(is_zero, rd, true);
      const Tensor p = expand(reshape(p_nonzero, kept), in_shape);
      const Tensor zero = zeros_like(xv);
      const Tensor gx = where(is_zero, where(eq(nz, Scalar(int64_t(1))), p, zero),
                              where(eq(nz, Scalar(int64_t(0))), p / x_safe, zero));
      return TensorList{to_dtype(expand_grad(g[0], kept, in_shape) * gx, in_dtype)};
    });
  }
  return out;
}

// ---------------------------------------------------------------- max, min, arg*

Tensor max(const Tensor& x) { return amax_amin(x, {}, false, true, "max", "MaxBackward1"); }
Tensor min(const Tensor& x) { return amax_amin(x, {}, false, false, "min", "MinBackward1"); }
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, true, "max");
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, false, "min");
}
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return amax_amin(x, dims, keepdim, true, "amax", "AmaxBackward0");
}
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return amax_amin(x, dims, keepdim, false, "amin", "AminBackward0");
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(x, dim, keepdim, true, "argmax");
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(x, dim, keepdim, false, "argmin");
}

// ---------------------------------------------------------------- var, std, logsumexp, norm

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  check_floating(x, "var");
  const std::vector<bool> mask = reduced_mask(x, dims, "var");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = variance(x, mask, correction, keepdim);
  }
  if (autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const std::vector<int64_t> rd = mask_dims(mask);
    const double dof = double(reduced_count(x, mask)) - correction;
    SavedTensor sx(x);
    record("VarBackward0", {x}, {out}, [=](const TensorList& g) {
      const Tensor xv = sx.unpack();
      return TensorList{expand_grad(g[0], kept, in_shape) * (xv - mean(xv, rd, true)) * constant(2.0 / dof, xv.dtype())};
    });
  }
  return out;
}

Tensor std_dev(const Tensor& x, const std::vector<int64_t>& dims, double correction, bool keepdim) {
  check_floating(x, "std");
  const std::vector<bool> mask = reduced_mask(x, dims, "std");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = sqrt(variance(x, mask, correction, keepdim));
  }
  if (autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape(), kept = reduced_shape(x, mask, true);
    const std::vector<int64_t> rd = mask_dims(mask);
    const double dof = double(reduced_count(x, mask)) - correction;
    SavedTensor sx(x), sy(out, 0);
    record("StdBackward0", {x}, {out}, [=](const TensorList& g) {
      // d std = d var / (2 std); 0 where std is 0, as PyTorch.
      const Tensor xv = sx.unpack(), y = expand_grad(sy.unpack(), kept, in_shape);
      const Tensor is_zero = eq(y, Scalar(0.0));
      const Tensor y_safe = where(is_zero, ones_like(y), y);
      const Tensor gx = expand_grad(g[0], kept, in_shape) * (xv - mean(xv, rd, true)) / (y_safe * constant(dof, xv.dtype()));
      return TensorList{where(is_zero, zeros_like(gx), gx)};
    });
  }
  return out;
}

Tensor logsumexp(const Tensor& x_in, const std::vector<int64_t>& dims, bool keepdim) {
  const Tensor x = is_floating(x_in.dtype()) ? x_in : to_dtype(x_in, default_float_dtype());
  const std::vector<bool> mask = reduced_mask(x, dims, "logsumexp");
  const Shape out_shape = reduced_shape(x, mask, keepdim), kept = reduced_shape(x, mask, true);
  const std::vector<int64_t> rd = mask_dims(mask);
  Tensor out;
  {
    NoGradGuard no_grad;
    if (reduced_count(x, mask) == 0) {
      out = full(out_shape, Scalar(-INFINITY), like(x, x.dtype()));
    } else {
      // Subtracting the maximum keeps exp() in range; an infinite maximum is replaced by 0 so
      // a row of -inf gives -inf (not NaN) and a +inf gives +inf.
      Tensor m = extreme_values(x, mask, true, true);
      m = where(isinf(m), zeros_like(m), m);
      out = reshape(log(sum(exp(x - m), rd, true)) + m, out_shape);
    }
  }
  if (autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape();
    SavedTensor sx(x), sy(out, 0);
    record("LogsumexpBackward0", {x}, {out}, [=](const TensorList& g) {
      // The softmax of x along the reduced dims weights the gradient.
      return TensorList{expand_grad(g[0], kept, in_shape) * exp(sx.unpack() - expand_grad(sy.unpack(), kept, in_shape))};
    });
  }
  return out;
}

Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim) {
  check_floating(x, "norm");
  ND_CHECK(p >= 0 || p == -INFINITY, ValueError, "[norm] p must be >= 0, inf or -inf, got ", p);
  const std::vector<bool> mask = reduced_mask(x, dims, "norm");
  const std::vector<int64_t> rd = mask_dims(mask);
  const Shape out_shape = reduced_shape(x, mask, keepdim), kept = reduced_shape(x, mask, true);
  const bool is_inf = std::isinf(p);
  if (is_inf) check_nonempty(x, mask, false, "norm");
  Tensor out;
  {
    NoGradGuard no_grad;
    if (p == 0) out = sum(ne(x, Scalar(0.0)), rd, keepdim, x.dtype());
    else if (p == 1) out = sum(abs(x), rd, keepdim);
    else if (p == 2) out = sqrt(sum(square(x), rd, keepdim));
    else if (is_inf) out = extreme_values(abs(x), mask, keepdim, p > 0);
    else out = pow(sum(pow(abs(x), constant(p, x.dtype())), rd, keepdim), constant(1.0 / p, x.dtype()));
  }
  if (autograd::any_requires_grad({&x})) {
    const Shape in_shape = x.shape();
    SavedTensor sx(x), sy(out, 0);
    record("NormBackward1", {x}, {out}, [=](const TensorList& g) {
      const Tensor xv = sx.unpack(), gf = expand_grad(g[0], kept, in_shape);
      const Tensor y = expand_grad(sy.unpack(), kept, in_shape);
      if (p == 0) return TensorList{zeros_like(xv)};
      if (p == 1) return TensorList{gf * sign(xv)};
      if (is_inf) return TensorList{sign(xv) * evenly_distribute(gf, abs(xv), y, rd)};
      // Where the norm is 0 every element is 0 and so is the gradient (not 0/0); the safe
      // denominators keep double backward free of NaN too.
      const Tensor y_zero = eq(y, Scalar(0.0));
      const Tensor y_safe = where(y_zero, ones_like(y), y);
      if (p == 2) return TensorList{xv * (gf / y_safe)};
      const Tensor x_zero = logical_or(eq(xv, Scalar(0.0)), y_zero);
      const Tensor x_safe = where(x_zero, ones_like(xv), xv);
      const Tensor pm1 = constant(p - 1, xv.dtype());
      const Tensor gx = sign(x_safe) * pow(abs(x_safe), pm1) * gf / pow(y_safe, pm1);
      return TensorList{where(x_zero, zeros_like(gx), gx)};
    });
  }
  return out;
}

// ---------------------------------------------------------------- all, any, scans

Tensor all(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) { return logical_reduce(x, dims, keepdim, true); }
Tensor any(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) { return logical_reduce(x, dims, keepdim, false); }

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return scan_op(x, dim, dtype, cpu::ScanKind::Sum);
}
Tensor cumprod(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
  return scan_op(x, dim, dtype, cpu::ScanKind::Prod);
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.dim() - int64_t(shape.size());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < g.dim(); ++i)
    if (i < lead || (shape[size_t(i - lead)] == 1 && g.shape()[size_t(i)] != 1)) dims.push_back(i);
  Tensor r = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return lead > 0 || r.shape() != shape ? reshape(r, shape) : r;
}

}  // namespace nd
