// Descriptors and dispatch stubs of the recurrent gate kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
//
// Note [Recurrent step layout]
// One time step of a batch of B rows. The op layer computes the input projection
// gi = x W_ih^T + b_ih (B, G*H) and the hidden projection gh = h W_hh^T + b_hh (B, G*H) with
// one GEMM each (G = 1 RNN, 4 LSTM [i f g o], 3 GRU [r z n]); the gate kernel does every
// pointwise step in one pass over the rows. Rows past their sequence length (lengths[b] <= t)
// are frozen: state copied through, output 0, zero gate gradients, state gradient passed
// through; that is how padded steps neither change results nor receive gradient.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

enum class RnnMode : int { Tanh = 0, Relu = 1, Lstm = 2, Gru = 3 };

/// Gates per hidden unit in the projections (1, 1, 4, 3).
constexpr int64_t rnn_gate_count(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }

/// One step of B rows with hidden size H and state size P (H, or proj_size); every buffer is
/// row-major with the row length given. `proj`: LSTM with a projection: `h_new` receives
/// r = o * tanh(c) (B, H), 0 on frozen rows, and the op layer applies W_hr and freezes the
/// projected state itself.
struct RnnStepArgs {
  RnnMode mode = RnnMode::Tanh;
  DType dtype = DType::Float32;
  int64_t B = 0, H = 0, P = 0;
  bool proj = false;
  const int64_t* lengths = nullptr;  // (B) or null: all rows active
  int64_t t = 0;                     // the time index compared with lengths
  const void* bias_i = nullptr;      // (G*H) added to every row of gi, or null
  const void* bias_h = nullptr;      // (G*H) added to every row of gh, or null
};

/// Forward step. gi, gh (B, G*H), to which the kernel adds a.bias_i, a.bias_h; gh may be null
/// (not for the GRU) when gi holds the sum of both projections; h_prev (B, H); c_prev (B, H)
/// LSTM only. Writes gates (B, G*H; GRU: (B, 4H) = r, z, n, gh_n) for the backward (null for
/// RNN: it uses h_new), which may be gi itself (LSTM), h_new (B, H), c_new (B, H) LSTM, and
/// y (B, H): h_new, or 0 on frozen rows (null: skipped).
using RnnForwardKernel = void (*)(const RnnStepArgs& a, const void* gi, const void* gh, const void* h_prev,
                                  const void* c_prev, void* gates, void* h_new, void* c_new, void* y);

/// Backward step. dh (B, H): gradient w.r.t. h_new (proj: w.r.t. r); dstate (B, P): the
/// total gradient w.r.t. the new state, passed on by frozen rows; dc (B, H): w.r.t. c_new
/// (LSTM), overwritten in place with the gradient w.r.t. c_prev. Writes dgi (B, G*H) and
/// dgh (B, G*H; GRU only, it differs from dgi in the n block) and adds to dh_prev (B, P) the
/// part of the gradient w.r.t. h_prev that does not go through W_hh (GRU: z * dh; frozen
/// rows: dstate); dh_prev may be null for modes and rows that add nothing.
using RnnBackwardKernel = void (*)(const RnnStepArgs& a, const void* gates, const void* h_prev, const void* c_prev,
                                   const void* h_new, const void* c_new, const void* dh, const void* dstate, void* dc,
                                   void* dgi, void* dgh, void* dh_prev);

extern DispatchStub<RnnForwardKernel> rnn_forward_stub;
extern DispatchStub<RnnBackwardKernel> rnn_backward_stub;

}  // namespace nd::cpu
