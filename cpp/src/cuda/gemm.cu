// Batched GEMM for float32 and float64: C[b] = alpha * A[b] B[b] + beta * C[b] with every
// operand given by element strides (cpu/gemm.h's GemmArgs), so transposed or strided operands
// are read in place. The product is the shared tiled kernel (Note [CUDA GEMM tiling] in
// cuda/tiled_gemm.cuh), with TF32 tensor cores for float32 when the args allow it.
#include "cpu/gemm.h"
#include "cuda/runtime.h"
#include "cuda/tiled_gemm.cuh"

namespace nd::cuda {

namespace tiled {

// cudaDeviceGetAttribute answers from the runtime's cached device properties (no driver call).
bool tf32_supported() {
  int device = 0, major = 0;
  ND_CUDA_CHECK(cudaGetDevice(&device));
  ND_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  return major >= 8;
}

int sm_count() {
  int device = 0, sms = 0;
  ND_CUDA_CHECK(cudaGetDevice(&device));
  ND_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

}  // namespace tiled

namespace {

using cpu::GemmArgs;

// Problem z is batch entry z; alpha and beta are applied when storing.
template <typename T> struct StridedMap {
  GemmArgs g;
  T alpha, beta;
  __device__ bool a_k_fast() const { return g.a_cs == 1; }
  __device__ bool b_k_fast() const { return g.b_rs == 1 && g.b_cs != 1; }
  __device__ T a(int64_t z, int64_t m, int64_t k) const {
    return static_cast<const T*>(g.a)[z * g.a_bs + m * g.a_rs + k * g.a_cs];
  }
  __device__ T b(int64_t z, int64_t k, int64_t n) const {
    return static_cast<const T*>(g.b)[z * g.b_bs + k * g.b_rs + n * g.b_cs];
  }
  __device__ void store(int64_t z, int64_t m, int64_t n, T v) const {
    T* out = static_cast<T*>(g.c) + z * g.c_bs + m * g.c_rs + n * g.c_cs;
    // beta == 0: C is not read, so NaNs in it don't propagate (BLAS semantics).
    *out = beta == T(0) ? alpha * v : alpha * v + beta * *out;
  }
};

template <typename T> void run(const GemmArgs& g) {
  const StridedMap<T> map{g, T(g.alpha), T(g.beta)};
  tiled::launch<T>(map, g.batch, g.m, g.n, g.k, g.allow_tf32);
}

void gemm_cuda(const GemmArgs& g) {
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  switch (g.dtype) {
    case DType::Float32: return run<float>(g);
    case DType::Float64: return run<double>(g);
    default:
      throw Error(detail::cat("[matmul] not implemented for CUDA tensors of dtype ", dtype_name(g.dtype),
                              " (float32 and float64 are)"));
  }
}

}  // namespace

void register_gemm_kernels() { cpu::gemm_stub.cuda = gemm_cuda; }

}  // namespace nd::cuda
