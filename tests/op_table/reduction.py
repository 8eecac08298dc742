"""Op-table rows of the reduction family: sum, mean, prod, max/min, amax/amin, argmax/argmin,
var/std, logsumexp, norm, all/any, cumsum/cumprod. References are plain NumPy from the math."""
import warnings

import numpy as np

import nativedl as nd
from op_table import OpInfo

FLOATS = ("float32", "float64")
INTS = ("int32", "int64")

# Shape groups; each kwargs list below is valid for every shape of its group.
ALL_SHAPES = [((),), ((0,),), ((3, 4),), ((2, 0, 3),), ((2, 3, 4),)]
NONEMPTY = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]
DIM_SHAPES = [((3, 4),), ((2, 3, 4),)]
DIM_KW = [{"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}]
MULTI_SHAPES = [((2, 3, 4),), ((2, 0, 3),)]
MULTI_KW = [{"dim": (0, 2)}, {"dim": (-1, 0), "keepdim": True}, {"dim": 1}, {"dim": (1,), "keepdim": True}]
SCALAR_KW = [{"dim": 0}, {"dim": -1, "keepdim": True}]
GRAD_SHAPES = [((3, 4),), ((2, 3, 2),)]


def quiet(f):
    """NumPy warns on the empty and 0/0 cases the rows compare on purpose."""
    def g(*a, **k):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return f(*a, **k)
    return g


def scalar_dims(f):
    """NumPy has no axis 0 on a 0-d array; PyTorch treats a 0-d tensor as one element along dim 0
    (and keepdim keeps it 0-d): reduce its 1-element reshape and make each output 0-d again."""
    def g(a, *rest, **kw):
        if a.ndim == 0 and kw.get("dim") is not None:
            out = f(a.reshape(1), *rest, **kw)
            return tuple(np.asarray(o).reshape(()) for o in out) if isinstance(out, tuple) else np.asarray(out).reshape(())
        return f(a, *rest, **kw)
    return g


def _axis(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def _acc(a):
    """PyTorch's sum/prod/cumsum result dtype: integers and bool accumulate in int64."""
    return np.int64 if a.dtype.kind in "biu" else a.dtype


def with_zeros(shapes, dtype, rng):
    """Values with exact zeros: some slices have none, some one, some several."""
    out = []
    for s in shapes:
        a = rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s)
        a[rng.uniform(size=s) < 0.25] = 0.0
        out.append(a.astype(dtype))
    return out


def away_from_zero(shapes, dtype, rng):
    """|x| in [0.5, 2] with random signs (norms with p < 2 have steep gradients near 0)."""
    return [(rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s)).astype(dtype) for s in shapes]


def small_ints(shapes, dtype, rng):
    """-1, 0 or 1 in the row's dtype: zeros and ties in every dtype."""
    return [rng.integers(-1, 2, size=s).astype(dtype) for s in shapes]


def dim_rows(name, fn, ref, groups, **opts):
    """One row per (shapes, kwargs) group of an op, named name, name-1, name-2 ..."""
    return [OpInfo(name if i == 0 else f"{name}-{i}", fn, scalar_dims(ref), shapes, kwargs, **opts)
            for i, (shapes, kwargs) in enumerate(groups)]


REDUCE_GROUPS = [(ALL_SHAPES, [{}]), (DIM_SHAPES, DIM_KW), (MULTI_SHAPES, MULTI_KW), ([((),)], SCALAR_KW)]
NONEMPTY_GROUPS = [(NONEMPTY, [{}]), (DIM_SHAPES, DIM_KW), ([((2, 3, 4),)], MULTI_KW),
                   ([((0, 3),)], [{"dim": 1}, {"dim": -1, "keepdim": True}]), ([((),)], SCALAR_KW)]
ONE_DIM_GROUPS = [(DIM_SHAPES + [((2, 0, 3),)], DIM_KW), ([((),)], SCALAR_KW)]


def np_sum(a, dim=None, keepdim=False):
    return np.sum(a, axis=_axis(dim), keepdims=keepdim, dtype=_acc(a))


def np_prod(a, dim=None, keepdim=False):
    return np.prod(a, axis=dim, keepdims=keepdim, dtype=_acc(a))


def np_max_dim(a, dim, keepdim=False):
    """(values, indices); NumPy's argmax also takes the first maximum (and the first NaN)."""
    return np.max(a, axis=dim, keepdims=keepdim), np.argmax(a, axis=dim, keepdims=keepdim)


def np_min_dim(a, dim, keepdim=False):
    return np.min(a, axis=dim, keepdims=keepdim), np.argmin(a, axis=dim, keepdims=keepdim)


def np_var(a, dim=None, correction=1, keepdim=False):
    axis = _axis(dim)
    n = a.size // max(1, np.mean(a, axis=axis, keepdims=True).size) if a.size else 0
    dev = a.astype(np.float64) - np.mean(a.astype(np.float64), axis=axis, keepdims=True)
    return (np.sum(dev * dev, axis=axis, keepdims=keepdim) / max(0, n - correction)).astype(a.dtype)


def np_logsumexp(a, dim, keepdim=False):
    return np.log(np.sum(np.exp(a.astype(np.float64)), axis=_axis(dim), keepdims=keepdim))


def np_norm(a, p="fro", dim=None, keepdim=False):
    axis, x = _axis(dim), np.abs(a.astype(np.float64))
    if p == "fro":
        p = 2
    if p == np.inf:
        return np.max(x, axis=axis, keepdims=keepdim)
    if p == -np.inf:
        return np.min(x, axis=axis, keepdims=keepdim)
    if p == 0:
        return np.sum(x != 0, axis=axis, keepdims=keepdim).astype(np.float64)
    return np.sum(x ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)


def np_cum(f):
    def ref(a, dim):
        b = a.reshape(1) if a.ndim == 0 else a
        return f(b, axis=dim, dtype=_acc(a)).reshape(a.shape)
    return ref


ROWS = [
    *dim_rows("sum", lambda x, **kw: nd.sum(x, **kw), quiet(np_sum), REDUCE_GROUPS,
              dtypes=FLOATS + INTS + ("bool", "uint8")),
    OpInfo("sum-dtype", lambda x: nd.sum(x, dtype=nd.float64), lambda a: np.sum(a, dtype=np.float64),
           [((3, 4),), ((0,),)], dtypes=FLOATS + INTS, grad_shapes=GRAD_SHAPES),
    OpInfo("sum-method", lambda x, **kw: x.sum(**kw), quiet(np_sum), DIM_SHAPES, DIM_KW, grad_shapes=GRAD_SHAPES),
    *dim_rows("mean", lambda x, **kw: nd.mean(x, **kw), quiet(lambda a, dim=None, keepdim=False: np.mean(
        a, axis=_axis(dim), keepdims=keepdim)), REDUCE_GROUPS),
    *dim_rows("prod", lambda x, **kw: nd.prod(x, **kw), np_prod,
              [(ALL_SHAPES, [{}]), (DIM_SHAPES + [((2, 0, 3),)], DIM_KW), ([((),)], SCALAR_KW)],
              dtypes=FLOATS + INTS + ("bool",)),
    OpInfo("prod-zeros", lambda x, **kw: x.prod(**kw), np_prod, [((4, 5),), ((3, 2, 4),)],
           [{}, {"dim": 1}, {"dim": -1, "keepdim": True}], gen=with_zeros),
    OpInfo("max", lambda x: nd.max(x), np.max, NONEMPTY, dtypes=FLOATS + INTS + ("bool",), grad_shapes=GRAD_SHAPES),
    OpInfo("min", lambda x: x.min(), np.min, NONEMPTY, dtypes=FLOATS + INTS + ("bool",), grad_shapes=GRAD_SHAPES),
    OpInfo("max-dim", lambda x, **kw: nd.max(x, **kw), np_max_dim, DIM_SHAPES, DIM_KW + [{"dim": -2}],
           dtypes=FLOATS + INTS, grad_shapes=GRAD_SHAPES),
    OpInfo("max-dim-ties", lambda x, **kw: x.max(**kw), np_max_dim, DIM_SHAPES, DIM_KW,
           dtypes=FLOATS + INTS + ("bool",), gen=small_ints, differentiable=False),
    OpInfo("min-dim", lambda x, **kw: x.min(**kw), scalar_dims(np_min_dim), DIM_SHAPES + [((),)], [{"dim": 0}, {"dim": -1, "keepdim": True}],
           dtypes=FLOATS + INTS, grad_shapes=GRAD_SHAPES),
    OpInfo("max-binary", lambda a, b: nd.max(a, b), np.maximum, [((3, 4), (3, 4)), ((2, 3), (3,))],
           grad_shapes=[((3, 4), (3, 4))]),
    OpInfo("min-binary", lambda a, b: a.min(b), np.minimum, [((3, 4), (3, 4)), ((2, 3), (3,))],
           grad_shapes=[((3, 4), (3, 4))]),
    *dim_rows("amax", lambda x, **kw: nd.amax(x, **kw), lambda a, dim=None, keepdim=False: np.max(
        a, axis=_axis(dim), keepdims=keepdim), NONEMPTY_GROUPS, dtypes=FLOATS + INTS),
    *dim_rows("amin", lambda x, **kw: x.amin(**kw), lambda a, dim=None, keepdim=False: np.min(
        a, axis=_axis(dim), keepdims=keepdim), NONEMPTY_GROUPS, dtypes=FLOATS + INTS),
    *dim_rows("argmax", lambda x, **kw: nd.argmax(x, **kw), lambda a, dim=None, keepdim=False: np.argmax(
        a, axis=dim, keepdims=keepdim), [(NONEMPTY, [{}, {"keepdim": True}]), (DIM_SHAPES, DIM_KW),
                                         ([((),)], SCALAR_KW)],
              dtypes=FLOATS + INTS + ("bool",), gen=small_ints, differentiable=False),
    *dim_rows("argmin", lambda x, **kw: x.argmin(**kw), lambda a, dim=None, keepdim=False: np.argmin(
        a, axis=dim, keepdims=keepdim), [(NONEMPTY, [{}, {"keepdim": True}]), (DIM_SHAPES, DIM_KW)],
              dtypes=FLOATS + INTS, gen=small_ints, differentiable=False),
    *dim_rows("var", lambda x, **kw: nd.var(x, **kw), quiet(np_var),
              [(NONEMPTY[1:], [{}, {"correction": 0}]),
               (DIM_SHAPES, DIM_KW + [{"dim": 1, "correction": 0}, {"dim": -1, "correction": 2, "keepdim": True}]),
               ([((2, 3, 4),)], MULTI_KW), ([((),), ((0,),)], [{"correction": 0}])],
              ),
    *dim_rows("std", lambda x, **kw: x.std(**kw), quiet(lambda a, **kw: np.sqrt(np_var(a, **kw))),
              [(NONEMPTY[1:], [{}, {"correction": 0}]),
               (DIM_SHAPES, DIM_KW + [{"dim": 1, "correction": 0}]), ([((2, 3, 4),)], MULTI_KW)],
              ),
    *dim_rows("logsumexp", lambda x, **kw: nd.logsumexp(x, **kw), quiet(np_logsumexp),
              [(DIM_SHAPES, DIM_KW), (MULTI_SHAPES, MULTI_KW), ([((),)], SCALAR_KW)],
              dtypes=FLOATS + INTS),
    *dim_rows("norm", lambda x, **kw: nd.norm(x, **kw), np_norm,
              [(NONEMPTY[1:], [{}, {"p": 1}, {"p": 2}, {"p": float("inf")}, {"p": float("-inf")}, {"p": 3},
                               {"p": 0.5}, {"p": 0}]),
               (DIM_SHAPES, [{"p": 2, "dim": 1}, {"p": 1, "dim": -1, "keepdim": True}, {"p": "fro", "dim": 0},
                             {"p": float("inf"), "dim": 1}, {"p": 3, "dim": (0, 1)}, {"p": 1.5, "dim": -1}])],
              gen=away_from_zero),
    OpInfo("norm-method", lambda x, **kw: x.norm(**kw), np_norm, [((3, 4),), ((0,),)], [{}, {"p": 1}],
           grad_shapes=GRAD_SHAPES),
    *dim_rows("all", lambda x, **kw: nd.all(x, **kw), lambda a, dim=None, keepdim=False: np.all(
        a, axis=_axis(dim), keepdims=keepdim), REDUCE_GROUPS,
              dtypes=("bool", "uint8") + INTS + FLOATS, gen=small_ints, differentiable=False),
    *dim_rows("any", lambda x, **kw: x.any(**kw), lambda a, dim=None, keepdim=False: np.any(
        a, axis=_axis(dim), keepdims=keepdim), REDUCE_GROUPS,
              dtypes=("bool", "uint8") + INTS + FLOATS, gen=small_ints, differentiable=False),
    OpInfo("cumsum", lambda x, **kw: nd.cumsum(x, **kw), np_cum(np.cumsum),
           [((3, 4),), ((2, 3, 4),), ((2, 0, 3),)], [{"dim": 0}, {"dim": 1}, {"dim": -1}],
           dtypes=FLOATS + INTS + ("bool",), grad_shapes=GRAD_SHAPES),
    OpInfo("cumsum-1", lambda x, **kw: x.cumsum(**kw), np_cum(np.cumsum), [((),), ((0,),), ((7,),)],
           [{"dim": 0}, {"dim": -1}], dtypes=FLOATS + INTS),
    OpInfo("cumprod", lambda x, **kw: nd.cumprod(x, **kw), np_cum(np.cumprod),
           [((3, 4),), ((2, 3, 4),), ((2, 0, 3),)], [{"dim": 0}, {"dim": 1}, {"dim": -1}],
           dtypes=FLOATS + INTS, grad_shapes=GRAD_SHAPES),
    OpInfo("cumprod-1", lambda x, **kw: x.cumprod(**kw), np_cum(np.cumprod), [((),), ((0,),), ((7,),)],
           [{"dim": 0}, {"dim": -1}], dtypes=FLOATS + INTS),
    OpInfo("cumprod-zeros", lambda x, **kw: x.cumprod(**kw), np_cum(np.cumprod), [((4, 6),), ((3, 5, 2),)],
           [{"dim": 1}, {"dim": 0}, {"dim": -1}], gen=with_zeros),
]
