// Registers this ISA's kernels in the dispatch stubs: one line per kernel family.
#include "cpu/kernel_api.h"

namespace nd::cpu::NATIVEDL_ISA {

void register_copy_kernels();
void register_unary_kernels();
void register_binary_kernels();
void register_reduce_kernels();
void register_indexing_kernels();
void register_gemm_kernels();
void register_scan_kernels();
void register_conv_kernels();
void register_pooling_kernels();
void register_resample_kernels();
void register_normalization_kernels();
void register_activation_kernels();
void register_softmax_kernels();
void register_optim_kernels();
void register_rnn_kernels();
void register_peak_kernels();

void register_kernels() {
  register_copy_kernels();
  register_unary_kernels();
  register_binary_kernels();
  register_reduce_kernels();
  register_indexing_kernels();
  register_gemm_kernels();
  register_scan_kernels();
  register_conv_kernels();
  register_pooling_kernels();
  register_resample_kernels();
  register_normalization_kernels();
  register_activation_kernels();
  register_softmax_kernels();
  register_optim_kernels();
  register_rnn_kernels();
  register_peak_kernels();
}

}  // namespace nd::cpu::NATIVEDL_ISA
