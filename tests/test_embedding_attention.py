"""Embedding / EmbeddingBag, scaled dot-product and multi-head attention, AdditiveAttention and
gradient clipping, against NumPy (and PyTorch when installed)."""
import math

import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.autograd import gradcheck

F = nn.functional


def npy(t):
    return t.detach().numpy()


# ---------------------------------------------------------------- embeddings

def test_embedding_padding_idx_gets_no_gradient():
    nd.manual_seed(0)
    emb = nn.Embedding(6, 3, padding_idx=2)
    assert (npy(emb.weight)[2] == 0).all()
    idx = nd.tensor([[0, 2, 5], [2, 2, 0]])
    out = emb(idx)
    assert tuple(out.shape) == (2, 3, 3)
    (out * nd.arange(3.0)).sum().backward()
    g = npy(emb.weight.grad)
    assert (g[2] == 0).all()
    np.testing.assert_allclose(g[0], 2 * np.arange(3.0))
    np.testing.assert_allclose(g[5], np.arange(3.0))
    assert nn.Embedding(6, 3, padding_idx=-1).padding_idx == 5


def test_embedding_scale_grad_by_freq_and_max_norm():
    w = nd.tensor(np.arange(12, dtype=np.float32).reshape(4, 3), requires_grad=True)
    F.embedding(nd.tensor([1, 1, 3]), w, scale_grad_by_freq=True).sum().backward()
    np.testing.assert_allclose(npy(w.grad), [[0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1]])
    w2 = nd.tensor(np.array([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]], np.float32))
    out = F.embedding(nd.tensor([0, 1]), w2, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(npy(out), axis=1), [1.0, 0.5], rtol=1e-5)
    np.testing.assert_allclose(npy(w2)[2], [6.0, 8.0])  # rows not looked up are left alone


def test_embedding_gradcheck_scale_by_freq_is_per_count():
    w = nd.tensor(np.random.default_rng(0).standard_normal((5, 2)), requires_grad=True)
    idx = nd.tensor([4, 0, 4])
    assert gradcheck(lambda w: nd.embedding(w, idx), [w])


def test_embedding_errors():
    emb = nn.Embedding(5, 2)
    with pytest.raises(IndexError, match=r"\[embedding\] index 5 .*num_embeddings=5"):
        emb(nd.tensor([1, 5]))
    with pytest.raises(IndexError, match=r"index -1"):
        emb(nd.tensor([-1]))
    with pytest.raises(TypeError, match="int64 or int32"):
        emb(nd.tensor([1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)


def ref_bag(w, idx, offsets, mode, psw=None, pad=None):
    out = []
    ends = list(offsets[1:]) + [len(idx)]
    for s, e in zip(offsets, ends):
        rows = [(w[i] * (1 if psw is None else psw[k])) for k, i in zip(range(s, e), idx[s:e]) if i != pad]
        tot = np.sum(rows, axis=0) if rows else np.zeros(w.shape[1])
        out.append(tot / max(len(rows), 1) if mode == "mean" else tot)
    return np.array(out)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag(mode):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((7, 3))
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 6]), np.array([0, 2, 2, 5])
    bag = nn.EmbeddingBag(7, 3, mode=mode, _weight=nd.tensor(w), padding_idx=4)
    out = bag(nd.tensor(idx), nd.tensor(offsets))
    np.testing.assert_allclose(npy(out), ref_bag(w, idx, offsets, mode, pad=4), atol=1e-12)
    out2 = F.embedding_bag(nd.tensor(idx[:6].reshape(2, 3)), nd.tensor(w), mode=mode)
    np.testing.assert_allclose(npy(out2), ref_bag(w, idx[:6], np.array([0, 3]), mode), atol=1e-12)
    wt = nd.tensor(w, requires_grad=True)
    assert gradcheck(lambda wt: F.embedding_bag(nd.tensor(idx), wt, nd.tensor(offsets), mode=mode, padding_idx=4),
                     [wt])
    if mode == "sum":
        psw = rng.standard_normal(len(idx))
        out3 = F.embedding_bag(nd.tensor(idx), nd.tensor(w), nd.tensor(np.append(offsets, len(idx))), mode="sum",
                               per_sample_weights=nd.tensor(psw), include_last_offset=True)
        np.testing.assert_allclose(npy(out3), ref_bag(w, idx, offsets, "sum", psw), atol=1e-12)
        p = nd.tensor(psw, requires_grad=True)
        assert gradcheck(lambda wt, p: F.embedding_bag(nd.tensor(idx), wt, nd.tensor(offsets), mode="sum",
                                                       per_sample_weights=p), [wt, p])


def test_embedding_bag_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w = rng.standard_normal((9, 4)).astype(np.float32)
    idx, off = rng.integers(0, 9, 11), np.array([0, 3, 3, 7])
    for mode in ("sum", "mean"):
        t = torch.nn.functional.embedding_bag(torch.from_numpy(idx), torch.from_numpy(w), torch.from_numpy(off),
                                              mode=mode, padding_idx=2)
        o = F.embedding_bag(nd.tensor(idx), nd.tensor(w), nd.tensor(off), mode=mode, padding_idx=2)
        np.testing.assert_allclose(npy(o), t.numpy(), atol=1e-6)


# ---------------------------------------------------------------- attention

def ref_attention(q, k, v, mask=None):
    s = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s + mask
    e = np.exp(s - s.max(-1, keepdims=True))
    a = e / e.sum(-1, keepdims=True)
    return a @ v, a


def ref_mha(m, q, k, v, key_padding_mask=None, attn_mask=None):
    """PyTorch's multi-head attention from its definition, (L, N, E) inputs, bool masks True = hidden."""
    E, H = m.embed_dim, m.num_heads
    W, b = npy(m.in_proj_weight), npy(m.in_proj_bias)
    Q, K, V = q @ W[:E].T + b[:E], k @ W[E:2 * E].T + b[E:2 * E], v @ W[2 * E:].T + b[2 * E:]
    L, N, S = q.shape[0], q.shape[1], k.shape[0]
    split = lambda x: x.reshape(x.shape[0], N, H, E // H).transpose(1, 2, 0, 3)  # (N, H, T, Dh)
    mask = np.zeros((N, 1, L, S))
    if attn_mask is not None:
        mask = mask + np.where(attn_mask, -np.inf, 0.0)
    if key_padding_mask is not None:
        mask = mask + np.where(key_padding_mask, -np.inf, 0.0)[:, None, None, :]
    out, attn = ref_attention(split(Q), split(K), split(V), mask)
    out = out.transpose(2, 0, 1, 3).reshape(L, N, E) @ npy(m.out_proj.weight).T + npy(m.out_proj.bias)
    return out, attn


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_numpy(batch_first):
    nd.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, batch_first=batch_first).double()
    with nd.no_grad():
        m.in_proj_bias.copy_(nd.randn(24, dtype=nd.float64))
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((4, 3, 8)), rng.standard_normal((5, 3, 8)), rng.standard_normal((5, 3, 8))
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    am = np.triu(np.ones((4, 5), bool), 2)
    t = (lambda a: nd.tensor(a.transpose(1, 0, 2))) if batch_first else nd.tensor
    out, w = m(t(q), t(k), t(v), key_padding_mask=nd.tensor(kpm), attn_mask=nd.tensor(am))
    ref_out, ref_w = ref_mha(m, q, k, v, kpm, am)
    got = npy(out).transpose(1, 0, 2) if batch_first else npy(out)
    np.testing.assert_allclose(got, ref_out, atol=1e-12)
    np.testing.assert_allclose(npy(w), ref_w.mean(1), atol=1e-12)
    _, w_heads = m(t(q), t(k), t(v), average_attn_weights=False)
    assert tuple(w_heads.shape) == (3, 2, 4, 5)
    out2, none = m(t(q), t(k), t(v), key_padding_mask=nd.tensor(kpm), attn_mask=nd.tensor(am), need_weights=False)
    assert none is None
    np.testing.assert_allclose(npy(out2), npy(out), atol=1e-12)


def test_multihead_attention_gradcheck_and_kdim():
    nd.manual_seed(1)
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=5).double()
    names = {n for n, _ in m.named_parameters()}
    assert {"q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight"} <= names
    rng = np.random.default_rng(4)
    q = nd.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = nd.tensor(rng.standard_normal((3, 1, 3)), requires_grad=True)
    v = nd.tensor(rng.standard_normal((3, 1, 5)), requires_grad=True)
    assert gradcheck(lambda q, k, v: m(q, k, v)[0], [q, k, v])
    out, w = m(q.squeeze(1), k.squeeze(1), v.squeeze(1))  # unbatched
    assert tuple(out.shape) == (2, 4) and tuple(w.shape) == (2, 3)
    with pytest.raises(ValueError, match="embed_dim=4"):
        m(nd.randn(2, 1, 5, dtype=nd.float64), k, v)


def test_multihead_attention_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    tm = torch.nn.MultiheadAttention(8, 4, batch_first=True)
    m = nn.MultiheadAttention(8, 4, batch_first=True)
    sd = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.5 for k, v in tm.state_dict().items()}
    assert list(sd) == list(m.state_dict())
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    m.load_state_dict({k: nd.tensor(v) for k, v in sd.items()})
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.zeros((2, 5), bool)
    kpm[0, 4] = True
    t_out, t_w = tm(*(torch.from_numpy(x),) * 3, key_padding_mask=torch.from_numpy(kpm), is_causal=False)
    out, w = m(*(nd.tensor(x),) * 3, key_padding_mask=nd.tensor(kpm))
    np.testing.assert_allclose(npy(out), t_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(npy(w), t_w.detach().numpy(), atol=1e-5)


def test_sdpa_matches_torch_and_dropout():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    q, k, v = (rng.standard_normal((2, 3, 4, 8)).astype(np.float32) for _ in range(3))
    mask = rng.random((4, 4)) < 0.7
    mask[:, 0] = True
    for kw in ({"attn_mask": mask}, {"is_causal": True}, {"attn_mask": rng.standard_normal((4, 4)).astype(np.float32)}):
        tk = {a: torch.from_numpy(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
        nk = {a: nd.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
        t = torch.nn.functional.scaled_dot_product_attention(*map(torch.from_numpy, (q, k, v)), **tk)
        o = F.scaled_dot_product_attention(*map(nd.tensor, (q, k, v)), **nk)
        np.testing.assert_allclose(npy(o), t.numpy(), atol=1e-5)
    nd.manual_seed(0)
    a = npy(F.scaled_dot_product_attention(*map(nd.tensor, (q, k, v)), dropout_p=0.5))
    assert np.abs(a - npy(F.scaled_dot_product_attention(*map(nd.tensor, (q, k, v))))).max() > 1e-3


def test_additive_attention():
    nd.manual_seed(2)
    att = nn.AdditiveAttention(query_dim=3, key_dim=4, hidden_dim=5).double()
    rng = np.random.default_rng(7)
    q, keys, vals = rng.standard_normal((2, 3)), rng.standard_normal((2, 6, 4)), rng.standard_normal((2, 6, 2))
    mask = np.ones((2, 6), bool)
    mask[1, 4:] = False
    ctx, w = att(nd.tensor(q), nd.tensor(keys), nd.tensor(vals), mask=nd.tensor(mask))
    Wq, Wk, bk, v = (npy(t) for t in (att.query_proj.weight, att.key_proj.weight, att.key_proj.bias, att.v))
    scores = np.tanh((q @ Wq.T)[:, None] + keys @ Wk.T + bk) @ v
    scores = np.where(mask, scores, -np.inf)
    ref_w = np.exp(scores - scores.max(1, keepdims=True))
    ref_w /= ref_w.sum(1, keepdims=True)
    np.testing.assert_allclose(npy(w), ref_w, atol=1e-12)
    np.testing.assert_allclose(npy(ctx), np.einsum("ns,nsd->nd", ref_w, vals), atol=1e-12)
    qt = nd.tensor(q, requires_grad=True)
    kt = nd.tensor(keys, requires_grad=True)
    assert gradcheck(lambda qt, kt: att(qt, kt)[0], [qt, kt])
    with pytest.raises(ValueError, match="key_dim=4"):
        att(nd.tensor(q), nd.tensor(vals))


# ---------------------------------------------------------------- gradient clipping

def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(nd.zeros(*g.shape))
        p.grad = nd.tensor(g.astype(np.float32))
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm(norm_type):
    rng = np.random.default_rng(8)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if math.isinf(norm_type) else np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    ps = _params_with_grads(grads)
    got = nn.utils.clip_grad_norm_(ps, 0.5, norm_type=norm_type)
    np.testing.assert_allclose(got.item(), total, rtol=1e-5)
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(npy(p.grad), g * 0.5 / (total + 1e-6), rtol=1e-5)
    ps = _params_with_grads(grads)
    nn.utils.clip_grad_norm_(ps, 1e6, norm_type=norm_type)  # below max_norm: unchanged
    np.testing.assert_allclose(npy(ps[0].grad), grads[0], rtol=1e-6)


def test_clip_grad_nonfinite_and_value():
    ps = _params_with_grads([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    ps = _params_with_grads([np.array([-3.0, 0.5, 2.0])])
    nn.utils.clip_grad_value_(ps, 1.0)
    np.testing.assert_array_equal(npy(ps[0].grad), [-1.0, 0.5, 1.0])
    assert nn.utils.clip_grad_norm_([nn.Parameter(nd.zeros(2))], 1.0).item() == 0.0



def _explicit_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) * (1.0 / q.shape[-1] ** 0.5)
    if mask is not None:
        scores = scores + mask
    return nd.softmax(scores, -1) @ v


def _second_derivatives(attention, q, k, v):
    g, = nd.autograd.grad((attention() ** 2).sum(), q, create_graph=True)
    return nd.autograd.grad((g * g).sum(), [k, v])


@pytest.mark.parametrize("masked", [False, True])
def test_fused_sdpa_first_and_second_derivatives_match_the_explicit_composition(masked):
    """The fused path (one (L, S) buffer) has the composition's gradients, also under create_graph."""
    nd.manual_seed(3)
    q, k, v = (nd.randn(2, 3, n, 4, dtype=nd.float64, requires_grad=True) for n in (5, 6, 6))
    mask = nd.randn(5, 6, dtype=nd.float64, requires_grad=True) if masked else None
    sdpa = nd.nn.functional.scaled_dot_product_attention
    assert gradcheck(lambda q, k, v: sdpa(q, k, v, attn_mask=mask), [q, k, v])
    fused = _second_derivatives(lambda: sdpa(q, k, v, attn_mask=mask), q, k, v)
    explicit = _second_derivatives(lambda: _explicit_attention(q, k, v, mask), q, k, v)
    for a, b in zip(fused, explicit):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)
