"""Normalization: batch, layer, group, instance and local response norm (PyTorch's API)."""
from ... import _C
from .pooling import avg_pool2d

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over dim 1 of an (N, C, ...) input.

    training: normalizes with the batch mean and biased variance and updates running_mean and
    running_var in place: running = (1 - momentum) * running + momentum * batch_statistic, the
    variance taken unbiased. momentum must be a number: a module whose momentum is None (a
    cumulative average) passes its factor 1 / num_batches_tracked here, as PyTorch's BatchNorm does.
    Not training: normalizes with running_mean and running_var.
    """
    if momentum is None:
        raise TypeError("[batch_norm] momentum must be a number; for a cumulative average pass "
                        "1 / num_batches_tracked")
    return _C.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    return _C.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    return _C.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    return _C.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha / size * sum of x^2 over `size` neighbouring channels)^beta (zero-padded)."""
    if input.dim() < 3:
        raise ValueError(f"[local_response_norm] expected an input with 3 or more dims (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    sq = (input * input).reshape(n, 1, c, -1)
    # Average of x^2 over a window of `size` channels, zero-padded (size // 2 before, (size - 1) // 2 after).
    sq = _C.pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(sq, (size, 1), stride=1).reshape(input.shape)
    return input / (div * alpha + k).pow(beta)
