// Embedding lookups and bags: checks, index bookkeeping, and a backward written with ops
// (index_add), so it is differentiable again.
#include <algorithm>
#include <vector>

#include "autograd/meta.h"
#include "core/shape.h"
#include "nativedl/nativedl.h"

namespace nd {

using autograd::record;

namespace {

// indices as int64, checked against [0, N).
Tensor checked_indices(const Tensor& indices, int64_t N, const char* op) {
  ND_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32, TypeError, "[", op,
           "] indices must be an int64 or int32 tensor, got ", dtype_name(indices.dtype()));
  const Tensor idx = contiguous(to_dtype(indices, DType::Int64));
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    ND_CHECK(p[i] >= 0 && p[i] < N, IndexError, "[", op, "] index ", p[i], " (position ", i, " of indices ",
             shape_str(indices.shape()), ") is out of range for an embedding with num_embeddings=", N);
  return idx;
}

void check_weight(const Tensor& weight, const char* op) {
  ND_CHECK(weight.dim() == 2, ValueError, "[", op, "] weight must be 2-d (num_embeddings, embedding_dim), got ",
           shape_str(weight.shape()));
  ND_CHECK(is_floating(weight.dtype()), TypeError, "[", op, "] weight must be floating point, got ",
           dtype_name(weight.dtype()));
}

std::optional<int64_t> normalized_padding(std::optional<int64_t> padding_idx, int64_t N, const char* op) {
  if (!padding_idx) return padding_idx;
  const int64_t p = *padding_idx < 0 ? *padding_idx + N : *padding_idx;
  ND_CHECK(p >= 0 && p < N, ValueError, "[", op, "] padding_idx=", *padding_idx,
           " must be within num_embeddings=", N);
  return p;
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, std::optional<int64_t> padding_idx,
                 bool scale_grad_by_freq) {
  const char* op = "embedding";
  check_weight(weight, op);
  const int64_t N = weight.shape()[0], D = weight.shape()[1];
  const Tensor idx = reshape(checked_indices(indices, N, op), {-1});
  const std::optional<int64_t> pad = normalized_padding(padding_idx, N, op);
  Shape out_shape = indices.shape();
  out_shape.push_back(D);
  Tensor out;
  {
    NoGradGuard no_grad;
    out = reshape(index_select(weight, 0, idx), out_shape);
  }
  SavedTensor sw(weight);
  record("EmbeddingBackward0", {weight}, {out}, [=](const TensorList& g) -> TensorList {
    const Tensor w = sw.unpack();
    Tensor g2 = reshape(g[0], {idx.numel(), D});
    if (scale_grad_by_freq) {
      const Tensor counts = index_add(zeros({N}, w.dtype()), 0, idx, ones({idx.numel()}, w.dtype()));
      g2 = g2 / unsqueeze(index_select(counts, 0, idx), 1);
    }
    if (pad) g2 = g2 * unsqueeze(to_dtype(ne(idx, Scalar(*pad)), w.dtype()), 1);
    return {index_add(zeros({N, D}, w.dtype()), 0, idx, g2)};
  });
  return out;
}

Tensor& embedding_renorm_(Tensor& weight, const Tensor& indices, double max_norm, double norm_type) {
  const char* op = "embedding_renorm_";
  check_weight(weight, op);
  ND_CHECK(max_norm >= 0, ValueError, "[", op, "] max_norm must be >= 0, got ", max_norm);
  const int64_t N = weight.shape()[0];
  const Tensor idx = checked_indices(indices, N, op);
  // Each referenced row once (a repeated index is rescaled once, as PyTorch).
  std::vector<int64_t> rows;
  std::vector<bool> seen(size_t(N), false);
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    if (!seen[size_t(p[i])]) { seen[size_t(p[i])] = true; rows.push_back(p[i]); }
  if (rows.empty()) return weight;
  NoGradGuard no_grad;
  Tensor r = empty({int64_t(rows.size())}, DType::Int64);
  std::copy(rows.begin(), rows.end(), r.data<int64_t>());
  const Tensor sel = index_select(weight, 0, r);
  const Tensor norms = norm(sel, norm_type, {1}, true);
  const Tensor scale = where(gt(norms, Scalar(max_norm)), full({}, Scalar(max_norm), weight.dtype()) / (norms + Scalar(1e-7)),
                             ones({}, weight.dtype()));
  index_put_(weight, {r}, sel * scale);
  return weight;
}

Tensor embedding_bag(const Tensor& weight, const Tensor& input, const Tensor& offsets, const std::string& mode,
                     const Tensor& per_sample_weights, bool include_last_offset, std::optional<int64_t> padding_idx) {
  const char* op = "embedding_bag";
  check_weight(weight, op);
  ND_CHECK(mode == "sum" || mode == "mean", ValueError, "[", op, "] mode must be 'sum' or 'mean', got '", mode, "'");
  ND_CHECK(input.dim() == 1 || input.dim() == 2, ValueError, "[", op, "] input must be 1-d (with offsets) or 2-d ",
           "(bags, indices per bag), got ", shape_str(input.shape()));
  const int64_t N = weight.shape()[0], D = weight.shape()[1], n = input.numel();
  const Tensor idx = reshape(checked_indices(input, N, op), {-1});
  const std::optional<int64_t> pad = normalized_padding(padding_idx, N, op);
  // bag[i]: the bag of entry i, from the offsets (bookkeeping on indices, not numerics).
  Tensor bag = empty({n}, DType::Int64);
  int64_t B = 0;
  if (input.dim() == 2) {
    ND_CHECK(!offsets.defined(), ValueError, "[", op, "] offsets must be None for a 2-d input ",
             shape_str(input.shape()));
    B = input.shape()[0];
    const int64_t L = input.shape()[1];
    for (int64_t i = 0; i < n; ++i) bag.data<int64_t>()[i] = i / L;
  } else {
    ND_CHECK(offsets.defined() && offsets.dim() == 1, ValueError, "[", op,
             "] a 1-d input needs 1-d offsets (the start of each bag)");
    const Tensor off = contiguous(to_dtype(offsets, DType::Int64));
    const int64_t* o = off.data<int64_t>();
    const int64_t no = off.numel();
    B = include_last_offset ? no - 1 : no;
    ND_CHECK(B >= 0 && (no == 0 || o[0] == 0), ValueError, "[", op, "] offsets must start at 0, got ",
             no ? o[0] : 0);
    for (int64_t b = 0; b < no; ++b)
      ND_CHECK(o[b] >= 0 && o[b] <= n && (b == 0 || o[b] >= o[b - 1]), ValueError, "[", op,
               "] offsets must be non-decreasing and within [0, ", n, "], offsets[", b, "]=", o[b]);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t end = b + 1 < no ? o[b + 1] : n;
      for (int64_t i = o[b]; i < end; ++i) bag.data<int64_t>()[i] = b;
    }
    if (include_last_offset)  // entries past the last offset belong to no bag in PyTorch
      ND_CHECK(no == 0 || o[no - 1] == n, ValueError, "[", op, "] with include_last_offset the last offset must be ",
               n, ", got ", o[no - 1]);
  }
  Tensor emb = reshape(embedding(weight, idx, pad, false), {n, D});
  if (per_sample_weights.defined()) {
    ND_CHECK(mode == "sum", ValueError, "[", op, "] per_sample_weights are only supported with mode='sum', got '",
             mode, "'");
    ND_CHECK(per_sample_weights.shape() == input.shape(), ValueError, "[", op, "] per_sample_weights ",
             shape_str(per_sample_weights.shape()), " must have the shape of input ", shape_str(input.shape()));
    emb = emb * unsqueeze(reshape(per_sample_weights, {n}), 1);
  }
  Tensor keep;
  if (pad) {
    keep = to_dtype(ne(idx, Scalar(*pad)), weight.dtype());
    emb = emb * unsqueeze(keep, 1);
  }
  Tensor out = index_add(zeros({B, D}, weight.dtype()), 0, bag, emb);
  if (mode == "mean") {
    Tensor counts;
    {
      NoGradGuard no_grad;  // counts need no gradient
      const Tensor one = keep.defined() ? keep : ones({n}, weight.dtype());
      counts = clamp(index_add(zeros({B}, weight.dtype()), 0, bag, one), Scalar(1.0), std::nullopt);
    }
    out = out / unsqueeze(counts, 1);
  }
  return out;
}

}  // namespace nd
