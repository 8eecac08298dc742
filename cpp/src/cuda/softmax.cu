// softmax / log_softmax forward and backward over the middle dim of contiguous
// (outer, len, inner) tensors, the CPU kernels' layout (cpu/activation_kernels.h).
// Rows (inner == 1): one block per row, three passes (max, sum of exp(x - max), write) with
// block reductions. Columns (inner > 1): one thread per (outer, inner) column, neighbouring
// threads on neighbouring addresses.
#include <cmath>

#include "cpu/activation_kernels.h"
#include "cuda/block_reduce.cuh"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::SoftmaxArgs;

template <typename T> __device__ __forceinline__ T lowest() { return -INFINITY; }

template <typename T> __global__ void softmax_rows(const SoftmaxArgs a) {
  __shared__ T scratch[32];
  for (int64_t row = blockIdx.x; row < a.outer; row += gridDim.x) {
    const T* x = static_cast<const T*>(a.x) + row * a.len;
    T* y = static_cast<T*>(a.out) + row * a.len;
    T m = lowest<T>();
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) m = MaxOp::apply(m, x[j]);
    m = block_reduce<MaxOp>(m, scratch);
    T s = 0;
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) s += exp(x[j] - m);
    s = block_reduce<SumOp>(s, scratch);
    const T log_s = log(s);
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) y[j] = a.log ? x[j] - m - log_s : exp(x[j] - m) / s;
  }
}

template <typename T> __global__ void softmax_cols(const SoftmaxArgs a) {
  const int64_t n = a.outer * a.inner;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t base = (k / a.inner) * a.len * a.inner + k % a.inner;
    const T* x = static_cast<const T*>(a.x) + base;
    T* y = static_cast<T*>(a.out) + base;
    T m = lowest<T>();
    for (int64_t j = 0; j < a.len; ++j) m = MaxOp::apply(m, x[j * a.inner]);
    T s = 0;
    for (int64_t j = 0; j < a.len; ++j) s += exp(x[j * a.inner] - m);
    const T log_s = log(s);
    for (int64_t j = 0; j < a.len; ++j)
      y[j * a.inner] = a.log ? x[j * a.inner] - m - log_s : exp(x[j * a.inner] - m) / s;
  }
}

// softmax: gx = y * (g - sum(g * y)); log_softmax: gx = g - exp(y) * sum(g).
template <typename T> __global__ void softmax_backward_rows(const SoftmaxArgs a) {
  __shared__ T scratch[32];
  for (int64_t row = blockIdx.x; row < a.outer; row += gridDim.x) {
    const T* y = static_cast<const T*>(a.x) + row * a.len;
    const T* g = static_cast<const T*>(a.grad) + row * a.len;
    T* gx = static_cast<T*>(a.out) + row * a.len;
    T s = 0;
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) s += a.log ? g[j] : g[j] * y[j];
    s = block_reduce<SumOp>(s, scratch);
    for (int64_t j = threadIdx.x; j < a.len; j += blockDim.x) gx[j] = a.log ? g[j] - exp(y[j]) * s : y[j] * (g[j] - s);
  }
}

template <typename T> __global__ void softmax_backward_cols(const SoftmaxArgs a) {
  const int64_t n = a.outer * a.inner;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += int64_t(blockDim.x) * gridDim.x) {
    const int64_t base = (k / a.inner) * a.len * a.inner + k % a.inner;
    const T* y = static_cast<const T*>(a.x) + base;
    const T* g = static_cast<const T*>(a.grad) + base;
    T* gx = static_cast<T*>(a.out) + base;
    T s = 0;
    for (int64_t j = 0; j < a.len; ++j) s += a.log ? g[j * a.inner] : g[j * a.inner] * y[j * a.inner];
    for (int64_t j = 0; j < a.len; ++j) {
      const int64_t o = j * a.inner;
      gx[o] = a.log ? g[o] - exp(y[o]) * s : y[o] * (g[o] - s);
    }
  }
}

template <typename T> void launch(const SoftmaxArgs& a, bool backward) {
  if (a.outer * a.inner == 0 || a.len == 0) return;
  if (a.inner == 1) {
    const unsigned grid = unsigned(a.outer < 65535 ? a.outer : 65535);
    if (backward) softmax_backward_rows<T><<<grid, kBlock>>>(a);
    else softmax_rows<T><<<grid, kBlock>>>(a);
  } else {
    const unsigned grid = grid_for(a.outer * a.inner);
    if (backward) softmax_backward_cols<T><<<grid, kBlock>>>(a);
    else softmax_cols<T><<<grid, kBlock>>>(a);
  }
  ND_CUDA_CHECK_LAUNCH(softmax);
}

void forward(const SoftmaxArgs& a) {
  if (a.dtype == DType::Float64) launch<double>(a, false); else launch<float>(a, false);
}
void backward(const SoftmaxArgs& a) {
  if (a.dtype == DType::Float64) launch<double>(a, true); else launch<float>(a, true);
}

}  // namespace

void register_softmax_kernels() {
  cpu::softmax_forward_stub.cuda = forward;
  cpu::softmax_backward_stub.cuda = backward;
}

}  // namespace nd::cuda
