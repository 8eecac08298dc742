// gather and scatter/scatter_add along one dim on CUDA, over the CPU kernels' descriptors
// (cpu/indexing_kernels.h): the index operand holds int64 positions, already checked and
// wrapped into range on the host by the op.
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
}

}  // namespace nd::cuda
