"""The activations' vector path (cpu/activation_vec.h: contiguous runs, full vectors plus a tail) against
float64 NumPy references at edge values: 0, -0, tiny and subnormal, around the branch points, large, +-inf
and NaN, for float32 and float64, forward and backward (the gradient of (y * 1).sum() is df).

Each reference returns the value and the sum of the magnitudes of the terms the formula adds up (1 - t^2
counted as 1 + t^2, 1 - s as 1 + s), so the tolerance (a few ulp of that sum) allows the cancellation the formula has in
that precision, e.g. in gelu(-5), in 1 - tanh^2 near 1, or in a derivative near its root, and is a few ulp
of the value everywhere else."""
import math

import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
C, K = math.sqrt(2 / math.pi), 0.044715
ULPS = 4


def _edges(dtype):
    fi = np.finfo(dtype)
    base = [0.0, 1e-3, 0.1, 0.5, 1.0, 1.5, 3.0, 5.0, 10.0, 15.0, 19.5, 20.5, 30.0, 50.0, 88.0, 100.0, 700.0,
            float(fi.tiny), float(fi.tiny) / 64, float(fi.eps), 1e-30, float(fi.max) / 4, float(fi.max), math.inf]
    vals = base + [-v for v in base] + [math.nan] + list(np.linspace(-8, 8, 41))
    return np.array(vals, dtype=dtype)  # 90 values: several full vectors and a tail


def _sig(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _elu(alpha, scale, xscale):
    def f(x):
        y = np.where(x > 0, scale * x, scale * alpha * np.expm1(x * xscale))
        return y, np.abs(y)

    def df(x):
        d = np.where(x > 0, scale, scale * alpha * xscale * np.exp(np.minimum(x, 0) * xscale))
        return d, np.abs(d)
    return f, df


def _gelu_tanh_f(x):
    t = np.tanh(C * (x + K * x ** 3))
    return 0.5 * x * (1 + t), 0.5 * np.abs(x) * (1 + np.abs(t))


def _gelu_tanh_df(x, dtype):
    t = np.tanh(C * (x + K * x ** 3))
    xx = (x * x).astype(dtype).astype(np.float64)  # overflows where the formula's x * x does: 0 * inf is NaN
    a, b = 0.5 * (1 + t), 0.5 * x * (1 - t * t) * C * (1 + 3 * K * xx)
    return a + b, 0.5 * (1 + np.abs(t)) + 0.5 * np.abs(x) * (1 + t * t) * C * (1 + 3 * K * xx)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu_f(x):
    e = _erf(x / math.sqrt(2))
    return 0.5 * x * (1 + e), 0.5 * np.abs(x) * (1 + np.abs(e))


def _gelu_df(x):
    e, b = _erf(x / math.sqrt(2)), x / math.sqrt(2 * math.pi) * np.exp(-0.5 * x * x)
    return 0.5 * (1 + e) + b, 0.5 * (1 + np.abs(e)) + np.abs(b)


def _silu_df(x):
    s = _sig(x)
    return s * (1 + x * (1 - s)), s * (1 + np.abs(x) * (1 + s))


def _mish_f(x):
    y = x * np.tanh(_softplus(x))
    return y, np.abs(y)


def _mish_df(x):
    t = np.tanh(_softplus(x))
    b = x * (1 - t * t) * _sig(x)
    return t + b, np.abs(t) + np.abs(x) * (1 + t * t) * _sig(x)


def _softplus_ref(beta, threshold):
    def f(x):
        y = np.where(beta * x > threshold, x, _softplus(beta * x) / beta)
        return y, np.abs(y)

    def df(x):
        d = np.where(beta * x > threshold, 1.0, _sig(beta * x))
        return d, np.abs(d)
    return f, df


CASES = {  # name: (nd call, reference f, reference df)
    "elu": (lambda x: F.elu(x), *_elu(1.0, 1.0, 1.0)),
    "elu_alpha": (lambda x: F.elu(x, alpha=0.5), *_elu(0.5, 1.0, 1.0)),
    "selu": (F.selu, *_elu(SELU_ALPHA, SELU_SCALE, 1.0)),
    "celu": (lambda x: F.celu(x, alpha=2.0), *_elu(2.0, 1.0, 0.5)),
    "gelu": (F.gelu, _gelu_f, _gelu_df),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh_f, _gelu_tanh_df),  # df takes the dtype
    "silu": (F.silu, lambda x: (x * _sig(x), np.abs(x * _sig(x))), _silu_df),
    "mish": (F.mish, _mish_f, _mish_df),
    "softplus": (lambda x: F.softplus(x), *_softplus_ref(1.0, 20.0)),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=1.0), *_softplus_ref(2.0, 1.0)),
    "logsigmoid": (F.logsigmoid, lambda x: (-_softplus(-x), _softplus(-x)), lambda x: (_sig(-x), _sig(-x))),
}


def _check(got, ref, mag, x, dtype, what):
    with np.errstate(over="ignore", invalid="ignore"):
        ref_t = ref.astype(dtype)
        tol = ULPS * np.spacing(np.abs(mag).astype(dtype))
        # a subnormal intermediate (sigmoid(-100) in float32) has few digits; x * it scales its error
        tol = np.maximum(tol, ULPS * np.finfo(dtype).smallest_subnormal * np.maximum(1, np.abs(x)))
        special = ~np.isfinite(ref_t)
        assert np.array_equal(np.isnan(got), np.isnan(ref_t)), f"{what}: NaN mismatch at x={x[np.isnan(got) != np.isnan(ref_t)]}"
        assert np.array_equal(got[special & ~np.isnan(ref_t)], ref_t[special & ~np.isnan(ref_t)]), f"{what}: inf mismatch"
        ok = special | (got == ref_t) | (np.abs(got.astype(np.float64) - ref) <= tol)
    bad = ~ok
    assert not bad.any(), f"{what}: x={x[bad]} got={got[bad]} ref={ref[bad]} tol={tol[bad]}"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_vector_path_edges(name, dtype):
    fn, ref_f, ref_df = CASES[name]
    x = _edges(dtype)
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        y_ref, y_mag = ref_f(x64)
        d_ref, d_mag = ref_df(x64, dtype) if ref_df is _gelu_tanh_df else ref_df(x64)
    xt = nd.from_numpy(x.copy()).requires_grad_(True)
    y = fn(xt)
    _check(y.detach().numpy(), y_ref, y_mag, x, dtype, f"{name} forward")
    g, = nd.autograd.grad([y], [xt], [nd.ones(tuple(y.shape), dtype=y.dtype)])
    _check(g.numpy(), d_ref, d_mag, x, dtype, f"{name} backward")


@pytest.mark.parametrize("inplace", [False, True])
def test_hardtanh_backward_selects_the_gradient(inplace):
    """As PyTorch's hardtanh_backward: 0 where clamped even for an infinite incoming gradient (not
    inf * 0 = NaN), the gradient itself inside the bounds and for a NaN input."""
    x = np.array([-2.0, 0.0, 3.0, 6.0, 7.0, math.nan], np.float32)
    g = np.array([math.inf, math.inf, -math.inf, math.inf, 5.0, 2.0], np.float32)
    xt = nd.from_numpy(x.copy()).requires_grad_(True)
    y = F.relu6(xt * 1, inplace=True) if inplace else F.relu6(xt)
    y.backward(nd.from_numpy(g))
    np.testing.assert_array_equal(xt.grad.numpy(), [0.0, 0.0, -math.inf, 0.0, 0.0, 2.0])
