// sort / argsort / topk rows on the GPU (SortRowsKernel in cpu/indexing_kernels.h) by rank
// counting: the CPU's order (value, NaN above every number, then position) is a strict total
// order, so each element's place is the number of elements of its row that come before it, and
// the places form a permutation: the result equals the CPU's exactly, ties included. One thread
// per element compares it with its row, read through shared-memory tiles: O(len^2) work per row,
// fully parallel, with no merging passes; a second kernel gathers the first k places.
#include <type_traits>

#include "cpu/indexing_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

// Strict "a comes after b" with NaN above every number (the CPU kernel's `above`).
template <typename T> __device__ __forceinline__ bool above(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (isnan(a)) return !isnan(b);
    if (isnan(b)) return false;
  }
  return a > b;
}

// Whether (x at position a) is placed before (y at position b): the CPU kernel's RowOrder.
template <typename T> __device__ __forceinline__ bool before(T x, int64_t a, T y, int64_t b, bool descending) {
  if (descending ? above(x, y) : above(y, x)) return true;
  if (descending ? above(y, x) : above(x, y)) return false;
  return a < b;
}

// order[r, place of i] = i. Blocks of kBlock positions (x) of rows (y); the loops a barrier sits
// in have bounds uniform across the block.
template <typename T> __global__ void rank_kernel(const T* in, int64_t rows, int64_t len, bool descending,
                                                  int64_t* order) {
  __shared__ T tile[kBlock];
  for (int64_t r = blockIdx.y; r < rows; r += gridDim.y) {
    const T* row = in + r * len;
    for (int64_t i0 = int64_t(blockIdx.x) * blockDim.x; i0 < len; i0 += int64_t(gridDim.x) * blockDim.x) {
      const int64_t i = i0 + threadIdx.x;
      const bool live = i < len;
      const T x = live ? row[i] : T(0);
      int64_t place = 0;
      for (int64_t j0 = 0; j0 < len; j0 += blockDim.x) {
        __syncthreads();  // the previous tile has been read by every thread
        if (j0 + threadIdx.x < len) tile[threadIdx.x] = row[j0 + threadIdx.x];
        __syncthreads();
        const int64_t m = len - j0 < blockDim.x ? len - j0 : blockDim.x;
        if (live)
          for (int64_t t = 0; t < m; ++t) place += before(tile[t], j0 + t, x, i, descending);
      }
      if (live) order[r * len + place] = i;
    }
  }
}

// values[r, q] = in[r, order[r, q]], indices[r, q] = order[r, q] for q < k. order may be
// indices itself (k == len): each thread reads its slot before writing it.
template <typename T> __global__ void take_first_kernel(const T* in, int64_t rows, int64_t len, int64_t k,
                                                        const int64_t* order, T* values, int64_t* indices) {
  const int64_t n = rows * k;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t r = e / k, p = order[r * len + e % k];
    values[e] = in[r * len + p];
    indices[e] = p;
  }
}

template <typename T> void sort_typed(const T* in, int64_t rows, int64_t len, int64_t k, bool descending,
                                      int64_t* order, T* values, int64_t* indices) {
  const int64_t blocks_x = (len + kBlock - 1) / kBlock;
  const dim3 grid(unsigned(blocks_x < 65535 ? blocks_x : 65535), unsigned(rows < 65535 ? rows : 65535));
  rank_kernel<T><<<grid, kBlock>>>(in, rows, len, descending, order);
  ND_CUDA_CHECK_LAUNCH(rank_kernel);
  if (rows * k == 0) return;
  take_first_kernel<T><<<grid_for(rows * k), kBlock>>>(in, rows, len, k, order, values, indices);
  ND_CUDA_CHECK_LAUNCH(take_first_kernel);
}

void sort_rows_cuda(const void* in, int64_t rows, int64_t len, int64_t k, bool descending, int64_t* order,
                    void* values, int64_t* indices, DType dtype) {
  auto run = [&](auto zero) {
    using T = decltype(zero);
    sort_typed<T>(static_cast<const T*>(in), rows, len, k, descending, order, static_cast<T*>(values), indices);
  };
  switch (dtype) {
    case DType::Bool: return run(bool{});
    case DType::UInt8: return run(uint8_t{});
    case DType::Int32: return run(int32_t{});
    case DType::Int64: return run(int64_t{});
    case DType::Float32: return run(float{});
    case DType::Float64: return run(double{});
  }
}

}  // namespace

void register_sort_kernels() { cpu::sort_rows_stub.cuda = sort_rows_cuda; }

}  // namespace nd::cuda
