"""Op-table rows of the recurrent family: the cells (RNN tanh/relu, LSTM, GRU), embedding,
embedding_renorm_ and scaled dot-product attention. References are the textbook equations in
NumPy (PyTorch's gate orders: LSTM i, f, g, o; GRU r, z, n with r applied to W_hn h + b_hn)."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

TOL = {"float32": 1e-5, "float64": 1e-10}
TOL32 = {"float32": 1e-4, "float64": 1e-10}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def ref_rnn_cell(act):
    def ref(x, h, wi, wh, bi, bh):
        return act(x @ wi.T + bi + h @ wh.T + bh).astype(x.dtype)
    return ref


def ref_lstm_cell(x, h, c, wi, wh, bi, bh):
    i, f, g, o = np.split(x @ wi.T + bi + h @ wh.T + bh, 4, axis=-1)
    c2 = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return (sigmoid(o) * np.tanh(c2)).astype(x.dtype), c2.astype(x.dtype)


def ref_gru_cell(x, h, wi, wh, bi, bh):
    xr, xz, xn = np.split(x @ wi.T + bi, 3, axis=-1)
    hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return ((1 - z) * n + z * h).astype(x.dtype)


def cell_shapes(gates):
    """(x, h, w_ih, w_hh, b_ih, b_hh) shapes: batched with a vector tail (H = 9), unbatched."""
    def s(B, I, H):
        lead = (B,) if B else ()
        return (lead + (I,), lead + (H,), (gates * H, I), (gates * H, H), (gates * H,), (gates * H,))
    return [s(3, 4, 5), s(2, 6, 9), s(0, 3, 4)], [s(2, 3, 2), s(0, 2, 3)]


def lstm_shapes():
    def s(B, I, H):
        lead = (B,) if B else ()
        return (lead + (I,), lead + (H,), lead + (H,), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,))
    return [s(3, 4, 5), s(2, 6, 9), s(0, 3, 4)], [s(2, 3, 2), s(0, 2, 3)]


def lstm(x, h, c, wi, wh, bi, bh):
    return nd.lstm_cell(x, (h, c), wi, wh, bi, bh)


def gen_embedding(shapes, dtype, rng):
    (n, d), idx_shape = shapes
    return [rng.uniform(-2, 2, size=(n, d)).astype(dtype), rng.integers(0, n, size=idx_shape).astype(np.int64)]


def ref_renorm(w, idx, max_norm, norm_type):
    w = w.copy()
    for r in np.unique(idx):
        nrm = np.sum(np.abs(w[r].astype(np.float64)) ** norm_type) ** (1 / norm_type)
        if nrm > max_norm:
            w[r] = w[r] * (max_norm / (nrm + 1e-7))
    return w


def ref_sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    s = (q @ np.swapaxes(k, -1, -2)) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if is_causal:
        s = np.where(np.triu(np.ones(s.shape[-2:], bool), 1), -np.inf, s)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    e = np.exp(s - s.max(-1, keepdims=True))
    return ((e / e.sum(-1, keepdims=True)) @ v).astype(q.dtype)


def gen_bool_mask(shapes, dtype, rng):
    arrays = [rng.uniform(-2, 2, size=s).astype(dtype) for s in shapes[:3]]
    mask = rng.random(shapes[3]) < 0.6
    mask[..., 0] = True  # every query sees at least one key
    return arrays + [mask]


SDPA_SHAPES = [((2, 3, 4), (2, 5, 4), (2, 5, 6)), ((2, 2, 4, 3), (2, 2, 4, 3), (2, 2, 4, 2))]
SDPA_GRAD = [((1, 3, 2), (1, 3, 2), (1, 3, 2))]

ROWS = [
    OpInfo("rnn_tanh_cell", nd.rnn_tanh_cell, ref_rnn_cell(np.tanh), cell_shapes(1)[0], atol=TOL32, rtol=TOL32,
           grad_shapes=cell_shapes(1)[1]),
    OpInfo("rnn_relu_cell", nd.rnn_relu_cell, ref_rnn_cell(lambda a: np.maximum(a, 0)), cell_shapes(1)[0],
           atol=TOL32, rtol=TOL32, grad_shapes=cell_shapes(1)[1]),
    OpInfo("lstm_cell", lstm, ref_lstm_cell, lstm_shapes()[0], atol=TOL32, rtol=TOL32, grad_shapes=lstm_shapes()[1]),
    OpInfo("lstm_cell-nobias", lambda x, h, c, wi, wh: nd.lstm_cell(x, (h, c), wi, wh),
           lambda x, h, c, wi, wh: ref_lstm_cell(x, h, c, wi, wh, 0, 0), [s[:5] for s in lstm_shapes()[0]],
           atol=TOL32, rtol=TOL32, grad_shapes=[s[:5] for s in lstm_shapes()[1]]),
    OpInfo("gru_cell", nd.gru_cell, ref_gru_cell, cell_shapes(3)[0], atol=TOL32, rtol=TOL32,
           grad_shapes=cell_shapes(3)[1]),
    OpInfo("embedding", nd.embedding, lambda w, i: w[i], [((7, 5), (4,)), ((6, 9), (2, 3)), ((4, 3), (0,))],
           gen=gen_embedding, grad_inputs=[0], grad_shapes=[((4, 3), (2, 3))]),
    OpInfo("embedding-padding", lambda w, i: nd.embedding(w, i, padding_idx=1), lambda w, i: w[i],
           [((7, 5), (4,))], gen=gen_embedding, differentiable=False),
    OpInfo("embedding_renorm_", lambda w, i, **kw: nd.embedding_renorm_(w, i, **kw), ref_renorm,
           [((7, 5), (6,)), ((5, 9), (2, 3))], [{"max_norm": 1.5, "norm_type": 2.0}, {"max_norm": 2.0, "norm_type": 1.0}],
           gen=gen_embedding, differentiable=False, atol=TOL32, rtol=TOL32),
    OpInfo("scaled_dot_product_attention", nd.scaled_dot_product_attention, ref_sdpa, SDPA_SHAPES,
           [{}, {"is_causal": True}, {"scale": 0.3}], atol=TOL32, rtol=TOL32, grad_shapes=SDPA_GRAD),
    OpInfo("scaled_dot_product_attention-bool", lambda q, k, v, m: nd.scaled_dot_product_attention(q, k, v, m),
           ref_sdpa, [s + (s[0][:-1] + (s[1][-2],),) for s in SDPA_SHAPES], gen=gen_bool_mask,
           grad_inputs=[0, 1, 2], atol=TOL32, rtol=TOL32,
           grad_shapes=[s + (s[0][:-1] + (s[1][-2],),) for s in SDPA_GRAD]),
    OpInfo("scaled_dot_product_attention-additive", lambda q, k, v, m: nd.scaled_dot_product_attention(q, k, v, m),
           ref_sdpa, [s + ((s[0][-2], s[1][-2]),) for s in SDPA_SHAPES], atol=TOL32, rtol=TOL32,
           grad_shapes=[s + ((s[0][-2], s[1][-2]),) for s in SDPA_GRAD]),
]
