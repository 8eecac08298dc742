// Recurrent cells and whole-sequence recurrent layers (PyTorch's equations, weight layouts
// and gate orders: LSTM i, f, g, o; GRU r, z, n with the reset gate applied to the hidden
// projection including b_hn). Each step does one GEMM for the input projection of all gates,
// one for the hidden projection, and a fused pointwise gate kernel. Optional tensors
// (biases, states, lengths) are passed as undefined Tensors.
#pragma once
#include <string>
#include <vector>

#include "nativedl/tensor.h"

namespace nd {

/// h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh). input (B, I) or (I); hx like it with H
/// features (undefined: zeros). Differentiable twice (double backward through the ops).
Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh);
/// As rnn_tanh_cell with relu.
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh);
/// One LSTM step; returns {h', c'}. w_ih (4H, I), w_hh (4H, H), gates i, f, g, o.
std::vector<Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx, const Tensor& w_ih,
                              const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh);
/// One GRU step: r, z = sigmoid(...), n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),
/// h' = (1 - z) n + z h. w_ih (3H, I), w_hh (3H, H).
Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh);

/// A whole multi-layer, optionally bidirectional recurrent layer, as torch's _VF.lstm & co.
/// mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU". input (T, B, I) ((B, T, I) if batch_first)
/// or unbatched (T, I). hx: {} or {h0} ({h0, c0} for LSTM), h0 (L*D, B, P), c0 (L*D, B, H),
/// unbatched without B; any of them undefined means zeros. params: per layer and direction
/// (forward, then reverse) w_ih, w_hh, then b_ih, b_hh if has_biases, then w_hr if
/// proj_size > 0 (P = proj_size, else H). dropout: on each layer's output but the last, when
/// train. lengths: undefined, or (B) int64 valid lengths: steps t >= lengths[b] neither
/// change h_n/c_n nor the output (0 there) and receive no gradient.
/// Returns {output (T, B, D*P), h_n (L*D, B, P)} and c_n (L*D, B, H) for LSTM.
/// Each layer and direction is one autograd node whose backward (BPTT) is a C++ loop over
/// time; it is first-order only: a backward with create_graph through it raises.
std::vector<Tensor> rnn(const std::string& mode, const Tensor& input, const std::vector<Tensor>& hx,
                        const std::vector<Tensor>& params, bool has_biases, int64_t num_layers, double dropout,
                        bool train, bool bidirectional, bool batch_first, int64_t proj_size,
                        const Tensor& lengths);

}  // namespace nd
