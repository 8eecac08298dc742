// Embedding lookups and bags: checks, index bookkeeping, and a backward written with ops
// (index_add), so it is differentiable again. CUDA weights use the embedding kernels instead: a
// row gather and its transpose, the deterministic segmented sum of Note [Segmented embedding
// backward], each recorded as the other's backward.
#include <algorithm>
#include <memory>
#include <vector>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/embedding_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<EmbeddingKernel> embedding_stub;
DispatchStub<EmbeddingBackwardKernel> embedding_backward_stub;
}  // namespace cpu

using autograd::record;

namespace {

// indices as contiguous int64 on the host, checked against [0, N).
Tensor checked_indices(const Tensor& indices, int64_t N, const char* op) {
  ND_CHECK(indices.dtype() == DType::Int64 || indices.dtype() == DType::Int32, TypeError, "[", op,
           "] indices must be an int64 or int32 tensor, got ", dtype_name(indices.dtype()));
  const Tensor idx = contiguous(to_dtype(to_device(indices, Device{}), DType::Int64));
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

// The indices of a CUDA lookup on the weight's device and, when the weight needs a gradient,
// the segments of Note [Segmented embedding backward] and the per-position factor of the
// gradient (1/count under scale_grad_by_freq, 0 at padding_idx; undefined when all ones).
struct Segments {
  Tensor idx, rows, off, pos, factor;
  int64_t N = 0, D = 0, U = 0;
  bool scale = false;
  Device device;
};
using SegmentsPtr = std::shared_ptr<const Segments>;

SegmentsPtr make_segments(const Tensor& host_idx, int64_t N, int64_t D, std::optional<int64_t> pad, bool scale,
                          const Tensor& weight) {
  auto s = std::make_shared<Segments>();
  s->N = N;
  s->D = D;
  s->scale = scale;
  s->device = weight.device();
  const int64_t n = host_idx.numel();
  const int64_t* p = host_idx.data<int64_t>();
  s->idx = to_device(host_idx, s->device);
  if (!autograd::any_requires_grad({&weight})) return s;
  // A stable counting sort of positions by row, then the referenced rows but padding_idx.
  std::vector<int64_t> start(static_cast<size_t>(N) + 1, 0), sorted(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ++start[size_t(p[i]) + 1];
  for (int64_t r = 0; r < N; ++r) start[size_t(r) + 1] += start[size_t(r)];
  std::vector<int64_t> fill(start.begin(), start.end() - 1);
  for (int64_t i = 0; i < n; ++i) sorted[size_t(fill[size_t(p[i])]++)] = i;
  std::vector<int64_t> rows, off{0}, pos;
  for (int64_t r = 0; r < N; ++r) {
    if (start[size_t(r)] == start[size_t(r) + 1] || (pad && r == *pad)) continue;
    rows.push_back(r);
    pos.insert(pos.end(), sorted.begin() + start[size_t(r)], sorted.begin() + start[size_t(r) + 1]);
    off.push_back(int64_t(pos.size()));
  }
  s->U = int64_t(rows.size());
  auto upload = [&](const std::vector<int64_t>& v) { return to_device(from_vector<int64_t>(v, {int64_t(v.size())}), s->device); };
  s->rows = upload(rows);
  s->off = upload(off);
  s->pos = upload(pos);
  if (scale || pad) {
    std::vector<double> f(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      f[size_t(i)] = pad && p[i] == *pad ? 0.0 : scale ? 1.0 / double(start[size_t(p[i]) + 1] - start[size_t(p[i])]) : 1.0;
    s->factor = to_device(to_dtype(from_vector<double>(f, {n, 1}), weight.dtype()), s->device);
  }
  return s;
}

Tensor scatter_rows(const Tensor& g, const SegmentsPtr& s);

// out (n, D) = weight rows at the indices; its backward is scatter_rows.
Tensor gather_rows(const Tensor& w_in, const SegmentsPtr& s) {
  const Tensor w = contiguous(w_in);
  const int64_t n = s->idx.numel();
  Tensor out = empty({n, s->D}, TensorOptions(w.dtype()).with_device(s->device));
  ops::launch_on(s->device, "embedding", cpu::embedding_stub, w.device_data_ptr(),
                 static_cast<const int64_t*>(s->idx.device_data_ptr()), n, s->D, w.dtype(), out.device_data_ptr());
  record("EmbeddingBackward0", {w_in}, {out}, [s](const TensorList& g) { return TensorList{scatter_rows(g[0], s)}; });
  return out;
}

// The weight gradient (N, D) of output gradients g (n, D); its backward gathers again.
Tensor scatter_rows(const Tensor& g_in, const SegmentsPtr& s) {
  const Tensor g = contiguous(g_in);
  Tensor gw = zeros({s->N, s->D}, TensorOptions(g.dtype()).with_device(s->device));
  cpu::EmbeddingSegments seg;
  seg.rows = static_cast<const int64_t*>(s->rows.device_data_ptr());
  seg.off = static_cast<const int64_t*>(s->off.device_data_ptr());
  seg.pos = static_cast<const int64_t*>(s->pos.device_data_ptr());
  seg.U = s->U;
  seg.D = s->D;
  seg.scale_by_count = s->scale;
  seg.dtype = g.dtype();
  ops::launch_on(s->device, "embedding_backward", cpu::embedding_backward_stub, seg, g.device_data_ptr(),
                 gw.device_data_ptr());
  record("EmbeddingDenseBackwardBackward0", {g_in}, {gw}, [s](const TensorList& gg) {
    const Tensor r = gather_rows(gg[0], s);
    return TensorList{s->factor.defined() ? r * to_dtype(s->factor, r.dtype()) : r};
  });
  return gw;
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
  if (ops::common_device(op, {&weight, &indices}).type == DeviceType::CUDA)
    return reshape(gather_rows(weight, make_segments(idx, N, D, pad, scale_grad_by_freq, weight)), out_shape);
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
    const Tensor off = contiguous(to_dtype(to_device(offsets, Device{}), DType::Int64));  // host bookkeeping
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
  // The indices and bags are host bookkeeping; the rows, sums and counts live with the weight
  // (index_add reads its host index as offsets on the weight's device).
  const TensorOptions on_w = TensorOptions(weight.dtype()).with_device(weight.device());
  const Tensor idx_w = to_device(idx, weight.device());
  Tensor emb = reshape(embedding(weight, idx_w, pad, false), {n, D});
  if (per_sample_weights.defined()) {
    ND_CHECK(mode == "sum", ValueError, "[", op, "] per_sample_weights are only supported with mode='sum', got '",
             mode, "'");
    ND_CHECK(per_sample_weights.shape() == input.shape(), ValueError, "[", op, "] per_sample_weights ",
             shape_str(per_sample_weights.shape()), " must have the shape of input ", shape_str(input.shape()));
    emb = emb * unsqueeze(reshape(per_sample_weights, {n}), 1);
  }
  Tensor keep;
  if (pad) {
    keep = to_dtype(ne(idx_w, Scalar(*pad)), weight.dtype());
    emb = emb * unsqueeze(keep, 1);
  }
  Tensor out = index_add(zeros({B, D}, on_w), 0, bag, emb);
  if (mode == "mean") {
    Tensor counts;
    {
      NoGradGuard no_grad;  // counts need no gradient
      const Tensor one = keep.defined() ? keep : ones({n}, on_w);
      counts = clamp(index_add(zeros({B}, on_w), 0, bag, one), Scalar(1.0), std::nullopt);
    }
    out = out / unsqueeze(counts, 1);
  }
  return out;
}

}  // namespace nd
