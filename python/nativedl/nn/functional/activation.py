"""Activation functions (torch.nn.functional's names, arguments and defaults).

The numerics are fused C++ kernels (nativedl._C); this module parses arguments. `inplace=True`
writes the result into `input` and returns it, as PyTorch does.
"""
import warnings

from ... import _C

__all__ = ["sigmoid", "tanh", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "hardtanh",
           "hardtanh_", "softplus", "softsign", "logsigmoid", "softmax", "log_softmax", "softmin", "glu"]


def _apply(fn, input, inplace, *args):
    """fn(input, *args), written into input when inplace. The op reads a copy when autograd needs the
    original values for its backward (they are about to be overwritten)."""
    if not inplace:
        return fn(input, *args)
    return input.copy_(fn(input.clone() if input.requires_grad else input, *args))


def sigmoid(input):
    return _C.sigmoid(input)


def tanh(input):
    return _C.tanh(input)


def relu(input, inplace=False):
    return input.relu_() if inplace else _C.relu(input)


def relu_(input):
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace) if inplace else _C._relu6(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply(_C._leaky_relu, input, inplace, float(negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """max(0, x) + weight * min(0, x), with weight of size 1 or of the channel dim (dim 1)."""
    if weight.dim() != 1:
        raise ValueError(f"[prelu] weight must be 1-D, got shape {tuple(weight.shape)}")
    n = weight.shape[0]
    if n != 1:
        channels = input.shape[1] if input.dim() >= 2 else (input.shape[0] if input.dim() == 1 else 1)
        if channels != n:
            raise ValueError(f"[prelu] weight has {n} parameters but input {tuple(input.shape)} has "
                             f"{channels} channels (dim 1)")
        if input.dim() >= 2:
            weight = weight.reshape((n,) + (1,) * (input.dim() - 2))
    return _C.where(input > 0, input, weight * input)


def elu(input, alpha=1.0, inplace=False):
    return _apply(_C._elu, input, inplace, float(alpha))


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    return _apply(_C._selu, input, inplace)


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    return _apply(_C._celu, input, inplace, float(alpha))


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def gelu(input, approximate="none"):
    return _C._gelu(input, approximate)


def silu(input, inplace=False):
    return _apply(_C._silu, input, inplace)


def mish(input, inplace=False):
    return _apply(_C._mish, input, inplace)


def hardsigmoid(input, inplace=False):
    return _apply(_C._hardsigmoid, input, inplace)


def hardswish(input, inplace=False):
    return _apply(_C._hardswish, input, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if not inplace:
        return _C._hardtanh(input, float(min_val), float(max_val))
    _C._hardtanh_(input, float(min_val), float(max_val))  # its backward reads the output: no copy kept
    return input


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def softplus(input, beta=1.0, threshold=20.0):
    return _C._softplus(input, float(beta), float(threshold))


def softsign(input):
    return _C._softsign(input)


def logsigmoid(input):
    return _C._logsigmoid(input)


def _softmax_dim(input, dim, name):
    if dim is None:  # PyTorch's legacy implicit choice (with a deprecation warning there)
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=3)
        return 0 if input.dim() in (0, 1, 3) else 1
    return dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _C.softmax(input, _softmax_dim(input, dim, "softmax"), dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    return _C.log_softmax(input, _softmax_dim(input, dim, "log_softmax"), dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    x = input if dtype is None else input.to(dtype)
    return _C.softmax(-x, _softmax_dim(input, dim, "softmin"), None)


def glu(input, dim=-1):
    """a * sigmoid(b) where a, b are the two halves of input along dim."""
    if input.dim() == 0:
        raise ValueError("[glu] does not support 0-d (scalar) tensors")
    size = input.shape[dim]
    if size % 2:
        raise ValueError(f"[glu] halving dimension must be even, but dimension {dim} of input "
                         f"{tuple(input.shape)} is size {size}")
    a, b = input.chunk(2, dim)
    return a * _C.sigmoid(b)
