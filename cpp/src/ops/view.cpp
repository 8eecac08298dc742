// View ops: new shape/strides/offset over the same storage; backward maps the gradient back.
#include <algorithm>
#include <numeric>

#include "autograd/meta.h"
#include "core/shape.h"
#include "nativedl/nativedl.h"
#include "ops/view_history.h"

namespace nd {

using autograd::record;

Tensor as_strided(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = x.impl()->storage;
  impl->offset = offset;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = x.dtype();
  impl->version = x.impl()->version;
  impl->is_view = true;
  impl->view_base = x.impl()->view_base ? x.impl()->view_base : x.impl_ptr();
  impl->view_version = x.version();
  return Tensor(std::move(impl));
}

// Writes g into a zero tensor of `base_shape` through the view `make` takes of it: the
// backward of every view that drops elements (slice, select, diagonal ...).
using ViewFn = std::function<Tensor(const Tensor&)>;
static Tensor view_scatter(const Tensor& g, const Shape& base_shape, const ViewFn& make) {
  Tensor base = zeros(base_shape, TensorOptions(g.dtype()).with_device(g.device()));
  Tensor v = make(base);
  {
    NoGradGuard no_grad;
    copy_(v, g);
  }
  record("ViewScatterBackward", {g}, {base}, [make](const TensorList& gg) { return TensorList{make(gg[0])}; });
  return base;
}

// Note [In-place on views]
// An in-place op on a view changes its base too, so the base's history must see it, as in
// PyTorch: the base gets a CopySlices node (its old history outside the view's region, the
// op's result inside it) and the view becomes a fresh as_strided view of the new base.
// Other views of the base made earlier still carry history from before the write; each
// view remembers the version it was made at and, when used after a write, regenerates its
// history from the base (autograd::gradient_edge calls refresh_view_history).
// Regions are mapped through storage offsets, so this needs a contiguous base.

namespace {

struct ViewGeometry {
  Shape shape, strides;
  int64_t rel_offset;  // from the base's first element
  Tensor of(const Tensor& b) const { return as_strided(b, shape, strides, b.offset() + rel_offset); }
};

ViewGeometry geometry(const Tensor& view, const Tensor& base) {
  return {view.shape(), view.strides(), view.offset() - base.offset()};
}

// Gives `view` the history "as_strided view of base" (base's current history).
void attach_view_history(const Tensor& view, const Tensor& base) {
  const ViewGeometry geo = geometry(view, base);
  const Shape base_shape = base.shape();
  autograd::record("AsStridedBackward0", {base}, {view}, [geo, base_shape](const TensorList& g) {
    return TensorList{view_scatter(contiguous(g[0]), base_shape, [geo](const Tensor& b) { return geo.of(b); })};
  });
  view.impl()->view_version = view.version();
}

}  // namespace

namespace ops {

bool view_history_rebasable(const Tensor& view) {
  const auto& base = view.impl()->view_base;
  return base != nullptr && Tensor(base).is_contiguous();
}

void rebase_view_history(const Tensor& view, const Tensor& result) {
  Tensor base(view.impl()->view_base);
  const ViewGeometry geo = geometry(view, base);
  Tensor outside;  // 1 outside the view's region, 0 inside
  {
    NoGradGuard no_grad;
    outside = ones(base.shape(), result.dtype());
    Tensor region = geo.of(outside);
    fill_(region, Scalar(0.0));
  }
  autograd::record("CopySlices", {base, result}, {base}, [geo, outside](const TensorList& g) {
    const Tensor gc = contiguous(g[0]);
    return TensorList{gc * outside, contiguous(geo.of(gc))};
  });
  attach_view_history(view, base);
}

void refresh_view_history(const Tensor& view) {
  TensorImpl* impl = view.impl();
  if (!impl->view_base || impl->view_version == view.version() || !grad_mode_enabled()) return;
  Tensor base(impl->view_base);
  if (!base.requires_grad() || !base.is_contiguous()) return;
  attach_view_history(view, base);
}

}  // namespace ops

static Tensor make_view(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset,
                        const char* name, FunctionNode::Backward bw) {
  Tensor out = as_strided(x, shape, strides, offset);
  record(name, {x}, {out}, std::move(bw));
  return out;
}

static Shape infer_shape(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      ND_CHECK(infer < 0, ValueError, "[", op, "] only one dimension can be inferred in ", shape_str(shape));
      infer = int64_t(i);
    } else {
      ND_CHECK(out[i] >= 0, ValueError, "[", op, "] invalid shape dimension ", out[i], " in ", shape_str(shape));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    ND_CHECK(known != 0 && numel % known == 0, ValueError, "[", op, "] shape ", shape_str(shape),
             " is invalid for input of shape ", shape_str(from), " (", numel, " elements)");
    out[size_t(infer)] = numel / known;
  }
  ND_CHECK(shape_numel(out) == numel, ValueError, "[", op, "] shape ", shape_str(shape),
           " is invalid for input of shape ", shape_str(from), " (", numel, " elements)");
  return out;
}

// Strides for viewing x as `shape`, if possible without copying (PyTorch's computeStride).
static std::optional<Shape> view_strides(const Tensor& x, const Shape& shape) {
  const Shape& old = x.shape();
  const Shape& olds = x.strides();
  Shape st(shape.size());
  if (x.numel() == 0 || x.is_contiguous()) return contiguous_strides(shape);
  int64_t view_d = int64_t(shape.size()) - 1;
  int64_t chunk_base_stride = olds.empty() ? 1 : olds.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(old.size()) - 1; d >= 0; --d) {
    tensor_numel *= old[size_t(d)];
    if (d == 0 || (old[size_t(d - 1)] != 1 && olds[size_t(d - 1)] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[size_t(view_d)] == 1)) {
        st[size_t(view_d)] = view_numel * chunk_base_stride;
        view_numel *= shape[size_t(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) { chunk_base_stride = olds[size_t(d - 1)]; tensor_numel = 1; view_numel = 1; }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

Tensor view(const Tensor& x, const Shape& shape_in) {
  const Shape shape = infer_shape(shape_in, x.numel(), "view", x.shape());
  auto st = view_strides(x, shape);
  ND_CHECK(st.has_value(), ValueError, "[view] view size ", shape_str(shape), " is not compatible with input "
           "of shape ", shape_str(x.shape()), " and strides ", shape_str(x.strides()), " (at least one dimension "
           "spans across two contiguous subspaces); use reshape instead");
  const Shape in_shape = x.shape();
  return make_view(x, shape, *st, x.offset(), "ViewBackward0",
                   [in_shape](const TensorList& g) { return TensorList{reshape(g[0], in_shape)}; });
}

Tensor reshape(const Tensor& x, const Shape& shape_in) {
  const Shape shape = infer_shape(shape_in, x.numel(), "reshape", x.shape());
  if (view_strides(x, shape)) return view(x, shape);
  return view(clone(x), shape);
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  const int64_t n = x.dim();
  ND_CHECK(int64_t(dims.size()) == n, ValueError, "[permute] number of dims ", dims.size(),
           " doesn't match the tensor's ", n, " dims (shape ", shape_str(x.shape()), ")");
  Shape shape(static_cast<size_t>(n)), strides(static_cast<size_t>(n));
  std::vector<int64_t> inverse(static_cast<size_t>(n), -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = core::wrap_dim(dims[size_t(i)], n, "permute");
    ND_CHECK(inverse[size_t(d)] < 0, ValueError, "[permute] repeated dim ", d, " in ", core::ints_str(dims));
    inverse[size_t(d)] = i;
    shape[size_t(i)] = x.shape()[size_t(d)];
    strides[size_t(i)] = x.strides()[size_t(d)];
  }
  return make_view(x, shape, strides, x.offset(), "PermuteBackward0",
                   [inverse](const TensorList& g) { return TensorList{permute(g[0], inverse)}; });
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  const int64_t n = x.dim();
  std::vector<int64_t> dims(size_t(std::max<int64_t>(n, 0)));
  std::iota(dims.begin(), dims.end(), 0);
  if (n == 0) {  // a 0-d tensor accepts dims 0 and -1
    core::wrap_dim(dim0, 0, "transpose");
    core::wrap_dim(dim1, 0, "transpose");
    return permute(x, {});
  }
  std::swap(dims[size_t(core::wrap_dim(dim0, n, "transpose"))], dims[size_t(core::wrap_dim(dim1, n, "transpose"))]);
  return permute(x, dims);
}

Tensor t(const Tensor& x) {
  std::vector<int64_t> dims(size_t(x.dim()));
  std::iota(dims.rbegin(), dims.rend(), 0);
  return permute(x, dims);
}

Tensor mT(const Tensor& x) {
  ND_CHECK(x.dim() >= 2, ValueError, "[mT] tensor of shape ", shape_str(x.shape()), " has fewer than 2 dims");
  return transpose(x, -2, -1);
}

Tensor expand(const Tensor& x, const Shape& shape_in) {
  const size_t n = shape_in.size(), xd = size_t(x.dim());
  ND_CHECK(n >= xd, ValueError, "[expand] the number of sizes provided (", n, ") must be greater or equal to "
           "the number of dimensions in the tensor (", xd, ")");
  Shape shape(n), strides(n);
  for (size_t i = 0; i < n; ++i) {
    const bool old = i >= n - xd;
    const int64_t xs = old ? x.shape()[i - (n - xd)] : 1;
    int64_t want = shape_in[i];
    if (want == -1) {
      ND_CHECK(old, ValueError, "[expand] -1 is not allowed in a leading, non-existing dimension ", i);
      want = xs;
    }
    ND_CHECK(xs == want || xs == 1, ValueError, "[expand] the expanded size of the tensor (", want,
             ") must match the existing size (", xs, ") at non-singleton dimension ", i, ".  Target sizes: ",
             shape_str(shape_in), ".  Tensor sizes: ", shape_str(x.shape()));
    shape[i] = want;
    strides[i] = (old && xs == want) ? x.strides()[i - (n - xd)] : 0;
  }
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, x.offset(), "ExpandBackward0",
                   [in_shape](const TensorList& g) { return TensorList{sum_to(g[0], in_shape)}; });
}

Tensor squeeze(const Tensor& x, const std::optional<std::vector<int64_t>>& dims) {
  std::vector<bool> drop(size_t(x.dim()), false);
  if (dims) {
    for (int64_t d : *dims) {
      const int64_t w = core::wrap_dim(d, x.dim(), "squeeze");
      if (x.dim() > 0 && x.shape()[size_t(w)] == 1) drop[size_t(w)] = true;
    }
  } else {
    for (size_t i = 0; i < drop.size(); ++i) drop[i] = x.shape()[i] == 1;
  }
  Shape shape, strides;
  for (size_t i = 0; i < drop.size(); ++i)
    if (!drop[i]) { shape.push_back(x.shape()[i]); strides.push_back(x.strides()[i]); }
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, x.offset(), "SqueezeBackward0",
                   [in_shape](const TensorList& g) { return TensorList{reshape(g[0], in_shape)}; });
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  const int64_t d = core::wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape(), strides = x.strides();
  const int64_t st = d < x.dim() ? x.strides()[size_t(d)] * x.shape()[size_t(d)] : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, st);
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, x.offset(), "UnsqueezeBackward0",
                   [in_shape](const TensorList& g) { return TensorList{reshape(g[0], in_shape)}; });
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  const int64_t s = core::wrap_dim(start_dim, x.dim(), "flatten"), e = core::wrap_dim(end_dim, x.dim(), "flatten");
  ND_CHECK(s <= e, ValueError, "[flatten] start_dim (", start_dim, ") cannot come after end_dim (", end_dim, ")");
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t n = 1;
  for (int64_t i = s; i <= e; ++i) n *= x.shape()[size_t(i)];
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes) {
  ND_CHECK(x.dim() > 0, IndexError, "[unflatten] cannot unflatten a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "unflatten");
  const Shape inner = infer_shape(sizes, x.shape()[size_t(d)], "unflatten", {x.shape()[size_t(d)]});
  Shape shape(x.shape().begin(), x.shape().begin() + d);
  shape.insert(shape.end(), inner.begin(), inner.end());
  shape.insert(shape.end(), x.shape().begin() + d + 1, x.shape().end());
  return view(x, shape);
}

Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start_in, std::optional<int64_t> end_in,
             int64_t step) {
  ND_CHECK(x.dim() > 0, IndexError, "[slice] cannot slice a 0-d tensor");
  ND_CHECK(step > 0, ValueError, "[slice] step must be greater than zero, got ", step);
  const int64_t d = core::wrap_dim(dim, x.dim(), "slice");
  const int64_t size = x.shape()[size_t(d)];
  auto clampi = [size](int64_t v) { if (v < 0) v += size; return std::clamp<int64_t>(v, 0, size); };
  const int64_t start = start_in ? clampi(*start_in) : 0;
  const int64_t end = std::max(start, end_in ? clampi(*end_in) : size);
  Shape shape = x.shape(), strides = x.strides();
  shape[size_t(d)] = (end - start + step - 1) / step;
  strides[size_t(d)] *= step;
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, x.offset() + start * x.strides()[size_t(d)], "SliceBackward0",
                   [=](const TensorList& g) {
                     return TensorList{view_scatter(g[0], in_shape, [=](const Tensor& b) { return slice(b, d, start, end, step); })};
                   });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  ND_CHECK(x.dim() > 0, IndexError, "[narrow] cannot narrow a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "narrow");
  const int64_t size = x.shape()[size_t(d)];
  if (start < 0) start += size;
  ND_CHECK(start >= 0 && length >= 0 && start + length <= size, IndexError, "[narrow] start (", start,
           ") + length (", length, ") exceeds dimension size (", size, ") of dim ", d, " in shape ",
           shape_str(x.shape()));
  return slice(x, d, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  ND_CHECK(x.dim() > 0, IndexError, "[select] invalid index of a 0-dim tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "select");
  const int64_t size = x.shape()[size_t(d)];
  ND_CHECK(index >= -size && index < size, IndexError, "[select] index ", index, " is out of bounds for dimension ",
           d, " with size ", size, " (shape ", shape_str(x.shape()), ")");
  if (index < 0) index += size;
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, x.offset() + index * x.strides()[size_t(d)], "SelectBackward0",
                   [=](const TensorList& g) {
                     return TensorList{view_scatter(g[0], in_shape, [=](const Tensor& b) { return select(b, d, index); })};
                   });
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  ND_CHECK(x.dim() > 0, IndexError, "[unbind] cannot unbind a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.shape()[size_t(d)]; ++i) out.push_back(select(x, d, i));
  return out;
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  const int64_t d1 = core::wrap_dim(dim1, x.dim(), "diagonal"), d2 = core::wrap_dim(dim2, x.dim(), "diagonal");
  ND_CHECK(d1 != d2, ValueError, "[diagonal] dim1 and dim2 cannot be identical, got ", d1);
  const int64_t n1 = x.shape()[size_t(d1)], n2 = x.shape()[size_t(d2)];
  int64_t len = offset >= 0 ? std::min(n1, n2 - offset) : std::min(n1 + offset, n2);
  len = std::max<int64_t>(len, 0);
  int64_t off = x.offset();
  if (len > 0) off += offset >= 0 ? offset * x.strides()[size_t(d2)] : -offset * x.strides()[size_t(d1)];
  Shape shape, strides;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d1 && i != d2) { shape.push_back(x.shape()[size_t(i)]); strides.push_back(x.strides()[size_t(i)]); }
  shape.push_back(len);
  strides.push_back(x.strides()[size_t(d1)] + x.strides()[size_t(d2)]);
  const Shape in_shape = x.shape();
  return make_view(x, shape, strides, off, "DiagonalBackward0", [=](const TensorList& g) {
    return TensorList{view_scatter(g[0], in_shape, [=](const Tensor& b) { return diagonal(b, offset, d1, d2); })};
  });
}

}  // namespace nd
