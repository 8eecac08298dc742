"""nn.init: every initializer against its formula (sample statistics on large tensors), determinism,
the default initialization of Linear/Bilinear, and why initialization matters (symmetry)."""
import math

import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.nn import init

# Tolerances. With N samples, the relative standard error of a sample variance is sqrt(2/N) for a
# normal and sqrt(0.8/N) for a uniform; the standard error of the mean is std/sqrt(N). Every tensor
# below has N >= 2e5, so these tolerances are at least 5 standard errors wide.
VAR_RTOL = 0.02
MEAN_ATOL_IN_STD = 0.012


def np_of(t):
    return t.detach().numpy().astype(np.float64)


def np_native(t):
    """The values in the tensor's own dtype (bounds checks need to know it)."""
    return t.detach().numpy().copy()


def check_stats(values, mean, var):
    values = np.asarray(values, dtype=np.float64).ravel()
    assert values.size >= 200_000
    std = math.sqrt(var)
    assert abs(values.mean() - mean) < MEAN_ATOL_IN_STD * std, (values.mean(), mean)
    assert abs(values.var() / var - 1) < VAR_RTOL, (values.var(), var)


def check_uniform(values, lo, hi):
    # Samples a + (b - a) * u are computed in the tensor's dtype, where the bounds themselves
    # round to the nearest representable value (possibly just outside the float64 bound).
    dtype = np.asarray(values).dtype
    lo_r, hi_r = float(dtype.type(lo)), float(dtype.type(hi))
    values = np.asarray(values, dtype=np.float64).ravel()
    assert values.min() >= min(lo, lo_r) and values.max() <= max(hi, hi_r)
    # Reaches both ends: with 2e5 samples a gap of 0.1% of the range at an end has probability e^-200.
    assert values.min() < lo + 1e-3 * (hi - lo) and values.max() > hi - 1e-3 * (hi - lo)
    check_stats(values, (lo + hi) / 2, (hi - lo) ** 2 / 12)


# ------------------------------------------------------------------ calculate_gain
def test_calculate_gain_table():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", 1) == pytest.approx(1.0)
    assert init.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "big")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


def test_calculate_gain_equals_pytorch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.3), ("selu", None), ("sigmoid", None), ("conv2d", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))


# ------------------------------------------------------------------ simple fills
@pytest.mark.parametrize("dtype", [nd.float32, nd.float64])
def test_uniform_and_normal(dtype):
    t = nd.empty(500, 500, dtype=dtype)
    assert init.uniform_(t) is t and t.dtype == dtype
    check_uniform(np_native(t), 0.0, 1.0)
    init.uniform_(t, -3.0, 0.5)
    check_uniform(np_native(t), -3.0, 0.5)
    assert init.normal_(t) is t
    check_stats(np_of(t), 0.0, 1.0)
    init.normal_(t, mean=2.0, std=0.3)
    check_stats(np_of(t), 2.0, 0.09)


def test_constant_zeros_ones():
    t = nd.empty(3, 4)
    assert init.constant_(t, 2.5) is t and (np_of(t) == 2.5).all()
    assert init.zeros_(t) is t and (np_of(t) == 0).all()
    assert init.ones_(t) is t and (np_of(t) == 1).all()
    i = nd.empty(5, dtype=nd.int64)
    init.constant_(i, 3)
    assert i.dtype == nd.int64 and np_of(i).tolist() == [3] * 5


def test_eye():
    for shape in [(3, 3), (3, 5), (5, 2)]:
        t = nd.full(shape, 7.0)
        assert init.eye_(t) is t
        np.testing.assert_array_equal(np_of(t), np.eye(*shape))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(nd.empty(2, 2, 2))


def test_initializers_work_on_parameters_without_history():
    # In-place initialization of a leaf that requires grad must not record a graph.
    p = nn.Parameter(nd.empty(300, 400))
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_,
               init.trunc_normal_, init.zeros_, init.eye_):
        assert fn(p) is p
        assert p.is_leaf and p.grad_fn is None and p.requires_grad and isinstance(p, nn.Parameter)


# ------------------------------------------------------------------ Xavier / Kaiming
FAN_SHAPES = [(400, 600), (128, 64, 5, 5), (64, 32, 11, 11)]


def fans(shape):
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def test_fan_computation():
    assert init._calculate_fan_in_and_fan_out(nd.empty(3, 5)) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(nd.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nd.empty(5))


@pytest.mark.parametrize("shape", FAN_SHAPES)
@pytest.mark.parametrize("gain", [1.0, init.calculate_gain("relu")])
def test_xavier(shape, gain):
    fan_in, fan_out = fans(shape)
    var = gain ** 2 * 2.0 / (fan_in + fan_out)
    t = nd.empty(*shape)
    assert init.xavier_uniform_(t, gain=gain) is t
    bound = math.sqrt(3 * var)
    check_uniform(np_native(t), -bound, bound)
    assert init.xavier_normal_(t, gain) is t
    check_stats(np_of(t), 0.0, var)


@pytest.mark.parametrize("shape", FAN_SHAPES)
@pytest.mark.parametrize("a,mode,nonlinearity", [
    (0, "fan_in", "leaky_relu"),   # the default: leaky_relu with slope 0 is relu, Var = 2/fan_in
    (0, "fan_in", "relu"),
    (0, "fan_out", "relu"),
    (0.2, "fan_in", "leaky_relu"),
    (0, "fan_out", "tanh"),
    (math.sqrt(5), "fan_in", "leaky_relu"),  # what Linear uses
    (0, "fan_in", "linear"),
])
def test_kaiming(shape, a, mode, nonlinearity):
    fan_in, fan_out = fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = init.calculate_gain(nonlinearity, a)
    var = gain ** 2 / fan
    if nonlinearity == "relu" or (nonlinearity == "leaky_relu" and a == 0):
        assert var == pytest.approx(2.0 / fan)
    t = nd.empty(*shape)
    assert init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity) is t
    bound = math.sqrt(3 * var)
    check_uniform(np_native(t), -bound, bound)
    assert init.kaiming_normal_(t, a, mode, nonlinearity) is t
    check_stats(np_of(t), 0.0, var)


def test_kaiming_default_is_he():
    t = nd.empty(500, 800)
    init.kaiming_normal_(t)
    check_stats(np_of(t), 0.0, 2.0 / 800)
    init.kaiming_uniform_(t)
    check_uniform(np_native(t), -math.sqrt(6 / 800), math.sqrt(6 / 800))


def test_kaiming_errors_and_zero_size():
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(nd.empty(3, 3), mode="fan_avg")
    # Zero-element tensors are a no-op (PyTorch warns and returns), not a division by zero.
    z = nd.empty(0, 5)
    assert init.kaiming_uniform_(z) is z and init.kaiming_normal_(z, mode="fan_out") is z


# ------------------------------------------------------------------ truncated normal
def truncated_moments(mean, std, a, b):
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    al, be = (a - mean) / std, (b - mean) / std
    z = cdf(be) - cdf(al)
    m = mean + std * (phi(al) - phi(be)) / z
    v = std ** 2 * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2)
    return m, v


@pytest.mark.parametrize("mean,std,a,b", [
    (0.0, 1.0, -2.0, 2.0),     # the defaults
    (1.0, 2.0, 0.0, 3.0),      # asymmetric
    (0.0, 0.02, -0.04, 0.04),  # as used for transformer weights
    (0.0, 1.0, 3.0, 4.0),      # far in the tail: only 0.13% of N(0, 1) lies there
])
@pytest.mark.parametrize("dtype", [nd.float32, nd.float64])
def test_trunc_normal(mean, std, a, b, dtype):
    t = nd.empty(500, 500, dtype=dtype)
    if (mean, std, a, b) == (0.0, 1.0, -2.0, 2.0):
        assert init.trunc_normal_(t) is t
    else:
        assert init.trunc_normal_(t, mean=mean, std=std, a=a, b=b) is t
    v = np_of(t)
    assert v.min() >= a and v.max() <= b
    m, var = truncated_moments(mean, std, a, b)
    check_stats(v, m, var)


# ------------------------------------------------------------------ orthogonal
@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (40, 40), (8, 2, 3, 3), (20, 3, 2)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal(shape, gain):
    t = nd.empty(*shape)
    assert init.orthogonal_(t, gain=gain) is t
    w = np_of(t).reshape(shape[0], -1)
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, gain ** 2 * np.eye(rows), atol=1e-5 * gain ** 2)
    if rows >= cols:
        np.testing.assert_allclose(w.T @ w, gain ** 2 * np.eye(cols), atol=1e-5 * gain ** 2)


def test_orthogonal_is_random_and_errors():
    a, b = nd.empty(10, 10), nd.empty(10, 10)
    init.orthogonal_(a)
    init.orthogonal_(b)
    assert not np.allclose(np_of(a), np_of(b))
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(nd.empty(4))


# ------------------------------------------------------------------ dirac
def conv_ref(x, w, groups):
    """Direct N-d correlation with 'same' zero padding for odd kernels (NumPy loops: tiny shapes)."""
    c_out, c_in_g = w.shape[:2]
    k = w.shape[2:]
    pad = [(0, 0)] + [(s // 2, s // 2) for s in k]
    xp = np.pad(x, pad)
    out = np.zeros((c_out,) + x.shape[1:])
    per = c_out // groups
    for o in range(c_out):
        g = o // per
        for i in range(c_in_g):
            for off in np.ndindex(*k):
                sl = tuple(slice(off[d], off[d] + x.shape[1 + d]) for d in range(len(k)))
                out[o] += w[(o, i) + off] * xp[(g * c_in_g + i,) + sl]
    return out


@pytest.mark.parametrize("shape,groups", [
    ((4, 4, 3), 1), ((4, 4, 3, 3), 1), ((3, 3, 3, 5, 5), 1), ((6, 4, 3, 3), 1), ((4, 6, 3, 3), 1),
    ((4, 2, 3, 3), 2), ((6, 2, 5), 3),
])
def test_dirac(shape, groups):
    t = nd.full(shape, 5.0)
    assert init.dirac_(t, groups) is t if groups != 1 else init.dirac_(t) is t
    w = np_of(t)
    out_per_group = shape[0] // groups
    want = np.zeros(shape)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            want[(g * out_per_group + d, d) + centre] = 1
    np.testing.assert_array_equal(w, want)
    # As a convolution it copies input channels to output channels.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((shape[1] * groups,) + (6,) * (len(shape) - 2))
    y = conv_ref(x, w, groups)
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            np.testing.assert_allclose(y[g * out_per_group + d], x[g * shape[1] + d])
        for d in range(shape[1], out_per_group):
            assert not y[g * out_per_group + d].any()


def test_dirac_errors():
    with pytest.raises(ValueError, match="3, 4, or 5"):
        init.dirac_(nd.empty(3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(nd.empty(5, 2, 3), groups=2)


# ------------------------------------------------------------------ sparse
@pytest.mark.parametrize("sparsity", [0.1, 0.3, 0.55])
def test_sparse(sparsity):
    rows, cols = 1000, 500
    t = nd.empty(rows, cols)
    assert init.sparse_(t, sparsity) is t
    w = np_of(t)
    zeros_per_col = (w == 0).sum(axis=0)
    assert (zeros_per_col == math.ceil(sparsity * rows)).all()
    # The zeros are at different rows in different columns.
    assert len({tuple(np.flatnonzero(w[:, c] == 0)) for c in range(cols)}) == cols
    check_stats(w[w != 0], 0.0, 0.01 ** 2)
    init.sparse_(t, sparsity, std=0.5)
    v = np_of(t)
    check_stats(v[v != 0], 0.0, 0.25)


def test_sparse_errors():
    with pytest.raises(ValueError, match="2 dimensions"):
        init.sparse_(nd.empty(3, 3, 3), 0.1)


# ------------------------------------------------------------------ determinism
RANDOM_INITS = {
    "uniform_": lambda t, **kw: init.uniform_(t, -1, 1, **kw),
    "normal_": lambda t, **kw: init.normal_(t, 0, 1, **kw),
    "trunc_normal_": lambda t, **kw: init.trunc_normal_(t, **kw),
    "xavier_uniform_": lambda t, **kw: init.xavier_uniform_(t, **kw),
    "xavier_normal_": lambda t, **kw: init.xavier_normal_(t, **kw),
    "kaiming_uniform_": lambda t, **kw: init.kaiming_uniform_(t, **kw),
    "kaiming_normal_": lambda t, **kw: init.kaiming_normal_(t, **kw),
    "orthogonal_": lambda t, **kw: init.orthogonal_(t, **kw),
    "sparse_": lambda t, **kw: init.sparse_(t, 0.5, **kw),
}


@pytest.mark.parametrize("name", sorted(RANDOM_INITS))
def test_determinism_manual_seed(name):
    fn = RANDOM_INITS[name]

    def draw():
        return np_of(fn(nd.empty(12, 9)))

    nd.manual_seed(1234)
    a = draw()
    b = draw()
    nd.manual_seed(1234)
    np.testing.assert_array_equal(draw(), a)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("name", sorted(RANDOM_INITS))
def test_determinism_generator(name):
    fn = RANDOM_INITS[name]
    g1, g2 = nd.Generator(), nd.Generator()
    g1.manual_seed(7)
    g2.manual_seed(7)
    nd.manual_seed(99)
    a = np_of(fn(nd.empty(12, 9), generator=g1))
    after_global = nd.rand(5).numpy()
    nd.manual_seed(99)
    b = np_of(fn(nd.empty(12, 9), generator=g2))
    np.testing.assert_array_equal(a, b)
    # The explicit generator leaves the global one alone.
    np.testing.assert_array_equal(nd.rand(5).numpy(), after_global)
    assert not np.array_equal(np_of(fn(nd.empty(12, 9), generator=g1)), a)


def test_module_init_deterministic():
    nd.manual_seed(3)
    a = nn.Sequential(nn.Linear(5, 4), nn.Bilinear(4, 4, 2))
    nd.manual_seed(3)
    b = nn.Sequential(nn.Linear(5, 4), nn.Bilinear(4, 4, 2))
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(np_of(p), np_of(q), err_msg=n)


# ------------------------------------------------------------------ default layer init
def test_linear_default_init_is_pytorch_distribution():
    # PyTorch: kaiming_uniform_(a=sqrt(5)) on the weight, i.e. U(-1/sqrt(in), 1/sqrt(in)), and the bias
    # from the same interval.
    in_f, out_f = 4, 250_000
    lin = nn.Linear(in_f, out_f)
    bound = 1 / math.sqrt(in_f)
    check_uniform(np_native(lin.weight), -bound, bound)
    check_uniform(np_native(lin.bias), -bound, bound)
    wide = nn.Linear(40_000, 8)
    bound = 1 / math.sqrt(40_000)
    check_uniform(np_native(wide.weight), -bound, bound)
    b = np_of(wide.bias)
    assert (np.abs(b) <= bound).all() and len(set(b.tolist())) == 8


def test_linear_reset_parameters():
    lin = nn.Linear(300, 700)
    weight = lin.weight
    init.zeros_(lin.weight)
    lin.reset_parameters()
    assert lin.weight is weight
    check_uniform(np_native(lin.weight), -1 / math.sqrt(300), 1 / math.sqrt(300))


def test_bilinear_default_init_is_pytorch_distribution():
    bil = nn.Bilinear(64, 50, 80)
    bound = 1 / math.sqrt(64)
    check_uniform(np_native(bil.weight), -bound, bound)
    assert (np.abs(np_of(bil.bias)) <= bound).all()


# ------------------------------------------------------------------ why initialization matters
def train_mlp(model, steps=10, lr=0.1):
    nd.manual_seed(11)
    x = nd.randn(64, 5)
    y = nd.sin(x[:, :1] * 2) + x[:, 1:2]
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        with nd.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    return losses


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(5, 16)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(nd.tanh(self.hidden(x)))


def test_zero_init_keeps_hidden_units_symmetric():
    # The hidden layer starts at zero and the units' outgoing weights are equal (a constant output
    # layer): every hidden unit computes the same function, gets the same gradient, and so stays a copy
    # of the others however long we train. The network has the capacity of a single hidden unit.
    model = MLP()
    init.zeros_(model.hidden.weight)
    init.zeros_(model.hidden.bias)
    init.constant_(model.out.weight, 0.3)
    losses = train_mlp(model)
    w = np_of(model.hidden.weight)
    assert np.abs(w).max() > 1e-3  # the hidden layer did learn...
    np.testing.assert_allclose(w, np.broadcast_to(w[:1], w.shape), rtol=1e-6, atol=1e-9)  # ...in lockstep
    b = np_of(model.hidden.bias)
    np.testing.assert_allclose(b, np.full_like(b, b[0]), rtol=1e-6, atol=1e-9)
    wo = np_of(model.out.weight)
    np.testing.assert_allclose(wo, np.full_like(wo, wo[0, 0]), rtol=1e-6, atol=1e-9)
    assert losses[-1] < losses[0]


def test_random_init_breaks_symmetry():
    nd.manual_seed(5)
    model = MLP()  # default (PyTorch) initialization
    losses = train_mlp(model)
    w = np_of(model.hidden.weight)
    dist = np.linalg.norm(w[:, None, :] - w[None, :, :], axis=-1)
    off_diag = dist[~np.eye(len(w), dtype=bool)]
    assert off_diag.min() > 1e-2  # every pair of hidden units differs
    assert losses[-1] < losses[0]
