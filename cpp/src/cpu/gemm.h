// The GEMM kernel API: C = alpha * A * B + beta * C on raw pointers, batched, for float32,
// float64 (packed, register-blocked kernels) and the integer dtypes (a plain loop).
//
// Every operand is described by element strides (batch, row, column), so a transposed or
// otherwise strided operand is read in place by the packing routines; nothing is copied
// into a transposed layout first. Plain data only here (see Note [ISA namespaces]).
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// One batched GEMM: for each b < batch, C[b] (m x n) = alpha * A[b] (m x k) * B[b] (k x n)
/// + beta * C[b]. Element (i, j) of A[b] is a[b * a_bs + i * a_rs + j * a_cs], likewise
/// for B and C. beta == 0 means C is not read (NaNs in C don't propagate), as in BLAS.
/// C must not overlap A or B. k == 0 gives C = beta * C.
struct GemmArgs {
  DType dtype = DType::Float32;
  int64_t batch = 1, m = 0, n = 0, k = 0;
  double alpha = 1.0, beta = 0.0;
  const void* a = nullptr;
  int64_t a_bs = 0, a_rs = 0, a_cs = 0;
  const void* b = nullptr;
  int64_t b_bs = 0, b_rs = 0, b_cs = 0;
  void* c = nullptr;
  int64_t c_bs = 0, c_rs = 0, c_cs = 0;
  bool allow_tf32 = false;  // CUDA float32: may use TF32 tensor cores (ignored on the CPU)
};

using GemmKernel = void (*)(const GemmArgs& args);
extern DispatchStub<GemmKernel> gemm_stub;

/// Runs a GEMM through the active ISA's kernel.
void gemm(const GemmArgs& args);

/// A float B operand packed once for many products with different A (a recurrent layer's
/// W_hh over its time steps; Note [Prepacked B] in kernels/gemm.cpp). The layout belongs to
/// the active ISA's kernel: pack and multiply through these stubs only.
struct PackBArgs {
  DType dtype = DType::Float32;
  int64_t k = 0, n = 0;
  const void* b = nullptr;  // element (p, j) of B (k x n) is b[p * b_rs + j * b_cs]
  int64_t b_rs = 0, b_cs = 0;
  void* out = nullptr;  // packed_b_size elements
};
using GemmPackedBSizeKernel = int64_t (*)(DType dtype, int64_t k, int64_t n);
using GemmPackBKernel = void (*)(const PackBArgs& args);
/// C = alpha * A * B + beta * C, batch 1, with args.b a buffer packed by the pack kernel for
/// the same k and n (args' B strides unused).
using GemmPrepackedKernel = void (*)(const GemmArgs& args);
extern DispatchStub<GemmPackedBSizeKernel> gemm_packed_b_size_stub;
extern DispatchStub<GemmPackBKernel> gemm_pack_b_stub;
extern DispatchStub<GemmPrepackedKernel> gemm_prepacked_stub;

/// BLAS-style single GEMMs on row-major matrices with leading dimensions:
/// C = alpha * op(A) * op(B) + beta * C, op(X) = X^T when trans_x.
void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
           int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

}  // namespace nd::cpu
