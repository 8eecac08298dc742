"""Convolutions with PyTorch's functional signatures. Arguments are parsed here; the
numerics (and every check on shapes) are nativedl._C's."""
from ... import _C

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _ints(value, n, name, op):
    """An int or a sequence of n ints as an n-tuple."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or len(items) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise TypeError(f"[{op}] {name} must be an int or a tuple of {n} ints, got {value!r}")
    return items


def _padding(input, weight, padding, stride, dilation, n, op):
    """(input, explicit padding) for an int, tuple, 'valid' or 'same' padding.

    'same' pads d * (k - 1) in total per dim, half on each side; an odd total puts the extra
    element on the right/bottom, as PyTorch does, by padding the input first."""
    if not isinstance(padding, str):
        return input, _ints(padding, n, "padding", op)
    if padding == "valid":
        return input, (0,) * n
    if padding != "same":
        raise ValueError(f"[{op}] padding must be 'same', 'valid', an int or a tuple of {n} ints, got {padding!r}")
    if any(s != 1 for s in stride):
        raise ValueError(f"[{op}] padding='same' is not supported for strided convolutions, got stride {stride}")
    if weight.dim() != n + 2:
        raise ValueError(f"[{op}] expected a {n + 2}D weight, got weight of shape {tuple(weight.shape)}")
    totals = [d * (k - 1) for d, k in zip(dilation, tuple(weight.shape)[2:])]
    extra = [t % 2 for t in totals]
    if any(extra):
        pads = []
        for e in reversed(extra):  # nd.pad lists the last dim first
            pads += [0, e]
        input = _C.pad(input, pads)
    return input, tuple(t // 2 for t in totals)


def _conv(op, n, input, weight, bias, stride, padding, dilation, groups):
    stride = _ints(stride, n, "stride", op)
    dilation = _ints(dilation, n, "dilation", op)
    input, padding = _padding(input, weight, padding, stride, dilation, n, op)
    if n == 1:
        return _C.conv1d(input, weight, bias, stride[0], padding[0], dilation[0], groups)
    return _C.conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over input (N, C, L) with weight (O, C / groups, k); padding may be
    an int, a 1-tuple, 'valid' or 'same' (stride 1 only)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over input (N, C, H, W) with weight (O, C / groups, kH, kW); padding may
    be an int, a pair, 'valid' or 'same' (stride 1 only)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(op, n, input, weight, bias, stride, padding, output_padding, groups, dilation):
    stride = _ints(stride, n, "stride", op)
    padding = _ints(padding, n, "padding", op)
    output_padding = _ints(output_padding, n, "output_padding", op)
    dilation = _ints(dilation, n, "dilation", op)
    if n == 1:
        return _C.conv_transpose1d(input, weight, bias, stride[0], padding[0], output_padding[0], groups, dilation[0])
    return _C.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-D convolution (the adjoint of conv1d in its input): input (N, C_in, L),
    weight (C_in, O / groups, k); output length (L - 1) s - 2p + d (k - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-D convolution (the adjoint of conv2d in its input): input (N, C_in, H, W),
    weight (C_in, O / groups, kH, kW); output size per dim (i - 1) s - 2p + d (k - 1) + output_padding + 1."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
