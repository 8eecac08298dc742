"""Timing: warm-up, an inner loop long enough to time reliably (>= ~20 ms a sample), the median of samples."""
from __future__ import annotations

import itertools
import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable

MIN_SAMPLE_S = 0.02  # each sample runs the callable enough times to last at least this long


@dataclass(frozen=True)
class Timing:
    median_s: float  # seconds per call
    samples_s: list[float]  # seconds per call, one entry per sample
    inner: int  # calls per sample


def _sample(fn: Callable[[], object], inner: int) -> float:
    """Seconds per call over `inner` back-to-back calls."""
    start = time.perf_counter()
    for _ in itertools.repeat(None, inner):
        fn()
    return (time.perf_counter() - start) / inner


def _calibrate(fn: Callable[[], object], min_sample_s: float) -> int:
    """A call count whose sample lasts at least min_sample_s; the trial samples double as warm-up."""
    inner = 1
    while (total := _sample(fn, inner) * inner) < min_sample_s:
        inner = min(inner * 10, math.ceil(inner * 1.2 * min_sample_s / max(total, 1e-9)))
    return inner


def measure(fn: Callable[[], object], repeat: int, inner: int | None = None,
            min_sample_s: float = MIN_SAMPLE_S) -> Timing:
    """Warm fn up, then take `repeat` samples of `inner` calls each (adaptive when None).

    Libraries are timed one after another, never interleaved: their thread pools spin-wait after
    each parallel region, and alternating between them makes them fight over the cores.
    """
    fn()
    if inner is None:
        inner = _calibrate(fn, min_sample_s)
    samples = [_sample(fn, inner) for _ in range(repeat)]
    return Timing(statistics.median(samples), samples, inner)
