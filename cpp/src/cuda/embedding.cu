// Embedding lookups on the GPU: the forward copies rows (one thread per output element,
// neighbouring threads on neighbouring columns); the backward sums each referenced row's
// segment of output gradients in position order (Note [Segmented embedding backward]):
// deterministic, no atomics.
#include "cpu/embedding_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::EmbeddingSegments;

#define ND_FOR_EACH(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

template <typename T> __global__ void embedding_kernel(const T* weight, const int64_t* idx, int64_t n, int64_t D, T* out) {
  ND_FOR_EACH(i, n * D) out[i] = weight[idx[i / D] * D + i % D];
}

// Terms are added to T(0) one by one in position order, as the CPU's index_add into zeros.
template <typename T> __global__ void embedding_backward_kernel(const EmbeddingSegments s, const T* g, T* gw) {
  ND_FOR_EACH(i, s.U * s.D) {
    const int64_t u = i / s.D, d = i % s.D, b = s.off[u], e = s.off[u + 1];
    const T count = T(e - b);
    T acc = 0;
    for (int64_t k = b; k < e; ++k) {
      const T v = g[s.pos[k] * s.D + d];
      acc += s.scale_by_count ? T(v / count) : v;
    }
    gw[s.rows[u] * s.D + d] = acc;
  }
}

#undef ND_FOR_EACH

void embedding(const void* weight, const int64_t* idx, int64_t n, int64_t D, DType dtype, void* out) {
  if (n * D == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    embedding_kernel<T><<<grid_for(n * D), kBlock>>>(static_cast<const T*>(weight), idx, n, D, static_cast<T*>(out));
    ND_CUDA_CHECK_LAUNCH(embedding_kernel);
  };
  if (dtype == DType::Float64) run(double(0)); else run(float(0));
}

void embedding_backward(const EmbeddingSegments& s, const void* grad, void* grad_weight) {
  if (s.U * s.D == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    embedding_backward_kernel<T><<<grid_for(s.U * s.D), kBlock>>>(s, static_cast<const T*>(grad),
                                                                  static_cast<T*>(grad_weight));
    ND_CUDA_CHECK_LAUNCH(embedding_backward_kernel);
  };
  if (s.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_embedding_kernels() {
  cpu::embedding_stub.cuda = embedding;
  cpu::embedding_backward_stub.cuda = embedding_backward;
}

}  // namespace nd::cuda
