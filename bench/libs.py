"""The libraries being compared: nativedl (always), NumPy (always), PyTorch (when installed)."""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable

import numpy as np

# Testing aid: NATIVEDL_BENCH_STANDIN=torch benchmarks that module in nativedl's place.
STANDIN_ENV = "NATIVEDL_BENCH_STANDIN"

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # NumPy's BLAS then keeps its own thread count
    threadpool_limits = None


@dataclass(frozen=True)
class Lib:
    name: str
    m: ModuleType
    from_numpy: Callable
    set_threads: Callable[[int], object]
    aliases: dict = field(default_factory=dict)  # PyTorch-style op name -> this library's name

    def op(self, name: str) -> Callable:
        return getattr(self.m, self.aliases.get(name, name))

    def randn(self, shape: tuple, seed: int = 0):
        return self.from_numpy(np.random.default_rng(seed).standard_normal(shape, dtype=np.float32))

    def empty(self, shape: tuple):
        return self.from_numpy(np.empty(shape, dtype=np.float32))


def _numpy_threads(n: int) -> None:
    if threadpool_limits is not None:
        threadpool_limits(limits=n, user_api="blas")


def load() -> list[Lib]:
    """nativedl first (or its stand-in), then NumPy, then PyTorch if it imports."""
    nd = importlib.import_module(os.environ.get(STANDIN_ENV, "nativedl"))
    libs = [Lib("nativedl", nd, nd.from_numpy, nd.set_num_threads),
            Lib("numpy", np, lambda a: a, _numpy_threads, {"mul": "multiply"})]
    try:
        import torch
    except ImportError:
        return libs
    return libs + [Lib("torch", torch, torch.from_numpy, torch.set_num_threads)]
