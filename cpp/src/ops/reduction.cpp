// Reductions: the reduced dims are moved innermost (a copy only when the layout needs it),
// so every kernel reduces contiguous rows.
#include <algorithm>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/kernel_api.h"
#include "nativedl/nativedl.h"

namespace nd {

using autograd::record;

namespace {

std::vector<bool> reduced_mask(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> mask(size_t(x.dim()), dims.empty());
  for (int64_t d : dims) {
    const int64_t w = core::wrap_dim(d, x.dim(), op);
    ND_CHECK(!mask[size_t(w)] || dims.empty(), ValueError, "[", op, "] dim ", w, " appears multiple times in ",
             core::ints_str(dims));
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

// x permuted so kept dims come first and reduced dims last, made contiguous.
Tensor rows_layout(const Tensor& x, const std::vector<bool>& mask) {
  std::vector<int64_t> order;
  for (size_t i = 0; i < mask.size(); ++i) if (!mask[i]) order.push_back(int64_t(i));
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) order.push_back(int64_t(i));
  return contiguous(permute(x, order));
}

}  // namespace

Tensor sum(const Tensor& x_in, const std::vector<int64_t>& dims, bool keepdim, std::optional<DType> dtype) {
  const std::vector<bool> mask = reduced_mask(x_in, dims, "sum");
  const Shape out_shape = reduced_shape(x_in, mask, keepdim);
  const DType acc = dtype ? *dtype : (is_floating(x_in.dtype()) ? x_in.dtype() : DType::Int64);
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor x = is_floating(acc) ? to_dtype(x_in, acc) : x_in;
    const Tensor rows = rows_layout(x, mask);
    const int64_t n_out = shape_numel(out_shape);
    const int64_t len = n_out == 0 ? 0 : x.numel() / n_out;
    Tensor acc_out = empty(out_shape, is_floating(acc) ? acc : DType::Int64);
    if (len == 0) fill_(acc_out, Scalar(0.0));
    else cpu::select(cpu::sum_rows_stub)(rows.data_ptr(), acc_out.data_ptr(), n_out, len, rows.dtype());
    out = to_dtype(acc_out, acc);
  }
  if (is_floating(out.dtype()) && autograd::any_requires_grad({&x_in})) {
    const Shape in_shape = x_in.shape();
    const DType in_dtype = x_in.dtype();
    Shape kept_shape = reduced_shape(x_in, mask, true);
    record("SumBackward1", {x_in}, {out}, [in_shape, kept_shape, in_dtype](const TensorList& g) {
      return TensorList{to_dtype(expand(reshape(g[0], kept_shape), in_shape), in_dtype)};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  ND_CHECK(is_floating(x.dtype()), TypeError, "[mean] could not infer output dtype: input dtype must be a "
           "floating point type, got ", dtype_name(x.dtype()));
  const std::vector<bool> mask = reduced_mask(x, dims, "mean");
  int64_t count = 1;
  for (size_t i = 0; i < mask.size(); ++i) if (mask[i]) count *= x.shape()[i];
  return div(sum(x, dims, keepdim), Scalar(double(count)));
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
