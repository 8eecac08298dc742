// sort, argsort and topk: the dim is moved innermost (a copy only when needed), rows are
// sorted by the kernel, and the gradient of the values is scattered back to their positions.
#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/indexing_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace {

// Moves dim d of t to the end (or back from the end when `inverse`).
Tensor move_dim_last(const Tensor& t, int64_t d, bool inverse) {
  std::vector<int64_t> order;
  for (int64_t i = 0; i < t.dim(); ++i) if (i != d) order.push_back(i);
  order.push_back(d);
  if (!inverse) return permute(t, order);
  std::vector<int64_t> back(order.size());
  for (size_t i = 0; i < order.size(); ++i) back[size_t(order[i])] = int64_t(i);
  return permute(t, back);
}

SortResult sort_k(const Tensor& x, int64_t dim, int64_t k, bool descending, const char* op, bool topk) {
  const int64_t d = core::wrap_dim(dim, std::max<int64_t>(x.dim(), 1), op);
  const int64_t len = x.dim() > 0 ? x.shape()[size_t(d)] : 1;
  if (topk)
    ND_CHECK(k >= 0 && k <= len, ValueError, "[", op, "] k (", k, ") is out of range for dimension ", d,
             " with size ", len, " (shape ", shape_str(x.shape()), ")");
  SortResult r;
  {
    NoGradGuard no_grad;
    const Tensor rows = contiguous(x.dim() > 0 ? move_dim_last(x, d, false) : reshape(x, {1}));
    Shape out_shape = rows.shape();
    out_shape.back() = k;
    const TensorOptions on_x = TensorOptions(x.dtype()).with_device(x.device());
    const TensorOptions index_on_x = TensorOptions(DType::Int64).with_device(x.device());
    Tensor values = empty(out_shape, on_x), indices = empty(out_shape, index_on_x);
    const int64_t nrows = len > 0 ? rows.numel() / len : 0;
    Tensor order = k == len ? indices : empty({nrows * len}, index_on_x);
    auto i64 = [](const Tensor& t) { return static_cast<int64_t*>(t.device_data_ptr()); };
    if (nrows > 0 && len > 0)
      ops::launch_on(x.device(), op, cpu::sort_rows_stub, rows.device_data_ptr(), nrows, len, k, descending,
                     i64(order), values.device_data_ptr(), i64(indices), x.dtype());
    if (x.dim() == 0) {
      r.values = reshape(values, {});
      r.indices = reshape(indices, {});
    } else {
      r.values = contiguous(move_dim_last(values, d, true));
      r.indices = contiguous(move_dim_last(indices, d, true));
    }
  }
  if (is_floating(x.dtype())) {
    const Shape shape = x.shape();
    const Tensor idx = r.indices;
    autograd::record(topk ? "TopkBackward0" : "SortBackward0", {x}, {r.values}, [shape, d, idx](const TensorList& g) {
      return TensorList{scatter(zeros(shape, TensorOptions(g[0].dtype()).with_device(g[0].device())), d, idx, g[0])};
    });
  }
  return r;
}

}  // namespace

SortResult sort(const Tensor& x, int64_t dim, bool descending, bool /*stable: ties always keep order*/) {
  const int64_t d = core::wrap_dim(dim, std::max<int64_t>(x.dim(), 1), "sort");
  return sort_k(x, dim, x.dim() > 0 ? x.shape()[size_t(d)] : 1, descending, "sort", false);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  return sort(x, dim, descending, stable).indices;
}

SortResult topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool /*sorted: always sorted*/) {
  return sort_k(x, dim, k, largest, "topk", true);
}

}  // namespace nd
