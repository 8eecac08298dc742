"""Op table rows: advanced indexing, gather/scatter, masks, nonzero, sorting.

Index inputs come from `gen`: values valid for every dim of the indexed input (below its
smallest size), so one generator serves every `dim` option of a row.
"""
import numpy as np

import nativedl as nd
from op_table import OpInfo

FLOATS = ("float32", "float64")
ALL = ("float32", "float64", "int64", "int32", "uint8", "bool")


def _values(shape, dtype, rng):
    if np.dtype(dtype).kind == "f":
        return rng.uniform(-2, 2, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.integers(0, 10, size=shape).astype(dtype)


def _indices(x_shape, shape, rng, negative=False, dtype=np.int64):
    hi = min(x_shape) if x_shape else 1
    return rng.integers(-hi if negative else 0, hi, size=shape).astype(dtype)


def gen_x_idx(negative=False):
    """(x, index, further value inputs...): index values valid for any dim of x."""
    def gen(shapes, dtype, rng):
        out = [_values(shapes[0], dtype, rng), _indices(shapes[0], shapes[1], rng, negative)]
        return out + [_values(s, dtype, rng) for s in shapes[2:]]
    return gen


def gen_unique_rows(shapes, dtype, rng):
    """(x, index, src) for scatter: index entries distinct along `dim` (so no write order matters)."""
    x_shape, i_shape = shapes[0], shapes[1]
    hi = min(x_shape)
    idx = np.empty(i_shape, dtype=np.int64)
    for pos in np.ndindex(*i_shape[:-1]) if len(i_shape) > 1 else [()]:
        idx[pos] = rng.permutation(hi)[:i_shape[-1]]
    return [_values(x_shape, dtype, rng), idx] + [_values(s, dtype, rng) for s in shapes[2:]]


def _coords(index, dim):
    """Fancy-index tuple addressing, for each entry of index, position index[...] along dim."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def ref_gather(x, index, dim):
    if x.ndim == 0:
        return x.copy()
    return x[_coords(index, dim % x.ndim)]


def ref_scatter(x, index, src, dim, add=False):
    y = x.copy()
    c = _coords(index, dim % x.ndim)
    vals = src[tuple(slice(0, s) for s in index.shape)]
    if add:
        np.add.at(y, c, vals)
    else:
        y[c] = vals
    return y


def _sort_ref(x, dim, descending):
    key = -x.astype(np.float64) if descending else x
    idx = np.argsort(key, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, axis=dim), idx


INDEX_PATTERNS = {
    "first": (lambda x, i, j: nd._C._index(x, [i]), lambda x, i, j: x[i]),
    "second": (lambda x, i, j: nd._C._index(x, [None, i]), lambda x, i, j: x[:, i]),
    "apart": (lambda x, i, j: nd._C._index(x, [i, None, j]), lambda x, i, j: x[i, :, j]),
    "pair": (lambda x, i, j: nd._C._index(x, [i, j]), lambda x, i, j: x[i, j]),
}


def gen_index(shapes, dtype, rng):
    x = _values(shapes[0], dtype, rng)
    return [x, _indices(shapes[0], shapes[1], rng, True), _indices(shapes[0], shapes[2], rng, True, np.int32)]


def gen_mask(shapes, dtype, rng):
    return [_values(shapes[0], dtype, rng), rng.integers(0, 2, size=shapes[1]).astype(bool)]


def gen_mask_value(shapes, dtype, rng):
    return gen_mask(shapes, dtype, rng) + [_values((), dtype, rng)]


def gen_put(accumulate):
    def gen(shapes, dtype, rng):
        x_shape, i_shape, v_shape = shapes
        idx = (rng.integers(-x_shape[0], x_shape[0], size=i_shape) if accumulate
               else rng.permutation(x_shape[0])[:i_shape[0]])
        return [_values(x_shape, dtype, rng), idx.astype(np.int64), _values(v_shape, dtype, rng)]
    return gen


def ref_index_put(x, i, v, accumulate):
    y = x.copy()
    if accumulate:
        np.add.at(y, i, np.broadcast_to(v, (len(i),) + x.shape[1:]))
    else:
        y[i] = v
    return y


def ref_index_add(x, i, s, dim, alpha=1):
    y = np.moveaxis(x.copy(), dim, 0)
    np.add.at(y, i, np.moveaxis(s * alpha, dim, 0).astype(x.dtype))
    return np.moveaxis(y, 0, dim)


def gen_distinct(shapes, dtype, rng):
    """Distinct values (no ties), so sorted positions are unambiguous for every reference."""
    n = int(np.prod(shapes[0]))
    vals = rng.permutation(n).reshape(shapes[0]) - n // 2
    return [(vals * 0.25).astype(dtype) if np.dtype(dtype).kind == "f" else vals.astype(dtype)]


ROWS = [
    OpInfo("index_select", lambda x, i, dim: nd.index_select(x, dim, i),
           lambda x, i, dim: np.take(x, np.atleast_1d(i), axis=dim),
           shapes=[((3, 4), (5,)), ((2, 3, 4), (0,)), ((4,), (3,)), ((2, 3, 4), ())],
           kwargs=[{"dim": 0}, {"dim": -1}], dtypes=ALL, gen=gen_x_idx(), grad_inputs=[0]),
    *[OpInfo(f"index-{name}", lambda x, i, j, f=f: f(x, i, j), lambda x, i, j, r=r: r(x, i, j),
             shapes=[((3, 4, 5), (2,), (2,)), ((3, 4, 5), (2, 3), (3,)), ((3, 3, 3), (0,), (1,)), ((4, 3, 2), (), ())],
             dtypes=ALL, gen=gen_index, grad_inputs=[0])
      for name, (f, r) in INDEX_PATTERNS.items()],
    OpInfo("index-mask", lambda x, m: nd._C._index(x, [m]), lambda x, m: x[m],
           shapes=[((4, 3), (4,)), ((4, 3), (4, 3)), ((2, 3, 2), (2, 3)), ((0, 3), (0,))],
           dtypes=ALL, gen=gen_mask, grad_inputs=[0]),
    OpInfo("index_put", lambda x, i, v, accumulate: nd.index_put(x, [i], v, accumulate),
           lambda x, i, v, accumulate: ref_index_put(x, i, v, accumulate),
           shapes=[((5, 3), (4,), (4, 3)), ((5, 3), (3,), (3,)), ((6,), (2,), ()), ((5, 3), (0,), (3,))],
           kwargs=[{"accumulate": False}], dtypes=ALL, gen=gen_put(False), grad_inputs=[0, 2],
           covers=("index_put_",)),
    OpInfo("index_put-accumulate", lambda x, i, v, accumulate: x.clone().index_put_((i,), v, accumulate),
           lambda x, i, v, accumulate: ref_index_put(x, i, v, accumulate),
           shapes=[((5, 3), (7,), (7, 3)), ((5, 3), (6,), (3,)), ((6,), (9,), ())],
           kwargs=[{"accumulate": True}], dtypes=("float32", "float64", "int64", "int32"), gen=gen_put(True),
           grad_inputs=[0, 2]),
    OpInfo("index_add", lambda x, i, s, dim, alpha: nd.index_add(x, dim, i, s, alpha=alpha),
           lambda x, i, s, dim, alpha: ref_index_add(x, i, s, dim, alpha),
           shapes=[((4, 4), (6,), (6, 4)), ((3, 3, 2), (0,), (0, 3, 2))],
           kwargs=[{"dim": 0, "alpha": 1}, {"dim": 0, "alpha": 2}], dtypes=("float32", "float64", "int64"),
           gen=gen_x_idx(), grad_inputs=[0, 2]),
    OpInfo("index_add-dim1", lambda x, i, s: x.clone().index_add_(1, i, s),
           lambda x, i, s: ref_index_add(x, i, s, 1),
           shapes=[((4, 4), (6,), (4, 6))], dtypes=FLOATS, gen=gen_x_idx(), grad_inputs=[0, 2]),
    OpInfo("gather", lambda x, i, dim: nd.gather(x, dim, i), lambda x, i, dim: ref_gather(x, i, dim),
           shapes=[((3, 4), (3, 4)), ((3, 4), (2, 3)), ((2, 3, 4), (2, 2, 2)), ((4,), (7,)), ((3, 4), (0, 4)), ((), ())],
           kwargs=[{"dim": 0}, {"dim": -1}], dtypes=ALL, gen=gen_x_idx(), grad_inputs=[0]),
    OpInfo("scatter", lambda x, i, s, dim: nd.scatter(x, dim, i, s), lambda x, i, s, dim: ref_scatter(x, i, s, dim),
           shapes=[((4, 4), (4, 3), (4, 4)), ((4, 5), (3, 2), (3, 2)), ((4,), (2,), (3,)), ((4, 4), (0, 2), (1, 2))],
           kwargs=[{"dim": -1}], dtypes=ALL, gen=gen_unique_rows, grad_inputs=[0, 2], covers=("scatter_",)),
    OpInfo("scatter-value", lambda x, i, dim: x.clone().scatter_(dim, i, value=1.5),
           lambda x, i, dim: ref_scatter(x, i, np.full(i.shape, 1.5, x.dtype), dim),
           shapes=[((4, 4), (4, 3)), ((5,), (2,))], kwargs=[{"dim": -1}], dtypes=FLOATS, gen=gen_unique_rows,
           grad_inputs=[0]),
    OpInfo("scatter_add", lambda x, i, s, dim: nd.scatter_add(x, dim, i, s),
           lambda x, i, s, dim: ref_scatter(x, i, s, dim, add=True),
           shapes=[((3, 4), (5, 4), (5, 4)), ((3, 4), (2, 2), (3, 3)), ((4,), (9,), (9,))],
           kwargs=[{"dim": 0}], dtypes=("float32", "float64", "int64", "int32"), gen=gen_x_idx(), grad_inputs=[0, 2]),
    OpInfo("scatter_add-inplace", lambda x, i, s: x.clone().scatter_add_(1, i, s),
           lambda x, i, s: ref_scatter(x, i, s, 1, add=True),
           shapes=[((3, 4), (3, 6), (3, 6))], gen=gen_x_idx(), grad_inputs=[0, 2], covers=("scatter_add_",)),
    OpInfo("masked_fill", lambda x, m: nd.masked_fill(x, m, 0.5), lambda x, m: np.where(m, x.dtype.type(0.5), x),
           shapes=[((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3, 4), (3, 1)), ((0, 2), (2,)), ((), ())],
           dtypes=("float32", "float64"), gen=gen_mask, grad_inputs=[0], covers=("masked_fill_",)),
    OpInfo("masked_fill-int", lambda x, m: x.clone().masked_fill_(m, 7), lambda x, m: np.where(m, x.dtype.type(7), x),
           shapes=[((3, 4), (3, 4)), ((3, 4), (1, 4))], dtypes=("int64", "int32", "uint8"), gen=gen_mask,
           differentiable=False),
    OpInfo("masked_fill-tensor", lambda x, m, v: nd.masked_fill(x, m, v), lambda x, m, v: np.where(m, v, x),
           shapes=[((3, 4), (3, 4), ()), ((2, 3), (3,), ())], gen=gen_mask_value, grad_inputs=[0, 2]),
    OpInfo("masked_select", lambda x, m: nd.masked_select(x, m),
           lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
               np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))],
           shapes=[((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((), ()), ((0, 3), (3,))],
           dtypes=ALL, gen=gen_mask, grad_inputs=[0]),
    OpInfo("nonzero", lambda x: nd.nonzero(x), lambda x: np.argwhere(x),
           shapes=[((3, 4),), ((5,),), ((2, 3, 4),), ((0, 3),), ((),)], dtypes=ALL, differentiable=False,
           low=-1, high=1),
    OpInfo("nonzero-tuple", lambda x: nd.nonzero(x, as_tuple=True), lambda x: np.nonzero(x),
           shapes=[((3, 4),), ((5,),), ((0, 3),)], dtypes=ALL, differentiable=False, low=-1, high=1),
    OpInfo("take", lambda x, i: nd.take(x, i), lambda x, i: np.take(x, i),
           shapes=[((3, 4), (5,)), ((3, 4), (2, 2)), ((5,), ())], dtypes=ALL, gen=gen_x_idx(negative=True),
           grad_inputs=[0]),
    OpInfo("sort", lambda x, dim, descending: tuple(nd.sort(x, dim, descending)),
           lambda x, dim, descending: _sort_ref(x, dim, descending),
           shapes=[((5,),), ((3, 4),), ((2, 3, 4),), ((0, 3),)],
           kwargs=[{"dim": -1, "descending": False}, {"dim": 0, "descending": True}],
           dtypes=("float32", "float64", "int64", "int32"), gen=gen_distinct),
    OpInfo("sort-ties", lambda x, dim, descending: tuple(x.sort(dim=dim, descending=descending, stable=True)),
           lambda x, dim, descending: _sort_ref(x, dim, descending),
           shapes=[((6, 7),)], kwargs=[{"dim": -1, "descending": False}, {"dim": 0, "descending": True}],
           dtypes=("int64", "uint8", "float32"), low=0, high=3, differentiable=False,
           gen=lambda shapes, dtype, rng: [rng.integers(0, 3, size=shapes[0]).astype(dtype)]),
    OpInfo("argsort", lambda x, dim, descending: nd.argsort(x, dim, descending),
           lambda x, dim, descending: _sort_ref(x, dim, descending)[1],
           shapes=[((5,),), ((3, 4),)], kwargs=[{"dim": -1, "descending": False}, {"dim": 0, "descending": True}],
           dtypes=("float32", "int64"), gen=gen_distinct, differentiable=False),
    OpInfo("topk", lambda x, k, dim, largest: tuple(x.topk(k, dim, largest)),
           lambda x, k, dim, largest: tuple(a[tuple(slice(0, k) if d == dim % x.ndim else slice(None)
                                                    for d in range(x.ndim))] for a in _sort_ref(x, dim, largest)),
           shapes=[((6,),), ((3, 5),), ((2, 4, 3),)],
           kwargs=[{"k": 2, "dim": -1, "largest": True}, {"k": 1, "dim": 0, "largest": False},
                   {"k": 0, "dim": -1, "largest": True}, {"k": 3, "dim": -1, "largest": False}],
           dtypes=("float32", "float64", "int64"), gen=gen_distinct),
]
