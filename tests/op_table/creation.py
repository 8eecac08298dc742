"""Deterministic creation functions (random ones have statistical tests in test_tensor.py).

Rows without tensor inputs use one empty shape entry, `[()]`; kwargs carry the arguments
(dtype given by name so the NumPy reference can use it too)."""
import numpy as np

import nativedl as nd
from op_table import OpInfo

NO_INPUT = [()]


def creation_row(name, fn, ref, kwargs, **kw):
    return OpInfo(name, fn, ref, kw.pop("shapes", NO_INPUT), kwargs=kwargs, dtypes=("float32",),
                  differentiable=False, **kw)


def with_dtype(f):
    """Calls f with dtype=nd.<name> when the row's kwargs name one."""
    def call(*args, dtype=None, **kw):
        return f(*args, **kw) if dtype is None else f(*args, dtype=getattr(nd, dtype), **kw)
    return call


DTYPES = [{"dtype": d} for d in ("float32", "float64", "int64", "int32", "uint8", "bool")]

# arange: integer and float forms, negative steps, and a float step landing just short of the end.
ARANGE = [((5,), None), ((2, 9, 3), None), ((10, 0, -3), None), ((0.0, 1.0, 0.25), None), ((-1, 1, 0.5), "float64"),
          ((1, 2.5, 0.5), None), ((0, 5), "float64"), ((3,), "int32"), ((0, 0.9, 0.3), "float64")]

ROWS = [
    creation_row("zeros", lambda dtype=None: with_dtype(nd.zeros)(2, 3, dtype=dtype),
                 lambda dtype="float32": np.zeros((2, 3), dtype), [{}] + DTYPES),
    creation_row("ones", lambda dtype=None: with_dtype(nd.ones)((4,), dtype=dtype),
                 lambda dtype="float32": np.ones(4, dtype), [{}] + DTYPES),
    creation_row("zeros-empty_shapes", lambda size: nd.zeros(size), lambda size: np.zeros(size, np.float32),
                 [{"size": ()}, {"size": (0,)}, {"size": (3, 0, 2)}]),
    creation_row("full", lambda v, dtype=None: with_dtype(nd.full)((2, 2), v, dtype=dtype),
                 lambda v, dtype=None: np.full((2, 2), v, dtype),
                 [{"v": 1.5}, {"v": 7}, {"v": True}, {"v": 3, "dtype": "float64"}, {"v": -2.5, "dtype": "float64"}]),
    creation_row("arange", lambda args, dtype=None: with_dtype(nd.arange)(*args, dtype=dtype),
                 lambda args, dtype=None: np.arange(*args, dtype=dtype or (
                     np.float32 if any(isinstance(a, float) for a in args) else np.int64)),
                 [{"args": a, "dtype": d} for a, d in ARANGE]),
    creation_row("linspace", lambda start, end, steps, dtype=None: with_dtype(nd.linspace)(start, end, steps, dtype=dtype),
                 lambda start, end, steps, dtype="float32": np.linspace(start, end, steps, dtype=dtype),
                 [{"start": 0, "end": 1, "steps": 5}, {"start": -3, "end": 7, "steps": 11}, {"start": 2, "end": 2, "steps": 1}, {"start": 0, "end": 1, "steps": 1},
                  {"start": 1, "end": 0, "steps": 0}, {"start": 0, "end": 1, "steps": 7, "dtype": "float64"},
                  {"start": 0.1, "end": 2.7, "steps": 100, "dtype": "float64"}]),
    creation_row("eye", lambda n, m=None, dtype=None: with_dtype(nd.eye)(n, m, dtype=dtype),
                 lambda n, m=None, dtype="float32": np.eye(n, m, dtype=dtype),
                 [{"n": 3}, {"n": 2, "m": 4}, {"n": 4, "m": 1, "dtype": "int64"}, {"n": 0}, {"n": 3, "dtype": "bool"}]),
    creation_row("zeros_like", lambda x: nd.zeros_like(x), np.zeros_like, [{}], shapes=[((2, 3),), ((),)]),
    creation_row("ones_like", lambda x: nd.ones_like(x, dtype=nd.int32), lambda x: np.ones_like(x, np.int32), [{}],
                 shapes=[((2, 3),)]),
    creation_row("full_like", lambda x: nd.full_like(x, 2.5), lambda x: np.full_like(x, 2.5), [{}], shapes=[((4,),)]),
    creation_row("tensor", lambda data, dtype=None: with_dtype(nd.tensor)(data, dtype=dtype),
                 lambda data, dtype=None: np.array(data, dtype),
                 [{"data": [[1.0, 2.0], [3.0, 4.5]]}, {"data": [1, 2, 3], "dtype": "float64"}, {"data": [[True, False]]},
                  {"data": 3.5}, {"data": [[]]}, {"data": [1, 2], "dtype": "uint8"}]),
    creation_row("as_tensor", lambda x: nd.as_tensor(x), lambda x: x, [{}], shapes=[((2, 3),)],
                 gen=lambda s, d, r: [r.uniform(size=s[0]).astype(d)]),
]
