"""Op table rows: cat, stack, split, chunk, flip, roll, repeat, tile, pad, tril, triu."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

ALL = ("float32", "float64", "int64", "int32", "uint8", "bool")


def ref_cat(*arrays, dim):
    kept = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)]
    return np.concatenate(kept, axis=dim) if kept else np.zeros((0,), arrays[0].dtype)


def _sections(n, size):
    return list(range(size, n, size)) if isinstance(size, int) else list(np.cumsum(size)[:-1])


def ref_split(x, size, dim):
    if isinstance(size, int) and x.shape[dim] == 0:
        return (x,)
    return tuple(np.split(x, _sections(x.shape[dim], size), axis=dim))


def ref_chunk(x, chunks, dim):
    n = x.shape[dim]
    size = -(-n // chunks)
    return ref_split(x, size, dim) if n else tuple(np.split(x, [0] * (chunks - 1), axis=dim))


def ref_roll(x, shifts, dims):
    return np.roll(x, shifts, axis=dims)


def ref_pad(x, pad, mode, value=0.0):
    """NumPy's pad over the last len(pad)//2 dims; negative constant pads crop first."""
    k = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    crop = tuple(slice(max(-l, 0), x.shape[d] - max(-r, 0)) for d, (l, r) in enumerate(widths))
    x = x[crop]
    widths = [(max(l, 0), max(r, 0)) for l, r in widths]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=x.dtype.type(value))
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


ROWS = [
    OpInfo("cat", lambda a, b, c, dim: nd.cat([a, b, c], dim), lambda a, b, c, dim: ref_cat(a, b, c, dim=dim),
           shapes=[((2, 3), (4, 3), (0, 3)), ((2, 3), (2, 3), (2, 3)), ((2, 3), (0,), (1, 3)), ((0,), (0,), (0,))],
           kwargs=[{"dim": 0}], dtypes=ALL, covers=("concat", "concatenate")),
    OpInfo("cat-last", lambda a, b, dim: nd.concat((a, b), dim=dim), lambda a, b, dim: ref_cat(a, b, dim=dim),
           shapes=[((2, 3), (2, 1)), ((2, 1, 4), (2, 1, 0)), ((3, 2, 2), (3, 2, 5))], kwargs=[{"dim": -1}],
           dtypes=ALL),
    OpInfo("stack", lambda a, b, dim: nd.stack([a, b], dim), lambda a, b, dim: np.stack([a, b], axis=dim),
           shapes=[((2, 3), (2, 3)), ((4,), (4,)), ((), ()), ((0, 2), (0, 2))],
           kwargs=[{"dim": 0}, {"dim": -1}], dtypes=ALL),
    OpInfo("split", lambda x, size, dim: tuple(nd.split(x, size, dim)), ref_split,
           shapes=[((5, 6),), ((6, 6),), ((0, 6),)],
           kwargs=[{"size": 2, "dim": 0}, {"size": [1, 3, 2], "dim": -1}, {"size": 4, "dim": 1}], dtypes=ALL),
    OpInfo("split-method", lambda x, size, dim: tuple(x.split(size, dim)), ref_split,
           shapes=[((5, 3),)], kwargs=[{"size": [2, 0, 3], "dim": 0}]),
    OpInfo("chunk", lambda x, chunks, dim: tuple(nd.chunk(x, chunks, dim)), ref_chunk,
           shapes=[((5, 6),), ((6, 7),), ((0, 3),)],
           kwargs=[{"chunks": 2, "dim": 0}, {"chunks": 3, "dim": -1}, {"chunks": 4, "dim": 0}], dtypes=ALL),
    OpInfo("flip", lambda x, dims: nd.flip(x, dims), lambda x, dims: np.flip(x, axis=dims),
           shapes=[((3, 4),), ((2, 3, 4),), ((0, 3),)],
           kwargs=[{"dims": (0,)}, {"dims": (-1, 0)}], dtypes=ALL),
    OpInfo("flip-1d", lambda x: nd.flip(x, -1), lambda x: x[::-1], shapes=[((5,),), ((0,),)], dtypes=ALL),
    OpInfo("flip-method", lambda x: x.flip(0, 1), lambda x: x[::-1, ::-1], shapes=[((3, 4),)]),
    OpInfo("roll", lambda x, shifts, dims: nd.roll(x, shifts, dims), ref_roll,
           shapes=[((3, 4),), ((2, 3, 5),), ((0, 3),)],
           kwargs=[{"shifts": 1, "dims": 0}, {"shifts": (-2, 7), "dims": (-1, 0)}, {"shifts": 5, "dims": None},
                   {"shifts": 0, "dims": 1}], dtypes=ALL),
    OpInfo("repeat", lambda x, reps: x.repeat(*reps), lambda x, reps: np.tile(x, reps),
           shapes=[((2, 3),), ((3,),), ((),), ((0, 2),)],
           kwargs=[{"reps": (2, 3)}, {"reps": (1, 1, 2)}, {"reps": (2, 0, 1)}], dtypes=ALL),
    OpInfo("tile", lambda x, reps: nd.tile(x, reps), lambda x, reps: np.tile(x, reps),
           shapes=[((2, 3),), ((3,),), ((2, 1, 2),)], kwargs=[{"reps": (2,)}, {"reps": (3, 1, 2)}], dtypes=ALL),
    OpInfo("pad", lambda x, pad, mode, value=None: nd.pad(x, pad, mode, value), ref_pad,
           shapes=[((2, 3, 4),), ((3, 5),), ((1, 2, 3, 4),)],
           kwargs=[{"pad": (1, 2), "mode": "constant", "value": 0.5}, {"pad": (2, 0, 1, 1), "mode": "constant"},
                   {"pad": (-1, 2, 1, -1), "mode": "constant"}, {"pad": (2, 1), "mode": "reflect"},
                   {"pad": (1, 2, 2, 1), "mode": "reflect"}, {"pad": (3, 1, 0, 2), "mode": "replicate"},
                   {"pad": (2, 3, 1, 0), "mode": "circular"}]),
    OpInfo("pad-int", lambda x, pad, mode: nd.pad(x, pad, mode), ref_pad, shapes=[((3, 4),), ((0, 4),)],
           kwargs=[{"pad": (1, 1, 2, 0), "mode": "constant"}, {"pad": (1, 2), "mode": "replicate"}],
           dtypes=("int64", "int32", "uint8", "bool"), differentiable=False),
    OpInfo("tril", lambda x, diagonal: nd.tril(x, diagonal), lambda x, diagonal: np.tril(x, diagonal),
           shapes=[((4, 4),), ((3, 5),), ((2, 4, 3),), ((0, 3),)],
           kwargs=[{"diagonal": 0}, {"diagonal": 1}, {"diagonal": -2}], dtypes=ALL),
    OpInfo("triu", lambda x, diagonal: x.triu(diagonal), lambda x, diagonal: np.triu(x, diagonal),
           shapes=[((4, 4),), ((3, 5),), ((2, 4, 3),), ((0, 3),)],
           kwargs=[{"diagonal": 0}, {"diagonal": 1}, {"diagonal": -2}], dtypes=ALL),
]
