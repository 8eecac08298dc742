// Reductions over the middle dim of a contiguous (outer, len, inner) input (Note [Reduction
// layout]): sum, prod, max/min with the first index of the extreme value, all, any, and the
// variance (Welford per thread in double, Chan's merge across threads: cuda/welford.cuh).
// inner == 1 (rows): one block per row, threads stride over the row, then a warp-shuffle and
// shared-memory block reduction. inner > 1 (columns): one thread per output, reading along len
// with neighbouring threads on neighbouring addresses (coalesced).
#include <cmath>
#include <type_traits>

#include "cpu/reduce_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"
#include "cuda/welford.cuh"

namespace nd::cuda {
namespace {

using cpu::ReduceArgs;
using cpu::ReduceKind;

// A partial result: the accumulated value and, for max/min, the index it came from
// (-1: no element seen yet, which loses to anything).
template <typename A> struct Partial {
  A v;
  int64_t i;
};

template <typename A> __device__ __forceinline__ bool is_nan(A v) {
  if constexpr (std::is_floating_point_v<A>) return v != v; else return false;
}

// Folds b into a. Max/min: NaN wins over numbers, and ties keep the first index, as the CPU
// kernels and PyTorch do; the result does not depend on the order partials are combined.
template <ReduceKind K, typename A> __device__ __forceinline__ void combine(Partial<A>& a, const Partial<A>& b) {
  if constexpr (K == ReduceKind::Sum) {
    a.v += b.v;
  } else if constexpr (K == ReduceKind::Prod) {
    a.v *= b.v;
  } else if constexpr (K == ReduceKind::All) {
    a.v = a.v && b.v;
  } else if constexpr (K == ReduceKind::Any) {
    a.v = a.v || b.v;
  } else {
    if (b.i < 0) return;
    bool take;
    if (a.i < 0) take = true;
    else if (is_nan(a.v)) take = is_nan(b.v) && b.i < a.i;
    else if (is_nan(b.v)) take = true;
    else if (b.v == a.v) take = b.i < a.i;
    else take = K == ReduceKind::Max ? b.v > a.v : b.v < a.v;
    if (take) a = b;
  }
}

template <ReduceKind K, typename A> __device__ __forceinline__ Partial<A> identity() {
  if constexpr (K == ReduceKind::Prod || K == ReduceKind::All) return {A(1), -1};
  else return {A(0), -1};
}

template <ReduceKind K, typename A> __device__ __forceinline__ Partial<A> element(A v, int64_t j) {
  if constexpr (K == ReduceKind::All || K == ReduceKind::Any) return {A(v != A(0)), j};
  else return {v, j};
}

template <typename A> __device__ __forceinline__ Partial<A> shuffle_down(const Partial<A>& p, int delta) {
  Partial<A> r;
  if constexpr (std::is_same_v<A, bool>) r.v = __shfl_down_sync(0xffffffffu, int(p.v), delta) != 0;
  else r.v = __shfl_down_sync(0xffffffffu, p.v, delta);
  r.i = __shfl_down_sync(0xffffffffu, p.i, delta);
  return r;
}

template <typename A, typename Out> __device__ __forceinline__ void store(const ReduceArgs& a, int64_t k, const Partial<A>& p) {
  if (a.out != nullptr) static_cast<Out*>(a.out)[k] = Out(p.v);
  if (a.out_index != nullptr) a.out_index[k] = p.i;
}

// inner == 1: blockDim.x is a multiple of 32 (kBlock); every thread reaches both
// __syncthreads, since the row loop's bounds are the same for the whole block.
template <ReduceKind K, typename T, typename A, typename Out> __global__ void reduce_rows(const ReduceArgs a) {
  __shared__ Partial<A> warp_results[kBlock / 32];
  const T* in = static_cast<const T*>(a.in);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  for (int64_t row = blockIdx.x; row < a.outer; row += gridDim.x) {
    Partial<A> p = identity<K, A>();
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) combine<K>(p, element<K>(A(in[row * a.len + j]), j));
    for (int d = 16; d > 0; d /= 2) combine<K>(p, shuffle_down(p, d));
    if (lane == 0) warp_results[warp] = p;
    __syncthreads();
    if (warp == 0) {
      p = lane < nwarps ? warp_results[lane] : identity<K, A>();
      for (int d = 16; d > 0; d /= 2) combine<K>(p, shuffle_down(p, d));
      if (lane == 0) store<A, Out>(a, row, p);
    }
    __syncthreads();  // warp_results is reused by the next row
  }
}

template <ReduceKind K, typename T, typename A, typename Out> __global__ void reduce_cols(const ReduceArgs a) {
  const T* in = static_cast<const T*>(a.in);
  const int64_t n = a.outer * a.inner;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t o = k / a.inner, i = k % a.inner;
    Partial<A> p = identity<K, A>();
    const T* col = in + o * a.len * a.inner + i;
    for (int64_t j = 0; j < a.len; ++j) combine<K>(p, element<K>(A(col[j * a.inner]), j));
    store<A, Out>(a, k, p);
  }
}

// The CPU kernel's result: m2 / (len - correction), 0/0 (NaN) or m2/0 when no degrees of freedom remain.
template <typename T> __device__ __forceinline__ void store_var(const ReduceArgs& a, int64_t k, const Welford& w) {
  const double dof = w.n - a.correction;
  static_cast<T*>(a.out)[k] = T(w.m2 / (dof > 0 ? dof : 0.0));
}

// As reduce_rows: one block per row; every thread reaches block_merge's barriers.
template <typename T> __global__ void var_rows(const ReduceArgs a) {
  __shared__ Welford scratch[32];
  const T* in = static_cast<const T*>(a.in);
  for (int64_t row = blockIdx.x; row < a.outer; row += gridDim.x) {
    Welford w{0, 0, 0};
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) w.add(double(in[row * a.len + j]));
    w = block_merge(w, scratch);
    if (threadIdx.x == 0) store_var<T>(a, row, w);
  }
}

template <typename T> __global__ void var_cols(const ReduceArgs a) {
  const T* in = static_cast<const T*>(a.in);
  const int64_t n = a.outer * a.inner;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const T* col = in + (k / a.inner) * a.len * a.inner + k % a.inner;
    Welford w{0, 0, 0};
    for (int64_t j = 0; j < a.len; ++j) w.add(double(col[j * a.inner]));
    store_var<T>(a, k, w);
  }
}

template <typename T> void run_var(const ReduceArgs& a) {
  if (a.inner == 1) {
    var_rows<T><<<unsigned(a.outer < 65535 ? a.outer : 65535), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(var_rows);
  } else {
    var_cols<T><<<grid_for(a.outer * a.inner), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(var_cols);
  }
}

template <ReduceKind K, typename T, typename A, typename Out> void run(const ReduceArgs& a) {
  if (a.inner == 1) {
    reduce_rows<K, T, A, Out><<<unsigned(a.outer < 65535 ? a.outer : 65535), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(reduce_rows);
  } else {
    reduce_cols<K, T, A, Out><<<grid_for(a.outer * a.inner), kBlock>>>(a);
    ND_CUDA_CHECK_LAUNCH(reduce_cols);
  }
}

// Accumulation and output types as the CPU kernels' (reduce_kernels.h): sums and products of
// integers and bool in int64, of floats in their own type; max/min keep the type; all/any bool.
template <ReduceKind K, typename T> void run_kind(const ReduceArgs& a) {
  if constexpr (K == ReduceKind::Sum || K == ReduceKind::Prod) {
    using A = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
    run<K, T, A, A>(a);
  } else if constexpr (K == ReduceKind::All || K == ReduceKind::Any) {
    run<K, T, bool, bool>(a);
  } else if constexpr (std::is_same_v<T, bool>) {
    run<K, T, bool, bool>(a);
  } else {
    run<K, T, T, T>(a);
  }
}

template <typename T> void reduce_typed(const ReduceArgs& a, ReduceKind kind) {
  switch (kind) {
    case ReduceKind::Sum: return run_kind<ReduceKind::Sum, T>(a);
    case ReduceKind::Prod: return run_kind<ReduceKind::Prod, T>(a);
    case ReduceKind::Max: return run_kind<ReduceKind::Max, T>(a);
    case ReduceKind::Min: return run_kind<ReduceKind::Min, T>(a);
    case ReduceKind::All: return run_kind<ReduceKind::All, T>(a);
    case ReduceKind::Any: return run_kind<ReduceKind::Any, T>(a);
    case ReduceKind::Var:  // the op passes float inputs only
      if constexpr (std::is_floating_point_v<T>) return run_var<T>(a);
      break;
  }
}

void reduce_cuda(const ReduceArgs& a, ReduceKind kind) {
  if (a.outer * a.inner == 0) return;
  switch (a.dtype) {
    case DType::Bool: return reduce_typed<bool>(a, kind);
    case DType::UInt8: return reduce_typed<uint8_t>(a, kind);
    case DType::Int32: return reduce_typed<int32_t>(a, kind);
    case DType::Int64: return reduce_typed<int64_t>(a, kind);
    case DType::Float32: return reduce_typed<float>(a, kind);
    case DType::Float64: return reduce_typed<double>(a, kind);
  }
}

}  // namespace

void register_reduce_kernels() { cpu::reduce_stub.cuda = reduce_cuda; }

}  // namespace nd::cuda
