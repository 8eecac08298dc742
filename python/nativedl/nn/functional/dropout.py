"""Dropout with nativedl's seeded generator (nd.manual_seed gives the same masks)."""
from ... import _C

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the rest by 1 / (1 - p)."""
    return _C.dropout_(input, p, training) if inplace else _C.dropout(input, p, training)


def _feature(fn, input, p, training, inplace, batched_dim, name):
    """Feature dropout of an (N, C, ...) input; one dim less means an unbatched (C, ...) input."""
    if input.dim() not in (batched_dim - 1, batched_dim):
        raise ValueError(f"[{name}] expected a {batched_dim - 1}-d (unbatched) or {batched_dim}-d (batched) input, "
                         f"got shape {tuple(input.shape)}")
    batched = input.dim() == batched_dim
    out = fn(input if batched else input.unsqueeze(0), p, training)
    out = out if batched else out.squeeze(0)
    return input.copy_(out) if inplace else out


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature(_C.feature_dropout, input, p, training, inplace, 3, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _feature(_C.feature_dropout, input, p, training, inplace, 4, "dropout2d")


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature(_C.feature_dropout, input, p, training, inplace, 5, "dropout3d")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    out = _C.alpha_dropout(input, p, training)
    return input.copy_(out) if inplace and out is not input else out


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    out = _C.feature_alpha_dropout(input, p, training)
    return input.copy_(out) if inplace and out is not input else out
