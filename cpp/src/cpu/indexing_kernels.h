// Descriptors and dispatch stubs of the indexing, scatter/gather and sorting kernels.
// Plain data and function-pointer types only (see Note [ISA namespaces]).
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// Note [Offset indexing]
/// Advanced indexing, index_select, index_put_ and index_add all reduce to one shape of
/// loop: an "indexed" tensor reached through `n` precomputed element offsets (one per
/// index position, the indexed dims folded together), and a "dense" tensor laid out as
/// [n, rest...]. The rest dims are the dims the indices don't touch; both tensors walk
/// them with their own strides. Strides and offsets are in elements.
struct IndexIter {
  int64_t n = 0;
  const int64_t* offsets = nullptr;  // n element offsets into `indexed`
  int64_t dense_stride_n = 0;        // dense's stride along the index position
  int ndim = 0;                      // rest dims, innermost last
  int64_t sizes[kMaxDims];
  int64_t indexed_strides[kMaxDims];
  int64_t dense_strides[kMaxDims];
  char* indexed = nullptr;
  char* dense = nullptr;
  DType dtype = DType::Float32;
};

/// dense[j, r] = indexed[offsets[j] + r].
using IndexGatherKernel = void (*)(const IndexIter&);
/// indexed[offsets[j] + r] = dense[j, r] (or += when accumulate); repeated offsets are
/// applied in order of j, so the last write wins and every addition counts.
using IndexScatterKernel = void (*)(const IndexIter&, bool accumulate);
/// Along one dim: operands (out, src restrided with stride 0 on dim, index int64);
/// out = *(src + index * dim_stride_bytes).
using GatherDimKernel = void (*)(const ElementwiseIter&, int64_t dim_stride_bytes);
/// Operands (self restrided with stride 0 on dim, src, index int64);
/// *(self + index * dim_stride_bytes) = src (or += when accumulate). Runs in order.
using ScatterDimKernel = void (*)(const ElementwiseIter&, int64_t dim_stride_bytes, bool accumulate);
/// Sorts each of `rows` contiguous rows of `len` elements of `in`: `order` (rows x len)
/// receives the sorted positions, the first k of which are written with their values to
/// `values` and `indices` (rows x k). NaN sorts above every number; ties keep input order.
/// With k < len only the first k positions are ordered.
using SortRowsKernel = void (*)(const void* in, int64_t rows, int64_t len, int64_t k, bool descending,
                                int64_t* order, void* values, int64_t* indices, DType dtype);
/// Writes the coordinates (row-major, ndim per row) of the true entries of a contiguous
/// bool array of the given shape to out, which has room for all of them.
using NonzeroKernel = void (*)(const bool* mask, const int64_t* shape, int ndim, int64_t* out);

extern DispatchStub<IndexGatherKernel> index_gather_stub;
extern DispatchStub<IndexScatterKernel> index_scatter_stub;
extern DispatchStub<GatherDimKernel> gather_dim_stub;
extern DispatchStub<ScatterDimKernel> scatter_dim_stub;
extern DispatchStub<SortRowsKernel> sort_rows_stub;
extern DispatchStub<NonzeroKernel> nonzero_stub;

}  // namespace nd::cpu
