"""Activations and losses beyond the op table: numerical stability at |x| ~ 1e4, bad inputs,
in-place forms, double backward, penalties, and agreement with PyTorch where it is installed."""
import math

import numpy as np
import pytest

import nativedl as nd
import nativedl.nn.functional as F
from nativedl.autograd import gradcheck

BIG = 1e4


def t(a, dtype=np.float32, requires_grad=False):
    x = nd.from_numpy(np.array(a, dtype=dtype))
    return x.requires_grad_(True) if requires_grad else x


def finite(x):
    return bool(np.all(np.isfinite(x.detach().numpy())))


# ---------------------------------------------------------------- stability

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_softmax_family_stable(dtype, sign):
    x = t([[sign * BIG, 0.0, -sign * BIG], [sign * BIG, sign * BIG, 0.0]], dtype, requires_grad=True)
    sm, lsm = nd.softmax(x, 1), nd.log_softmax(x, 1)
    lse = nd.logsumexp(x, 1)
    assert finite(sm) and finite(lsm) and finite(lse)
    ref_lsm = {1.0: [[0.0, -BIG, -2 * BIG], [-math.log(2), -math.log(2), -BIG - math.log(2)]],
               -1.0: [[-2 * BIG, -BIG, 0.0], [-BIG, -BIG, 0.0]]}[sign]
    np.testing.assert_allclose(lsm.detach().numpy(), ref_lsm, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sm.detach().numpy(), np.exp(ref_lsm), rtol=1e-6, atol=1e-7)
    (lsm.sum() + sm[:, 0].sum()).backward()
    assert finite(x.grad)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cross_entropy_stable(sign):
    x = t([[sign * BIG, 0.0, -sign * BIG]] * 3, requires_grad=True)
    target = nd.from_numpy(np.array([0, 1, 2]))
    loss = F.cross_entropy(x, target, reduction="none")
    want = {1.0: [0.0, BIG, 2 * BIG], -1.0: [2 * BIG, BIG, 0.0]}[sign]
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-6)
    loss.sum().backward()
    assert finite(x.grad)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_bce_with_logits_softplus_logsigmoid_stable(sign):
    x = t([sign * BIG, sign * BIG / 2], requires_grad=True)
    tgt = t([1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, tgt, reduction="none", pos_weight=t([3.0, 3.0]))
    want = [3 * max(-sign * BIG, 0), max(sign * BIG / 2, 0)]
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-6)
    sp, ls = F.softplus(x), F.logsigmoid(x)
    np.testing.assert_allclose(sp.detach().numpy(), np.maximum(sign * np.array([BIG, BIG / 2]), 0), rtol=1e-6)
    np.testing.assert_allclose(ls.detach().numpy(), np.minimum(sign * np.array([BIG, BIG / 2]), 0), rtol=1e-6)
    (loss.sum() + sp.sum() + ls.sum()).backward()
    assert finite(x.grad)


def test_focal_and_dice_stable():
    x = t([[BIG, -BIG, 0.0]], requires_grad=True)
    tgt = t([[1.0, 0.0, 1.0]])
    out = F.focal_loss(x, tgt) + F.dice_loss(x, tgt)
    out.backward()
    assert finite(out) and finite(x.grad)


def test_relu_derivative_at_zero_is_zero():
    x = t([0.0, -1.0, 2.0], requires_grad=True)
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


# ---------------------------------------------------------------- in-place, double backward

@pytest.mark.parametrize("name,kw", [("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.1}),
                                     ("elu", {}), ("selu", {}), ("celu", {}), ("hardtanh", {}), ("silu", {}),
                                     ("mish", {}), ("hardsigmoid", {}), ("hardswish", {})])
def test_inplace(name, kw):
    a = np.linspace(-4, 4, 9).astype(np.float32)
    x = t(a)
    out = getattr(F, name)(x, inplace=True, **kw)
    np.testing.assert_allclose(x.numpy(), getattr(F, name)(t(a), **kw).numpy())
    np.testing.assert_array_equal(out.numpy(), x.numpy())
    assert out.data_ptr() == x.data_ptr()
    # through autograd: the in-place result keeps the gradient of the out-of-place one
    leaf = t(a, np.float64, requires_grad=True)
    y = leaf * 1.0
    getattr(F, name)(y, inplace=True, **kw).sum().backward()
    leaf2 = t(a, np.float64, requires_grad=True)
    getattr(F, name)(leaf2, **kw).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), leaf2.grad.numpy())


def test_inplace_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError):
        F.silu(t([1.0], requires_grad=True), inplace=True)


@pytest.mark.parametrize("fn", [F.gelu, lambda x: F.gelu(x, approximate="tanh"), F.silu, F.mish, F.elu, F.selu,
                                F.celu, F.softplus, F.softsign, F.logsigmoid, F.leaky_relu, F.hardswish,
                                lambda x: F.softmax(x, 1), lambda x: F.log_softmax(x, 0)])
def test_double_backward(fn):
    """The gradient of the gradient (create_graph) matches finite differences of the first gradient."""
    rng = np.random.default_rng(0)
    x = t(rng.uniform(-2, 2, size=(3, 4)), np.float64, requires_grad=True)
    w = t(rng.uniform(-1, 1, size=(3, 4)), np.float64)

    def first_grad(x):
        with nd.enable_grad():  # gradcheck evaluates finite differences under no_grad
            (g,) = nd.autograd.grad((fn(x) * w).sum(), x, create_graph=True)
        return g

    assert gradcheck(first_grad, [x])


def test_fused_and_recorded_backward_agree():
    rng = np.random.default_rng(1)
    a = rng.uniform(-3, 3, size=(4, 300))
    for fn in (F.gelu, F.mish, lambda x: F.log_softmax(x, 1), lambda x: F.softmax(x, 0)):
        x1 = t(a, np.float64, requires_grad=True)
        fn(x1).pow(2).sum().backward()
        x2 = t(a, np.float64, requires_grad=True)
        (g,) = nd.autograd.grad(fn(x2).pow(2).sum(), x2, create_graph=True)
        np.testing.assert_allclose(x1.grad.numpy(), g.detach().numpy(), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- bad inputs

def test_target_out_of_range():
    x = t(np.zeros((3, 4)))
    for fn in (F.cross_entropy, F.nll_loss, F.softmax_focal_loss, F.ohem_cross_entropy, F.multi_margin_loss):
        with pytest.raises(IndexError, match=r"\[\w+\] target 4 is out of bounds"):
            fn(x, nd.from_numpy(np.array([0, 4, 1])))
        with pytest.raises(IndexError, match="out of bounds"):
            fn(x, nd.from_numpy(np.array([0, -3, 1])))
    # ignore_index values are not out of range
    F.cross_entropy(x, nd.from_numpy(np.array([0, -100, 1])))
    F.cross_entropy(x, nd.from_numpy(np.array([0, 7, 1])), ignore_index=7)
    with pytest.raises(IndexError, match=r"\[dice_loss\]"):
        F.dice_loss(t(np.zeros((1, 3, 2, 2))), nd.from_numpy(np.full((1, 2, 2), 3)), multiclass=True)


def test_mismatched_batch_sizes():
    with pytest.raises(ValueError, match=r"\[cross_entropy\] expected input batch size \(3\) to match target batch size \(2\)"):
        F.cross_entropy(t(np.zeros((3, 4))), nd.from_numpy(np.array([0, 1])))
    with pytest.raises(ValueError, match=r"\[nll_loss\] expected input batch size"):
        F.nll_loss(t(np.zeros((3, 4))), nd.from_numpy(np.array([0, 1])))
    with pytest.raises(ValueError, match=r"\[cross_entropy\] expected target of shape \(2, 5\)"):
        F.cross_entropy(t(np.zeros((2, 3, 5))), nd.from_numpy(np.zeros((2, 4), dtype=np.int64)))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy_with_logits\] target size \(2,\)"):
        F.binary_cross_entropy_with_logits(t(np.zeros(3)), t(np.zeros(2)))
    with pytest.raises(ValueError, match=r"\[cross_entropy\] weight must be a 1-D tensor of 4"):
        F.cross_entropy(t(np.zeros((3, 4))), nd.from_numpy(np.array([0, 1, 2])), weight=t(np.ones(3)))


def test_bce_probabilities_outside_unit_interval():
    for bad in ([0.5, 1.5], [-0.1, 0.5]):
        with pytest.raises(ValueError, match=r"\[binary_cross_entropy\] all elements of input should be between 0 and 1"):
            F.binary_cross_entropy(t(bad), t([1.0, 0.0]))


def test_wrong_target_dtype():
    x = t(np.zeros((3, 4)))
    with pytest.raises(TypeError, match=r"\[cross_entropy\] class-index target must have dtype int64, got"):
        F.cross_entropy(x, nd.from_numpy(np.array([0, 1, 2], dtype=np.int32)))
    with pytest.raises(TypeError, match=r"\[nll_loss\].*int64.*class probabilities"):
        F.nll_loss(x, t([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match=r"\[binary_cross_entropy_with_logits\] target must be a floating point"):
        F.binary_cross_entropy_with_logits(x, nd.from_numpy(np.zeros((3, 4), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"\[mse_loss\] input must be a floating point"):
        F.mse_loss(nd.from_numpy(np.zeros(3, dtype=np.int64)), t(np.zeros(3)))
    with pytest.raises(TypeError, match=r"\[dice_loss\] binary target must be a floating point"):
        F.dice_loss(x, nd.from_numpy(np.zeros((3, 4), dtype=np.int64)))
    with pytest.raises(TypeError, match=r"\[gelu\] expected a floating point input"):
        F.gelu(nd.from_numpy(np.zeros(3, dtype=np.int64)))


def test_bad_arguments():
    x = t(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"\[mse_loss\] reduction must be one of"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"\[gelu\] approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match=r"\[cross_entropy\] label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(x, nd.from_numpy(np.array([0, 1, 2])), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"\[glu\] halving dimension must be even"):
        F.glu(t(np.zeros((3, 5))))
    with pytest.raises(ValueError, match=r"\[prelu\] weight has 2 parameters but input \(3, 4\) has 4 channels"):
        F.prelu(x, t([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"\[exponential_loss\] target must hold -1 and \+1"):
        F.exponential_loss(t([1.0]), t([0.0]))
    with pytest.raises(ValueError, match=r"\[gaussian_nll_loss\] var has negative entries"):
        F.gaussian_nll_loss(x, x, t(-np.ones((3, 4))))
    with pytest.raises(IndexError, match=r"\[softmax\]"):
        nd.softmax(x, 2)


def test_errors_leave_nothing_half_done():
    """A check fails before any computation, so no graph is recorded."""
    x = t(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError):
        F.cross_entropy(x, nd.from_numpy(np.array([0, 9, 1])))
    assert x.grad is None


# ---------------------------------------------------------------- misc semantics

def test_cross_entropy_mean_divides_by_weight_sum_of_non_ignored():
    x = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]))
    w = np.array([1.0, 2.0, 3.0])
    target = np.array([0, -100, 2])
    got = float(F.cross_entropy(t(x, np.float64), nd.from_numpy(target), weight=t(w, np.float64)))
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    want = -(logp[0, 0] * 1.0 + logp[2, 2] * 3.0) / (1.0 + 3.0)
    assert got == pytest.approx(want, rel=1e-12)


def test_softmax_dtype_and_tensor_method():
    x = t([[1.0, 2.0, 3.0]])
    assert x.softmax(-1, dtype=nd.float64).dtype == nd.float64
    np.testing.assert_allclose(x.log_softmax(1).numpy(), nd.log_softmax(x, 1).numpy())


def test_penalties():
    a, b = t([[1.0, -2.0]], np.float64, requires_grad=True), t([3.0], np.float64, requires_grad=True)
    l1, l2 = nd.nn.utils.l1_penalty([a, b]), nd.nn.utils.l2_penalty([a, b])
    assert float(l1) == 6.0 and float(l2) == 14.0
    (l1 + 0.5 * l2).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[2.0, -3.0]])
    np.testing.assert_allclose(b.grad.numpy(), [4.0])
    with pytest.raises(ValueError, match=r"\[l2_penalty\] params is empty"):
        nd.nn.utils.l2_penalty([])


def test_ohem_keeps_only_hard_examples():
    # probabilities of the true class: 0.9 (easy), 0.2 and 0.5 (hard)
    p = np.array([[0.9, 0.1], [0.8, 0.2], [0.5, 0.5]])
    target = nd.from_numpy(np.array([0, 1, 1]))
    x = t(np.log(p), np.float64)
    got = float(F.ohem_cross_entropy(x, target, thresh=0.7, min_kept=1))
    assert got == pytest.approx(-(math.log(0.2) + math.log(0.5)) / 2, rel=1e-12)
    got = float(F.ohem_cross_entropy(x, target, thresh=0.3, min_kept=2))  # only one below 0.3: keep 2
    assert got == pytest.approx(-(math.log(0.2) + math.log(0.5)) / 2, rel=1e-12)


# ---------------------------------------------------------------- against PyTorch, when installed

def test_matches_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, size=(4, 5, 3))
    tgt = rng.integers(0, 5, size=(4, 3))
    tgt[0, 0] = -100
    w = rng.uniform(0.5, 2, size=5)
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}, {"reduction": "sum", "label_smoothing": 0.1}):
        want = tf.cross_entropy(torch.tensor(x), torch.tensor(tgt), weight=torch.tensor(w), **kw).numpy()
        got = F.cross_entropy(t(x, np.float64), nd.from_numpy(tgt), weight=t(w, np.float64), **kw).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    a = rng.uniform(-5, 5, size=(6, 7))
    for name, kw in (("gelu", {}), ("gelu", {"approximate": "tanh"}), ("mish", {}), ("hardswish", {}),
                     ("softplus", {"beta": 2.0, "threshold": 3.0}), ("celu", {"alpha": 0.7}), ("selu", {})):
        want = getattr(tf, name)(torch.tensor(a), **kw).numpy()
        np.testing.assert_allclose(getattr(F, name)(t(a, np.float64), **kw).numpy(), want, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- fused cross-entropy rows

def _ce_reference(x, tgt, ignore_index, reduction):
    """Plain NumPy: logsumexp(x[n]) - x[n, t[n]], rows with t == ignore_index dropped from the mean."""
    m = x.max(1, keepdims=True)
    lse = (m + np.log(np.exp(x - m).sum(1, keepdims=True)))[:, 0]
    keep = tgt != ignore_index
    loss = np.where(keep, lse - x[np.arange(len(x)), np.where(keep, tgt, 0)], 0.0)
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / keep.sum()}[reduction]


@pytest.mark.parametrize("classes", [1, 7, 16, 37])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fused_rows(classes, reduction):
    """The (N, C) fast path (no weight, no smoothing): values against NumPy, first and second
    gradients against finite differences, ignored rows contributing nothing."""
    rng = np.random.default_rng(classes)
    a = rng.uniform(-4, 4, size=(5, classes))
    tgt = rng.integers(0, classes, size=5)
    tgt[2] = -100
    got = F.cross_entropy(t(a, np.float64), nd.from_numpy(tgt), reduction=reduction).numpy()
    np.testing.assert_allclose(got, _ce_reference(a, tgt, -100, reduction), rtol=1e-12, atol=1e-12)
    got32 = F.cross_entropy(t(a, np.float32), nd.from_numpy(tgt), reduction=reduction).numpy()
    np.testing.assert_allclose(got32, _ce_reference(a, tgt, -100, reduction), rtol=1e-5, atol=1e-5)
    x = t(a, np.float64, requires_grad=True)
    target = nd.from_numpy(tgt)
    w = t(rng.uniform(-1, 1, size=5), np.float64)
    loss = lambda x: F.cross_entropy(x, target, reduction=reduction)
    assert gradcheck(lambda x: loss(x) * (w if reduction == "none" else 1.0), [x])

    def first_grad(x):
        with nd.enable_grad():
            (g,) = nd.autograd.grad((loss(x) * (w if reduction == "none" else 1.0)).sum(), x, create_graph=True)
        return g

    assert gradcheck(first_grad, [x])
    (g,) = nd.autograd.grad(loss(x).sum(), x)
    assert np.all(g.numpy()[2] == 0)


def test_cross_entropy_fused_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((33, 1000)).astype(np.float32) * 5
    tgt = rng.integers(0, 1000, size=33)
    tgt[4] = 3
    x = t(a, np.float32, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    for kw in ({}, {"ignore_index": 3}, {"reduction": "sum"}):
        loss = F.cross_entropy(x, nd.from_numpy(tgt), **kw)
        want = torch.nn.functional.cross_entropy(xt, torch.tensor(tgt), **kw)
        (g,) = nd.autograd.grad(loss, x)
        (gt,) = torch.autograd.grad(want, xt)
        np.testing.assert_allclose(loss.detach().numpy(), want.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(g.numpy(), gt.numpy(), rtol=1e-4, atol=1e-7)


def test_cross_entropy_rows_checks():
    with pytest.raises(IndexError, match=r"\[cross_entropy\] target 5 is out of bounds for 3 classes"):
        nd._C._cross_entropy_rows(t(np.zeros((2, 3))), nd.from_numpy(np.array([0, 5])), -100)
    with pytest.raises(ValueError, match=r"\[cross_entropy\] expected input \(N, C\)"):
        nd._C._cross_entropy_rows(t(np.zeros((2, 3))), nd.from_numpy(np.array([0, 1, 2])), -100)
    with pytest.raises(TypeError, match=r"\[cross_entropy\] class-index target must have dtype int64"):
        nd._C._cross_entropy_rows(t(np.zeros((2, 3))), t(np.zeros(2)), -100)
