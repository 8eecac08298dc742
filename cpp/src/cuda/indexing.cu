// gather and scatter/scatter_add along one dim on CUDA, and the offset-indexing gather and
// scatter of index, index_select, index_put_ and index_add (Note [Offset indexing]), over the
// CPU kernels' descriptors (cpu/indexing_kernels.h): the indices are int64 positions (or
// element offsets) already checked and wrapped into range on the host by the op.
//
// scatter_add of float, double, int32 and int64 runs one thread per element with atomic adds
// (several index entries may name one destination; float sums may then differ from the CPU's
// by rounding, as in PyTorch). Plain scatter, whose repeated destinations must keep the last
// write as on the CPU, and scatter_add of bool/uint8 run in iteration order on one thread.
#include "cpu/indexing_kernels.h"
#include "cuda/elementwise.cuh"

namespace nd::cuda {
namespace {

using namespace elementwise;

// Operands (out, src restrided with stride 0 on dim, index).
template <typename T> __global__ void gather_kernel(const ElementwiseIter it, int64_t stride) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[3];
    locate(it, i, p);
    const int64_t idx = *reinterpret_cast<const int64_t*>(p[2]);
    *reinterpret_cast<T*>(p[0]) = *reinterpret_cast<const T*>(p[1] + idx * stride);
  }
}

template <typename T> __device__ __forceinline__ void atomic_accumulate(T* dst, T v) {
  if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(dst), static_cast<unsigned long long>(v));  // two's complement
  } else {
    atomicAdd(dst, v);
  }
}

// Operands (self restrided with stride 0 on dim, src, index).
template <typename T> __global__ void scatter_add_kernel(const ElementwiseIter it, int64_t stride) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[3];
    locate(it, i, p);
    const int64_t idx = *reinterpret_cast<const int64_t*>(p[2]);
    atomic_accumulate(reinterpret_cast<T*>(p[0] + idx * stride), *reinterpret_cast<const T*>(p[1]));
  }
}

// Launched with one thread: every element in iteration order, as the CPU kernel.
template <typename T> __global__ void scatter_in_order_kernel(const ElementwiseIter it, int64_t stride, bool accumulate) {
  for (int64_t i = 0; i < it.numel; ++i) {
    char* p[3];
    locate(it, i, p);
    const int64_t idx = *reinterpret_cast<const int64_t*>(p[2]);
    T* dst = reinterpret_cast<T*>(p[0] + idx * stride);
    const T v = *reinterpret_cast<const T*>(p[1]);
    *dst = accumulate ? T(*dst + v) : v;
  }
}

// ---------------------------------------------------------------- offset indexing

// Element offsets in the indexed and dense tensors of rest element r (row-major over sizes).
__device__ __forceinline__ void rest_offsets(const cpu::IndexIter& it, int64_t r, int64_t& oi, int64_t& od) {
  oi = 0, od = 0;
  for (int k = it.ndim - 1; k >= 0; --k) {
    const int64_t c = r % it.sizes[k];
    r /= it.sizes[k];
    oi += c * it.indexed_strides[k];
    od += c * it.dense_strides[k];
  }
}

__host__ __device__ __forceinline__ int64_t rest_count(const cpu::IndexIter& it) {
  int64_t r = 1;
  for (int k = 0; k < it.ndim; ++k) r *= it.sizes[k];
  return r;
}

#define ND_FOR_EACH(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

// dense[j, r] = indexed[offsets[j] + r]: one thread per (j, r).
template <typename T> __global__ void index_gather_kernel(const cpu::IndexIter it, int64_t rest) {
  ND_FOR_EACH(e, it.n * rest) {
    const int64_t j = e / rest;
    int64_t oi, od;
    rest_offsets(it, e % rest, oi, od);
    const T v = reinterpret_cast<const T*>(it.indexed)[it.offsets[j] + oi];
    reinterpret_cast<T*>(it.dense)[j * it.dense_stride_n + od] = v;
  }
}

// indexed[offsets[j] + r] += dense[j, r]: one thread per (j, r), atomically.
template <typename T> __global__ void index_add_kernel(const cpu::IndexIter it, int64_t rest) {
  ND_FOR_EACH(e, it.n * rest) {
    const int64_t j = e / rest;
    int64_t oi, od;
    rest_offsets(it, e % rest, oi, od);
    atomic_accumulate(reinterpret_cast<T*>(it.indexed) + it.offsets[j] + oi,
                      reinterpret_cast<const T*>(it.dense)[j * it.dense_stride_n + od]);
  }
}

// One thread per rest element r, positions j in order: the CPU's result exactly.
template <typename T> __global__ void index_scatter_in_order_kernel(const cpu::IndexIter it, int64_t rest,
                                                                    bool accumulate) {
  ND_FOR_EACH(r, rest) {
    int64_t oi, od;
    rest_offsets(it, r, oi, od);
    T* indexed = reinterpret_cast<T*>(it.indexed) + oi;
    const T* dense = reinterpret_cast<const T*>(it.dense) + od;
    for (int64_t j = 0; j < it.n; ++j) {
      T* dst = indexed + it.offsets[j];
      const T v = dense[j * it.dense_stride_n];
      *dst = accumulate ? T(*dst + v) : v;
    }
  }
}
#undef ND_FOR_EACH

template <typename T> void index_gather_typed(const cpu::IndexIter& it) {
  const int64_t rest = rest_count(it);
  if (it.n * rest == 0) return;
  index_gather_kernel<T><<<grid_for(it.n * rest), kBlock>>>(it, rest);
  ND_CUDA_CHECK_LAUNCH(index_gather_kernel);
}

template <typename T> void index_scatter_typed(const cpu::IndexIter& it, bool accumulate) {
  const int64_t rest = rest_count(it);
  if (it.n * rest == 0) return;
  constexpr bool has_atomic = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                              std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>;
  if constexpr (has_atomic) {
    if (accumulate) {
      index_add_kernel<T><<<grid_for(it.n * rest), kBlock>>>(it, rest);
      ND_CUDA_CHECK_LAUNCH(index_add_kernel);
      return;
    }
  }
  index_scatter_in_order_kernel<T><<<grid_for(rest), kBlock>>>(it, rest, accumulate);
  ND_CUDA_CHECK_LAUNCH(index_scatter_in_order_kernel);
}

void index_gather_cuda(const cpu::IndexIter& it) { ND_CUDA_ALL_TYPES(it.dtype, T, index_gather_typed<T>(it)) }

void index_scatter_cuda(const cpu::IndexIter& it, bool accumulate) {
  ND_CUDA_ALL_TYPES(it.dtype, T, index_scatter_typed<T>(it, accumulate))
}

void gather_cuda(const ElementwiseIter& it, int64_t stride) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], T, run(gather_kernel<T>, it, stride))
}

template <typename T> void scatter_typed(const ElementwiseIter& it, int64_t stride, bool accumulate) {
  if (it.numel == 0) return;
  constexpr bool has_atomic = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                              std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>;
  if constexpr (has_atomic) {
    if (accumulate) return run(scatter_add_kernel<T>, it, stride);
  }
  DeviceGuard guard(it.devices[0].index);
  scatter_in_order_kernel<T><<<1, 1>>>(it, stride, accumulate);
  ND_CUDA_CHECK_LAUNCH(scatter_in_order_kernel);
}

void scatter_cuda(const ElementwiseIter& it, int64_t stride, bool accumulate) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], T, scatter_typed<T>(it, stride, accumulate))
}

}  // namespace

void register_indexing_kernels() {
  cpu::gather_dim_stub.cuda = gather_cuda;
  cpu::scatter_dim_stub.cuda = scatter_cuda;
  cpu::index_gather_stub.cuda = index_gather_cuda;
  cpu::index_scatter_stub.cuda = index_scatter_cuda;
}

}  // namespace nd::cuda
