"""nativedl.nn.init: in-place initializers with PyTorch's names, formulas and defaults.

Random values come from nativedl's generator (nd.manual_seed, or generator=), so an
initialization is reproducible on every machine.
"""
import math

import numpy as np

from .. import _C, _creation
from ..autograd import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"[calculate_gain] negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"[calculate_gain] unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError("[init] fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
                         f"got shape {tuple(tensor.shape)}")
    receptive = 1
    for s in tuple(tensor.shape)[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fill(tensor, values):
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill(tensor, _creation.rand(tuple(tensor.shape), generator=generator, dtype=tensor.dtype) * (b - a) + a)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill(tensor, _creation.randn(tuple(tensor.shape), generator=generator, dtype=tensor.dtype) * std + mean)


def _erfinv(y):
    """erf^-1 of a float64 tensor in [-1, 1]: Giles' approximation, then two Newton steps on erf."""
    y = _C.clamp(y, -1 + 2.0 ** -52, 1 - 2.0 ** -53)  # keeps erf^-1 finite at the ends
    w = -_C.log((1 - y) * (1 + y))
    central, tail = w - 2.5, _C.sqrt(w) - 3.0
    p = _C.where(w < 5.0, _horner(central, _GILES_CENTRAL), _horner(tail, _GILES_TAIL))
    x = p * y
    for _ in range(2):
        x = x - (_C.erf(x) - y) / (2 / math.sqrt(math.pi) * _C.exp(-x * x))
    return x


def _horner(x, coeffs):
    acc = x * 0 + coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std) restricted to [a, b], by inverting the normal CDF as PyTorch does.

    A uniform draw between the CDF values of a and b goes through erf^-1, so any interval works,
    however far in a tail (rejection sampling would need ~1/P([a, b]) redraws).
    """
    def cdf(v):
        return (1.0 + math.erf((v - mean) / std / math.sqrt(2.0))) / 2.0

    lo, hi = 2 * cdf(a) - 1, 2 * cdf(b) - 1
    u = _creation.rand(tuple(tensor.shape), generator=generator, dtype=_C.dtype.float64) * (hi - lo) + lo
    values = _C.clamp(_erfinv(u) * (std * math.sqrt(2.0)) + mean, a, b)
    return _fill(tensor, values)


def constant_(tensor, val):
    with no_grad():
        tensor.fill_(val)
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    if tensor.ndim != 2:
        raise ValueError(f"[eye_] only tensors with 2 dimensions are supported, got shape {tuple(tensor.shape)}")
    return _fill(tensor, _creation.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor, groups=1):
    """Identity-preserving conv weights: out channel i of each group copies in channel i."""
    shape = tuple(tensor.shape)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"[dirac_] only tensors with 3, 4, or 5 dimensions are supported, got {shape}")
    if shape[0] % groups != 0:
        raise ValueError(f"[dirac_] dim 0 ({shape[0]}) must be divisible by groups ({groups})")
    out_per_group = shape[0] // groups
    w = np.zeros(shape, dtype=np.float64)
    centre = tuple(s // 2 for s in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, _creation.tensor(w, dtype=tensor.dtype))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"[kaiming] mode {mode} not supported, please use fan_in or fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if tensor.numel() == 0:
        return tensor  # nothing to fill, and a zero fan would divide by zero (PyTorch: a no-op)
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian draw.

    The one-time factorization uses NumPy's LAPACK; nativedl has no QR of its own.
    """
    if tensor.ndim < 2:
        raise ValueError("[orthogonal_] only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _creation.randn(rows, cols, generator=generator, dtype=_C.dtype.float64).numpy()
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, _creation.tensor(gain * q.reshape(tuple(tensor.shape)), dtype=tensor.dtype))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Each column gets ceil(sparsity * rows) zeros at random rows; the rest N(0, std)."""
    if tensor.ndim != 2:
        raise ValueError("[sparse_] only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    values = _creation.randn(rows, cols, generator=generator, dtype=tensor.dtype) * std
    mask = np.ones((rows, cols), dtype=bool)
    for c in range(cols):
        mask[_creation.randperm(rows, generator=generator).numpy()[:num_zeros], c] = False
    return _fill(tensor, values * _creation.tensor(mask, dtype=tensor.dtype))
