// Inclusive scans (cumsum, cumprod) on the GPU along the middle dim of a contiguous
// (outer, len, inner) tensor, forward or reversed, accumulating as the CPU kernels do (floats
// in double, integers in int64, so integer results match the CPU's exactly).
// Rows (inner == 1): one block per row walks it in chunks of blockDim.x elements: a block scan
// of the chunk (warp shuffles, then a scan of the warp totals) plus the carry of the chunks
// before it. Columns (inner > 1): one thread per (outer, inner) column walks len sequentially;
// neighbouring threads read neighbouring addresses.
#include <type_traits>

#include "cpu/reduce_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ScanArgs;
using cpu::ScanKind;

template <typename T> using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

struct AddOp {
  template <typename A> __device__ static A identity() { return A(0); }
  template <typename A> __device__ static A apply(A a, A b) { return a + b; }
};
struct MulOp {
  template <typename A> __device__ static A identity() { return A(1); }
  template <typename A> __device__ static A apply(A a, A b) { return a * b; }
};

// Every thread gets Op over the v of threads 0..threadIdx.x. blockDim.x: a multiple of 32, at
// most 1024; every thread calls it. `warp_totals` (32 slots) is read until the caller's next
// barrier, so two calls must be separated by one.
template <typename Op, typename A> __device__ A block_inclusive_scan(A v, A* warp_totals) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
#pragma unroll
  for (int d = 1; d < 32; d *= 2) {
    const A other = __shfl_up_sync(0xffffffffu, v, d);
    if (lane >= d) v = Op::apply(other, v);
  }
  if (lane == 31) warp_totals[warp] = v;
  __syncthreads();
  if (warp == 0) {
    A t = lane < nwarps ? warp_totals[lane] : Op::template identity<A>();
#pragma unroll
    for (int d = 1; d < 32; d *= 2) {
      const A other = __shfl_up_sync(0xffffffffu, t, d);
      if (lane >= d) t = Op::apply(other, t);
    }
    warp_totals[lane] = t;  // now the inclusive scan of the warp totals
  }
  __syncthreads();
  return warp > 0 ? Op::apply(warp_totals[warp - 1], v) : v;
}

template <typename T, typename Op> __global__ void scan_rows(const ScanArgs a) {
  using A = Acc<T>;
  __shared__ A warp_totals[32];
  __shared__ A chunk_total;
  for (int64_t row = blockIdx.x; row < a.outer; row += gridDim.x) {
    const T* in = static_cast<const T*>(a.in) + row * a.len;
    T* out = static_cast<T*>(a.out) + row * a.len;
    A carry = Op::template identity<A>();
    for (int64_t base = 0; base < a.len; base += blockDim.x) {  // uniform bound: no divergent barrier
      const int64_t q = base + threadIdx.x, pos = a.reverse ? a.len - 1 - q : q;
      A v = q < a.len ? A(in[pos]) : Op::template identity<A>();
      v = Op::apply(carry, block_inclusive_scan<Op>(v, warp_totals));
      if (q < a.len) out[pos] = T(v);
      if (threadIdx.x == blockDim.x - 1) chunk_total = v;  // past the end, v is the carry of everything
      __syncthreads();
      carry = chunk_total;
      __syncthreads();  // warp_totals and chunk_total are rewritten by the next chunk
    }
  }
}

template <typename T, typename Op> __global__ void scan_cols(const ScanArgs a) {
  using A = Acc<T>;
  const int64_t n = a.outer * a.inner;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t base = (k / a.inner) * a.len * a.inner + k % a.inner;
    const T* in = static_cast<const T*>(a.in) + base;
    T* out = static_cast<T*>(a.out) + base;
    A acc = Op::template identity<A>();
    for (int64_t q = 0; q < a.len; ++q) {
      const int64_t o = (a.reverse ? a.len - 1 - q : q) * a.inner;
      acc = Op::apply(acc, A(in[o]));
      out[o] = T(acc);
    }
  }
}

template <typename T, typename Op> void launch(const ScanArgs& a) {
  if (a.inner == 1) {
    scan_rows<T, Op><<<unsigned(a.outer < 65535 ? a.outer : 65535), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(scan_rows);
  } else {
    scan_cols<T, Op><<<grid_for(a.outer * a.inner), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(scan_cols);
  }
}

template <typename T> void typed(const ScanArgs& a, ScanKind kind) {
  if (kind == ScanKind::Sum) launch<T, AddOp>(a);
  else launch<T, MulOp>(a);
}

void scan_cuda(const ScanArgs& a, ScanKind kind) {
  if (a.outer * a.len * a.inner == 0) return;
  switch (a.dtype) {
    case DType::Bool: return typed<bool>(a, kind);
    case DType::UInt8: return typed<uint8_t>(a, kind);
    case DType::Int32: return typed<int32_t>(a, kind);
    case DType::Int64: return typed<int64_t>(a, kind);
    case DType::Float32: return typed<float>(a, kind);
    case DType::Float64: return typed<double>(a, kind);
  }
}

}  // namespace

void register_scan_kernels() { cpu::scan_stub.cuda = scan_cuda; }

}  // namespace nd::cuda
