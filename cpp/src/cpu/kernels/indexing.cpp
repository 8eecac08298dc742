// Indexing kernels: offset gather/scatter (Note [Offset indexing]), gather/scatter along a
// dim, row sorting and nonzero.
#include <algorithm>
#include <cmath>

#include "cpu/indexing_kernels.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// Calls body(indexed_ptr, dense_ptr, indexed_stride, dense_stride, count) for each run of the
// innermost rest dim inside the linear range [begin, end) of the (j, rest...) space.
template <typename T, typename Body>
void walk_index(const IndexIter& it, int64_t begin, int64_t end, Body&& body) {
  const int nd_ = it.ndim;
  const int64_t inner = nd_ > 0 ? it.sizes[nd_ - 1] : 1;
  const int64_t si = nd_ > 0 ? it.indexed_strides[nd_ - 1] : 0, sd = nd_ > 0 ? it.dense_strides[nd_ - 1] : 0;
  int64_t outer = 1;
  for (int d = 0; d + 1 < nd_; ++d) outer *= it.sizes[d];
  T* ind = reinterpret_cast<T*>(it.indexed);
  T* den = reinterpret_cast<T*>(it.dense);
  int64_t pos = begin;
  while (pos < end) {
    const int64_t row = pos / inner, col = pos % inner;
    const int64_t j = row / outer;
    int64_t orow = row % outer;
    int64_t oi = it.offsets[j], od = j * it.dense_stride_n;
    for (int d = nd_ - 2; d >= 0; --d) {
      const int64_t q = orow % it.sizes[d];
      orow /= it.sizes[d];
      oi += q * it.indexed_strides[d];
      od += q * it.dense_strides[d];
    }
    const int64_t len = std::min(inner - col, end - pos);
    body(ind + oi + col * si, den + od + col * sd, si, sd, len);
    pos += len;
  }
}

int64_t rest_numel(const IndexIter& it) {
  int64_t r = 1;
  for (int d = 0; d < it.ndim; ++d) r *= it.sizes[d];
  return r;
}

template <typename T> void index_gather_typed(const IndexIter& it) {
  const int64_t total = it.n * rest_numel(it);
  core::parallel_for(0, total, kElementwiseGrain, [&](int64_t b, int64_t e) {
    walk_index<T>(it, b, e, [](T* ind, T* den, int64_t si, int64_t sd, int64_t len) {
      if (si == 1 && sd == 1) std::copy(ind, ind + len, den);
      else for (int64_t i = 0; i < len; ++i) den[i * sd] = ind[i * si];
    });
  });
}

void index_gather_kernel(const IndexIter& it) { ND_DISPATCH_ALL_TYPES(it.dtype, T, index_gather_typed<T>(it)) }

// Threads split the rest space; each walks all j in order over its share, so repeated
// offsets never race and are applied in index order.
template <typename T> void index_scatter_typed(const IndexIter& it, bool accumulate) {
  const int64_t rn = rest_numel(it);
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(it.n, 1));
  core::parallel_for(0, rn, grain, [&](int64_t b, int64_t e) {
    for (int64_t j = 0; j < it.n; ++j) {
      walk_index<T>(it, j * rn + b, j * rn + e, [accumulate](T* ind, T* den, int64_t si, int64_t sd, int64_t len) {
        if (accumulate) for (int64_t i = 0; i < len; ++i) ind[i * si] = T(ind[i * si] + den[i * sd]);
        else for (int64_t i = 0; i < len; ++i) ind[i * si] = den[i * sd];
      });
    }
  });
}

void index_scatter_kernel(const IndexIter& it, bool accumulate) {
  ND_DISPATCH_ALL_TYPES(it.dtype, T, index_scatter_typed<T>(it, accumulate))
}

template <typename T> void gather_dim_typed(const ElementwiseIter& it, int64_t stride) {
  parallel_runs(it, [stride](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t idx = *reinterpret_cast<const int64_t*>(p[2] + i * s[2]);
      *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(p[1] + i * s[1] + idx * stride);
    }
  });
}

void gather_dim_kernel(const ElementwiseIter& it, int64_t stride) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[0], T, gather_dim_typed<T>(it, stride))
}

// One thread, in iteration order: several index entries may name the same destination.
template <typename T> void scatter_dim_typed(const ElementwiseIter& it, int64_t stride, bool accumulate) {
  for_each_run(it, 0, it.numel, [stride, accumulate](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t idx = *reinterpret_cast<const int64_t*>(p[2] + i * s[2]);
      T* dst = reinterpret_cast<T*>(p[0] + i * s[0] + idx * stride);
      const T v = *reinterpret_cast<const T*>(p[1] + i * s[1]);
      *dst = accumulate ? T(*dst + v) : v;
    }
  });
}

void scatter_dim_kernel(const ElementwiseIter& it, int64_t stride, bool accumulate) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[0], T, scatter_dim_typed<T>(it, stride, accumulate))
}

// Strict "a comes after b" with NaN above every number.
template <typename T> bool above(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
  }
  return a > b;
}

// Orders positions of one row by value, then by position (a stable order for any algorithm).
template <typename T> struct RowOrder {
  const T* row;
  bool descending;
  bool operator()(int64_t a, int64_t b) const {
    const T x = row[a], y = row[b];
    if (descending ? above(x, y) : above(y, x)) return true;
    if (descending ? above(y, x) : above(x, y)) return false;
    return a < b;
  }
};

template <typename T>
void sort_rows_typed(const T* in, int64_t rows, int64_t len, int64_t k, bool descending, int64_t* order,
                     T* values, int64_t* indices) {
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1));
  core::parallel_for(0, rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* row = in + r * len;
      int64_t* ord = order + r * len;
      for (int64_t i = 0; i < len; ++i) ord[i] = i;
      RowOrder<T> cmp{row, descending};
      if (k < len) std::partial_sort(ord, ord + k, ord + len, cmp);
      else std::sort(ord, ord + len, cmp);
      for (int64_t i = 0; i < k; ++i) {
        values[r * k + i] = row[ord[i]];
        indices[r * k + i] = ord[i];
      }
    }
  });
}

void sort_rows_kernel(const void* in, int64_t rows, int64_t len, int64_t k, bool descending, int64_t* order,
                      void* values, int64_t* indices, DType dtype) {
  ND_DISPATCH_ALL_TYPES(dtype, T, sort_rows_typed<T>(static_cast<const T*>(in), rows, len, k, descending, order,
                                                     static_cast<T*>(values), indices))
}

void nonzero_kernel(const bool* mask, const int64_t* shape, int ndim, int64_t* out) {
  int64_t numel = 1;
  for (int d = 0; d < ndim; ++d) numel *= shape[d];
  int64_t coord[kMaxDims] = {};
  for (int64_t i = 0; i < numel; ++i) {
    if (mask[i]) for (int d = 0; d < ndim; ++d) *out++ = coord[d];
    for (int d = ndim - 1; d >= 0 && ++coord[d] == shape[d]; --d) coord[d] = 0;
  }
}

}  // namespace

void register_indexing_kernels() {
  const int isa = int(Isa::NATIVEDL_ISA_ENUM);
  index_gather_stub.fns[isa] = index_gather_kernel;
  index_scatter_stub.fns[isa] = index_scatter_kernel;
  gather_dim_stub.fns[isa] = gather_dim_kernel;
  scatter_dim_stub.fns[isa] = scatter_dim_kernel;
  sort_rows_stub.fns[isa] = sort_rows_kernel;
  nonzero_stub.fns[isa] = nonzero_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
