"""Op-table rows of the losses (nativedl.nn.functional). References are plain NumPy written from each
loss's definition (PyTorch's documentation for PyTorch's losses); reductions are applied by _red."""
import math

import numpy as np

import nativedl.nn.functional as F
from op_table import OpInfo

RED = [{"reduction": "mean"}, {"reduction": "sum"}, {"reduction": "none"}]
TOL = {"atol": {"float32": 1e-4, "float64": 1e-9}, "rtol": {"float32": 1e-4, "float64": 1e-9}}


def _red(loss, reduction="mean"):
    return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](loss)


def _lse(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _logsig(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _sig(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------- input generators

def g_pair(shapes, dtype, rng):
    return [rng.uniform(-2, 2, size=s).astype(dtype) for s in shapes]


def g_probs(shapes, dtype, rng):
    """Probabilities in (0.05, 0.95), soft targets in [0, 1], then any extra (weight) arrays > 0."""
    out = [rng.uniform(0.05, 0.95, size=shapes[0]), rng.uniform(0, 1, size=shapes[1])]
    out += [rng.uniform(0.5, 2, size=s) for s in shapes[2:]]
    return [a.astype(dtype) for a in out]


def g_logits_binary(shapes, dtype, rng):
    out = [rng.uniform(-3, 3, size=shapes[0]), rng.integers(0, 2, size=shapes[1]).astype(np.float64)]
    out += [rng.uniform(0.5, 2, size=s) for s in shapes[2:]]
    return [a.astype(dtype) for a in out]


def g_classes(ignored=False):
    """Logits (N, C, ...) [or (C,)], int64 class targets (-100 at some positions when ignored) and
    positive per-class weights for any extra shapes."""
    def gen(shapes, dtype, rng):
        x = rng.uniform(-3, 3, size=shapes[0]).astype(dtype)
        c = shapes[0][0] if len(shapes[0]) == 1 else shapes[0][1]
        t = rng.integers(0, c, size=shapes[1]).astype(np.int64)
        if ignored and t.size:
            t[rng.uniform(size=t.shape) < 0.3] = -100
            t.reshape(-1)[0] = 0  # at least one target counts
        return [x, t] + [rng.uniform(0.5, 2, size=s).astype(dtype) for s in shapes[2:]]
    return gen


def g_class_probs(shapes, dtype, rng):
    x = rng.uniform(-3, 3, size=shapes[0])
    cdim = 0 if len(shapes[0]) == 1 else 1
    p = rng.uniform(0, 1, size=shapes[1])
    p = p / p.sum(axis=cdim, keepdims=True)
    return [x.astype(dtype), p.astype(dtype)] + [rng.uniform(0.5, 2, size=s).astype(dtype) for s in shapes[2:]]


def g_signs(shapes, dtype, rng):
    """Scores and +-1 labels (then more score arrays)."""
    out = [rng.uniform(-2, 2, size=shapes[0]).astype(dtype), rng.choice([-1.0, 1.0], size=shapes[1]).astype(dtype)]
    return out + [rng.uniform(-2, 2, size=s).astype(dtype) for s in shapes[2:]]


def g_ranking(shapes, dtype, rng):
    x1, x2 = rng.uniform(-2, 2, size=shapes[0]), rng.uniform(-2, 2, size=shapes[1])
    return [x1.astype(dtype), x2.astype(dtype), rng.choice([-1.0, 1.0], size=shapes[2]).astype(dtype)]


def g_poisson(shapes, dtype, rng):
    return [rng.uniform(0.2, 2, size=shapes[0]).astype(dtype), rng.integers(0, 5, size=shapes[1]).astype(dtype)]


def g_gauss(shapes, dtype, rng):
    return [rng.uniform(-2, 2, size=shapes[0]).astype(dtype), rng.uniform(-2, 2, size=shapes[1]).astype(dtype),
            rng.uniform(0.2, 2, size=shapes[2]).astype(dtype)]


def g_kl(shapes, dtype, rng):
    """Log-probabilities input and probability target with some exact zeros."""
    x = np.log(rng.uniform(0.05, 1, size=shapes[0]))
    t = rng.uniform(0, 1, size=shapes[1])
    t[rng.uniform(size=t.shape) < 0.2] = 0
    return [x.astype(dtype), t.astype(dtype)]


def g_multilabel(shapes, dtype, rng):
    x = rng.uniform(-2, 2, size=shapes[0]).astype(dtype)
    n, c = (1, shapes[0][0]) if len(shapes[0]) == 1 else shapes[0]
    t = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = rng.integers(0, c + 1)
        t[i, :k] = rng.permutation(c)[:k]
        if k < c:
            t[i, k + 1:] = rng.integers(0, c, size=c - k - 1)  # entries after the first -1 are ignored
    return [x, t.reshape(shapes[1])]


# ---------------------------------------------------------------- references

def r_mse(x, t, reduction="mean"):
    return _red((x - t) ** 2, reduction)


def r_l1(x, t, reduction="mean"):
    return _red(np.abs(x - t), reduction)


def r_smooth_l1(x, t, reduction="mean", beta=1.0):
    d = np.abs(x - t)
    return _red(d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def r_huber(x, t, reduction="mean", delta=1.0):
    d = np.abs(x - t)
    return _red(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def r_bce(x, t, w=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return _red(loss if w is None else loss * w, reduction)


def r_bce_logits(x, t, w=None, pw=None, reduction="mean"):
    pw = 1.0 if pw is None else pw
    loss = -(pw * t * _logsig(x) + (1 - t) * _logsig(-x))
    return _red(loss if w is None else loss * w, reduction)


def _flat_classes(x, t):
    """(M, C) logits and (M,) targets with the class dim moved last."""
    if x.ndim == 1:
        return x[None, :], t.reshape(1)
    c = x.shape[1]
    return np.moveaxis(x, 1, -1).reshape(-1, c), t.reshape(-1)


def r_cross_entropy(x, t, w=None, reduction="mean", ignore_index=-100, label_smoothing=0.0):
    shape = t.shape
    xf, tf = _flat_classes(x, t)
    c = xf.shape[1]
    logp = xf - _lse(xf, 1)
    w = np.ones(c) if w is None else w
    valid = tf != ignore_index
    safe = np.where(valid, tf, 0)
    wt = w[safe] * valid
    nll = -logp[np.arange(len(tf)), safe] * wt
    smooth = -(logp * w).sum(1) * valid
    loss = (1 - label_smoothing) * nll + label_smoothing / c * smooth
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return loss.sum() if reduction == "sum" else loss.reshape(shape)


def r_cross_entropy_probs(x, p, w=None, reduction="mean", label_smoothing=0.0):
    cdim = 0 if x.ndim == 1 else 1
    c = x.shape[cdim]
    p = p * (1 - label_smoothing) + label_smoothing / c
    logp = x - _lse(x, cdim)
    if w is not None:
        logp = logp * w.reshape((c,) + (1,) * (x.ndim - cdim - 1))
    loss = -(logp * p).sum(cdim)
    return _red(loss, reduction)


def r_nll(x, t, w=None, reduction="mean", ignore_index=-100):
    shape = t.shape
    xf, tf = _flat_classes(x, t)
    w = np.ones(xf.shape[1]) if w is None else w
    valid = tf != ignore_index
    safe = np.where(valid, tf, 0)
    wt = w[safe] * valid
    loss = -xf[np.arange(len(tf)), safe] * wt
    if reduction == "mean":
        return loss.sum() / wt.sum()
    return loss.sum() if reduction == "sum" else loss.reshape(shape)


def r_kl(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = np.where(t > 0, t * (np.log(t) - x), 0.0)
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return _red(loss, reduction)


def r_poisson(x, t, log_input=True, full=False, reduction="mean"):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t)
        loss = loss + np.where(t > 1, st, 0)
    return _red(loss, reduction)


def r_hinge(x, y, margin=1.0, reduction="mean"):
    return _red(np.where(y == 1, x, np.maximum(0, margin - x)), reduction)


def r_multi_margin(x, t, w=None, p=1, margin=1.0, reduction="mean"):
    x2, t2 = (x[None], t.reshape(1)) if x.ndim == 1 else (x, t)
    n, c = x2.shape
    loss = np.zeros(n)
    for i in range(n):
        y = t2[i]
        for j in range(c):
            if j != y:
                h = max(0.0, margin - x2[i, y] + x2[i, j]) ** p
                loss[i] += h * (1.0 if w is None else w[y]) / c
    return _red(loss.reshape(()) if x.ndim == 1 else loss, reduction)


def r_multilabel(x, t, reduction="mean"):
    x2, t2 = (x[None], t[None]) if x.ndim == 1 else (x, t)
    n, c = x2.shape
    loss = np.zeros(n)
    for i in range(n):
        targets = []
        for v in t2[i]:
            if v < 0:
                break
            targets.append(v)
        for j in targets:
            for k in range(c):
                if k not in targets:
                    loss[i] += max(0.0, 1 - (x2[i, j] - x2[i, k])) / c
    return _red(loss.reshape(()) if x.ndim == 1 else loss, reduction)


def r_soft_margin(x, y, reduction="mean"):
    return _red(np.log1p(np.exp(-y * x)), reduction)


def r_margin_ranking(x1, x2, y, margin=0.0, reduction="mean"):
    return _red(np.maximum(0, -y * (x1 - x2) + margin), reduction)


def r_cosine_embedding(x1, x2, y, margin=0.0, reduction="mean"):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 ** 2).sum(-1) + 1e-12) * ((x2 ** 2).sum(-1) + 1e-12))
    return _red(np.where(y == 1, 1 - cos, np.maximum(0, cos - margin)), reduction)


def r_triplet(a, p, n, margin=1.0, p_norm=2, swap=False, reduction="mean"):
    def dist(u, v):
        return (np.abs(u - v + 1e-6) ** p_norm).sum(-1) ** (1 / p_norm)
    d_an = dist(a, n)
    if swap:
        d_an = np.minimum(d_an, dist(p, n))
    return _red(np.maximum(0, margin + dist(a, p) - d_an), reduction)


def r_gauss(x, t, var, full=False, reduction="mean"):
    if var.shape != x.shape:
        var = var.reshape(var.shape + (1,)) if var.shape == x.shape[:-1] else var
    var = np.maximum(var, 1e-6)
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var)
    if full:
        loss = loss + 0.5 * np.log(2 * np.pi)
    return _red(loss, reduction)


def r_exponential(x, y, reduction="mean"):
    return _red(np.exp(-y * x), reduction)


def r_focal(x, t, alpha=0.25, gamma=2.0, reduction="mean"):
    p = _sig(x)
    ce = -(t * _logsig(x) + (1 - t) * _logsig(-x))
    pt = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - pt) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * t + (1 - alpha) * (1 - t))
    return _red(loss, reduction)


def r_softmax_focal(x, t, alpha=None, gamma=2.0, ignore_index=-100, reduction="mean"):
    shape = t.shape
    xf, tf = _flat_classes(x, t)
    logp = xf - _lse(xf, 1)
    valid = tf != ignore_index
    safe = np.where(valid, tf, 0)
    lpt = logp[np.arange(len(tf)), safe]
    loss = -((1 - np.exp(lpt)) ** gamma) * lpt * valid
    if alpha is not None:
        loss = loss * np.asarray(alpha)[safe]
    if reduction == "mean":
        return loss.sum() / valid.sum()
    return loss.sum() if reduction == "sum" else loss.reshape(shape)


def _overlap(x, t, multiclass, ignore_index):
    if not multiclass:
        p = _sig(x).reshape(x.shape[0], 1, -1)
        oh = t.reshape(t.shape[0], 1, -1)
    else:
        n, c = x.shape[:2]
        e = np.exp(x - x.max(1, keepdims=True))
        p = (e / e.sum(1, keepdims=True)).reshape(n, c, -1)
        tf = t.reshape(n, -1)
        valid = tf != ignore_index
        oh = (np.arange(c)[None, :, None] == tf[:, None, :]) & valid[:, None, :]
        p = p * valid[:, None, :]
    inter = (p * oh).sum(-1)
    return inter, p.sum(-1), oh.sum(-1)


def r_dice(x, t, smooth=1.0, multiclass=False, ignore_index=-100, reduction="mean"):
    i, sp, st = _overlap(x, t, multiclass, ignore_index)
    return _red((1 - (2 * i + smooth) / (sp + st + smooth)).mean(1), reduction)


def r_jaccard(x, t, smooth=1.0, multiclass=False, ignore_index=-100, reduction="mean"):
    i, sp, st = _overlap(x, t, multiclass, ignore_index)
    return _red((1 - (i + smooth) / (sp + st - i + smooth)).mean(1), reduction)


def r_ohem(x, t, thresh=0.7, min_kept=100000, ignore_index=-100, reduction="mean"):
    shape = t.shape
    xf, tf = _flat_classes(x, t)
    logp = xf - _lse(xf, 1)
    valid = tf != ignore_index
    safe = np.where(valid, tf, 0)
    lpt = logp[np.arange(len(tf)), safe]
    pt = np.where(valid, np.exp(lpt), np.inf)
    keep = valid & (pt < thresh)
    k = min(min_kept, int(valid.sum()))
    if keep.sum() < k:
        keep = valid & (pt <= np.sort(pt)[k - 1])
    loss = -lpt * keep
    if reduction == "mean":
        return loss.sum() / max(keep.sum(), 1)
    return loss.sum() if reduction == "sum" else loss.reshape(shape)


# ---------------------------------------------------------------- rows

def row(name, fn, ref, shapes, kwargs=RED, gen=g_pair, grad_inputs=None, grad_shapes=None, **kw):
    return OpInfo(name, fn, ref, shapes, kwargs, gen=gen, grad_inputs=grad_inputs, grad_shapes=grad_shapes,
                  **{**TOL, **kw})


CLS_SHAPES = [((4, 5), (4,)), ((5,), ()), ((2, 3, 4, 3), (2, 4, 3))]
CLS_W_SHAPES = [((4, 5), (4,), (5,)), ((2, 3, 4, 3), (2, 4, 3), (3,))]
SEG = [((2, 3, 4, 5), (2, 4, 5))]


def _ce(x, t, **kw):
    return F.cross_entropy(x, t, **kw)


def _ce_w(x, t, w, **kw):
    return F.cross_entropy(x, t, weight=w, **kw)


ROWS = [
    row("mse_loss", F.mse_loss, r_mse, [((3, 4), (3, 4))]),
    row("l1_loss", F.l1_loss, r_l1, [((3, 4), (3, 4))]),
    row("smooth_l1_loss", F.smooth_l1_loss, r_smooth_l1, [((3, 4), (3, 4))],
        RED + [{"beta": 0.5}, {"beta": 0.0, "reduction": "sum"}]),
    row("huber_loss", F.huber_loss, r_huber, [((3, 4), (3, 4))], RED + [{"delta": 0.5}]),
    row("binary_cross_entropy", F.binary_cross_entropy, r_bce, [((3, 4), (3, 4))], RED, gen=g_probs),
    row("binary_cross_entropy-w", lambda x, t, w, **kw: F.binary_cross_entropy(x, t, weight=w, **kw),
        lambda x, t, w, **kw: r_bce(x, t, w, **kw), [((3, 4), (3, 4), (4,))], RED, gen=g_probs),
    row("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, r_bce_logits,
        [((3, 4), (3, 4)), ((2, 3, 4, 4), (2, 3, 4, 4))], RED, gen=g_logits_binary),
    row("binary_cross_entropy_with_logits-w",
        lambda x, t, w, pw, **kw: F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw),
        r_bce_logits, [((3, 4), (3, 4), (4,), (4,)), ((3, 4), (3, 4), (3, 1), (1,))], RED, gen=g_logits_binary),
    row("cross_entropy", _ce, r_cross_entropy, CLS_SHAPES,
        RED + [{"label_smoothing": 0.2}, {"label_smoothing": 0.1, "reduction": "none"}, {"ignore_index": 0}],
        gen=g_classes()),
    row("cross_entropy-ignore", _ce, r_cross_entropy, [((6, 5), (6,)), ((2, 3, 4, 3), (2, 4, 3))],
        RED + [{"label_smoothing": 0.3}], gen=g_classes(ignored=True)),
    row("cross_entropy-w", _ce_w, r_cross_entropy, CLS_W_SHAPES,
        RED + [{"label_smoothing": 0.2}, {"label_smoothing": 0.2, "reduction": "sum"}], gen=g_classes(ignored=True)),
    row("cross_entropy-probs", _ce, r_cross_entropy_probs, [((4, 5), (4, 5)), ((5,), (5,)), ((2, 3, 4), (2, 3, 4))],
        RED + [{"label_smoothing": 0.25}], gen=g_class_probs),
    row("cross_entropy-probs-w", _ce_w, r_cross_entropy_probs, [((4, 5), (4, 5), (5,))],
        RED + [{"label_smoothing": 0.25}], gen=g_class_probs),
    row("nll_loss", F.nll_loss, r_nll, CLS_SHAPES, RED, gen=g_classes(ignored=True)),
    row("nll_loss-ignore1", F.nll_loss, r_nll, CLS_SHAPES[:1], [{"ignore_index": 1}], gen=g_classes()),
    row("nll_loss-w", lambda x, t, w, **kw: F.nll_loss(x, t, weight=w, **kw), r_nll, CLS_W_SHAPES, RED,
        gen=g_classes(ignored=True)),
    row("kl_div", F.kl_div, r_kl, [((3, 4), (3, 4))],
        RED + [{"reduction": "batchmean"}, {"log_target": True, "reduction": "sum"}], gen=g_kl, grad_inputs=[0]),
    row("kl_div-target", F.kl_div, r_kl, [((3, 4), (3, 4))], [{"log_target": True}], gen=g_pair),
    row("poisson_nll_loss", F.poisson_nll_loss, r_poisson, [((3, 4), (3, 4))],
        RED + [{"log_input": False}, {"full": True}, {"log_input": False, "full": True, "reduction": "none"}],
        gen=g_poisson, grad_inputs=[0]),
    row("hinge_embedding_loss", F.hinge_embedding_loss, r_hinge, [((3, 4), (3, 4))], RED + [{"margin": 0.5}],
        gen=g_signs, grad_inputs=[0]),
    row("multi_margin_loss", F.multi_margin_loss, r_multi_margin, [((4, 5), (4,)), ((5,), ())],
        RED + [{"p": 2}, {"margin": 0.5, "reduction": "sum"}], gen=g_classes()),
    row("multi_margin_loss-w", lambda x, t, w, **kw: F.multi_margin_loss(x, t, weight=w, **kw),
        lambda x, t, w, **kw: r_multi_margin(x, t, w, **kw), [((4, 5), (4,), (5,))], RED + [{"p": 2}],
        gen=g_classes()),
    row("multilabel_margin_loss", F.multilabel_margin_loss, r_multilabel, [((4, 5), (4, 5)), ((5,), (5,))], RED,
        gen=g_multilabel),
    row("soft_margin_loss", F.soft_margin_loss, r_soft_margin, [((3, 4), (3, 4))], RED, gen=g_signs,
        grad_inputs=[0]),
    row("margin_ranking_loss", F.margin_ranking_loss, r_margin_ranking, [((6,), (6,), (6,))],
        RED + [{"margin": 0.3}], gen=g_ranking, grad_inputs=[0, 1]),
    row("cosine_embedding_loss", F.cosine_embedding_loss, r_cosine_embedding, [((4, 3), (4, 3), (4,)), ((3,), (3,), ())],
        RED + [{"margin": 0.2}], gen=g_ranking, grad_inputs=[0, 1]),
    row("triplet_margin_loss", F.triplet_margin_loss,
        lambda a, p, n, p_norm=2, **kw: r_triplet(a, p, n, p_norm=p_norm, **kw),
        [((4, 3), (4, 3), (4, 3)), ((3,), (3,), (3,))], RED + [{"margin": 0.5, "swap": True}], gen=g_pair),
    row("triplet_margin_loss-p1", lambda a, p, n, **kw: F.triplet_margin_loss(a, p, n, p=1, **kw),
        lambda a, p, n, **kw: r_triplet(a, p, n, p_norm=1, **kw), [((4, 3), (4, 3), (4, 3))], RED, gen=g_pair),
    row("gaussian_nll_loss", F.gaussian_nll_loss, r_gauss,
        [((4, 3), (4, 3), (4, 3)), ((4, 3), (4, 3), (4,)), ((4, 3), (4, 3), (4, 1))],
        RED + [{"full": True}], gen=g_gauss),
    row("exponential_loss", F.exponential_loss, r_exponential, [((3, 4), (3, 4))], RED, gen=g_signs,
        grad_inputs=[0]),
    row("focal_loss", F.focal_loss, r_focal, [((3, 4), (3, 4)), ((2, 3, 4, 4), (2, 3, 4, 4))],
        RED + [{"alpha": -1, "gamma": 0.0}, {"alpha": 0.5, "gamma": 1.5}], gen=g_logits_binary, grad_inputs=[0]),
    row("softmax_focal_loss", F.softmax_focal_loss, r_softmax_focal, CLS_SHAPES[:1] + SEG,
        RED + [{"gamma": 0.0}, {"gamma": 3.0}],
        gen=g_classes(ignored=True)),
    row("softmax_focal_loss-alpha", lambda x, t, **kw: F.softmax_focal_loss(x, t, alpha=[0.1, 0.5, 0.4], **kw),
        lambda x, t, **kw: r_softmax_focal(x, t, alpha=[0.1, 0.5, 0.4], **kw), SEG, RED, gen=g_classes(ignored=True)),
    row("dice_loss", F.dice_loss, r_dice, [((2, 1, 4, 4), (2, 1, 4, 4)), ((3, 5), (3, 5))],
        RED + [{"smooth": 0.0}], gen=g_logits_binary, grad_inputs=[0]),
    row("dice_loss-multiclass", lambda x, t, **kw: F.dice_loss(x, t, multiclass=True, **kw),
        lambda x, t, **kw: r_dice(x, t, multiclass=True, **kw), SEG + [((4, 3), (4,))],
        RED + [{"smooth": 0.5}], gen=g_classes(ignored=True)),
    row("jaccard_loss", F.jaccard_loss, r_jaccard, [((2, 1, 4, 4), (2, 1, 4, 4))], RED + [{"smooth": 0.1}],
        gen=g_logits_binary, grad_inputs=[0]),
    row("jaccard_loss-multiclass", lambda x, t, **kw: F.jaccard_loss(x, t, multiclass=True, **kw),
        lambda x, t, **kw: r_jaccard(x, t, multiclass=True, **kw), SEG, RED, gen=g_classes(ignored=True)),
    row("ohem_cross_entropy", F.ohem_cross_entropy, r_ohem, SEG + [((8, 4), (8,))],
        RED + [{"thresh": 0.3, "min_kept": 5}, {"thresh": 0.05, "min_kept": 7}, {"thresh": 0.9, "min_kept": 0}],
        gen=g_classes(ignored=True)),
]
