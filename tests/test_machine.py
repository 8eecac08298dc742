"""The machine-limit probes behind `python -m bench --peak` (nativedl/machine.h): they run on any kernel set,
report positive finite rates, honour the thread count they are given and reject bad arguments. (No speed is
asserted: the machines tests run on are shared.)"""
import math

import pytest

import nativedl as nd
from nativedl import _C


@pytest.mark.parametrize("threads", [1, 2])
def test_fma_peak_is_a_positive_rate(threads):
    before = nd.get_num_threads()
    gflops = _C._measure_fma_peak(0.01, threads)
    assert math.isfinite(gflops) and gflops > 0
    assert nd.get_num_threads() == before  # the probe's thread count is not left behind


@pytest.mark.parametrize("threads", [1, 2])
def test_stream_bandwidth_is_a_positive_rate(threads):
    bw = _C._measure_stream_bandwidth(1 << 20, threads, 2)
    assert set(bw) == {"copy", "triad"}
    assert all(math.isfinite(v) and v > 0 for v in bw.values())


@pytest.mark.parametrize("call, message", [
    (lambda: _C._measure_fma_peak(0.0, 1), r"\[measure_fma_peak\] seconds"),
    (lambda: _C._measure_fma_peak(0.01, 0), r"\[measure_fma_peak\] threads"),
    (lambda: _C._measure_stream_bandwidth(100, 1, 1), r"\[measure_stream_bandwidth\] array_bytes"),
    (lambda: _C._measure_stream_bandwidth(1 << 20, 0, 1), r"\[measure_stream_bandwidth\] threads"),
    (lambda: _C._measure_stream_bandwidth(1 << 20, 1, 0), r"\[measure_stream_bandwidth\] repeats"),
])
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
