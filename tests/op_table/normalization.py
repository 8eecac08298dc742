"""Op-table rows of the normalization family: batch, layer, group and instance norm.
References normalize with NumPy's mean and biased variance, from the definitions."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

TOL = {"float32": 1e-4, "float64": 1e-9}
EPS = 1e-5


def _affine(y, w, b, channel_axis=1):
    shape = [1] * y.ndim
    shape[channel_axis] = -1
    return y * w.reshape(shape) + b.reshape(shape)


def ref_batch_norm_train(x, w, b):
    axes = tuple(i for i in range(x.ndim) if i != 1)
    x64 = x.astype(np.float64)
    m, v = x64.mean(axis=axes, keepdims=True), x64.var(axis=axes, keepdims=True)
    return _affine((x64 - m) / np.sqrt(v + EPS), w, b).astype(x.dtype)


def ref_batch_norm_eval(x, w, b, rm, rv):
    shape = [1] * x.ndim
    shape[1] = -1
    y = (x.astype(np.float64) - rm.reshape(shape)) / np.sqrt(rv.reshape(shape) + EPS)
    return _affine(y, w, b).astype(x.dtype)


def ref_layer_norm(x, w, b):
    axes = tuple(range(x.ndim - w.ndim, x.ndim))
    x64 = x.astype(np.float64)
    m, v = x64.mean(axis=axes, keepdims=True), x64.var(axis=axes, keepdims=True)
    return ((x64 - m) / np.sqrt(v + EPS) * w + b).astype(x.dtype)


def ref_group_norm(x, w, b, num_groups):
    n = x.shape[0]
    g = x.astype(np.float64).reshape(n, num_groups, -1)
    y = ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + EPS)).reshape(x.shape)
    return _affine(y, w, b).astype(x.dtype)


def ref_instance_norm(x, w, b):
    axes = tuple(range(2, x.ndim))
    x64 = x.astype(np.float64)
    m, v = x64.mean(axis=axes, keepdims=True), x64.var(axis=axes, keepdims=True)
    return _affine((x64 - m) / np.sqrt(v + EPS), w, b).astype(x.dtype)


def eval_inputs(shapes, dtype, rng):
    """x, weight, bias, running_mean and a positive running_var."""
    x, w, b, rm, rv = (rng.uniform(-2, 2, size=s) for s in shapes)
    return [a.astype(dtype) for a in (x, w, b, rm, np.abs(rv) + 0.5)]


def bn_train(x, w, b):
    return nd.batch_norm(x, w, b, None, None, True, 0.1, EPS)


def bn_eval(x, w, b, rm, rv):
    return nd.batch_norm(x, w, b, rm, rv, False, 0.1, EPS)


def bn_train_plain(x):
    return nd.batch_norm(x, None, None, None, None, True, 0.1, EPS)


ROWS = [
    OpInfo("batch_norm", bn_train, ref_batch_norm_train,
           [((4, 3), (3,), (3,)), ((2, 3, 5), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))], atol=TOL, rtol=TOL,
           grad_shapes=[((3, 2), (2,), (2,)), ((2, 2, 3), (2,), (2,))]),
    OpInfo("batch_norm-plain", bn_train_plain,
           lambda x: ref_batch_norm_train(x, np.ones(x.shape[1]), np.zeros(x.shape[1])),
           [((5, 2, 3),)], atol=TOL, rtol=TOL, grad_shapes=[((2, 2, 3),)]),
    OpInfo("batch_norm-eval", bn_eval, ref_batch_norm_eval, [((2, 3, 4), (3,), (3,), (3,), (3,))], gen=eval_inputs,
           atol=TOL, rtol=TOL, grad_inputs=[0, 1, 2]),
    OpInfo("layer_norm", lambda x, w, b: nd.layer_norm(x, tuple(w.shape), w, b, EPS), ref_layer_norm,
           [((3, 4, 5), (4, 5), (4, 5)), ((6, 7), (7,), (7,)), ((2, 3, 33), (33,), (33,))], atol=TOL, rtol=TOL,
           grad_shapes=[((3, 2, 3), (2, 3), (2, 3)), ((4, 5), (5,), (5,))]),
    OpInfo("layer_norm-plain", lambda x: nd.layer_norm(x, (x.shape[-1],)),
           lambda x: ref_layer_norm(x, np.ones(x.shape[-1]), np.zeros(x.shape[-1])), [((5, 9),)],
           atol=TOL, rtol=TOL, grad_shapes=[((3, 4),)]),
    OpInfo("group_norm", lambda x, w, b, num_groups: nd.group_norm(x, num_groups, w, b, EPS), ref_group_norm,
           [((2, 6, 4), (6,), (6,)), ((2, 6, 2, 3), (6,), (6,))],
           [{"num_groups": 3}, {"num_groups": 2}, {"num_groups": 6}, {"num_groups": 1}], atol=TOL, rtol=TOL,
           grad_shapes=[((2, 6, 2), (6,), (6,))]),
    OpInfo("instance_norm", lambda x, w, b: nd.instance_norm(x, w, b, None, None, True, 0.1, EPS), ref_instance_norm,
           [((2, 3, 5), (3,), (3,)), ((2, 3, 2, 3), (3,), (3,))],
           atol=TOL, rtol=TOL, grad_shapes=[((2, 2, 3), (2,), (2,))]),
]
