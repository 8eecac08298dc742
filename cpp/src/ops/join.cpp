// Joining and rearranging: cat and flip are ops with their own backward; the rest are
// compositions of differentiable ops (views, cat, index_select, where), so their gradients
// and double backward come for free.
#include <numeric>

#include "autograd/meta.h"
#include "core/shape.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

using autograd::record;

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  ND_CHECK(!tensors.empty(), ValueError, "[cat] expected a non-empty list of tensors");
  // PyTorch's legacy rule: 1-d tensors of size 0 are skipped whatever the other shapes.
  auto skipped = [](const Tensor& t) { return t.dim() == 1 && t.shape()[0] == 0; };
  const Tensor* ref = nullptr;
  DType dtype = tensors[0].dtype();
  for (size_t i = 0; i < tensors.size(); ++i) {
    dtype = promote_types(dtype, tensors[i].dtype());
    ND_CHECK(tensors[i].dim() > 0, ValueError, "[cat] zero-dimensional tensor (at position ", i,
             ") cannot be concatenated");
    if (!ref && !skipped(tensors[i])) ref = &tensors[i];
  }
  if (!ref) return empty({0}, TensorOptions(dtype).with_device(tensors[0].device()));
  const int64_t d = core::wrap_dim(dim, ref->dim(), "cat");
  Shape shape = ref->shape();
  shape[size_t(d)] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped(t)) continue;
    bool match = t.dim() == ref->dim();
    for (int64_t k = 0; match && k < t.dim(); ++k) match = k == d || t.shape()[size_t(k)] == ref->shape()[size_t(k)];
    ND_CHECK(match, ValueError, "[cat] sizes of tensors must match except in dimension ", d, ": tensor ",
             ref - tensors.data(), " has shape ", shape_str(ref->shape()), " but tensor ", i, " has shape ",
             shape_str(t.shape()));
    shape[size_t(d)] += t.shape()[size_t(d)];
  }
  // The parts are copied in below, and copy_ crosses devices: check first that they share one.
  for (const Tensor& t : tensors) ops::common_device("cat", {ref, &t});
  Tensor out = empty(shape, TensorOptions(dtype).with_device(ref->device()));
  std::vector<int64_t> starts;
  {
    NoGradGuard no_grad;
    int64_t off = 0;
    for (const Tensor& t : tensors) {
      starts.push_back(off);
      if (skipped(t)) continue;
      Tensor part = narrow(out, d, off, t.shape()[size_t(d)]);
      copy_(part, t);
      off += t.shape()[size_t(d)];
    }
  }
  if (is_floating(dtype)) {
    std::vector<int64_t> lens;
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) {
      lens.push_back(skipped(t) ? -1 : t.shape()[size_t(d)]);
      dtypes.push_back(t.dtype());
    }
    record("CatBackward0", tensors, {out}, [d, starts, lens, dtypes](const TensorList& g) {
      TensorList r(lens.size());
      for (size_t i = 0; i < lens.size(); ++i)
        if (lens[i] >= 0 && is_floating(dtypes[i])) r[i] = to_dtype(narrow(g[0], d, starts[i], lens[i]), dtypes[i]);
      return r;
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  ND_CHECK(!tensors.empty(), ValueError, "[stack] expected a non-empty list of tensors");
  const int64_t d = core::wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    ND_CHECK(tensors[i].shape() == tensors[0].shape(), ValueError, "[stack] expects each tensor to be equal "
             "size, but got ", shape_str(tensors[0].shape()), " at entry 0 and ", shape_str(tensors[i].shape()),
             " at entry ", i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  ND_CHECK(x.dim() > 0, ValueError, "[split] cannot split a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "split");
  const int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t(0));
  bool nonneg = true;
  for (int64_t s : sizes) nonneg = nonneg && s >= 0;
  ND_CHECK(nonneg && total == x.shape()[size_t(d)], ValueError, "[split] split_with_sizes expects split_sizes "
           "to sum exactly to ", x.shape()[size_t(d)], " (input tensor's size at dimension ", d, "), but got "
           "split_sizes=", core::ints_str(sizes));
  std::vector<Tensor> out;
  int64_t off = 0;
  for (int64_t s : sizes) { out.push_back(narrow(x, d, off, s)); off += s; }
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  ND_CHECK(x.dim() > 0, ValueError, "[split] cannot split a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.shape()[size_t(d)];
  ND_CHECK(split_size > 0 || (split_size == 0 && n == 0), ValueError, "[split] split_size can only be 0 if "
           "dimension size is 0, and must be non-negative; got split_size=", split_size, " for size ", n);
  if (n == 0) return {narrow(x, d, 0, 0)};
  std::vector<int64_t> sizes;
  for (int64_t off = 0; off < n; off += split_size) sizes.push_back(std::min(split_size, n - off));
  return split_with_sizes(x, sizes, d);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  ND_CHECK(chunks > 0, ValueError, "[chunk] chunks must be greater than 0, got ", chunks);
  ND_CHECK(x.dim() > 0, ValueError, "[chunk] cannot chunk a 0-d tensor");
  const int64_t d = core::wrap_dim(dim, x.dim(), "chunk");
  const int64_t n = x.shape()[size_t(d)];
  if (n == 0) return split_with_sizes(x, std::vector<int64_t>(size_t(chunks), 0), d);
  return split(x, (n + chunks - 1) / chunks, d);
}

Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<bool> flipped(size_t(x.dim()), false);
  for (int64_t dim : dims) {
    const int64_t d = core::wrap_dim(dim, x.dim(), "flip");
    ND_CHECK(!flipped[size_t(d)], ValueError, "[flip] dim ", d, " appears multiple times in the list of dims ",
             core::ints_str(dims));
    flipped[size_t(d)] = true;
  }
  Tensor out;
  {
    NoGradGuard no_grad;
    // A reversed-stride view of x, copied: flip returns new memory, as PyTorch.
    Shape strides = x.strides();
    int64_t offset = x.offset();
    for (size_t d = 0; d < flipped.size() && x.numel() > 0; ++d) {
      if (!flipped[d]) continue;
      offset += (x.shape()[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
    out = clone(as_strided(x, x.shape(), strides, offset));
  }
  record("FlipBackward0", {x}, {out}, [dims](const TensorList& g) { return TensorList{flip(g[0], dims)}; });
  return out;
}

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  if (dims.empty()) {
    ND_CHECK(shifts.size() == 1, ValueError, "[roll] without dims, shifts must have one entry, got ",
             core::ints_str(shifts));
    return reshape(roll(flatten(x), shifts, {0}), x.shape());
  }
  ND_CHECK(shifts.size() == dims.size(), ValueError, "[roll] shifts and dimensions must align. shifts: ",
           shifts.size(), ", dims: ", dims.size());
  Tensor out = x;
  for (size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = core::wrap_dim(dims[i], x.dim(), "roll");
    const int64_t n = x.shape()[size_t(d)];
    if (n == 0) continue;
    const int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({narrow(out, d, n - s, s), narrow(out, d, 0, n - s)}, d);
  }
  return out.is_same(x) ? clone(x) : out;
}

Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  const size_t n = repeats.size();
  ND_CHECK(int64_t(n) >= x.dim(), ValueError, "[repeat] number of dimensions of repeat dims (", n,
           ") can not be smaller than number of dimensions of tensor (", x.dim(), ")");
  for (int64_t r : repeats)
    ND_CHECK(r >= 0, ValueError, "[repeat] repeats must be non-negative, got ", core::ints_str(repeats));
  // x as (1, s0, 1, s1, ...), expanded to (r0, s0, r1, s1, ...), copied, then merged pairwise.
  Shape inter, expanded, final_shape;
  const size_t lead = n - size_t(x.dim());
  for (size_t i = 0; i < n; ++i) {
    const int64_t s = i < lead ? 1 : x.shape()[i - lead];
    inter.insert(inter.end(), {1, s});
    expanded.insert(expanded.end(), {repeats[i], s});
    final_shape.push_back(repeats[i] * s);
  }
  return reshape(clone(expand(reshape(x, inter), expanded)), final_shape);
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> reps(dims);
  while (int64_t(reps.size()) < x.dim()) reps.insert(reps.begin(), 1);
  return repeat(x, reps);
}

namespace {

// Source position of each output position along one padded dim of size n.
Tensor pad_index(int64_t n, int64_t left, int64_t right, const std::string& mode, int64_t dim) {
  if (mode == "reflect")
    ND_CHECK(left < n && right < n, ValueError, "[pad] padding size should be less than the corresponding input "
             "dimension, but got padding (", left, ", ", right, ") at dim ", dim, " of size ", n);
  if (mode == "circular")
    ND_CHECK(left <= n && right <= n, ValueError, "[pad] padding value causes wrapping around more than once: "
             "padding (", left, ", ", right, ") at dim ", dim, " of size ", n);
  ND_CHECK(n > 0, ValueError, "[pad] ", mode, " padding needs a non-empty dim, but dim ", dim, " has size 0");
  const int64_t m = n + left + right;
  ND_CHECK(m >= 0, ValueError, "[pad] the input size ", n, ", plus padding ", left, " and ", right,
           " resulted in a negative output size ", m);
  std::vector<int64_t> idx(static_cast<size_t>(m));
  for (int64_t i = 0; i < m; ++i) {
    int64_t p = i - left;
    if (mode == "reflect") p = p < 0 ? -p : (p >= n ? 2 * (n - 1) - p : p);
    else if (mode == "replicate") p = std::clamp<int64_t>(p, 0, n - 1);
    else p = ((p % n) + n) % n;
    idx[size_t(i)] = p;
  }
  return from_vector(idx, {m});
}

Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& p, double value) {
  const size_t np = p.size() / 2;
  Shape shape = x.shape();
  std::vector<int64_t> src_start(np), dst_start(np), len(np);
  for (size_t i = 0; i < np; ++i) {
    const size_t d = size_t(x.dim()) - 1 - i;
    const int64_t n = shape[d], l = p[2 * i], r = p[2 * i + 1];
    ND_CHECK(n + l + r >= 0, ValueError, "[pad] the input size ", n, ", plus negative padding ", l, " and ", r,
             " resulted in a negative output size ", n + l + r);
    shape[d] = n + l + r;
    src_start[i] = std::max<int64_t>(-l, 0);
    dst_start[i] = std::max<int64_t>(l, 0);
    len[i] = std::max<int64_t>(0, n - src_start[i] - std::max<int64_t>(-r, 0));
  }
  Tensor out = full(shape, is_floating(x.dtype()) ? Scalar(value) : Scalar(int64_t(value)),
                    TensorOptions(x.dtype()).with_device(x.device()));
  {
    NoGradGuard no_grad;
    Tensor dst = out, src = x;
    for (size_t i = 0; i < np; ++i) {
      const int64_t d = x.dim() - 1 - int64_t(i);
      dst = narrow(dst, d, dst_start[i], len[i]);
      src = narrow(src, d, src_start[i], len[i]);
    }
    if (src.numel() > 0) copy_(dst, src);
  }
  std::vector<int64_t> back(p.size());
  for (size_t i = 0; i < p.size(); ++i) back[i] = -p[i];
  record("ConstantPadNdBackward0", {x}, {out}, [back](const TensorList& g) {
    return TensorList{pad(g[0], back, "constant", 0.0)};
  });
  return out;
}

}  // namespace

Tensor pad(const Tensor& x, const std::vector<int64_t>& p, const std::string& mode, double value) {
  ND_CHECK(p.size() % 2 == 0, ValueError, "[pad] padding length must be divisible by 2, got ", core::ints_str(p));
  ND_CHECK(int64_t(p.size() / 2) <= x.dim(), ValueError, "[pad] padding length (", p.size(),
           ") too large for an input of shape ", shape_str(x.shape()));
  if (mode == "constant") return constant_pad(x, p, value);
  ND_CHECK(mode == "reflect" || mode == "replicate" || mode == "circular", ValueError, "[pad] mode must be "
           "'constant', 'reflect', 'replicate' or 'circular', got '", mode, "'");
  Tensor out = x;
  for (size_t i = 0; i < p.size() / 2; ++i) {
    const int64_t d = x.dim() - 1 - int64_t(i);
    out = index_select(out, d, pad_index(x.shape()[size_t(d)], p[2 * i], p[2 * i + 1], mode, d));
  }
  return out.is_same(x) ? clone(x) : out;
}

namespace {

Tensor triangle(const Tensor& x, int64_t diagonal, bool lower, const char* op) {
  ND_CHECK(x.dim() >= 2, ValueError, "[", op, "] input tensor must have at least 2 dimensions, got shape ",
           shape_str(x.shape()));
  const int64_t n = x.shape()[size_t(x.dim() - 2)], m = x.shape()[size_t(x.dim() - 1)];
  Tensor keep;
  {
    NoGradGuard no_grad;
    const TensorOptions on_x = TensorOptions(DType::Int64).with_device(x.device());
    const Tensor rows = reshape(arange(Scalar(int64_t(0)), Scalar(n), Scalar(int64_t(1)), on_x), {n, 1});
    const Tensor cols = arange(Scalar(int64_t(0)), Scalar(m), Scalar(int64_t(1)), on_x);
    const Tensor diff = sub(cols, rows);
    keep = lower ? le(diff, Scalar(diagonal)) : ge(diff, Scalar(diagonal));
  }
  return where(keep, x, zeros({}, x.dtype()));
}

}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true, "tril"); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false, "triu"); }

}  // namespace nd
