// Batched GEMM for float32 and float64: C[b] = alpha * A[b] B[b] + beta * C[b] with every
// operand given by element strides (cpu/gemm.h's GemmArgs), so transposed or strided operands
// are read in place.
//
// Note [CUDA GEMM tiling]
// A block of 16 x 16 threads computes a 64 x 64 tile of C; each thread owns a 4 x 4 patch held
// in registers (register blocking: 8 shared-memory loads feed 16 FMAs). The k dim advances in
// steps of 16: the block stages the 64 x 16 slice of A (stored transposed, so a thread's 4 rows
// are adjacent) and the 16 x 64 slice of B in shared memory, each thread loading 4 elements of
// each, zero-filled outside the matrix so edge tiles need no other special case. Two
// __syncthreads per step: after staging (tiles complete) and after the products (before the
// next staging overwrites them).
#include "cpu/gemm.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::GemmArgs;

constexpr int kTile = 64, kStep = 16, kThreadsPerDim = 16, kPerThread = kTile / kThreadsPerDim;

template <typename T> __global__ void __launch_bounds__(kThreadsPerDim * kThreadsPerDim) gemm_kernel(const GemmArgs g) {
  __shared__ T As[kStep][kTile + 1];  // As[kk][i] = A[row0 + i, k0 + kk]; +1 staggers the banks
  __shared__ T Bs[kStep][kTile + 1];  // Bs[kk][j] = B[k0 + kk, col0 + j]
  const int tx = threadIdx.x % kThreadsPerDim, ty = threadIdx.x / kThreadsPerDim, tid = threadIdx.x;
  const T alpha = T(g.alpha), beta = T(g.beta);
  for (int64_t batch = blockIdx.z; batch < g.batch; batch += gridDim.z) {
    const T* A = static_cast<const T*>(g.a) + batch * g.a_bs;
    const T* B = static_cast<const T*>(g.b) + batch * g.b_bs;
    T* C = static_cast<T*>(g.c) + batch * g.c_bs;
    for (int64_t row0 = int64_t(blockIdx.y) * kTile; row0 < g.m; row0 += int64_t(gridDim.y) * kTile) {
      for (int64_t col0 = int64_t(blockIdx.x) * kTile; col0 < g.n; col0 += int64_t(gridDim.x) * kTile) {
        T acc[kPerThread][kPerThread] = {};
        for (int64_t k0 = 0; k0 < g.k; k0 += kStep) {
          // 256 threads stage 64 x 16 elements of each operand: 4 apiece.
#pragma unroll
          for (int l = 0; l < kPerThread; ++l) {
            const int e = tid + l * kThreadsPerDim * kThreadsPerDim;
            const int ai = e / kStep, ak = e % kStep;  // A: consecutive threads walk k
            const int64_t r = row0 + ai, ka = k0 + ak;
            As[ak][ai] = r < g.m && ka < g.k ? A[r * g.a_rs + ka * g.a_cs] : T(0);
            const int bk = e / kTile, bj = e % kTile;  // B: consecutive threads walk columns
            const int64_t kb = k0 + bk, c = col0 + bj;
            Bs[bk][bj] = kb < g.k && c < g.n ? B[kb * g.b_rs + c * g.b_cs] : T(0);
          }
          __syncthreads();
#pragma unroll
          for (int kk = 0; kk < kStep; ++kk) {
            T a[kPerThread], b[kPerThread];
#pragma unroll
            for (int i = 0; i < kPerThread; ++i) a[i] = As[kk][ty * kPerThread + i];
#pragma unroll
            for (int j = 0; j < kPerThread; ++j) b[j] = Bs[kk][tx * kPerThread + j];
#pragma unroll
            for (int i = 0; i < kPerThread; ++i)
#pragma unroll
              for (int j = 0; j < kPerThread; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
          }
          __syncthreads();
        }
#pragma unroll
        for (int i = 0; i < kPerThread; ++i) {
          const int64_t r = row0 + ty * kPerThread + i;
          if (r >= g.m) continue;
#pragma unroll
          for (int j = 0; j < kPerThread; ++j) {
            const int64_t c = col0 + tx * kPerThread + j;
            if (c >= g.n) continue;
            T* out = C + r * g.c_rs + c * g.c_cs;
            // beta == 0: C is not read, so NaNs in it don't propagate (BLAS semantics).
            *out = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out;
          }
        }
      }
    }
  }
}

unsigned capped(int64_t n, int64_t per, int64_t cap) {
  const int64_t b = (n + per - 1) / per;
  return unsigned(b < 1 ? 1 : b > cap ? cap : b);
}

template <typename T> void run(const GemmArgs& g) {
  const dim3 grid(capped(g.n, kTile, 2147483647), capped(g.m, kTile, 65535), capped(g.batch, 1, 65535));
  gemm_kernel<T><<<grid, kThreadsPerDim * kThreadsPerDim>>>(g);
  ND_CUDA_CHECK_LAUNCH(gemm_kernel);
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
