// Registers the avx512 kernel set.
//
// Note [AVX-512 kernel set]
// 512-bit FMAs double the arithmetic peak of CPUs with two full-width FMA units (Zen 5,
// Xeon): compute-bound kernels gain, memory-bound ones don't. So only the GEMM (which the
// matmul and convolution ops run on) and the peak probe measuring what it can reach
// (cpu/kernels/peak.cpp) are compiled for avx512; every other stub keeps its avx2 kernel
// through select()'s fallback, and vec_avx512.h carries only what those use.
// Softmax and depthwise convolution are the exceptions among the memory-bound kernels: their
// working sets (a row, a padded plane) sit in cache, where 16-lane FMAs halve their cost;
// so do the recurrent gate kernels (a step's gates are in cache, exp and division bound) and
// the normalization kernels (their statistics passes run over L1- and L2-resident blocks), and
// the activations and unary ops whose polynomial math is compute-bound (Note [AVX-512
// activations]).
#include "cpu/kernel_api.h"

namespace nd::cpu::NATIVEDL_ISA {

void register_gemm_kernels();
void register_peak_kernels();
void register_softmax_kernels();
void register_depthwise_kernels();
void register_rnn_kernels();
void register_normalization_kernels();
void register_activation_kernels();
void register_unary_kernels();

void register_kernels() {
  register_gemm_kernels();
  register_peak_kernels();
  register_softmax_kernels();
  register_depthwise_kernels();
  register_rnn_kernels();
  register_normalization_kernels();
  register_activation_kernels();
  register_unary_kernels();
}

}  // namespace nd::cpu::NATIVEDL_ISA
