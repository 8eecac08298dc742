"""What a benchmark case is, plus setup helpers shared by the family modules in bench/cases/."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

from bench.libs import Lib

LIBS = ("nativedl", "numpy", "torch")


@dataclass(frozen=True)
class Case:
    """One benchmark. setup(lib, shape) returns the callable to time, or None if lib lacks the feature."""
    name: str
    shape: tuple  # full-size shape
    quick: tuple  # shape under --quick
    setup: Callable[[Lib, tuple], Optional[Callable[[], object]]]
    flops: Optional[Callable[[tuple], float]] = None  # shape -> floating-point ops per call
    bytes: Optional[Callable[[tuple], float]] = None  # shape -> bytes moved per call
    libs: tuple = LIBS  # which libraries run it
    inner: Optional[int] = None  # fixed calls per sample; None = adaptive
    unit: str = "ms"  # "ms" or "us" per call in the table
    device: str = "cpu"  # where it runs: which limits "% peak" / "% bw" use (bench/peak.py)


def f32_bytes(tensors: int) -> Callable[[tuple], float]:
    """Bytes moved when `tensors` float32 tensors of the case's shape are each read or written once."""
    return lambda shape: 4 * tensors * math.prod(shape)


def alloc(op: Callable, arity: int) -> Callable:
    """Setup timing op(module, *inputs) on `arity` random float32 inputs; the result is freshly allocated."""
    def setup(lib: Lib, shape: tuple):
        args = [lib.randn(shape, seed=i) for i in range(arity)]
        return lambda: op(lib.m, *args)
    return setup


def into(name: str, arity: int) -> Callable:
    """Setup timing lib.<name>(*inputs, out=buffer); None where the library's op rejects out=."""
    def setup(lib: Lib, shape: tuple):
        args = [lib.randn(shape, seed=i) for i in range(arity)]
        out, fn = lib.empty(shape), lib.op(name)
        call = lambda: fn(*args, out=out)  # noqa: E731
        try:
            call()
        except TypeError:
            return None
        return call
    return setup
