"""Reduction semantics the op table can't express: accuracy on long inputs, NaN handling,
return types, tie and zero gradients, var/std argument forms."""
import math

import numpy as np
import nativedl as nd


def t(a, grad=False):
    x = nd.from_numpy(np.array(a))
    return x.requires_grad_(True) if grad else x


def test_float32_sum_of_ten_million_is_accurate():
    a = np.random.default_rng(0).uniform(0, 1, 10_000_000).astype(np.float32)
    exact = a.astype(np.float64).sum()
    # A naive float32 running sum drifts far beyond this bound (the check below shows it).
    naive = np.cumsum(a, dtype=np.float32)[-1]
    assert abs(float(naive) - exact) / exact > 2e-6
    got = float(nd.from_numpy(a).sum().item())
    assert abs(got - exact) / exact < 1e-7
    got_cols = nd.from_numpy(a.reshape(10_000, 1000)).sum(0).numpy().astype(np.float64)
    np.testing.assert_allclose(got_cols, a.reshape(10_000, 1000).astype(np.float64).sum(0), rtol=1e-6)


def test_float32_cumsum_of_long_row_is_accurate():
    a = np.random.default_rng(1).uniform(0, 1, 4_000_000).astype(np.float32)
    got = nd.from_numpy(a).cumsum(0).numpy()[-1]
    exact = a.astype(np.float64).sum()
    assert abs(float(got) - exact) / exact < 1e-6


def test_var_is_stable_for_a_large_mean():
    rng = np.random.default_rng(2)
    a = (1e4 + rng.uniform(-1e-2, 1e-2, 100_000)).astype(np.float32)
    exact = np.var(a.astype(np.float64), ddof=1)
    got = float(nd.from_numpy(a).var().item())
    assert abs(got - exact) / exact < 1e-3
    cols = np.ascontiguousarray(a.reshape(1000, 100))
    np.testing.assert_allclose(nd.from_numpy(cols).var(0).numpy(), np.var(cols.astype(np.float64), 0, ddof=1),
                               rtol=1e-3)


def test_long_row_reductions_match_numpy():
    a = np.random.default_rng(3).standard_normal(600_000)
    x = nd.from_numpy(a)
    assert float(x.max().item()) == a.max()
    assert int(x.argmin().item()) == int(a.argmin())
    np.testing.assert_allclose(float(x.std().item()), a.std(ddof=1), rtol=1e-12)
    np.testing.assert_allclose(x.cumprod(0).numpy()[:10], np.cumprod(a)[:10], rtol=1e-12)


def test_nan_propagates_and_argmax_finds_it():
    a = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 1.0, 0.0]])
    x = t(a)
    assert math.isnan(x.max().item()) and math.isnan(x.amin().item())
    v, i = nd.max(x, 1)
    assert math.isnan(v.numpy()[0]) and v.numpy()[1] == 4.0
    assert i.tolist() == [1, 0]
    assert nd.argmax(x, 1).tolist() == [1, 0] and nd.argmin(x, 1).tolist() == [1, 3]
    assert int(nd.argmax(x).item()) == 1
    long = np.zeros(100_000)
    long[70_000] = np.nan
    assert math.isnan(nd.from_numpy(long).amax().item())


def test_max_with_dim_returns_named_tuple():
    x = t([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    r = x.max(dim=1, keepdim=True)
    assert isinstance(r, tuple) and isinstance(r, nd.return_types.max)
    values, indices = r
    assert r.values.tolist() == [[5.0], [7.0]] and r.indices.tolist() == [[1], [0]]
    assert values.tolist() == r[0].tolist() and indices.dtype == nd.int64
    assert type(nd.min(x, 0)).__name__ == "min" and nd.min(x, 0).indices.tolist() == [0, 1, 0]
    assert "values=" in repr(r)


def test_max_min_with_a_tensor_are_maximum_minimum():
    a, b = t([1.0, 5.0, -2.0]), t([3.0, 4.0, -2.0])
    assert nd.max(a, b).tolist() == [3.0, 5.0, -2.0]
    assert a.min(b).tolist() == [1.0, 4.0, -2.0]


def test_amax_gradient_splits_ties_evenly():
    x = t([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], grad=True)
    x.amax(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = t([[1.0, 3.0, 3.0]], grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0, 0.5, 0.5]])
    z = t([[1.0, 3.0, 3.0]], grad=True)
    z.max(1).values.sum().backward()  # with a dim, only the returned index gets it
    np.testing.assert_allclose(z.grad.numpy(), [[0, 1, 0]])


def test_prod_gradient_with_zeros():
    x = t([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]], grad=True)
    x.prod(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 6, 0], [0, 0, 0], [8, 4, 2]])


def test_cumprod_gradient_with_zeros():
    a = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    x = t(a, grad=True)
    x.cumprod(0).sum().backward()
    # d/dx_k sum_j prod_{i<=j} x_i, written out term by term.
    expected = [sum(np.prod([a[i] for i in range(j + 1) if i != k]) for j in range(k, 5)) for k in range(5)]
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_norm_gradient_at_zero_is_zero():
    x = t(np.zeros((2, 3)), grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [[0.0] * 3] * 2
    y = t(np.zeros(3), grad=True)
    y.std().backward()
    assert y.grad.tolist() == [0.0] * 3


def test_double_backward_of_reductions():
    for f in (lambda x: x.var(1).sum() ** 2, lambda x: x.logsumexp(1).sum() ** 2, lambda x: x.norm() ** 3,
              lambda x: x.prod(1).sum() ** 2, lambda x: x.cumprod(1).sum() ** 2, lambda x: x.std(0).sum() ** 2):
        x = t(np.random.default_rng(4).uniform(0.5, 2, (2, 3)), grad=True)
        (g,) = nd.autograd.grad([f(x)], [x], create_graph=True)
        (gg,) = nd.autograd.grad([g.sum()], [x])
        # finite differences of the first gradient
        eps, base = 1e-6, x.detach().numpy().copy()
        num = np.zeros_like(base)
        for k in range(base.size):
            for sgn in (1, -1):
                b = base.copy()
                b.flat[k] += sgn * eps
                xb = t(b, grad=True)
                (gb,) = nd.autograd.grad([f(xb)], [xb])
                num.flat[k] += sgn * gb.sum().item() / (2 * eps)
        np.testing.assert_allclose(gg.numpy(), num, rtol=1e-5, atol=1e-6)


def test_logsumexp_is_stable():
    x = t([[1000.0, 1000.0], [-1000.0, -1000.0], [-np.inf, -np.inf], [np.inf, 1.0]])
    got = nd.logsumexp(x, 1).numpy()
    np.testing.assert_allclose(got[:2], [1000 + np.log(2), -1000 + np.log(2)])
    assert got[2] == -np.inf and got[3] == np.inf


def test_var_std_argument_forms():
    a = np.random.default_rng(5).standard_normal((3, 4))
    x = t(a)
    np.testing.assert_allclose(nd.var(x, False).item(), np.var(a))
    np.testing.assert_allclose(nd.var(x, 1, False).numpy(), np.var(a, 1))
    np.testing.assert_allclose(nd.std(x, 1, True, True).numpy(), np.std(a, 1, ddof=1, keepdims=True))
    np.testing.assert_allclose(x.std(dim=0, unbiased=False).numpy(), np.std(a, 0))
    np.testing.assert_allclose(x.var(correction=2).item(), np.var(a, ddof=2))
    np.testing.assert_allclose(x.var(1, correction=0.5).numpy(), np.sum((a - a.mean(1, keepdims=True)) ** 2, 1) / 3.5)


def test_result_dtypes():
    i = nd.from_numpy(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert i.sum().dtype == nd.int64 and i.prod(1).dtype == nd.int64 and i.cumsum(0).dtype == nd.int64
    assert i.max().dtype == nd.int32 and i.argmax().dtype == nd.int64
    assert i.sum(dtype=nd.float32).dtype == nd.float32 and i.logsumexp(1).dtype == nd.float32
    assert i.all().dtype == nd.bool and nd.from_numpy(np.array([1, 0], dtype=np.uint8)).any().dtype == nd.uint8
    assert nd.from_numpy(np.zeros(0)).prod().item() == 1.0 and nd.from_numpy(np.zeros((0,))).sum().item() == 0.0
    assert nd.from_numpy(np.zeros(0)).all().item() is True and nd.from_numpy(np.zeros(0)).any().item() is False
    assert tuple(nd.argmax(nd.from_numpy(np.ones((2, 3))), keepdim=True).shape) == (1, 1)
