"""Per-call dispatch cost: 1-element tensors, so the arithmetic itself is negligible."""
import operator
from functools import partial

from bench.case import Case


def _add(lib, shape):
    return partial(operator.add, lib.randn(shape, seed=0), lib.randn(shape, seed=1))


CASES = [
    Case("add", (1,), (1,), _add, libs=("nativedl", "torch"), inner=10_000, unit="us"),
]
