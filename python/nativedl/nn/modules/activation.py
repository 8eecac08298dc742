"""Activation layers over nn.functional, plus PReLU (learnable slope) and Maxout."""
from ... import _C, _creation
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
           "Hardsigmoid", "Hardswish", "Hardtanh", "Softplus", "Softsign", "LogSigmoid", "Softmax", "LogSoftmax",
           "Softmin", "GLU", "Maxout"]


def _simple(name, fn, doc):
    """A parameter-free activation layer calling fn(input)."""
    cls = type(name, (Module,), {"forward": lambda self, input: fn(input), "__doc__": doc})
    return cls


Sigmoid = _simple("Sigmoid", _C.sigmoid, "1 / (1 + exp(-x))")
Tanh = _simple("Tanh", _C.tanh, "tanh(x)")
Softsign = _simple("Softsign", lambda x: F.softsign(x), "x / (1 + |x|)")
LogSigmoid = _simple("LogSigmoid", lambda x: F.logsigmoid(x), "log(sigmoid(x)), computed stably")


class _Inplace(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


def _inplace(name, fn, doc, show_inplace=True):
    """A parameter-free activation layer calling fn(input, inplace); PyTorch shows `inplace=True` in the
    repr of some of them only."""
    body = {"forward": lambda self, input: fn(input, self.inplace), "__doc__": doc}
    if not show_inplace:
        body["extra_repr"] = lambda self: ""
    return type(name, (_Inplace,), body)


SELU = _inplace("SELU", F.selu, "scale * (max(0, x) + min(0, alpha * (exp(x) - 1)))")
SiLU = _inplace("SiLU", F.silu, "x * sigmoid(x)")
Mish = _inplace("Mish", F.mish, "x * tanh(softplus(x))")
Hardsigmoid = _inplace("Hardsigmoid", F.hardsigmoid, "relu6(x + 3) / 6", show_inplace=False)
Hardswish = _inplace("Hardswish", F.hardswish, "x * relu6(x + 3) / 6", show_inplace=False)


class ReLU(_Inplace):
    def forward(self, input):
        return F.relu(input, inplace=self.inplace)


class ReLU6(_Inplace):
    def forward(self, input):
        return F.relu6(input, inplace=self.inplace)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """max(0, x) + a * min(0, x) with a learnable a: one shared, or one per channel (dim 1)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(_creation.full((num_parameters,), init, dtype=dtype or _C.get_default_dtype()))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate='{self.approximate}'"


class Hardtanh(Module):
    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class _DimActivation(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimActivation):
    _fn = staticmethod(lambda x, dim: F.softmax(x, dim))


class LogSoftmax(_DimActivation):
    _fn = staticmethod(lambda x, dim: F.log_softmax(x, dim))


class Softmin(_DimActivation):
    _fn = staticmethod(lambda x, dim: F.softmin(x, dim))


class GLU(Module):
    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Maxout(Module):
    """Maxout (Goodfellow et al. 2013): the max over `pieces` linear pieces.

    The pieces come from the layer before (e.g. Linear(in, out * pieces)): along `dim`,
    features k*pieces ... (k+1)*pieces - 1 are the pieces of output feature k.
    """

    def __init__(self, pieces, dim=1):
        super().__init__()
        if pieces < 1:
            raise ValueError(f"[Maxout] pieces must be positive, got {pieces}")
        self.pieces, self.dim = pieces, dim

    def forward(self, input):
        d = self.dim % input.ndim
        size = input.shape[d]
        if size % self.pieces:
            raise ValueError(f"[Maxout] input {tuple(input.shape)} has {size} features in dim {d}, not divisible "
                             f"by pieces={self.pieces}")
        return input.unflatten(d, (size // self.pieces, self.pieces)).amax(d + 1)

    def extra_repr(self):
        return f"pieces={self.pieces}, dim={self.dim}"
