"""Differentiable weight penalties to add to a loss.

l2_penalty(params) = sum of p^2 over every element. Adding (wd / 2) * l2_penalty(params) to the loss
adds wd * p to each gradient, which is exactly SGD's weight_decay=wd (for Adam it differs from
decoupled weight decay, AdamW). l1_penalty(params) = sum |p| pushes weights to exactly zero (sparsity),
which weight decay does not; its gradient at 0 is 0 (sign(0))."""
from ... import _C

__all__ = ["l1_penalty", "l2_penalty"]


def _params(name, params):
    if isinstance(params, _C.Tensor):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError(f"[{name}] params is empty")
    for p in params:
        if not isinstance(p, _C.Tensor) or not p.is_floating_point():
            raise TypeError(f"[{name}] params must be floating point tensors, got {type(p).__name__}"
                            + (f" of dtype {p.dtype}" if isinstance(p, _C.Tensor) else ""))
    return params


def l1_penalty(params):
    """sum over params of sum |p| (a 0-d tensor, differentiable)."""
    total = None
    for p in _params("l1_penalty", params):
        s = _C.abs(p).sum()
        total = s if total is None else total + s
    return total


def l2_penalty(params):
    """sum over params of sum p^2 (a 0-d tensor, differentiable)."""
    total = None
    for p in _params("l2_penalty", params):
        s = _C.square(p).sum()
        total = s if total is None else total + s
    return total
