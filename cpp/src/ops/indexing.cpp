// Indexing ops: index / index_put_ / index_select / index_add through offset gather and
// scatter (Note [Offset indexing]), gather/scatter along a dim, masks and nonzero.
#include <algorithm>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/indexing_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<IndexGatherKernel> index_gather_stub;
DispatchStub<IndexScatterKernel> index_scatter_stub;
DispatchStub<GatherDimKernel> gather_dim_stub;
DispatchStub<ScatterDimKernel> scatter_dim_stub;
DispatchStub<SortRowsKernel> sort_rows_stub;
DispatchStub<NonzeroKernel> nonzero_stub;
}  // namespace cpu

using autograd::record;

namespace {

void check_int_index(const Tensor& idx, const char* op, const char* what) {
  ND_CHECK(idx.dtype() == DType::Int64 || idx.dtype() == DType::Int32, TypeError, "[", op, "] ", what,
           " must be an int64 or int32 tensor, got ", dtype_name(idx.dtype()));
}

// idx as a contiguous int64 tensor, negatives wrapped where allowed; raises IndexError on an
// entry outside the dim before anything is written.
// The index checked (on the host) and wrapped into [0, size), as int64 on `to`.
Tensor checked_index(const Tensor& idx_in, int64_t size, const char* op, int64_t dim, bool allow_negative, Device to) {
  NoGradGuard no_grad;
  const Tensor idx = to_device(idx_in, Device{});
  Tensor out = idx.dtype() == DType::Int64 ? clone(idx) : to_dtype(idx, DType::Int64);
  int64_t* p = out.data<int64_t>();
  const int64_t lo = allow_negative ? -size : 0;
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    ND_CHECK(p[i] >= lo && p[i] < size, IndexError, "[", op, "] index ", p[i], " is out of bounds for dimension ",
             dim, " with size ", size);
    if (p[i] < 0) p[i] += size;
  }
  return to_device(out, to);
}

// The indexed dims of x, the broadcast index shape and the element offsets of each index
// position (Note [Offset indexing]).
struct Plan {
  std::vector<int64_t> dims;
  Shape bshape;
  Tensor offsets;
  int64_t before = 0;  // rest dims placed before the index dims in the result
};

IndexList expand_masks(const Tensor& x, const IndexList& indices, const char* op) {
  IndexList out;
  for (size_t i = 0; i < indices.size(); ++i) {
    const auto& ix = indices[i];
    if (!ix || !ix->defined()) { out.push_back(std::nullopt); continue; }
    const DType d = ix->dtype();
    ND_CHECK(d == DType::Int64 || d == DType::Int32 || d == DType::Bool || d == DType::UInt8, IndexError, "[", op,
             "] tensors used as indices must be long, int, byte or bool tensors, got ", dtype_name(d), " at index ", i);
    if (d == DType::Int64 || d == DType::Int32) { out.push_back(ix); continue; }
    const int64_t p = int64_t(out.size());
    ND_CHECK(ix->dim() > 0, IndexError, "[", op, "] a 0-d boolean index is not supported here (index ", i, ")");
    ND_CHECK(p + ix->dim() <= x.dim(), IndexError, "[", op, "] too many indices for tensor of dimension ", x.dim(),
             " (shape ", shape_str(x.shape()), ")");
    for (int64_t k = 0; k < ix->dim(); ++k)
      ND_CHECK(ix->shape()[size_t(k)] == x.shape()[size_t(p + k)], IndexError, "[", op, "] the shape of the mask ",
               shape_str(ix->shape()), " at index ", i, " does not match the shape of the indexed tensor ",
               shape_str(x.shape()), " starting at dim ", p);
    // The positions of a mask are found on the host (they become host offsets anyway).
    for (const Tensor& c : nonzero_tuple(to_device(*ix, Device{}))) out.push_back(c);
  }
  ND_CHECK(int64_t(out.size()) <= x.dim(), IndexError, "[", op, "] too many indices for tensor of dimension ",
           x.dim(), " (shape ", shape_str(x.shape()), ")");
  return out;
}

Plan make_plan(const Tensor& x, const IndexList& indices, const char* op) {
  const IndexList idx = expand_masks(x, indices, op);
  Plan p;
  for (size_t i = 0; i < idx.size(); ++i) {
    if (!idx[i]) continue;
    p.bshape = p.dims.empty() ? idx[i]->shape() : core::broadcast_shapes(p.bshape, idx[i]->shape(), op);
    p.dims.push_back(int64_t(i));
  }
  ND_CHECK(!p.dims.empty(), IndexError, "[", op, "] expected at least one index tensor");
  const bool adjacent = p.dims.back() - p.dims.front() + 1 == int64_t(p.dims.size());
  p.before = adjacent ? p.dims.front() : 0;
  NoGradGuard no_grad;
  // Offsets are summed on the host and live with x, whose kernels read them (an index may be
  // on the CPU for a CUDA x, as in PyTorch).
  Tensor off = zeros(p.bshape, DType::Int64);
  for (int64_t d : p.dims)
    off = add(off, mul(checked_index(*idx[size_t(d)], x.shape()[size_t(d)], op, d, true, Device{}),
                       Scalar(x.stride(d))));
  p.offsets = to_device(contiguous(off), x.device());
  return p;
}

std::vector<int64_t> rest_dims(const Tensor& x, const Plan& p) {
  std::vector<int64_t> rest;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (std::find(p.dims.begin(), p.dims.end(), d) == p.dims.end()) rest.push_back(d);
  return rest;
}

// The result of x[indices]: the rest dims with the index shape inserted at `before`.
Shape result_shape(const Tensor& x, const Plan& p) {
  Shape s;
  for (int64_t d : rest_dims(x, p)) s.push_back(x.shape()[size_t(d)]);
  s.insert(s.begin() + p.before, p.bshape.begin(), p.bshape.end());
  return s;
}

// `dense` has the result shape, with its index dims laid out as one (contiguous result, or
// a contiguous copy).
cpu::IndexIter make_index_iter(const Tensor& x, const Plan& p, const Tensor& dense, const char* op) {
  cpu::IndexIter it;
  it.n = shape_numel(p.bshape);
  ops::common_device(op, {&x, &dense});
  it.offsets = static_cast<const int64_t*>(p.offsets.device_data_ptr());
  const int64_t nb = int64_t(p.bshape.size());
  it.dense_stride_n = nb > 0 ? dense.stride(p.before + nb - 1) : 0;
  const std::vector<int64_t> rest = rest_dims(x, p);
  ND_CHECK(int(rest.size()) <= cpu::kMaxDims, ValueError, "[", op, "] too many dims");
  it.ndim = 0;
  for (size_t k = 0; k < rest.size(); ++k) {
    const int64_t size = x.shape()[size_t(rest[k])];
    const int64_t si = x.strides()[size_t(rest[k])];
    const int64_t sd = dense.stride(int64_t(k) < p.before ? int64_t(k) : int64_t(k) + nb);
    if (size == 1) continue;
    if (it.ndim > 0) {  // merge into the previous dim when both tensors step over them as one
      const int q = it.ndim - 1;
      if (it.indexed_strides[q] == si * size && it.dense_strides[q] == sd * size) {
        it.sizes[q] *= size;
        it.indexed_strides[q] = si;
        it.dense_strides[q] = sd;
        continue;
      }
    }
    it.sizes[it.ndim] = size;
    it.indexed_strides[it.ndim] = si;
    it.dense_strides[it.ndim] = sd;
    ++it.ndim;
  }
  it.indexed = static_cast<char*>(x.device_data_ptr());
  it.dense = static_cast<char*>(dense.device_data_ptr());
  it.dtype = x.dtype();
  return it;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  for (size_t k = 0; k < from.size(); ++k) {
    const int64_t f = from[from.size() - 1 - k], t = to[to.size() - 1 - k];
    if (f != t && f != 1) return false;
  }
  return true;
}

// values broadcast to the result shape, in x's dtype, with the index dims collapsible.
Tensor dense_values(const Tensor& x, const Plan& p, const Tensor& values, const char* op) {
  const Shape rshape = result_shape(x, p);
  ND_CHECK(broadcasts_to(values.shape(), rshape), ValueError, "[", op,
           "] shape mismatch: value tensor of shape ", shape_str(values.shape()),
           " cannot be broadcast to indexing result of shape ", shape_str(rshape));
  NoGradGuard no_grad;
  Tensor v = expand(to_dtype(ops::scalar_to_device(values, x.device()), x.dtype()), rshape);
  // A copy when the layout isn't collapsible or the values alias the destination.
  return clone(v);
}

void scatter_plan(Tensor& x, const Plan& p, const Tensor& values, bool accumulate, const char* op) {
  const Tensor dense = dense_values(x, p, values, op);
  if (dense.numel() == 0) return;
  ops::launch_on(x.device(), op, cpu::index_scatter_stub, make_index_iter(x, p, dense, op), accumulate);
}

void clear_history(const Tensor& x) { autograd::rebase_history(x, x.detach()); }

}  // namespace

Tensor index(const Tensor& x, const IndexList& indices) {
  const Plan p = make_plan(x, indices, "index");
  Tensor out = empty(result_shape(x, p), TensorOptions(x.dtype()).with_device(x.device()));
  if (out.numel() > 0) ops::launch_on(x.device(), "index", cpu::index_gather_stub, make_index_iter(x, p, out, "index"));
  if (is_floating(x.dtype())) {
    const Shape shape = x.shape();
    record("IndexBackward0", {x}, {out}, [shape, indices](const TensorList& g) {
      const Tensor base = zeros(shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      return TensorList{index_put(base, indices, g[0], true)};
    });
  }
  return out;
}

Tensor& index_put_(Tensor& x, const IndexList& indices, const Tensor& values, bool accumulate) {
  autograd::check_inplace(x, {values}, "index_put_");
  if (autograd::any_requires_grad({&x, &values})) return copy_(x, index_put(x, indices, values, accumulate));
  const Plan p = make_plan(x, indices, "index_put_");
  scatter_plan(x, p, values, accumulate, "index_put_");
  x.bump_version();
  clear_history(x);
  return x;
}

Tensor index_put(const Tensor& x, const IndexList& indices, const Tensor& values, bool accumulate) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = clone(x);
    const Plan p = make_plan(out, indices, "index_put");
    scatter_plan(out, p, values, accumulate, "index_put");
  }
  if (is_floating(x.dtype())) {
    const Shape vshape = values.shape();
    const DType vdtype = values.dtype();
    record("IndexPutBackward0", {x, values}, {out}, [=](const TensorList& g) {
      Tensor gx = accumulate ? g[0] : index_put(g[0], indices, zeros({}, g[0].dtype()), false);
      Tensor gv = is_floating(vdtype) ? to_dtype(sum_to(index(g[0], indices), vshape), vdtype) : Tensor();
      return TensorList{gx, gv};
    });
  }
  return out;
}

// ---------------------------------------------------------------- along one dim

namespace {

Plan select_plan(const Tensor& x, int64_t d, const Tensor& index, const char* op) {
  check_int_index(index, op, "index");
  ND_CHECK(index.dim() <= 1, IndexError, "[", op, "] index should have 0 or 1 dims, got shape ",
           shape_str(index.shape()));
  Plan p;
  p.dims = {d};
  p.bshape = {index.numel()};
  p.before = d;
  NoGradGuard no_grad;
  p.offsets = to_device(mul(checked_index(reshape(index, {-1}), x.shape()[size_t(d)], op, d, false, Device{}),
                            Scalar(x.stride(d))), x.device());
  return p;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  ND_CHECK(x.dim() > 0, IndexError, "[index_select] input must have at least 1 dim");
  const int64_t d = core::wrap_dim(dim, x.dim(), "index_select");
  const Plan p = select_plan(x, d, index, "index_select");
  Tensor out = empty(result_shape(x, p), TensorOptions(x.dtype()).with_device(x.device()));
  if (out.numel() > 0)
    ops::launch_on(x.device(), "index_select", cpu::index_gather_stub, make_index_iter(x, p, out, "index_select"));
  if (is_floating(x.dtype())) {
    const Shape shape = x.shape();
    record("IndexSelectBackward0", {x}, {out}, [shape, d, index](const TensorList& g) {
      const Tensor base = zeros(shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      return TensorList{index_add(base, d, index, g[0])};
    });
  }
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  ND_CHECK(x.dim() > 0, IndexError, "[index_add] input must have at least 1 dim");
  const int64_t d = core::wrap_dim(dim, x.dim(), "index_add");
  Shape want = x.shape();
  want[size_t(d)] = index.numel();
  ND_CHECK(source.shape() == want, ValueError, "[index_add] source of shape ", shape_str(source.shape()),
           " doesn't match input of shape ", shape_str(x.shape()), " with index of ", index.numel(),
           " entries along dim ", d, " (expected ", shape_str(want), ")");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = clone(x);
    const Plan p = select_plan(out, d, index, "index_add");
    const bool unit = !alpha.is_floating() && alpha.to_int() == 1;
    scatter_plan(out, p, unit ? source : mul(source, alpha), true, "index_add");
  }
  if (is_floating(x.dtype())) {
    const DType sdtype = source.dtype();
    record("IndexAddBackward0", {x, source}, {out}, [=](const TensorList& g) {
      Tensor gs = is_floating(sdtype) ? to_dtype(mul(index_select(g[0], d, index), alpha), sdtype) : Tensor();
      return TensorList{g[0], gs};
    });
  }
  return out;
}

Tensor& index_add_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  autograd::check_inplace(x, {source}, "index_add_");
  return copy_(x, index_add(x, dim, index, source, alpha));
}

// ---------------------------------------------------------------- gather / scatter

namespace {

struct DimIndex {
  int64_t d = 0, size = 1, stride = 0;
  Tensor index;  // contiguous int64, checked
};

// Checks index against x (and src), as PyTorch: same number of dims; index no larger than
// src anywhere and than x outside dim.
DimIndex dim_index(const Tensor& x, int64_t dim, const Tensor& index, const Tensor* src, const char* op) {
  check_int_index(index, op, "index");
  DimIndex r;
  r.d = core::wrap_dim(dim, std::max<int64_t>(x.dim(), 1), op);
  ND_CHECK(index.dim() == x.dim() || (index.dim() <= 1 && x.dim() <= 1), ValueError, "[", op,
           "] index ", shape_str(index.shape()), " should have the same number of dimensions as input ",
           shape_str(x.shape()));
  for (int64_t k = 0; k < index.dim() && x.dim() > 0; ++k) {
    if (k == r.d) continue;
    ND_CHECK(index.shape()[size_t(k)] <= x.shape()[size_t(k)], ValueError, "[", op, "] size of index ",
             shape_str(index.shape()), " exceeds input ", shape_str(x.shape()), " at dim ", k, " (dim=", r.d, ")");
  }
  if (src) {
    ND_CHECK(src->dim() == index.dim() || (src->dim() <= 1 && index.dim() <= 1), ValueError, "[", op, "] src ",
             shape_str(src->shape()), " should have the same number of dimensions as index ",
             shape_str(index.shape()));
    for (int64_t k = 0; k < index.dim() && src->dim() > 0; ++k)
      ND_CHECK(index.shape()[size_t(k)] <= src->shape()[size_t(k)], ValueError, "[", op, "] size of index ",
               shape_str(index.shape()), " exceeds src ", shape_str(src->shape()), " at dim ", k);
  }
  r.size = x.dim() > 0 ? x.shape()[size_t(r.d)] : 1;
  r.stride = x.dim() > 0 ? x.strides()[size_t(r.d)] : 0;
  r.index = checked_index(index, r.size, op, r.d, false, index.device());
  return r;
}

// t viewed with index's shape and its own strides; stride 0 along dim when `zero_dim`.
Tensor restride(const Tensor& t, const Tensor& index, int64_t d, bool zero_dim) {
  Shape st(size_t(index.dim()), 0);
  for (int64_t k = 0; k < index.dim() && t.dim() > 0; ++k) st[size_t(k)] = t.strides()[size_t(k)];
  if (zero_dim && index.dim() > 0) st[size_t(d)] = 0;
  return as_strided(t.detach(), index.shape(), st, t.offset());
}

// Writes src (already in self's dtype) into self at the checked positions.
void scatter_into(Tensor& self, const DimIndex& di, const Tensor& src, bool accumulate, const char* op) {
  if (di.index.numel() == 0) return;
  const Tensor s = src.dim() == 0 ? expand(ops::scalar_to_device(src, self.device()), di.index.shape())
                                  : restride(src, di.index, di.d, false);
  const Tensor target = restride(self, di.index, di.d, true);
  const int64_t stride = self.dim() > 0 ? self.strides()[size_t(di.d)] : 0;  // self's, not the input's
  ops::launch(cpu::scatter_dim_stub, ops::make_iter(target, {s, di.index}, op),
                                     stride * int64_t(self.element_size()), accumulate);
}

// g (index-shaped) zero-padded at the end of each dim to src's shape: src entries beyond
// index's extent were not scattered, so their gradient is zero.
Tensor grow_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  std::vector<int64_t> p;
  for (int64_t k = g.dim() - 1; k >= 0; --k) p.insert(p.end(), {0, shape[size_t(k)] - g.shape()[size_t(k)]});
  return pad(g, p, "constant", 0.0);
}

Tensor scatter_impl(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, bool src_is_value,
                    bool accumulate, const char* op) {
  const DimIndex di = dim_index(x, dim, index, src_is_value ? nullptr : &src, op);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = clone(x);
    scatter_into(out, di, to_dtype(src, x.dtype()), accumulate, op);
  }
  if (is_floating(x.dtype())) {
    const DType sdtype = src.dtype();
    const Shape sshape = src.shape();
    const int64_t d = di.d;
    record(accumulate ? "ScatterAddBackward0" : "ScatterBackward0", {x, src_is_value ? Tensor() : src}, {out},
           [=](const TensorList& g) {
             Tensor gx = accumulate ? g[0] : scatter(g[0], d, index, Scalar(0.0));
             Tensor gs = !src_is_value && is_floating(sdtype) ? to_dtype(grow_to(gather(g[0], d, index), sshape), sdtype)
                                                             : Tensor();
             return TensorList{gx, gs};
           });
  }
  return out;
}

Tensor& scatter_inplace(Tensor& x, int64_t dim, const Tensor& index, const Tensor& src, bool src_is_value,
                        bool accumulate, const char* op) {
  autograd::check_inplace(x, {src}, op);
  if (autograd::any_requires_grad({&x, &src}))
    return copy_(x, scatter_impl(x, dim, index, src, src_is_value, accumulate, op));
  const DimIndex di = dim_index(x, dim, index, src_is_value ? nullptr : &src, op);
  Tensor s = to_dtype(src, x.dtype());
  if (s.impl()->storage == x.impl()->storage) s = clone(s);
  scatter_into(x, di, s, accumulate, op);
  x.bump_version();
  clear_history(x);
  return x;
}

}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const DimIndex di = dim_index(x, dim, index, nullptr, "gather");
  Tensor out = empty(index.shape(), TensorOptions(x.dtype()).with_device(x.device()));
  if (out.numel() > 0)
    ops::launch(cpu::gather_dim_stub, ops::make_iter(out, {restride(x, di.index, di.d, true), di.index}, "gather"),
                                      di.stride * int64_t(x.element_size()));
  if (is_floating(x.dtype())) {
    const Shape shape = x.shape();
    const int64_t d = di.d;
    record("GatherBackward0", {x}, {out}, [shape, d, index](const TensorList& g) {
      // Outside double backward, scatter into the fresh zeros in place (no clone of them).
      Tensor gx = zeros(shape, TensorOptions(g[0].dtype()).with_device(g[0].device()));
      if (grad_mode_enabled()) return TensorList{scatter_add(gx, d, index, g[0])};
      scatter_add_(gx, d, index, g[0]);
      return TensorList{gx};
    });
  }
  return out;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl(x, dim, index, src, false, false, "scatter");
}
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, Scalar value) {
  return scatter_impl(x, dim, index, scalar_tensor(value, x.dtype()), true, false, "scatter");
}
Tensor& scatter_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_inplace(x, dim, index, src, false, false, "scatter_");
}
Tensor& scatter_(Tensor& x, int64_t dim, const Tensor& index, Scalar value) {
  return scatter_inplace(x, dim, index, scalar_tensor(value, x.dtype()), true, false, "scatter_");
}
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl(x, dim, index, src, false, true, "scatter_add");
}
Tensor& scatter_add_(Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_inplace(x, dim, index, src, false, true, "scatter_add_");
}

// ---------------------------------------------------------------- masks

namespace {

void check_mask(const Tensor& x, const Tensor& mask, const char* op) {
  ND_CHECK(mask.dtype() == DType::Bool, TypeError, "[", op, "] mask must be a bool tensor, got ",
           dtype_name(mask.dtype()));
  ND_CHECK(broadcasts_to(mask.shape(), x.shape()), ValueError, "[", op,
           "] mask of shape ", shape_str(mask.shape()), " can't be broadcast to the input shape ",
           shape_str(x.shape()));
}

}  // namespace

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_mask(x, mask, "masked_fill");
  ND_CHECK(value.dim() == 0, ValueError, "[masked_fill] only supports a 0-dimensional value tensor, but got a "
           "tensor of shape ", shape_str(value.shape()));
  return where(mask, to_dtype(value, x.dtype()), x);
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, Scalar value) {
  return masked_fill(x, mask, scalar_tensor(value, x.dtype()));
}
Tensor& masked_fill_(Tensor& x, const Tensor& mask, const Tensor& value) {
  autograd::check_inplace(x, {value}, "masked_fill_");
  return copy_(x, masked_fill(x, mask, value));
}
Tensor& masked_fill_(Tensor& x, const Tensor& mask, Scalar value) {
  return masked_fill_(x, mask, scalar_tensor(value, x.dtype()));
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  ND_CHECK(mask.dtype() == DType::Bool, TypeError, "[masked_select] mask must be a bool tensor, got ",
           dtype_name(mask.dtype()));
  const Shape shape = core::broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const int64_t n = shape_numel(shape);
  return index(reshape(expand(x, shape), {n}), {reshape(expand(mask, shape), {n})});
}

Tensor nonzero(const Tensor& x) {
  NoGradGuard no_grad;
  // The mask is compared on x's device and compacted on the host (the result's size must be
  // known there anyway); the coordinates go back to x's device.
  const Tensor mask = contiguous(to_device(ne(x, Scalar(0)), Device{}));
  const int64_t count = sum(mask).item<int64_t>();
  Tensor out = empty({count, x.dim()}, DType::Int64);
  ND_CHECK(x.dim() <= cpu::kMaxDims, ValueError, "[nonzero] too many dims: ", x.dim());
  if (count > 0) cpu::select(cpu::nonzero_stub)(mask.data<bool>(), x.shape().data(), int(x.dim()), out.data<int64_t>());
  return to_device(out, x.device());
}

std::vector<Tensor> nonzero_tuple(const Tensor& x) {
  if (x.dim() == 0) return nonzero_tuple(reshape(x, {1}));
  const Tensor nz = nonzero(x);
  std::vector<Tensor> cols;
  for (int64_t k = 0; k < x.dim(); ++k) cols.push_back(contiguous(select(nz, 1, k)));
  return cols;
}

Tensor take(const Tensor& x, const Tensor& index) {
  check_int_index(index, "take", "index");
  return nd::index(reshape(x, {x.numel()}), {index});
}

}  // namespace nd
