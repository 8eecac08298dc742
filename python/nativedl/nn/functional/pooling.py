"""Pooling: max/avg/adaptive/LP pooling and max unpooling (PyTorch's nn.functional API)."""
from ... import _C
from ._utils import ntuple, single

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    k = single(kernel_size, "kernel_size")
    s = None if stride is None or stride == () or stride == [] else single(stride, "stride")
    return _C.max_pool1d_with_indices(input, k, s, single(padding, "padding"), single(dilation, "dilation"),
                                      ceil_mode)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    s = None if stride is None or stride == () or stride == [] else single(stride, "stride")
    return _C.max_pool1d(input, single(kernel_size, "kernel_size"), s, single(padding, "padding"),
                         single(dilation, "dilation"), ceil_mode)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    s = None if stride is None or stride == () or stride == [] else stride
    return _C.max_pool2d_with_indices(input, kernel_size, s, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    if return_indices:
        return max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    s = None if stride is None or stride == () or stride == [] else stride
    return _C.max_pool2d(input, kernel_size, s, padding, dilation, ceil_mode)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    s = None if stride is None or stride == () or stride == [] else single(stride, "stride")
    return _C.avg_pool1d(input, single(kernel_size, "kernel_size"), s, single(padding, "padding"), ceil_mode,
                         count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    s = None if stride is None or stride == () or stride == [] else stride
    return _C.avg_pool2d(input, kernel_size, s, padding, ceil_mode, count_include_pad, divisor_override)


def _adaptive_size(input, output_size):
    """(oh, ow) with None entries meaning the input's size (PyTorch's convention)."""
    size = ntuple(output_size, 2, "output_size") if not isinstance(output_size, int) else (output_size,) * 2
    return tuple(input.shape[-2 + i] if v is None else v for i, v in enumerate(size))


def adaptive_avg_pool1d(input, output_size):
    return _C.adaptive_avg_pool1d(input, single(output_size, "output_size"))


def adaptive_avg_pool2d(input, output_size):
    return _C.adaptive_avg_pool2d(input, _adaptive_size(input, output_size))


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _C.adaptive_max_pool1d(input, single(output_size, "output_size"))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _C.adaptive_max_pool2d(input, _adaptive_size(input, output_size))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def _lp(x, norm_type, window):
    # (sum over the window of x^p)^(1/p), from the average times the window size; negative
    # averages (odd p) are clipped to 0 as PyTorch does.
    return (x.sign() * x.abs().relu()).mul(float(window)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    k = single(kernel_size, "kernel_size")
    return _lp(avg_pool1d(input.pow(norm_type), k, stride, 0, ceil_mode), norm_type, k)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    kh, kw = ntuple(kernel_size, 2, "kernel_size")
    return _lp(avg_pool2d(input.pow(norm_type), (kh, kw), stride, 0, ceil_mode), norm_type, kh * kw)


def _unpool_size(input, kernel_size, stride, padding, output_size, n, op):
    k = ntuple(kernel_size, n, "kernel_size")
    s = k if stride is None else ntuple(stride, n, "stride")
    p = ntuple(padding, n, "padding")
    spatial = tuple(input.shape[-n:])
    default = tuple((spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(n))
    if output_size is None:
        return default
    size = tuple(output_size)
    if len(size) == n + 2:
        size = size[2:]
    if len(size) != n:
        raise ValueError(f"[{op}] output_size should be a sequence of {n} or {n + 2} ints, got {tuple(output_size)}")
    for i in range(n):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(f"[{op}] invalid output_size {tuple(output_size)} for input {tuple(input.shape)}: "
                             f"each size must lie strictly between {lo} and {hi} (default {default})")
    return size


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    (length,) = _unpool_size(input, kernel_size, stride, padding, output_size, 1, "max_unpool1d")
    return _C.max_unpool2d(input.unsqueeze(-2), indices.unsqueeze(-2), (1, length)).squeeze(-2)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _C.max_unpool2d(input, indices, _unpool_size(input, kernel_size, stride, padding, output_size, 2,
                                                        "max_unpool2d"))
