"""Loss functions: PyTorch's (torch.nn.functional names, arguments, defaults and reductions) and
nativedl's additions in the same style (exponential, focal, dice, jaccard, OHEM cross-entropy).

Each loss composes whole-tensor nativedl ops; the numerically delicate parts are fused, stable
C++ kernels: log_softmax (cross_entropy, nll paths, softmax focal/dice), logsigmoid / softplus
(binary_cross_entropy_with_logits, soft_margin, sigmoid focal). Nothing here loops over elements.
"""
import math
import warnings

from ... import _C
from ..._creation import arange, full_like, ones_like, zeros_like
from ..._dtypes import int64

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div", "poisson_nll_loss",
           "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss", "soft_margin_loss",
           "margin_ranking_loss", "cosine_embedding_loss", "triplet_margin_loss", "gaussian_nll_loss",
           "exponential_loss", "focal_loss", "softmax_focal_loss", "dice_loss", "jaccard_loss",
           "ohem_cross_entropy"]

_REDUCTIONS = ("none", "mean", "sum")


# ---------------------------------------------------------------- argument helpers

def _reduction(name, reduction, size_average=None, reduce=None, allowed=_REDUCTIONS):
    """The reduction, honouring PyTorch's deprecated size_average/reduce pair."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(f"[{name}] reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _shape(t):
    return tuple(t.shape)


def _check_tensor(name, arg, t):
    if not isinstance(t, _C.Tensor):
        raise TypeError(f"[{name}] {arg} must be a Tensor, got {type(t).__name__}")


def _check_float(name, arg, t):
    _check_tensor(name, arg, t)
    if not t.is_floating_point():
        raise TypeError(f"[{name}] {arg} must be a floating point tensor, got dtype {t.dtype}")


def _check_same_shape(name, input, target, arg="target"):
    if _shape(input) != _shape(target):
        raise ValueError(f"[{name}] {arg} size {_shape(target)} must be the same as input size {_shape(input)}")


def _pointwise_pair(name, input, target):
    """Regression losses broadcast input against target, warning on a size mismatch as PyTorch."""
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    if _shape(input) != _shape(target):
        warnings.warn(f"[{name}] using a target size {_shape(target)} that is different to the input size "
                      f"{_shape(input)}: they are broadcast, which is likely not what you want", stacklevel=3)
    return input, target


def _class_weight(name, weight, num_classes, like):
    if weight is None:
        return None
    _check_float(name, "weight", weight)
    if _shape(weight) != (num_classes,):
        raise ValueError(f"[{name}] weight must be a 1-D tensor of {num_classes} elements (one per class), "
                         f"got shape {_shape(weight)}")
    return weight.to(like.dtype)


# ---------------------------------------------------------------- regression

def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    input, target = _pointwise_pair("mse_loss", input, target)
    return _reduce(_C.square(input - target), reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    input, target = _pointwise_pair("l1_loss", input, target)
    return _reduce(_C.abs(input - target), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (plain L1 when beta == 0)."""
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"[smooth_l1_loss] beta must be non-negative, got {beta}")
    input, target = _pointwise_pair("smooth_l1_loss", input, target)
    d = _C.abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(_C.where(d < beta, _C.square(d) * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); `weight` scales each element."""
    reduction = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"[huber_loss] delta must be positive, got {delta}")
    input, target = _pointwise_pair("huber_loss", input, target)
    d = _C.abs(input - target)
    loss = _C.where(d < delta, _C.square(d) * 0.5, (d - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- binary classification

def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-(t log x + (1 - t) log(1 - x)) on probabilities x, each log clamped at -100 as PyTorch."""
    name = "binary_cross_entropy"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_float(name, "target", target)
    _check_same_shape(name, input, target)
    if input.numel() and bool(((input < 0) | (input > 1)).any()):
        raise ValueError(f"[{name}] all elements of input should be between 0 and 1 (probabilities); "
                         "use binary_cross_entropy_with_logits for logits")
    log_x = _C.clamp(_C.log(input), -100.0, None)
    log_1mx = _C.clamp(_C.log1p(-input), -100.0, None)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """(1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x): finite for any logit x."""
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_float(name, "target", target)
    _check_same_shape(name, input, target)
    log_sig = _C._logsigmoid(input)
    if pos_weight is not None:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * log_sig
    else:
        loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- multi-class classification

def _class_targets(name, input, target, ignore_index):
    """Checks class-index targets against input (N, C, d1, ...) or (C,) and returns
    (input as (N, C, ...), target as (N, ...), valid mask, unbatched flag)."""
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    if target.dtype != int64:
        raise TypeError(f"[{name}] class-index target must have dtype int64, got {target.dtype}"
                        + (" (for class probabilities, target must have the input's shape)"
                           if target.is_floating_point() else ""))
    if input.dim() == 0:
        raise ValueError(f"[{name}] input must have at least 1 dim (C,) or (N, C, ...), got a 0-d tensor")
    unbatched = input.dim() == 1
    if unbatched:
        if target.dim() != 0:
            raise ValueError(f"[{name}] for an unbatched input of shape {_shape(input)}, target must be 0-d, "
                             f"got shape {_shape(target)}")
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    expected = (input.shape[0],) + _shape(input)[2:]
    if _shape(target) != expected:
        if target.dim() >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(f"[{name}] expected input batch size ({input.shape[0]}) to match target batch "
                             f"size ({target.shape[0]}): input {_shape(input)}, target {_shape(target)}")
        raise ValueError(f"[{name}] expected target of shape {expected} for input {_shape(input)}, "
                         f"got {_shape(target)}")
    num_classes = input.shape[1]
    valid = target != ignore_index if ignore_index is not None else target == target
    bad = valid & ((target < 0) | (target >= num_classes))
    if target.numel() and bool(bad.any()):
        first = int(target[bad].reshape(-1)[0])
        raise IndexError(f"[{name}] target {first} is out of bounds for {num_classes} classes "
                         f"(valid: 0..{num_classes - 1}, or ignore_index={ignore_index})")
    return input, target, valid, unbatched


def _pick_class(x, safe_target):
    """x[n, target[n, ...], ...] for x of shape (N, C, ...)."""
    return x.gather(1, safe_target.unsqueeze(1)).squeeze(1)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """-weight[t] * input[n, t] for log-probabilities input; 'mean' divides by the summed weights of the
    targets that are not ignore_index (as PyTorch)."""
    name = "nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    x, t, valid, unbatched = _class_targets(name, input, target, ignore_index)
    weight = _class_weight(name, weight, x.shape[1], x)
    loss, w = _nll(x, t, valid, weight)
    if reduction == "mean":
        return loss.sum() / w.sum()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _nll(logp, target, valid, weight):
    """(per-element loss, per-element weight), both 0 where ignored."""
    safe = _C.where(valid, target, zeros_like(target))
    w = valid.to(logp.dtype)
    if weight is not None:
        w = w * weight[safe]
    return -_pick_class(logp, safe) * w, w


def _reduce_rows(loss, valid, reduction, unbatched):
    """Per-row losses (0 where ignored) reduced as cross_entropy does: 'mean' over the rows kept."""
    if reduction == "mean":
        return loss.sum() / valid.to(loss.dtype).sum()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim (dim 1, or 0 for an unbatched (C,) input), then the negative
    log-likelihood of class-index targets or the cross-entropy with class-probability targets."""
    name = "cross_entropy"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[{name}] label_smoothing must be in [0, 1], got {label_smoothing}")
    if target.is_floating_point():
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if (weight is None and label_smoothing == 0 and ignore_index is not None and input.dim() == 2
            and target.dim() == 1 and target.dtype == int64 and target.shape[0] == input.shape[0]
            and not input.is_cuda):
        # the common case in one fused CPU op each way; it checks the targets itself
        loss = _C._cross_entropy_rows(input, target, ignore_index)
        return _reduce_rows(loss, target != ignore_index, reduction, False)
    x, t, valid, unbatched = _class_targets(name, input, target, ignore_index)
    num_classes = x.shape[1]
    weight = _class_weight(name, weight, num_classes, x)
    logp = _C.log_softmax(x, 1, None)
    loss, w = _nll(logp, t, valid, weight)
    if label_smoothing > 0:
        # PyTorch: (1 - eps) nll + eps / C * (-sum_c weight_c logp_c), the second term zero where ignored
        wlogp = logp if weight is None else logp * weight.reshape((num_classes,) + (1,) * (logp.dim() - 2))
        smooth = -wlogp.sum(1) * valid.to(logp.dtype)
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / num_classes)
    if reduction == "mean":
        return loss.sum() / w.sum()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    name = "cross_entropy"
    _check_same_shape(name, input, target)
    if input.dim() == 0:
        raise ValueError(f"[{name}] input must have at least 1 dim, got a 0-d tensor")
    class_dim = 0 if input.dim() == 1 else 1
    num_classes = input.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / num_classes
    logp = _C.log_softmax(input, class_dim, None)
    if weight is not None:
        weight = _class_weight(name, weight, num_classes, input)
        logp = logp * weight.reshape((num_classes,) + (1,) * (input.dim() - class_dim - 1))
    loss = -(logp * target).sum(class_dim)
    if reduction == "mean" and loss.numel() == 0:
        return loss.sum() * math.nan  # PyTorch: the mean over no samples is NaN
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """target * (log target - input) pointwise (0 where target is 0); input holds log-probabilities.
    reduction='batchmean' divides the sum by the batch size (the mathematical KL divergence)."""
    name = "kl_div"
    reduction = _reduction(name, reduction, size_average, reduce, allowed=_REDUCTIONS + ("batchmean",))
    _check_float(name, "input", input)
    _check_float(name, "target", target)
    if log_target:
        loss = _C.exp(target) * (target - input)
    else:
        positive = target > 0
        safe = _C.where(positive, target, ones_like(target))
        loss = _C.where(positive, target * (_C.log(safe) - input), zeros_like(input * target))
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target * input (log_input) or input - target * log(input + eps), plus Stirling's
    term target log target - target + 0.5 log(2 pi target) where target > 1 when full."""
    name = "poisson_nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input, target = _pointwise_pair(name, input, target)
    loss = _C.exp(input) - target * input if log_input else input - target * _C.log(input + eps)
    if full:
        big = target > 1
        safe = _C.where(big, target, ones_like(target))
        stirling = safe * _C.log(safe) - safe + 0.5 * _C.log(2 * math.pi * safe)
        loss = loss + _C.where(big, stirling, zeros_like(stirling))
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- margin and embedding losses

def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1."""
    name = "hinge_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    zeros = zeros_like(input)
    loss = (_C.where(target != 1, _C.clamp(margin - input, 0.0, None), zeros)
            + _C.where(target != -1, input, zeros))
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """sum over i != y of weight[y] * max(0, margin - x[y] + x[i])^p / C (the multi-class hinge)."""
    name = "multi_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"[{name}] only p == 1 and p == 2 are supported, got p={p}")
    x, t, _, unbatched = _class_targets(name, input, target, ignore_index=None)
    if x.dim() != 2:
        raise ValueError(f"[{name}] input must be (C,) or (N, C), got shape {_shape(input)}")
    num_classes = x.shape[1]
    weight = _class_weight(name, weight, num_classes, x)
    x_y = _pick_class(x, t).unsqueeze(1)
    h = _C.clamp(margin - x_y + x, 0.0, None)
    if p == 2:
        h = _C.square(h)
    if weight is not None:
        h = h * weight[t].unsqueeze(1)
    not_y = arange(num_classes, device=x.device).unsqueeze(0) != t.unsqueeze(1)
    loss = (h * not_y.to(x.dtype)).sum(1) / num_classes
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """For each sample: target lists class indices up to the first -1; the loss sums
    max(0, 1 - (x[j] - x[i])) over listed j and unlisted i, divided by C."""
    name = "multilabel_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    if target.dtype != int64:
        raise TypeError(f"[{name}] target must have dtype int64, got {target.dtype}")
    _check_same_shape(name, input, target)
    if input.dim() not in (1, 2):
        raise ValueError(f"[{name}] input must be (C,) or (N, C), got shape {_shape(input)}")
    unbatched = input.dim() == 1
    x, t = (input.unsqueeze(0), target.unsqueeze(0)) if unbatched else (input, target)
    num_classes = x.shape[1]
    listed = _C.cumprod((t != -1).to(int64), 1) > 0  # entries before the first -1
    bad = listed & ((t < 0) | (t >= num_classes))
    if t.numel() and bool(bad.any()):
        raise IndexError(f"[{name}] target {int(t[bad].reshape(-1)[0])} is out of bounds for {num_classes} classes")
    safe = _C.where(listed, t, zeros_like(t))
    is_target = zeros_like(x).scatter_add(1, safe, listed.to(x.dtype)) > 0
    x_j = x.gather(1, safe)
    pair = _C.clamp(1 - x_j.unsqueeze(2) + x.unsqueeze(1), 0.0, None)  # (N, j, i)
    mask = listed.unsqueeze(2) & (~is_target).unsqueeze(1)
    loss = (pair * mask.to(x.dtype)).sum((1, 2)) / num_classes
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), the logistic loss, computed as softplus(-y x)."""
    name = "soft_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    _check_same_shape(name, input, target)
    return _reduce(_C._softplus(-(target * input), 1.0, 20.0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -y (x1 - x2) + margin)."""
    name = "margin_ranking_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input1", input1)
    _check_float(name, "input2", input2)
    _check_tensor(name, "target", target)
    if not (input1.dim() == input2.dim() == target.dim()):
        raise ValueError(f"[{name}] all inputs should have the same number of dims, got input1 {_shape(input1)}, "
                         f"input2 {_shape(input2)}, target {_shape(target)}")
    return _reduce(_C.clamp(-target * (input1 - input2) + margin, 0.0, None), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    name = "cosine_embedding_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_float(name, "input1", input1)
    _check_float(name, "input2", input2)
    _check_tensor(name, "target", target)
    if _shape(input1) != _shape(input2):
        raise ValueError(f"[{name}] input1 {_shape(input1)} and input2 {_shape(input2)} must have the same shape")
    if input1.dim() not in (1, 2) or target.dim() != input1.dim() - 1 or (
            input1.dim() == 2 and target.shape[0] != input1.shape[0]):
        raise ValueError(f"[{name}] expected inputs (N, D) with target (N,) or (D,) with a 0-d target, got "
                         f"input1 {_shape(input1)}, target {_shape(target)}")
    eps = 1e-12  # as PyTorch, keeps zero vectors finite
    dot = (input1 * input2).sum(-1)
    denom = _C.sqrt(((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps))
    cos = dot / denom
    zeros = zeros_like(cos)
    loss = _C.where(target == 1, 1 - cos, zeros) + _C.where(target == -1, _C.clamp(cos - margin, 0.0, None), zeros)
    return _reduce(loss, reduction)


def _pairwise_distance(x1, x2, p, eps):
    return _C.norm(x1 - x2 + eps, p, -1)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with d the p-norm distance of pairwise_distance."""
    name = "triplet_margin_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    for arg, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_float(name, arg, t)
    if not (anchor.dim() == positive.dim() == negative.dim()) or anchor.dim() not in (1, 2):
        raise ValueError(f"[{name}] anchor, positive and negative must all be (D,) or (N, D), got "
                         f"{_shape(anchor)}, {_shape(positive)}, {_shape(negative)}")
    if margin <= 0:
        raise ValueError(f"[{name}] margin must be greater than 0, got {margin}")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _C.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce(_C.clamp(margin + d_pos - d_neg, 0.0, None), reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi when full); var is clamped at eps for
    the value only, so its gradient passes through unchanged, as PyTorch."""
    name = "gaussian_nll_loss"
    reduction = _reduction(name, reduction)
    _check_float(name, "input", input)
    _check_float(name, "target", target)
    if isinstance(var, (int, float)):
        var = full_like(input, float(var))
    _check_float(name, "var", var)
    if _shape(var) != _shape(input):
        if _shape(input)[:-1] == _shape(var):
            var = var.unsqueeze(-1)
        elif not (_shape(input)[:-1] == _shape(var)[:-1] and var.shape[-1] == 1):
            raise ValueError(f"[{name}] var of shape {_shape(var)} is incompatible with input {_shape(input)}")
    if var.numel() and bool((var < 0).any()):
        raise ValueError(f"[{name}] var has negative entries")
    v = var.detach()
    var = var + (_C.clamp(v, eps, None) - v)
    loss = 0.5 * (_C.log(var) + _C.square(input - target) / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- beyond PyTorch

def exponential_loss(input, target, reduction="mean"):
    """exp(-y f) for labels y in {-1, +1} and scores f: AdaBoost's loss."""
    name = "exponential_loss"
    reduction = _reduction(name, reduction)
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    _check_same_shape(name, input, target)
    if target.numel() and not bool(((target == 1) | (target == -1)).all()):
        raise ValueError(f"[{name}] target must hold -1 and +1 labels only")
    return _reduce(_C.exp(-(target.to(input.dtype) * input)), reduction)


def _modulate(loss, one_minus_pt, gamma):
    """loss * (1 - p_t)^gamma; gamma == 0 is plain loss (0^0 would give a NaN gradient), and the
    common gamma == 2 is a square (a multiply, where pow is a libm call per element)."""
    if gamma == 0:
        return loss
    return loss * (_C.square(one_minus_pt) if gamma == 2 else one_minus_pt ** gamma)


def focal_loss(input, target, alpha=0.25, gamma=2.0, reduction="mean"):
    """Sigmoid focal loss of RetinaNet (Lin et al. 2017) on logits:
    alpha_t (1 - p_t)^gamma BCE-with-logits(x, t), alpha_t = alpha t + (1 - alpha)(1 - t); alpha < 0 disables
    the weighting. Same formula as torchvision.ops.sigmoid_focal_loss (there reduction defaults to 'none')."""
    name = "focal_loss"
    reduction = _reduction(name, reduction)
    _check_float(name, "input", input)
    _check_float(name, "target", target)
    _check_same_shape(name, input, target)
    if gamma < 0:
        raise ValueError(f"[{name}] gamma must be non-negative, got {gamma}")
    ce = binary_cross_entropy_with_logits(input, target, reduction="none")
    p = _C.sigmoid(input)
    one_minus_pt = p + target - 2 * p * target  # 1 - (p t + (1 - p)(1 - t))
    loss = _modulate(ce, one_minus_pt, gamma)
    if alpha >= 0:
        loss = loss * (alpha * target + (1 - alpha) * (1 - target))
    return _reduce(loss, reduction)


def softmax_focal_loss(input, target, alpha=None, gamma=2.0, ignore_index=-100, reduction="mean"):
    """Multi-class focal loss: -alpha[t] (1 - p_t)^gamma log p_t with p = softmax over dim 1; alpha is None or
    one weight per class. 'mean' averages over the targets that are not ignore_index."""
    name = "softmax_focal_loss"
    reduction = _reduction(name, reduction)
    if gamma < 0:
        raise ValueError(f"[{name}] gamma must be non-negative, got {gamma}")
    x, t, valid, unbatched = _class_targets(name, input, target, ignore_index)
    if alpha is not None and not isinstance(alpha, _C.Tensor):
        alpha = _as_tensor(alpha, x)
    alpha = _class_weight(name, alpha, x.shape[1], x)
    logp = _C.log_softmax(x, 1, None)
    safe = _C.where(valid, t, zeros_like(t))
    logp_t = _pick_class(logp, safe)
    vmask = valid.to(x.dtype)
    loss = -_modulate(logp_t, 1 - _C.exp(logp_t), gamma) * vmask
    if alpha is not None:
        loss = loss * alpha[safe]
    if reduction == "mean":
        return loss.sum() / vmask.sum()
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _as_tensor(values, like):
    import numpy as np
    return _C.from_numpy(np.asarray(values, dtype=np.float64)).to(like.device, like.dtype)


def _overlap_terms(name, input, target, multiclass, ignore_index):
    """Per-(sample[, class]) intersection and the two sums for dice / jaccard:
    probabilities p = sigmoid(input) (binary) or softmax(input, 1) against the one-hot of class targets."""
    _check_float(name, "input", input)
    _check_tensor(name, "target", target)
    if multiclass:
        x, t, valid, _ = _class_targets(name, input, target, ignore_index)
        if x.dim() < 2 or input.dim() < 2:
            raise ValueError(f"[{name}] multiclass input must be (N, C, ...), got {_shape(input)}")
        p = _C.softmax(x, 1, None)
        safe = _C.where(valid, t, zeros_like(t)).unsqueeze(1)
        vmask = valid.to(x.dtype).unsqueeze(1)
        onehot = zeros_like(p).scatter_add(1, safe, vmask)
        p = p * vmask
        dims = tuple(range(2, p.dim()))
        if not dims:  # (N, C): each sample is one "pixel"
            p, onehot = p.unsqueeze(2), onehot.unsqueeze(2)
            dims = (2,)
    else:
        if not target.is_floating_point():
            raise TypeError(f"[{name}] binary target must be a floating point tensor of 0/1 (or soft) labels with "
                            f"the input's shape, got dtype {target.dtype}; pass multiclass=True for class indices")
        _check_same_shape(name, input, target)
        if input.dim() == 0:
            raise ValueError(f"[{name}] input must have a batch dim, got a 0-d tensor")
        p, onehot = _C.sigmoid(input), target
        dims = tuple(range(1, p.dim()))
        if not dims:
            p, onehot = p.unsqueeze(1), onehot.unsqueeze(1)
            dims = (1,)
    inter = (p * onehot).sum(dims)
    return inter, p.sum(dims), onehot.sum(dims)


def dice_loss(input, target, smooth=1.0, multiclass=False, ignore_index=-100, reduction="mean"):
    """1 - (2 |P.T| + smooth) / (|P| + |T| + smooth) per sample (averaged over classes when multiclass).

    Binary: input logits (N, ...), target 0/1 of the same shape, P = sigmoid(input).
    Multiclass: input logits (N, C, ...), target int64 class indices (N, ...), P = softmax over dim 1,
    T = one-hot of target; pixels equal to ignore_index count in neither. 'none' returns one loss per sample."""
    name = "dice_loss"
    reduction = _reduction(name, reduction)
    inter, sp, st = _overlap_terms(name, input, target, multiclass, ignore_index)
    loss = 1 - (2 * inter + smooth) / (sp + st + smooth)
    if multiclass:
        loss = loss.mean(1)
    return _reduce(loss, reduction)


def jaccard_loss(input, target, smooth=1.0, multiclass=False, ignore_index=-100, reduction="mean"):
    """Soft IoU loss: 1 - (|P.T| + smooth) / (|P| + |T| - |P.T| + smooth), same inputs as dice_loss."""
    name = "jaccard_loss"
    reduction = _reduction(name, reduction)
    inter, sp, st = _overlap_terms(name, input, target, multiclass, ignore_index)
    loss = 1 - (inter + smooth) / (sp + st - inter + smooth)
    if multiclass:
        loss = loss.mean(1)
    return _reduce(loss, reduction)


def ohem_cross_entropy(input, target, thresh=0.7, min_kept=100000, weight=None, ignore_index=-100,
                       reduction="mean"):
    """Online hard example mining cross-entropy (as the OhemCrossEntropy of HRNet / OCNet): keeps the targets
    whose predicted probability of the true class is below `thresh`, or, when fewer than `min_kept` are, the
    `min_kept` targets with the lowest such probability; 'mean' averages the cross-entropy over those only.
    'none' returns every target's loss with zeros where not kept."""
    name = "ohem_cross_entropy"
    reduction = _reduction(name, reduction)
    if min_kept < 0:
        raise ValueError(f"[{name}] min_kept must be non-negative, got {min_kept}")
    x, t, valid, unbatched = _class_targets(name, input, target, ignore_index)
    weight = _class_weight(name, weight, x.shape[1], x)
    logp = _C.log_softmax(x, 1, None)
    loss, _ = _nll(logp, t, valid, weight)
    safe = _C.where(valid, t, zeros_like(t))
    with _no_grad():
        p_t = _C.exp(_pick_class(logp, safe))
        p_t = _C.where(valid, p_t, full_like(p_t, math.inf))  # ignored targets sort last, never kept
        keep = valid & (p_t < thresh)
        n_valid = int(valid.sum())
        k = min(min_kept, n_valid)
        if int(keep.sum()) < k:
            flat = p_t.reshape(-1)
            kth = flat.sort().values[k - 1]
            keep = valid & (p_t <= kth)
    kept = keep.to(loss.dtype)
    loss = loss * kept
    if reduction == "mean":
        return loss.sum() / _C.clamp(kept.sum(), 1.0, None)
    if reduction == "sum":
        return loss.sum()
    return loss.squeeze(0) if unbatched else loss


def _no_grad():
    from ...autograd import no_grad
    return no_grad()
