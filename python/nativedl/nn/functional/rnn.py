"""Recurrent cells, embeddings and scaled dot-product attention (PyTorch's API).

The numerics are C++ ops: the cells do one GEMM per projection and a fused gate kernel;
attention is composed of ops so it is differentiable twice."""
from ... import _C

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "embedding", "embedding_bag",
           "scaled_dot_product_attention"]


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh); hx None means zeros."""
    return _C.rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih, b_hh)


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _C.rnn_relu_cell(input, hx, w_ih, w_hh, b_ih, b_hh)


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; hx = (h, c); returns (h', c'). Gates i, f, g, o as in PyTorch."""
    return _C.lstm_cell(input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (gates r, z, n; the reset gate scales W_hn h + b_hn)."""
    return _C.gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """weight[input]. padding_idx's row gets no gradient; max_norm renormalizes the looked-up rows
    of weight in place first (as PyTorch). sparse gradients don't exist here: the gradient is dense."""
    if sparse:
        raise ValueError("[embedding] sparse=True is not supported: gradients are dense")
    if max_norm is not None:
        _C.embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    return _C.embedding(weight, input, padding_idx, scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums or averages bags of embeddings: input (B, L), or 1-d input with offsets. mode 'sum' or 'mean'."""
    if sparse:
        raise ValueError("[embedding_bag] sparse=True is not supported: gradients are dense")
    if scale_grad_by_freq:
        raise ValueError("[embedding_bag] scale_grad_by_freq=True is not supported")
    if max_norm is not None:
        _C.embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    return _C._embedding_bag(input, weight, offsets, mode, per_sample_weights, include_last_offset, padding_idx)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(q k^T * scale + mask) v; a bool attn_mask marks positions that take part, a float
    one is added to the scores; is_causal hides later keys; scale defaults to 1/sqrt(E)."""
    return _C.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)
