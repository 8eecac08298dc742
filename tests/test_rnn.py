"""nn.RNN / LSTM / GRU and their cells: NumPy references of whole multi-layer bidirectional
sequences, gradcheck through short sequences with every option, packed vs padded, PyTorch
state_dicts, errors, a 1,000-step sequence and a learning test (LSTM vs plain RNN)."""
import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.autograd import gradcheck
from nativedl.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence, pack_sequence


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------- NumPy references

def ref_step(mode, x, h, c, p):
    """One step from the equations; p holds w_ih, w_hh, b_ih, b_hh, w_hr (NumPy, biases may be 0)."""
    gi, gh = x @ p["w_ih"].T + p["b_ih"], h @ p["w_hh"].T + p["b_hh"]
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0), None
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return (h @ p["w_hr"].T if p["w_hr"] is not None else h), c
    r_i, z_i, n_i = np.split(gi, 3, axis=-1)
    r_h, z_h, n_h = np.split(gh, 3, axis=-1)
    r, z = sigmoid(r_i + r_h), sigmoid(z_i + z_h)
    n = np.tanh(n_i + r * n_h)
    return (1 - z) * n + z * h, None


def ref_sequence(mode, x, params, num_layers, bidirectional, h0=None, c0=None, lengths=None):
    """x (T, B, I); params[(layer, dir)] dicts; returns output (T, B, D*P), h_n, c_n (or None).
    Sequence b only runs over its first lengths[b] steps (reverse: from lengths[b] - 1 down)."""
    T, B, _ = x.shape
    D = 2 if bidirectional else 1
    lengths = np.full(B, T) if lengths is None else np.asarray(lengths)
    inp, hn, cn = x, [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            p = params[(layer, d)]
            H, P = p["w_hh"].shape[0] // {"LSTM": 4, "GRU": 3}.get(mode, 1), p["w_hh"].shape[1]
            out = np.zeros((T, B, P))
            h_last, c_last = np.zeros((B, P)), np.zeros((B, H))
            for b in range(B):
                h = np.zeros(P) if h0 is None else h0[layer * D + d, b]
                c = np.zeros(H) if c0 is None else c0[layer * D + d, b]
                steps = range(lengths[b]) if d == 0 else range(lengths[b] - 1, -1, -1)
                for t in steps:
                    h, c2 = ref_step(mode, inp[t, b], h, c, p)
                    c = c2 if c2 is not None else c
                    out[t, b] = h
                h_last[b], c_last[b] = h, c
            outs.append(out)
            hn.append(h_last)
            cn.append(c_last)
        inp = np.concatenate(outs, axis=2)
    return inp, np.stack(hn), (np.stack(cn) if mode == "LSTM" else None)


def module_params(m):
    """The module's weights as the reference's dicts."""
    D = 2 if m.bidirectional else 1
    out = {}
    for layer in range(m.num_layers):
        for d in range(D):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            get = lambda n: getattr(m, f"{n}_{sfx}").detach().numpy().astype(np.float64) if hasattr(m, f"{n}_{sfx}") \
                else None
            p = {n: get(n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")}
            out[(layer, d)] = {"w_ih": p["weight_ih"], "w_hh": p["weight_hh"],
                               "b_ih": 0 if p["bias_ih"] is None else p["bias_ih"],
                               "b_hh": 0 if p["bias_hh"] is None else p["bias_hh"], "w_hr": p["weight_hr"]}
    return out


MODES = {"RNN_TANH": lambda **k: nn.RNN(**k), "RNN_RELU": lambda **k: nn.RNN(nonlinearity="relu", **k),
         "LSTM": lambda **k: nn.LSTM(**k), "GRU": lambda **k: nn.GRU(**k)}


def make(mode, **kw):
    nd.manual_seed(0)
    return MODES[mode](**kw)


# ---------------------------------------------------------------- forward vs NumPy

@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_sequence_matches_numpy(mode, batch_first, with_state):
    m = make(mode, input_size=5, hidden_size=9, num_layers=2, bidirectional=True, batch_first=batch_first)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 5))
    h0 = rng.standard_normal((4, 3, 9)) if with_state else None
    c0 = rng.standard_normal((4, 3, 9)) if with_state and mode == "LSTM" else None
    xin = nd.tensor(x.transpose(1, 0, 2) if batch_first else x, dtype=nd.float32)
    state = None
    if with_state:
        state = (nd.tensor(h0, dtype=nd.float32), nd.tensor(c0, dtype=nd.float32)) if mode == "LSTM" else \
            nd.tensor(h0, dtype=nd.float32)
    out, hid = m(xin, state)
    ref_out, ref_h, ref_c = ref_sequence(mode, x, module_params(m), 2, True, h0, c0)
    got = out.detach().numpy().transpose(1, 0, 2) if batch_first else out.detach().numpy()
    np.testing.assert_allclose(got, ref_out, atol=2e-5)
    h_n = hid[0] if mode == "LSTM" else hid
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h, atol=2e-5)
    if mode == "LSTM":
        np.testing.assert_allclose(hid[1].detach().numpy(), ref_c, atol=2e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_proj_and_no_bias_match_numpy(bias):
    m = make("LSTM", input_size=4, hidden_size=6, num_layers=3, bidirectional=True, proj_size=3, bias=bias).double()
    assert tuple(m.weight_hr_l0.shape) == (3, 6) and tuple(m.weight_hh_l1_reverse.shape) == (24, 3)
    assert tuple(m.weight_ih_l1.shape) == (24, 6)
    x = np.random.default_rng(1).standard_normal((5, 2, 4))
    out, (h, c) = m(nd.tensor(x))
    ref_out, ref_h, ref_c = ref_sequence("LSTM", x, module_params(m), 3, True)
    assert tuple(out.shape) == (5, 2, 6) and tuple(h.shape) == (6, 2, 3) and tuple(c.shape) == (6, 2, 6)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, atol=1e-12)
    np.testing.assert_allclose(h.detach().numpy(), ref_h, atol=1e-12)
    np.testing.assert_allclose(c.detach().numpy(), ref_c, atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_input(mode):
    m = make(mode, input_size=3, hidden_size=4, num_layers=2).double()
    x = np.random.default_rng(2).standard_normal((5, 3))
    out, hid = m(nd.tensor(x))
    ref_out, ref_h, _ = ref_sequence(mode, x[:, None], module_params(m), 2, False)
    assert tuple(out.shape) == (5, 4)
    np.testing.assert_allclose(out.detach().numpy(), ref_out[:, 0], atol=1e-12)
    h_n = hid[0] if mode == "LSTM" else hid
    assert tuple(h_n.shape) == (2, 4)
    np.testing.assert_allclose(h_n.detach().numpy(), ref_h[:, 0], atol=1e-12)


@pytest.mark.parametrize("cls,gates", [(nn.RNNCell, 1), (nn.LSTMCell, 4), (nn.GRUCell, 3)])
def test_cell_modules(cls, gates):
    nd.manual_seed(0)
    cell = cls(3, 5).double()
    assert tuple(cell.weight_ih.shape) == (gates * 5, 3) and tuple(cell.weight_hh.shape) == (gates * 5, 5)
    bound = 1 / np.sqrt(5)
    for p in cell.parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
    x = np.random.default_rng(0).standard_normal((2, 3))
    out = cell(nd.tensor(x))
    p = {"w_ih": cell.weight_ih.detach().numpy(), "w_hh": cell.weight_hh.detach().numpy(),
         "b_ih": cell.bias_ih.detach().numpy(), "b_hh": cell.bias_hh.detach().numpy(), "w_hr": None}
    mode = {1: "RNN_TANH", 4: "LSTM", 3: "GRU"}[gates]
    h, c = ref_step(mode, x, np.zeros((2, 5)), np.zeros((2, 5)), p)
    np.testing.assert_allclose((out[0] if gates == 4 else out).detach().numpy(), h, atol=1e-12)
    if gates == 4:
        np.testing.assert_allclose(out[1].detach().numpy(), c, atol=1e-12)


def test_init_bounds_and_names():
    m = nn.GRU(3, 16, num_layers=2, bidirectional=True)
    names = [n for n, _ in m.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert "bias_hh_l1_reverse" in names and len(names) == 16
    for p in m.parameters():
        v = p.detach().numpy()
        assert np.abs(v).max() <= 0.25 and v.std() > 0.1  # U(-1/4, 1/4)


# ---------------------------------------------------------------- gradients

def seq_fn(mode, num_layers, bidirectional, has_biases, proj_size, n_states, lengths=None, batch_first=False):
    """f(x, *states, *params) through the whole-sequence op."""
    def f(x, *rest):
        states, params = list(rest[:n_states]), list(rest[n_states:])
        return tuple(nd._C._rnn(mode, x, states, params, has_biases, num_layers, 0.0, False, bidirectional,
                                batch_first, proj_size, lengths))
    return f


@pytest.mark.parametrize("mode,proj", [("RNN_TANH", 0), ("RNN_RELU", 0), ("GRU", 0), ("LSTM", 0), ("LSTM", 2)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lengths", [None, [3, 1]])
def test_gradcheck_sequence(mode, proj, bias, lengths):
    nd.manual_seed(0)
    kw = dict(input_size=2, hidden_size=3, num_layers=2, bidirectional=True, bias=bias)
    m = (nn.LSTM(proj_size=proj, **kw) if mode == "LSTM" else MODES[mode](**kw)).double()
    P = proj or 3
    rng = np.random.default_rng(3)
    x = nd.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    states = [nd.tensor(rng.standard_normal((4, 2, P)), requires_grad=True)]
    if mode == "LSTM":
        states.append(nd.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True))
    params = [p.detach().clone().requires_grad_(True) for p in m._flat_weights]
    lens = None if lengths is None else nd.tensor(lengths)
    f = seq_fn(mode, 2, True, bias, proj, len(states), lens)
    assert gradcheck(f, [x, *states, *params])


def test_gradcheck_batch_first_unbatched():
    nd.manual_seed(0)
    m = nn.GRU(2, 2).double()
    params = [p.detach().clone().requires_grad_(True) for p in m._flat_weights]
    x = nd.tensor(np.random.default_rng(4).standard_normal((2, 3, 2)), requires_grad=True)
    assert gradcheck(seq_fn("GRU", 1, False, True, 0, 0, batch_first=True), [x, *params])
    xu = nd.tensor(np.random.default_rng(5).standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(seq_fn("GRU", 1, False, True, 0, 0), [xu, *params])


def nd_step(mode, x, h, c, p):
    """ref_step written with nativedl ops (autograd differentiates it): no recurrent kernel involved."""
    gi, gh = nd.mm(x, p["w_ih"].t()) + p["b_ih"], nd.mm(h, p["w_hh"].t()) + p["b_hh"]
    if mode == "LSTM":
        i, f, g, o = nd.chunk(gi + gh, 4, 1)
        c = nd.sigmoid(f) * c + nd.sigmoid(i) * nd.tanh(g)
        h = nd.sigmoid(o) * nd.tanh(c)
        return (nd.mm(h, p["w_hr"].t()) if p["w_hr"] is not None else h), c
    r_i, z_i, n_i = nd.chunk(gi, 3, 1)
    r_h, z_h, n_h = nd.chunk(gh, 3, 1)
    r, z = nd.sigmoid(r_i + r_h), nd.sigmoid(z_i + z_h)
    n = nd.tanh(n_i + r * n_h)
    return (1 - z) * n + z * h, None


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 70), ("GRU", 0)])
@pytest.mark.parametrize("dtype,tol", [(nd.float32, 2e-4), (nd.float64, 1e-10)])
def test_wide_sequence_matches_composed_steps(mode, proj, dtype, tol):
    """Sizes past one GEMM block: the per-step products with the prepacked W_hh (Note [Prepacked
    B]) span several k blocks, column blocks and thread shares; output and every gradient equal
    a loop of steps written with plain ops."""
    nd.manual_seed(0)
    T, B, I, H = 4, 33, 20, 150
    m = (nn.LSTM(I, H, proj_size=proj) if mode == "LSTM" else nn.GRU(I, H)).to(dtype)
    x = nd.randn(T, B, I, dtype=dtype).requires_grad_(True)
    params = list(m.parameters())
    out, _ = m(x)
    g = nd.randn(*out.shape, dtype=dtype)
    got = nd.autograd.grad([out], [x, *params], [g])
    p = {"w_ih": m.weight_ih_l0, "w_hh": m.weight_hh_l0, "b_ih": m.bias_ih_l0, "b_hh": m.bias_hh_l0,
         "w_hr": m.weight_hr_l0 if proj else None}
    h, c, outs = nd.zeros(B, proj or H, dtype=dtype), nd.zeros(B, H, dtype=dtype), []
    for t in range(T):
        h, c = nd_step(mode, x[t], h, c, p)
        outs.append(h)
    ref = nd.stack(outs)
    want = nd.autograd.grad([ref], [x, *params], [g])
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=tol, atol=tol)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("fn", ["lstm", "gru", "tanh"])
def test_cell_double_backward(fn):
    """The cells' backward is differentiable again: grad of sum(dh/dx^2) matches finite differences."""
    rng = np.random.default_rng(6)
    G = {"lstm": 4, "gru": 3, "tanh": 1}[fn]
    wi, wh = nd.tensor(rng.standard_normal((G * 2, 3))), nd.tensor(rng.standard_normal((G * 2, 2)))
    h = nd.tensor(rng.standard_normal((2, 2)))

    def first(x):
        if fn == "lstm":
            out = nd.lstm_cell(x, (h, h * 0.5), wi, wh)[1].sum() + nd.lstm_cell(x, (h, h), wi, wh)[0].sum()
        elif fn == "gru":
            out = nd.gru_cell(x, h, wi, wh).sum()
        else:
            out = nd.rnn_tanh_cell(x, h, wi, wh).sum()
        return nd.autograd.grad([out], [x], create_graph=True)[0]

    x0 = rng.standard_normal((2, 3))
    x = nd.tensor(x0, requires_grad=True)
    (first(x) ** 2).sum().backward()  # double backward through the cell
    eps, numerical = 1e-6, np.zeros_like(x0)
    for k in range(x0.size):
        vals = []
        for d in (eps, -eps):
            xp = x0.copy()
            xp.flat[k] += d
            vals.append((first(nd.tensor(xp, requires_grad=True)) ** 2).sum().item())
        numerical.flat[k] = (vals[0] - vals[1]) / (2 * eps)
    np.testing.assert_allclose(x.grad.detach().numpy(), numerical, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 3), ("GRU", 0), ("RNN_TANH", 0)])
def test_frozen_weights_and_data_input_keep_other_gradients(mode, proj):
    """The sequence backward skips the GEMMs of inputs that don't require grad (data, frozen
    weights); every gradient still computed equals the one of a run where all were wanted."""
    nd.manual_seed(0)
    kw = {"proj_size": proj} if proj else {}
    m = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN_TANH": nn.RNN}[mode](5, 6, 2, bidirectional=True, **kw).double()
    x = nd.randn(4, 3, 5, dtype=nd.float64)
    out, _ = m(x.clone().requires_grad_(True))
    out.sum().backward()
    want = {n: p.grad.numpy().copy() for n, p in m.named_parameters()}
    frozen = {n for n, _ in m.named_parameters() if "ih_l0" in n or "bias_hh_l1" in n or "hr_l1" in n}
    for n, p in m.named_parameters():
        p.grad = None
        p.requires_grad_(n not in frozen)
    out, _ = m(x)
    out.sum().backward()
    for n, p in m.named_parameters():
        if n in frozen:
            assert p.grad is None, n
        else:
            np.testing.assert_allclose(p.grad.numpy(), want[n], rtol=1e-12, atol=1e-12, err_msg=n)


def test_sequence_create_graph_raises():
    m = nn.LSTM(2, 3).double()
    x = nd.randn(4, 1, 2, dtype=nd.float64, requires_grad=True)
    out, _ = m(x)
    with pytest.raises(RuntimeError, match="first-order"):
        nd.autograd.grad([out.sum()], [x], create_graph=True)
    assert nd.autograd.grad([out.sum()], [x])[0].shape == x.shape  # first order works


def test_long_sequence_trains():
    """1,000 steps forward and backward: one C++ loop each way, no recursion."""
    nd.manual_seed(0)
    m = nn.LSTM(4, 8)
    x = nd.randn(1000, 2, 4, requires_grad=True)
    out, (h, c) = m(x)
    (out.sum() + h.sum()).backward()
    assert np.isfinite(x.grad.detach().numpy()).all() and np.abs(m.weight_hh_l0.grad.detach().numpy()).sum() > 0


def test_dropout_between_layers():
    m = make("LSTM", input_size=3, hidden_size=8, num_layers=2, dropout=0.5)
    x = nd.randn(4, 2, 3)
    m.eval()
    a, b = m(x)[0].detach().numpy(), m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    m.train()
    nd.manual_seed(1)
    c = m(x)[0].detach().numpy()
    nd.manual_seed(1)
    np.testing.assert_array_equal(c, m(x)[0].detach().numpy())
    assert np.abs(c - a).max() > 1e-3
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


# ---------------------------------------------------------------- variable lengths

def test_pad_pack_roundtrip():
    seqs = [nd.tensor(np.arange(n * 2, dtype=np.float32).reshape(n, 2) + n) for n in (2, 5, 3)]
    padded = pad_sequence(seqs, batch_first=True, padding_value=-1.0)
    assert tuple(padded.shape) == (3, 5, 2)
    assert (padded.detach().numpy()[0, 2:] == -1).all()
    packed = pack_padded_sequence(padded, [2, 5, 3], batch_first=True, enforce_sorted=False)
    assert packed.batch_sizes.detach().numpy().tolist() == [3, 3, 2, 1, 1]
    back, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1.0)
    np.testing.assert_array_equal(back.detach().numpy(), padded.detach().numpy())
    assert lengths.detach().numpy().tolist() == [2, 5, 3]
    with pytest.raises(ValueError, match="sorted in decreasing order"):
        pack_padded_sequence(padded, [2, 5, 3], batch_first=True)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_equals_individual_sequences(mode, bidirectional):
    """Padded steps change neither outputs nor h_n, and receive no gradient."""
    m = make(mode, input_size=3, hidden_size=4, num_layers=2, bidirectional=bidirectional).double()
    rng = np.random.default_rng(7)
    lengths = [3, 6, 1, 4]
    xs = [rng.standard_normal((n, 3)) for n in lengths]
    padded = nd.tensor(pad_sequence([nd.tensor(a) for a in xs]).detach().numpy(), requires_grad=True)
    packed = pack_padded_sequence(padded, lengths, enforce_sorted=False)
    out, hid = m(packed)
    h_n = hid[0] if mode == "LSTM" else hid
    out_pad, out_len = pad_packed_sequence(out)
    assert out_len.detach().numpy().tolist() == lengths
    (out_pad.sum() + h_n.sum()).backward()
    grad_packed = {n: p.grad.detach().numpy().copy() for n, p in m.named_parameters()}
    for p in m.parameters():
        p.grad = None
    for b, a in enumerate(xs):
        o, hb = m(nd.tensor(a[:, None]))
        hb = hb[0] if mode == "LSTM" else hb
        np.testing.assert_allclose(out_pad.detach().numpy()[: lengths[b], b], o.detach().numpy()[:, 0], atol=1e-12)
        assert (out_pad.detach().numpy()[lengths[b]:, b] == 0).all()
        np.testing.assert_allclose(h_n.detach().numpy()[:, b], hb.detach().numpy()[:, 0], atol=1e-12)
        (o.sum() + hb.sum()).backward()
        assert (padded.grad.detach().numpy()[lengths[b]:, b] == 0).all()
    for n, p in m.named_parameters():
        np.testing.assert_allclose(grad_packed[n], p.grad.detach().numpy(), atol=1e-10, err_msg=n)


def test_pack_sequence_lstm_proj_state():
    m = make("LSTM", input_size=2, hidden_size=4, proj_size=2, bidirectional=True).double()
    rng = np.random.default_rng(8)
    xs = [nd.tensor(rng.standard_normal((n, 2))) for n in (4, 2)]
    h0, c0 = nd.tensor(rng.standard_normal((2, 2, 2))), nd.tensor(rng.standard_normal((2, 2, 4)))
    out, (h, c) = m(pack_sequence(xs), (h0, c0))
    for b, x in enumerate(xs):
        o, (hb, cb) = m(x, (h0[:, b], c0[:, b]))
        np.testing.assert_allclose(pad_packed_sequence(out)[0].detach().numpy()[: x.shape[0], b], o.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(h.detach().numpy()[:, b], hb.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(c.detach().numpy()[:, b], cb.detach().numpy(), atol=1e-12)


# ---------------------------------------------------------------- PyTorch layouts

def torch_layout_arrays(mode, input_size, hidden_size, num_layers, bidirectional, proj_size, rng):
    """A state_dict as NumPy arrays in PyTorch's names and shapes."""
    G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    P = proj_size or hidden_size
    sd = {}
    for layer in range(num_layers):
        for sfx in ["", "_reverse"][: 2 if bidirectional else 1]:
            inp = input_size if layer == 0 else P * (2 if bidirectional else 1)
            sd[f"weight_ih_l{layer}{sfx}"] = rng.uniform(-0.5, 0.5, (G * hidden_size, inp))
            sd[f"weight_hh_l{layer}{sfx}"] = rng.uniform(-0.5, 0.5, (G * hidden_size, P))
            sd[f"bias_ih_l{layer}{sfx}"] = rng.uniform(-0.5, 0.5, G * hidden_size)
            sd[f"bias_hh_l{layer}{sfx}"] = rng.uniform(-0.5, 0.5, G * hidden_size)
            if proj_size:
                sd[f"weight_hr_l{layer}{sfx}"] = rng.uniform(-0.5, 0.5, (proj_size, hidden_size))
    return {k: v.astype(np.float32) for k, v in sd.items()}


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 3), ("GRU", 0), ("RNN_TANH", 0)])
def test_state_dict_from_numpy_matches_reference(mode, proj):
    rng = np.random.default_rng(9)
    sd = torch_layout_arrays(mode, 5, 6, 2, True, proj, rng)
    kw = dict(input_size=5, hidden_size=6, num_layers=2, bidirectional=True)
    m = nn.LSTM(proj_size=proj, **kw) if mode == "LSTM" else MODES[mode](**kw)
    m.load_state_dict({k: nd.tensor(v) for k, v in sd.items()})
    assert set(m.state_dict()) == set(sd)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    out, _ = m(nd.tensor(x))
    ref_out, _, _ = ref_sequence(mode, x.astype(np.float64), module_params(m), 2, True)
    np.testing.assert_allclose(out.detach().numpy(), ref_out, atol=2e-5)


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 3), ("GRU", 0), ("RNN_TANH", 0), ("RNN_RELU", 0)])
def test_state_dict_matches_torch(mode, proj):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    sd = torch_layout_arrays(mode, 5, 6, 2, True, proj, rng)
    kw = dict(input_size=5, hidden_size=6, num_layers=2, bidirectional=True, batch_first=True)
    if mode == "LSTM":
        tm, m = torch.nn.LSTM(proj_size=proj, **kw), nn.LSTM(proj_size=proj, **kw)
    elif mode == "GRU":
        tm, m = torch.nn.GRU(**kw), nn.GRU(**kw)
    else:
        nl = "tanh" if mode == "RNN_TANH" else "relu"
        tm, m = torch.nn.RNN(nonlinearity=nl, **kw), nn.RNN(nonlinearity=nl, **kw)
    assert {k: tuple(v.shape) for k, v in tm.state_dict().items()} == {k: v.shape for k, v in sd.items()}
    assert list(tm.state_dict()) == list(m.state_dict())
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    m.load_state_dict({k: nd.tensor(v) for k, v in sd.items()})
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    lengths = [4, 2, 3]
    t_out, t_h = tm(torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), lengths, batch_first=True,
                                                            enforce_sorted=False))
    out, h = m(pack_padded_sequence(nd.tensor(x), lengths, batch_first=True, enforce_sorted=False))
    t_pad = torch.nn.utils.rnn.pad_packed_sequence(t_out, batch_first=True)[0].detach().numpy()
    np.testing.assert_allclose(pad_packed_sequence(out, batch_first=True)[0].detach().numpy(), t_pad, atol=2e-5)
    for a, b in zip(h if mode == "LSTM" else [h], t_h if mode == "LSTM" else [t_h]):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=2e-5)


def test_cells_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for ours, theirs in [(nn.LSTMCell(4, 5), torch.nn.LSTMCell(4, 5)), (nn.GRUCell(4, 5), torch.nn.GRUCell(4, 5)),
                         (nn.RNNCell(4, 5, nonlinearity="relu"), torch.nn.RNNCell(4, 5, nonlinearity="relu"))]:
        sd = {k: rng.uniform(-1, 1, tuple(v.shape)).astype(np.float32) for k, v in theirs.state_dict().items()}
        theirs.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
        ours.load_state_dict({k: nd.tensor(v) for k, v in sd.items()})
        x = rng.standard_normal((3, 4)).astype(np.float32)
        a, b = ours(nd.tensor(x)), theirs(torch.from_numpy(x))
        for u, v in zip(a if isinstance(a, tuple) else [a], b if isinstance(b, tuple) else [b]):
            np.testing.assert_allclose(u.detach().numpy(), v.detach().numpy(), atol=1e-5)


# ---------------------------------------------------------------- errors

def test_errors():
    m = nn.LSTM(4, 3, num_layers=2)
    with pytest.raises(ValueError, match=r"\[lstm\] input.size\(-1\) must be equal to input_size.*expects input_size=4"):
        m(nd.randn(5, 2, 6))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2, 3\).*got \(2, 2, 5\)"):
        m(nd.randn(5, 2, 4), (nd.zeros(2, 2, 5), nd.zeros(2, 2, 3)))
    with pytest.raises(ValueError, match=r"c0"):
        m(nd.randn(5, 2, 4), (nd.zeros(2, 2, 3), nd.zeros(1, 2, 3)))
    # (batch, seq, feature) data given to a batch_first=False layer with a batch-sized h0.
    with pytest.raises(ValueError, match=r"h0 \(2, 8, 3\) has batch size 8 in dim 1, but the batch size is 5 \(dim 1 "
                                         r".*did you mean batch_first=True"):
        m(nd.randn(8, 5, 4), (nd.zeros(2, 8, 3), nd.zeros(2, 8, 3)))
    with pytest.raises(ValueError, match=r"3-d \(batched\) or 2-d"):
        m(nd.randn(4))
    g = nn.GRU(4, 3)
    with pytest.raises(ValueError, match=r"expected h0 of shape \(1, 3\)"):
        g(nd.randn(5, 4), nd.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r"\[gru_cell\] input \(2, 5\) has 5 features"):
        nn.GRUCell(4, 3)(nd.randn(2, 5))
    with pytest.raises(ValueError, match=r"\[lstm_cell\] expected hx of shape \(2, 3\)"):
        nn.LSTMCell(4, 3)(nd.randn(2, 4), (nd.zeros(3, 3), nd.zeros(2, 3)))
    with pytest.raises(ValueError, match="proj_size"):
        nn.LSTM(4, 3, proj_size=3)
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(4, 3, dropout=1.5)
    with pytest.raises(TypeError, match="dtype"):
        m(nd.randn(5, 2, 4, dtype=nd.float64))
    with pytest.raises(ValueError, match="lengths"):
        nd._C._rnn("GRU", nd.randn(3, 2, 4), [], g._flat_weights, True, 1, 0.0, False, False, False, 0,
                   nd.tensor([4, 1]))


# ---------------------------------------------------------------- learning

def recall_task(rng, batch, gap, n_tokens=4):
    """A one-hot token at step 0, `gap` blank steps, a recall marker last: predict the token."""
    tokens = rng.integers(0, n_tokens, batch)
    x = np.zeros((gap + 1, batch, n_tokens + 1), np.float32)
    x[0, np.arange(batch), tokens] = 1
    x[-1, :, n_tokens] = 1
    return nd.tensor(x), nd.tensor(tokens)


def train_recall(cls, steps, gap=50, hidden=16, seed=0, lr=0.003):
    nd.manual_seed(seed)
    rng = np.random.default_rng(seed)
    rnn, head = cls(5, hidden), nn.Linear(hidden, 4)
    if cls is nn.LSTM:  # the usual forget-gate bias of 1 (Jozefowicz et al. 2015): the cell path starts open
        with nd.no_grad():
            for b in (rnn.bias_ih_l0, rnn.bias_hh_l0):
                b[hidden:2 * hidden].fill_(1.0)
    params = list(rnn.parameters()) + list(head.parameters())
    m = [np.zeros(tuple(p.shape), np.float32) for p in params]
    v = [np.zeros(tuple(p.shape), np.float32) for p in params]
    for step in range(1, steps + 1):  # Adam written out, with gradient clipping
        x, y = recall_task(rng, 32, gap)
        out, _ = rnn(x)
        loss = nn.functional.cross_entropy(head(out[-1]), y)
        for p in params:
            p.grad = None
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        with nd.no_grad():
            for p, mi, vi in zip(params, m, v):
                g = p.grad.detach().numpy()
                mi[:] = 0.9 * mi + 0.1 * g
                vi[:] = 0.999 * vi + 0.001 * g * g
                upd = lr * (mi / (1 - 0.9 ** step)) / (np.sqrt(vi / (1 - 0.999 ** step)) + 1e-8)
                p.sub_(nd.tensor(upd.astype(np.float32)))
    x, y = recall_task(np.random.default_rng(99), 256, gap)
    with nd.no_grad():
        pred = head(rnn(x)[0][-1]).argmax(-1).detach().numpy()
    return (pred == y.detach().numpy()).mean()


def test_lstm_recalls_50_steps_back_where_rnn_fails():
    """Same data, budget (600 Adam steps of 32 sequences) and optimizer: the LSTM's cell path
    carries the gradient across the 50 blank steps; the tanh RNN's vanishes (chance is 0.25)."""
    lstm_acc = train_recall(nn.LSTM, 600)
    rnn_acc = train_recall(nn.RNN, 600)
    assert lstm_acc > 0.9, lstm_acc
    assert rnn_acc < 0.5, rnn_acc
