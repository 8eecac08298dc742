"""Indexing family: row gather (index_select), elementwise gather along a dim, and cat."""
import math

import numpy as np

from bench.case import Case


def _index(lib, n, hi, seed=7):
    return lib.from_numpy(np.random.default_rng(seed).integers(0, hi, size=n).astype(np.int64))


def _index_select(lib, shape):
    x, idx = lib.randn(shape), _index(lib, shape[0], shape[0])
    if lib.name == "numpy":
        return lambda: np.take(x, idx, axis=0)
    return lambda: lib.m.index_select(x, 0, idx)


def _gather(lib, shape):
    x = lib.randn(shape)
    idx = lib.from_numpy(np.random.default_rng(7).integers(0, shape[1], size=shape).astype(np.int64))
    if lib.name == "numpy":
        return lambda: np.take_along_axis(x, idx, axis=1)
    return lambda: lib.m.gather(x, 1, idx)


def _cat(lib, shape):
    parts = [lib.randn((shape[0] // 4,) + shape[1:], seed=i) for i in range(4)]
    if lib.name == "numpy":
        return lambda: np.concatenate(parts, axis=0)
    return lambda: lib.m.cat(parts, 0)


def _bytes(index_per_row=False, index_elementwise=False):
    """Float32 values read once and written once, plus the int64 index."""
    def f(shape):
        n = math.prod(shape)
        return 8 * n + (8 * shape[0] if index_per_row else 0) + (8 * n if index_elementwise else 0)
    return f


CASES = [
    Case("index_select_rows", (65536, 256), (4096, 64), _index_select, bytes=_bytes(index_per_row=True)),
    Case("gather_dim1", (4096, 1024), (256, 256), _gather, bytes=_bytes(index_elementwise=True)),
    Case("cat_4", (65536, 256), (4096, 64), _cat, bytes=_bytes()),
]
