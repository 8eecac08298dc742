"""Loss layers: each equals its functional for every option (tensor options are buffers), options are
attributes as in PyTorch, plus CenterLoss and MultiTaskLoss (learnable state) against NumPy."""
import numpy as np
import pytest

import nativedl as nd
from nativedl import nn
from nativedl.nn import functional as F


def t(a, requires_grad=False):
    out = nd.from_numpy(np.ascontiguousarray(a))
    return out.requires_grad_(True) if requires_grad else out


def np_of(x):
    return x.detach().numpy()


RNG = np.random.default_rng(0)
N, C = 6, 4


def _f(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def _prob(*shape):
    return RNG.uniform(0.05, 0.95, size=shape).astype(np.float32)


def _sign(*shape):
    return np.where(RNG.uniform(size=shape) > 0.5, 1.0, -1.0).astype(np.float32)


def _cls(*shape, hi=C):
    return RNG.integers(0, hi, size=shape).astype(np.int64)


def _multilabel():
    tg = np.full((N, C), -1, np.int64)
    for i in range(N):
        k = RNG.integers(1, C)
        tg[i, :k] = RNG.permutation(C)[:k]
    return tg


CW = _prob(C)  # a class-weight tensor
INPUTS = {  # functional name -> its positional inputs
    "l1_loss": lambda: (_f(N, 3), _f(N, 3)),
    "mse_loss": lambda: (_f(N, 3), _f(N, 3)),
    "smooth_l1_loss": lambda: (_f(N, 3), _f(N, 3)),
    "huber_loss": lambda: (_f(N, 3), _f(N, 3) * 3),
    "binary_cross_entropy": lambda: (_prob(N, 3), _prob(N, 3)),
    "binary_cross_entropy_with_logits": lambda: (_f(N, 3), _prob(N, 3)),
    "cross_entropy": lambda: (_f(N, C, 3), _cls(N, 3)),
    "nll_loss": lambda: (np.log(_prob(N, C)), _cls(N)),
    "kl_div": lambda: (np.log(_prob(N, C)), _prob(N, C)),
    "poisson_nll_loss": lambda: (_prob(N, 3) * 3, _cls(N, 3).astype(np.float32)),
    "hinge_embedding_loss": lambda: (_f(N, 3), _sign(N, 3)),
    "multi_margin_loss": lambda: (_f(N, C), _cls(N)),
    "multilabel_margin_loss": lambda: (_f(N, C), _multilabel()),
    "soft_margin_loss": lambda: (_f(N, 3), _sign(N, 3)),
    "margin_ranking_loss": lambda: (_f(N), _f(N), _sign(N)),
    "cosine_embedding_loss": lambda: (_f(N, 5), _f(N, 5), _sign(N)),
    "triplet_margin_loss": lambda: (_f(N, 5), _f(N, 5), _f(N, 5)),
    "gaussian_nll_loss": lambda: (_f(N, 3), _f(N, 3), _prob(N, 3)),
    "exponential_loss": lambda: (_f(N, 3), _sign(N, 3)),
    "focal_loss": lambda: (_f(N, 3), _cls(N, 3, hi=2).astype(np.float32)),
    "softmax_focal_loss": lambda: (_f(N, C, 2), _cls(N, 2)),
    "dice_loss": lambda: (_f(N, 1, 3, 3), _cls(N, 1, 3, 3, hi=2).astype(np.float32)),
    "jaccard_loss": lambda: (_f(N, 1, 3, 3), _cls(N, 1, 3, 3, hi=2).astype(np.float32)),
    "ohem_cross_entropy": lambda: (_f(N, C, 3), _cls(N, 3)),
}

RED = [{"reduction": r} for r in ("none", "mean", "sum")]
CASES = [  # (class name, functional name, constructor keywords)
    *[("L1Loss", "l1_loss", kw) for kw in RED],
    *[("MSELoss", "mse_loss", kw) for kw in RED],
    *[("SmoothL1Loss", "smooth_l1_loss", dict(kw, beta=0.5)) for kw in RED],
    *[("HuberLoss", "huber_loss", dict(kw, delta=0.7)) for kw in RED],
    *[("BCELoss", "binary_cross_entropy", dict(kw, weight=t(_prob(3)))) for kw in RED],
    ("BCELoss", "binary_cross_entropy", {}),
    *[("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", dict(kw, pos_weight=t(_prob(3) * 3)))
      for kw in RED],
    ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", {"weight": t(_prob(3))}),
    *[("CrossEntropyLoss", "cross_entropy", dict(kw, weight=t(CW), ignore_index=1)) for kw in RED],
    ("CrossEntropyLoss", "cross_entropy", {"label_smoothing": 0.2}),
    ("CrossEntropyLoss", "cross_entropy", {"label_smoothing": 0.1, "weight": t(CW), "reduction": "sum"}),
    *[("NLLLoss", "nll_loss", dict(kw, weight=t(CW), ignore_index=2)) for kw in RED],
    *[("KLDivLoss", "kl_div", kw) for kw in RED + [{"reduction": "batchmean"}]],
    ("KLDivLoss", "kl_div", {"log_target": True, "reduction": "sum"}),
    *[("PoissonNLLLoss", "poisson_nll_loss", dict(kw, log_input=False, full=True)) for kw in RED],
    ("PoissonNLLLoss", "poisson_nll_loss", {"eps": 1e-3}),
    *[("HingeEmbeddingLoss", "hinge_embedding_loss", dict(kw, margin=0.5)) for kw in RED],
    *[("MultiMarginLoss", "multi_margin_loss", dict(kw, p=2, margin=0.5, weight=t(CW))) for kw in RED],
    ("MultiMarginLoss", "multi_margin_loss", {}),
    *[("MultiLabelMarginLoss", "multilabel_margin_loss", kw) for kw in RED],
    *[("SoftMarginLoss", "soft_margin_loss", kw) for kw in RED],
    *[("MarginRankingLoss", "margin_ranking_loss", dict(kw, margin=0.3)) for kw in RED],
    *[("CosineEmbeddingLoss", "cosine_embedding_loss", dict(kw, margin=0.2)) for kw in RED],
    *[("TripletMarginLoss", "triplet_margin_loss", dict(kw, margin=0.5, p=1, swap=True)) for kw in RED],
    ("TripletMarginLoss", "triplet_margin_loss", {"eps": 1e-3}),
    *[("GaussianNLLLoss", "gaussian_nll_loss", dict(kw, full=True, eps=1e-3)) for kw in RED],
    *[("ExponentialLoss", "exponential_loss", kw) for kw in RED],
    *[("FocalLoss", "focal_loss", dict(kw, alpha=0.4, gamma=1.5)) for kw in RED],
    ("FocalLoss", "focal_loss", {"alpha": -1}),
    *[("SoftmaxFocalLoss", "softmax_focal_loss", dict(kw, alpha=t(CW), gamma=1.0, ignore_index=0)) for kw in RED],
    *[("DiceLoss", "dice_loss", dict(kw, smooth=0.5)) for kw in RED],
    *[("JaccardLoss", "jaccard_loss", dict(kw, smooth=0.5)) for kw in RED],
    ("OhemCrossEntropyLoss", "ohem_cross_entropy", {"thresh": 0.5, "min_kept": 4}),
    ("OhemCrossEntropyLoss", "ohem_cross_entropy", {"weight": t(CW), "ignore_index": 3, "reduction": "sum"}),
]


@pytest.mark.parametrize("cls_name,fn_name,kw", CASES,
                         ids=[f"{c}-{'-'.join(f'{k}' for k in kw)}-{i}" for i, (c, _, kw) in enumerate(CASES)])
def test_loss_module_equals_functional(cls_name, fn_name, kw):
    inputs = [t(a) for a in INPUTS[fn_name]()]
    loss = getattr(nn, cls_name)(**kw)
    ref = getattr(F, fn_name)(*inputs, **kw)
    got = loss(*inputs)
    assert tuple(got.shape) == tuple(ref.shape)
    np.testing.assert_allclose(np_of(got), np_of(ref), rtol=1e-6, atol=1e-7)
    # Options are attributes; tensor options are buffers (in the state_dict, converted by .to()).
    for k, v in kw.items():
        if isinstance(v, nd.Tensor):
            assert k in dict(loss.named_buffers()) and k in loss.state_dict()
        else:
            assert getattr(loss, k) == v
    assert repr(loss) == f"{cls_name}()"


def test_loss_gradients_flow_through_module():
    x = t(_f(N, C), True)
    target = t(_cls(N))
    nn.CrossEntropyLoss(weight=t(CW))(x, target).backward()
    x2 = t(np_of(x), True)
    F.cross_entropy(x2, target, weight=t(CW)).backward()
    np.testing.assert_allclose(np_of(x.grad), np_of(x2.grad), rtol=1e-6)


def test_weight_buffer_follows_to_and_default_is_none():
    loss = nn.CrossEntropyLoss(weight=t(CW))
    loss.to(nd.float64)
    assert loss.weight.dtype == nd.float64
    x = t(_f(N, C).astype(np.float64))
    target = t(_cls(N))
    np.testing.assert_allclose(np_of(loss(x, target)), np_of(F.cross_entropy(x, target, weight=t(CW.astype(np.float64)))))
    plain = nn.CrossEntropyLoss()
    assert plain.weight is None and plain.reduction == "mean" and plain.ignore_index == -100
    assert list(plain.state_dict()) == []
    assert nn.BCEWithLogitsLoss().pos_weight is None
    assert list(nn.NLLLoss(weight=t(CW)).state_dict()) == ["weight"]


def test_loss_module_positional_options_and_errors():
    # PyTorch's positional order: CrossEntropyLoss(weight, size_average, ignore_index, reduce, reduction, ...).
    loss = nn.CrossEntropyLoss(None, None, 1, None, "sum")
    assert loss.ignore_index == 1 and loss.reduction == "sum"
    with pytest.raises(TypeError, match=r"\[MSELoss\] got an unexpected keyword argument 'delta'"):
        nn.MSELoss(delta=1.0)
    with pytest.raises(TypeError, match=r"\[MSELoss\] takes at most 3 positional arguments"):
        nn.MSELoss(None, None, "mean", 1)
    with pytest.raises(TypeError, match=r"\[MSELoss\] forward takes 2 inputs, got 1"):
        nn.MSELoss()(t(_f(3)))


# ---------------------------------------------------------------- CenterLoss
def test_center_loss_value_and_gradients_vs_numpy():
    nd.manual_seed(0)
    loss = nn.CenterLoss(5, 3)
    assert [n for n, _ in loss.named_parameters()] == ["centers"] and tuple(loss.centers.shape) == (5, 3)
    feats = _f(8, 3)
    labels = _cls(8, hi=5)
    x = t(feats, True)
    value = loss(x, t(labels))
    centers = np_of(loss.centers)
    diff = feats - centers[labels]
    np.testing.assert_allclose(value.item(), 0.5 * (diff ** 2).sum(1).mean(), rtol=1e-6)
    value.backward()
    np.testing.assert_allclose(np_of(x.grad), diff / 8, rtol=1e-5, atol=1e-7)
    gc = np.zeros((5, 3), np.float32)
    np.add.at(gc, labels, -diff / 8)
    np.testing.assert_allclose(np_of(loss.centers.grad), gc, rtol=1e-5, atol=1e-7)


def test_center_loss_own_sgd_step_moves_centers_toward_features():
    nd.manual_seed(1)
    loss = nn.CenterLoss(3, 2)
    feats = t(_f(9, 2) + 3.0)
    labels = t(np.array([0, 1, 2] * 3, np.int64))
    def dist():
        c = np_of(loss.centers)
        return np.linalg.norm(np_of(feats) - c[np_of(labels)], axis=1).sum()
    before = dist()
    loss(feats, labels).backward()
    with nd.no_grad():  # one manual SGD step on the centers alone (their own optimizer, lr 0.5)
        loss.centers -= 0.5 * loss.centers.grad
    assert isinstance(loss.centers, nn.Parameter)
    assert dist() < before


def test_center_loss_errors():
    loss = nn.CenterLoss(4, 3)
    with pytest.raises(ValueError, match=r"\[CenterLoss\] features must be \(N, 3\), got \(2, 5\)"):
        loss(t(_f(2, 5)), t(_cls(2)))
    with pytest.raises(ValueError, match=r"\[CenterLoss\] labels must be \(N,\) with N=2, got \(3,\)"):
        loss(t(_f(2, 3)), t(_cls(3)))


# ---------------------------------------------------------------- MultiTaskLoss
def test_multitask_fixed_weights():
    losses = [nd.tensor(v) for v in (1.5, 0.2, 3.0)]
    m = nn.MultiTaskLoss(3, weights=[1.0, 2.0, 0.5])
    np.testing.assert_allclose(m(losses).item(), 1.5 + 0.4 + 1.5, rtol=1e-6)
    assert list(m.parameters()) == [] and list(m.state_dict()) == ["weights"]
    np.testing.assert_allclose(nn.MultiTaskLoss(3)(losses).item(), 4.7, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\[MultiTaskLoss\] expected 3 task losses, got 2"):
        m(losses[:2])
    with pytest.raises(ValueError, match=r"got 2 weights for 3 tasks"):
        nn.MultiTaskLoss(3, weights=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"weighting must be 'fixed' or 'uncertainty', got 'auto'"):
        nn.MultiTaskLoss(2, "auto")
    # A one-element loss counts as a scalar; anything longer is refused rather than broadcast.
    np.testing.assert_allclose(m([nd.tensor([1.5]), losses[1], losses[2]]).item(), 3.4, rtol=1e-6)
    with pytest.raises(ValueError, match=r"each task loss must be a scalar, got shape \(2,\) for task 1"):
        m([losses[0], nd.ones(2), losses[2]])


def test_multitask_uncertainty_weighting():
    m = nn.MultiTaskLoss(2, weighting="uncertainty")
    assert [n for n, _ in m.named_parameters()] == ["log_vars"]
    s = np.array([0.3, -0.5], np.float32)
    with nd.no_grad():
        m.log_vars.copy_(t(s))
    l1 = nd.tensor(2.0, requires_grad=True)
    l2 = nd.tensor(0.5, requires_grad=True)
    value = m([l1, l2])
    L = np.array([2.0, 0.5])
    np.testing.assert_allclose(value.item(), (0.5 * (np.exp(-s) * L + s)).sum(), rtol=1e-6)
    value.backward()
    # d/ds_i = (1 - exp(-s_i) L_i) / 2; d/dL_i = exp(-s_i) / 2.
    np.testing.assert_allclose(np_of(m.log_vars.grad), 0.5 * (1 - np.exp(-s) * L), rtol=1e-5)
    np.testing.assert_allclose([l1.grad.item(), l2.grad.item()], 0.5 * np.exp(-s), rtol=1e-5)
    with pytest.raises(ValueError, match="weights are learned with weighting='uncertainty'"):
        nn.MultiTaskLoss(2, "uncertainty", weights=[1.0, 1.0])
    assert repr(m) == "MultiTaskLoss(num_tasks=2, weighting='uncertainty')"
