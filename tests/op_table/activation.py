"""Op-table rows of the activations (nativedl.nn.functional), with NumPy references written from
each function's definition."""
import math

import numpy as np

import nativedl as nd
import nativedl.nn.functional as F
from op_table import OpInfo

SHAPES = [((),), ((7,),), ((3, 5),), ((2, 3, 4),), ((0, 3),)]
GRAD_SHAPES = [((7,),), ((2, 3, 2),)]
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    bx = beta * x
    return np.where(bx > threshold, x, np.log1p(np.exp(np.minimum(bx, threshold))) / beta)


def _gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def _prelu(x, w):
    if w.size > 1 and x.ndim >= 2:
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


def _glu(x, dim=-1):
    a, b = np.split(x, 2, axis=dim)
    return a * _sig(b)


def pointwise(name, fn, ref, kwargs=({},), low=-3.0, high=3.0):
    return OpInfo(name, fn, ref, SHAPES, kwargs, low=low, high=high, grad_shapes=GRAD_SHAPES)


DIM_SHAPES = [((3, 5),), ((2, 3, 4),), ((2, 3, 300),), ((2, 300, 3),)]
DIM_KW = [{"dim": 1}, {"dim": -1}, {"dim": 0}]

ROWS = [
    pointwise("relu6", F.relu6, lambda x: np.clip(x, 0, 6), low=-8, high=8),
    pointwise("leaky_relu", F.leaky_relu, lambda x, negative_slope=0.01: np.where(x > 0, x, negative_slope * x),
              [{}, {"negative_slope": 0.2}]),
    pointwise("hardtanh", F.hardtanh, lambda x, min_val=-1.0, max_val=1.0: np.clip(x, min_val, max_val),
              [{}, {"min_val": -0.5, "max_val": 1.5}]),
    pointwise("elu", F.elu, _elu, [{}, {"alpha": 0.5}]),
    pointwise("selu", F.selu, lambda x: SELU_SCALE * _elu(x, SELU_ALPHA)),
    pointwise("celu", F.celu, lambda x, alpha=1.0: np.maximum(0, x) + np.minimum(0, alpha * (np.exp(x / alpha) - 1)),
              [{}, {"alpha": 2.0}]),
    pointwise("gelu", F.gelu, _gelu, [{}, {"approximate": "tanh"}]),
    pointwise("silu", F.silu, lambda x: x * _sig(x)),
    pointwise("mish", F.mish, lambda x: x * np.tanh(_softplus(x))),
    pointwise("hardsigmoid", F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, low=-5, high=5),
    pointwise("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, low=-5, high=5),
    pointwise("softplus", F.softplus, _softplus, [{}, {"beta": 2.0, "threshold": 1.0}]),
    pointwise("softsign", F.softsign, lambda x: x / (1 + np.abs(x))),
    pointwise("logsigmoid", F.logsigmoid, lambda x: -_softplus(-x)),
    OpInfo("softmax", lambda x, dim: nd.softmax(x, dim), _softmax, DIM_SHAPES, DIM_KW,
           grad_shapes=[((3, 5),), ((2, 3, 4),)], covers=("log_softmax",)),
    OpInfo("log_softmax", lambda x, dim: nd.log_softmax(x, dim), _log_softmax, DIM_SHAPES, DIM_KW,
           grad_shapes=[((3, 5),), ((2, 3, 4),)]),
    OpInfo("F.softmax", F.softmax, _softmax, DIM_SHAPES, DIM_KW, grad_shapes=[((2, 3, 4),)]),
    OpInfo("F.log_softmax", F.log_softmax, _log_softmax, DIM_SHAPES, DIM_KW, grad_shapes=[((2, 3, 4),)]),
    OpInfo("softmin", F.softmin, lambda x, dim: _softmax(-x, dim), DIM_SHAPES[:2], DIM_KW,
           grad_shapes=[((2, 3, 4),)]),
    OpInfo("glu", F.glu, _glu, [((4, 6),), ((2, 4, 6),)], [{"dim": 0}, {"dim": -1}]),
    OpInfo("prelu", F.prelu, _prelu, [((2, 3, 4), (3,)), ((2, 3), (1,)), ((5,), (1,)), ((2, 3, 2, 2), (3,))]),
]
