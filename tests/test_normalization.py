"""Normalization beyond the op table: running statistics over several steps, train vs eval,
instance norm statistics, local response norm, double backward and errors."""
import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F
from nativedl.autograd import grad, gradcheck

EPS = 1e-5


def t(a, requires_grad=False):
    out = nd.from_numpy(np.ascontiguousarray(a))
    return out.requires_grad_(True) if requires_grad else out


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats_evolve_like_numpy(momentum):
    rng = np.random.default_rng(0)
    rm, rv = np.zeros(3), np.ones(3)
    RM, RV = t(rm.copy()), t(rv.copy())
    for step in range(5):
        x = rng.normal(step, 1 + step, size=(4, 3, 5))
        F.batch_norm(t(x), RM, RV, training=True, momentum=momentum)
        axes = (0, 2)
        rm = (1 - momentum) * rm + momentum * x.mean(axis=axes)
        rv = (1 - momentum) * rv + momentum * x.var(axis=axes, ddof=1)  # unbiased for the running estimate
        np.testing.assert_allclose(RM.numpy(), rm, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(RV.numpy(), rv, rtol=1e-12, atol=1e-12)


def test_batch_norm_cumulative_factor():
    # A module with momentum=None passes 1 / num_batches_tracked: the running mean is the plain average.
    rng = np.random.default_rng(1)
    RM, RV = t(np.zeros(2)), t(np.ones(2))
    means = []
    for n in range(1, 5):
        x = rng.normal(size=(6, 2))
        means.append(x.mean(axis=0))
        F.batch_norm(t(x), RM, RV, training=True, momentum=1.0 / n)
    np.testing.assert_allclose(RM.numpy(), np.mean(means, axis=0), rtol=1e-12)
    with pytest.raises(TypeError, match="momentum"):
        F.batch_norm(t(np.ones((2, 2))), RM, RV, training=True, momentum=None)


def test_batch_norm_train_vs_eval():
    rng = np.random.default_rng(2)
    x = rng.normal(3, 2, size=(8, 4, 3)).astype(np.float32)
    w, b = rng.normal(size=4).astype(np.float32), rng.normal(size=4).astype(np.float32)
    rm, rv = rng.normal(size=4).astype(np.float32), rng.uniform(0.5, 2, size=4).astype(np.float32)
    RM, RV = t(rm.copy()), t(rv.copy())
    ev = F.batch_norm(t(x), RM, RV, t(w), t(b), training=False).numpy()
    np.testing.assert_allclose(RM.numpy(), rm)  # eval leaves the running stats alone
    expect_eval = (x - rm[None, :, None]) / np.sqrt(rv[None, :, None] + EPS) * w[None, :, None] + b[None, :, None]
    np.testing.assert_allclose(ev, expect_eval, rtol=1e-5, atol=1e-5)
    tr = F.batch_norm(t(x), RM, RV, t(w), t(b), training=True).numpy()
    m, v = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(tr, (x - m) / np.sqrt(v + EPS) * w[None, :, None] + b[None, :, None], rtol=1e-4,
                               atol=1e-4)
    # Training output: per channel mean b and std |w| (up to eps).
    np.testing.assert_allclose(tr.mean(axis=(0, 2)), b, atol=1e-5)


def test_batch_norm_large_mean_is_stable():
    x = (1e4 + np.random.default_rng(3).normal(size=(64, 2, 100))).astype(np.float32)
    y = F.batch_norm(t(x), None, None, training=True).numpy()
    np.testing.assert_allclose(y.std(axis=(0, 2)), 1.0, rtol=1e-3)


def test_instance_norm_running_stats():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 2, 5))
    RM, RV = t(np.zeros(2)), t(np.ones(2))
    F.instance_norm(t(x), RM, RV, use_input_stats=True, momentum=0.1)
    np.testing.assert_allclose(RM.numpy(), 0.1 * x.mean(axis=2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(RV.numpy(), 0.9 + 0.1 * x.var(axis=2, ddof=1).mean(axis=0), rtol=1e-12)
    y = F.instance_norm(t(x), RM, RV, use_input_stats=False).numpy()
    np.testing.assert_allclose(y, (x - RM.numpy()[None, :, None]) / np.sqrt(RV.numpy()[None, :, None] + EPS))


def test_local_response_norm_matches_loops():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 3, 2))
    size, alpha, beta, k = 3, 1e-2, 0.75, 2.0
    out = F.local_response_norm(t(x), size, alpha, beta, k).numpy()
    ref = np.zeros_like(x)
    for c in range(5):
        lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2, 4)
        s = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        ref[:, c] = x[:, c] / (k + alpha / size * s) ** beta
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    assert gradcheck(lambda a: F.local_response_norm(a, size, alpha, beta, k), [t(x[:1, :, :1], True)])


def double_backward_check(fn, inputs):
    """gradcheck of the first derivative (taken with create_graph) contracted with a fixed vector."""
    rng = np.random.default_rng(6)
    v = t(rng.normal(size=tuple(fn(*inputs).shape)))

    def first(*xs):
        with nd.enable_grad():  # gradcheck evaluates under no_grad; the first derivative needs a graph
            return grad([fn(*xs)], list(xs), [v], create_graph=True)
    assert gradcheck(first, inputs)


@pytest.mark.parametrize("name,fn,shapes", [
    ("batch_norm", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [(3, 2, 2), (2,), (2,)]),
    ("batch_norm_eval", lambda x, w, b: F.batch_norm(x, t(np.array([0.1, -0.2])), t(np.array([1.5, 0.7])), w, b),
     [(3, 2, 2), (2,), (2,)]),
    ("layer_norm", lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)]),
    ("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 2), (4,), (4,)]),
])
def test_double_backward(name, fn, shapes):
    rng = np.random.default_rng(7)
    double_backward_check(fn, [t(rng.normal(size=s), True) for s in shapes])


def test_layer_norm_parameter_grads_over_many_rows():
    # The parameter gradients sum fixed row chunks: check against NumPy on more rows than chunks.
    rng = np.random.default_rng(8)
    x, g = rng.normal(size=(100, 7)), rng.normal(size=(100, 7))
    w, b = t(rng.normal(size=7), True), t(rng.normal(size=7), True)
    F.layer_norm(t(x), (7,), w, b).backward(t(g))
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + EPS)
    np.testing.assert_allclose(w.grad.numpy(), (g * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0), rtol=1e-10)


@pytest.mark.parametrize("groups", [None, 3])
def test_large_outputs_match_numpy(groups):
    # Outputs of 16 MiB and more are written with non-temporal stores from each run's first
    # vector-aligned element on: odd planes start runs at every alignment.
    rng = np.random.default_rng(9)
    N, C = 2, 6
    x, g = rng.normal(size=(N, C, 701, 499)).astype(np.float32), rng.normal(size=(N, C, 701, 499)).astype(np.float32)
    w, b = rng.normal(size=C).astype(np.float32), rng.normal(size=C).astype(np.float32)
    xt, wt, bt = t(x, True), t(w, True), t(b, True)
    if groups is None:
        y = F.batch_norm(xt, None, None, wt, bt, training=True)
        axes, xs, gs = (0, 2, 3), x.astype(np.float64), g.astype(np.float64)
    else:
        y = F.group_norm(xt, groups, wt, bt)
        axes = (2, 3, 4)
        xs, gs = (a.astype(np.float64).reshape(N, groups, C // groups, 701, 499) for a in (x, g))
    dx, dw, db = grad([y], [xt, wt, bt], [t(g)])
    xhat = (xs - xs.mean(axes, keepdims=True)) / np.sqrt(xs.var(axes, keepdims=True) + EPS)
    cw = (lambda v: v.reshape(1, C, 1, 1)) if groups is None else (lambda v: v.reshape(1, groups, C // groups, 1, 1))
    gw = gs * cw(w.astype(np.float64))
    ref_dx = (gw - gw.mean(axes, keepdims=True) - xhat * (gw * xhat).mean(axes, keepdims=True)) / np.sqrt(
        xs.var(axes, keepdims=True) + EPS)
    shape = x.shape
    np.testing.assert_allclose(y.detach().numpy(), (xhat * cw(w) + cw(b)).reshape(shape), atol=1e-4)
    np.testing.assert_allclose(dx.numpy(), ref_dx.reshape(shape), atol=1e-4)
    sum_axes = (0, 2, 3)
    np.testing.assert_allclose(dw.numpy(), (gs * xhat).reshape(shape).sum(sum_axes), rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(db.numpy(), g.astype(np.float64).sum(sum_axes), rtol=1e-4, atol=1e-2)


@pytest.mark.parametrize("rows,cols", [(4100, 1024), (16411, 257)])
def test_layer_norm_large_outputs_match_numpy(rows, cols):
    # Streamed outputs (16 MiB and more): rows aligned or not to the vector size.
    rng = np.random.default_rng(10)
    x, g = (rng.normal(size=(rows, cols)).astype(np.float32) for _ in range(2))
    w, b = (rng.normal(size=cols).astype(np.float32) for _ in range(2))
    xt, wt, bt = t(x, True), t(w, True), t(b, True)
    y = F.layer_norm(xt, (cols,), wt, bt)
    dx, dw, db = grad([y], [xt, wt, bt], [t(g)])
    xs, gs = x.astype(np.float64), g.astype(np.float64)
    rstd = 1 / np.sqrt(xs.var(1, keepdims=True) + EPS)
    xhat = (xs - xs.mean(1, keepdims=True)) * rstd
    gw = gs * w
    np.testing.assert_allclose(y.detach().numpy(), xhat * w + b, atol=1e-4)
    np.testing.assert_allclose(dx.numpy(), rstd * (gw - gw.mean(1, keepdims=True)
                                                    - xhat * (gw * xhat).mean(1, keepdims=True)), atol=1e-4)
    np.testing.assert_allclose(dw.numpy(), (gs * xhat).sum(0), rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(db.numpy(), gs.sum(0), rtol=1e-4, atol=1e-2)


def test_errors():
    x = t(np.ones((4, 3, 2)))
    with pytest.raises(ValueError, match=r"\[batch_norm\] Expected more than 1 value per channel when training"):
        F.batch_norm(t(np.ones((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match=r"\[batch_norm\] weight must have shape \(3\)"):
        F.batch_norm(x, None, None, t(np.ones(4)), training=True)
    with pytest.raises(ValueError, match=r"\[batch_norm\] running_mean and running_var are required"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"\[batch_norm\] expected an input with at least 2 dims"):
        F.batch_norm(t(np.ones(3)), None, None, training=True)
    with pytest.raises(TypeError, match=r"\[batch_norm\] expected a floating point input"):
        F.batch_norm(nd.from_numpy(np.ones((2, 3), np.int64)), None, None, training=True)
    with pytest.raises(ValueError, match=r"\[group_norm\] expected the number of channels 3 to be divisible"):
        F.group_norm(x, 2)
    with pytest.raises(ValueError, match=r"\[layer_norm\] input \(4, 3, 2\) does not end with normalized_shape"):
        F.layer_norm(x, (3,))
    with pytest.raises(ValueError, match=r"\[layer_norm\] weight must have shape"):
        F.layer_norm(x, (2,), t(np.ones(3)))
    with pytest.raises(ValueError, match=r"\[instance_norm\] Expected more than 1 spatial element"):
        F.instance_norm(t(np.ones((2, 3, 1))))
    with pytest.raises(ValueError, match=r"\[local_response_norm\]"):
        F.local_response_norm(t(np.ones((2, 3))), 2)
    # A failed check leaves the running statistics untouched.
    RM = t(np.zeros(3))
    with pytest.raises(ValueError):
        F.batch_norm(x, RM, t(np.ones(3)), t(np.ones(4)), training=True)
    np.testing.assert_array_equal(RM.numpy(), np.zeros(3))
