// Descriptors and dispatch stubs of the embedding kernels (plain data only, see Note [ISA
// namespaces] in cpu/kernel_api.h). Only CUDA weights use them: on the CPU the embedding is an
// index_select and its backward an index_add (ops/embedding.cpp).
//
// Note [Segmented embedding backward]
// The weight gradient sums, per referenced row, the output gradients of the positions naming
// it. The op groups the positions by row on the host (a stable counting sort of the indices it
// has already copied there for the bounds check): rows[u] is the u-th referenced row (the
// padding row left out), its positions pos[off[u]] .. pos[off[u+1] - 1] in increasing order.
// The kernel gives each (row, column) one thread that adds its positions in that order: no
// atomics, every gradient is the same on every run, and equal to the CPU's index_add.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// out (n, D) = weight[idx[i]] rows; weight (N, D) contiguous.
using EmbeddingKernel = void (*)(const void* weight, const int64_t* idx, int64_t n, int64_t D, DType dtype,
                                 void* out);

struct EmbeddingSegments {
  const int64_t* rows = nullptr;  // (U) device
  const int64_t* off = nullptr;   // (U + 1)
  const int64_t* pos = nullptr;   // (off[U])
  int64_t U = 0, D = 0;
  bool scale_by_count = false;    // scale_grad_by_freq: each term divided by its row's count
  DType dtype = DType::Float32;
};
/// grad_weight (N, D), already zero, gets rows[u] = sum over the segment of grad (n, D) rows.
using EmbeddingBackwardKernel = void (*)(const EmbeddingSegments& s, const void* grad, void* grad_weight);

extern DispatchStub<EmbeddingKernel> embedding_stub;
extern DispatchStub<EmbeddingBackwardKernel> embedding_backward_stub;

}  // namespace nd::cpu
