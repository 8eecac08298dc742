"""The op table: one OpInfo row per op, collected from one module per op family.

A row says how to call the op in nativedl, its NumPy reference, which inputs to try and
whether it is differentiable. tests/test_op_table.py runs forward parity over every row
(contiguous and non-contiguous inputs, each dtype) and gradcheck over differentiable rows,
and fails when an op bound in nativedl._C has no row.

To add a family: create op_table/<family>.py defining ROWS (a list of OpInfo) and add its
name to FAMILIES below.
"""
import importlib
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

FAMILIES = ["elementwise", "view", "creation", "reduction", "linalg", "indexing", "join", "conv", "pooling",
            "normalization", "resample", "dropout", "activation", "loss", "rnn"]


@dataclass
class OpInfo:
    """One op (or one variant of an op) and how to test it."""
    name: str                          # id in test names; also the first _C name it covers
    fn: Callable                       # nativedl: fn(*tensors, **kwargs) -> Tensor or tuple
    ref: Callable                      # NumPy:    ref(*arrays, **kwargs) -> array or tuple
    shapes: Sequence[tuple]            # each entry: a tuple of input shapes, e.g. ((2, 3), (3,))
    kwargs: Sequence[dict] = ({},)     # option combinations, each tried with every shape entry
    dtypes: Sequence[str] = ("float32", "float64")
    differentiable: bool = True
    low: float = -2.0                  # inputs drawn uniformly from [low, high] ...
    high: float = 2.0
    gen: Optional[Callable] = None     # ... unless gen(shapes, dtype, rng) -> list of arrays
    grad_inputs: Optional[Sequence[int]] = None  # which inputs gradcheck differentiates (default: float ones)
    noncontig: bool = True             # also run forward on strided views of the inputs
    atol: dict = field(default_factory=lambda: {"float32": 1e-5, "float64": 1e-10})
    rtol: dict = field(default_factory=lambda: {"float32": 1e-5, "float64": 1e-10})
    covers: Sequence[str] = ()         # other _C names this row exercises (aliases, in-place forms)
    grad_shapes: Optional[Sequence[tuple]] = None  # smaller shapes for gradcheck (default: shapes)

    def inputs(self, shapes, dtype, rng):
        if self.gen is not None:
            return [np.asarray(a) for a in self.gen(shapes, dtype, rng)]
        np_dtype = np.dtype(dtype)
        if np_dtype.kind == "f":
            return [rng.uniform(self.low, self.high, size=s).astype(np_dtype) for s in shapes]
        if np_dtype.kind == "b":
            return [rng.integers(0, 2, size=s).astype(bool) for s in shapes]
        return [rng.integers(int(self.low), int(self.high) + 1, size=s).astype(np_dtype) for s in shapes]


def all_rows():
    rows = []
    for fam in FAMILIES:
        try:
            mod = importlib.import_module(f"op_table.{fam}")
        except ModuleNotFoundError as e:
            if e.name == f"op_table.{fam}":
                continue  # family not written yet; test_every_op_has_row reports its ops
            raise
        rows.extend(mod.ROWS)
    return rows
