"""This machine's limits, which "% of peak" and "% of bandwidth" are computed against: the float32 FMA
peak and the STREAM copy/triad bandwidth, measured by nativedl's native probes (nativedl/machine.h)
with the kernel set nativedl picked, at each thread count of the run."""
from __future__ import annotations

import importlib
import json
import os

FMA_SECONDS = 0.3  # per thread count: 5 rounds, the best counts (rates over each thread's CPU time)
STREAM_REPEATS = 10  # passes per kernel, the best counts (other jobs share the memory bus)
MIN_STREAM_ARRAY_BYTES = 128 << 20


def _l3_bytes() -> int:
    try:
        return max(0, os.sysconf("SC_LEVEL3_CACHE_SIZE"))
    except (ValueError, OSError):
        return 0


def stream_array_bytes() -> int:
    """STREAM's rule: each array at least 4x the last-level cache, so no pass is served from it."""
    return max(MIN_STREAM_ARRAY_BYTES, 4 * _l3_bytes())


def measure(threads: list[int]) -> dict:
    """{"isa", "array_bytes", "by_threads": [{"threads", "fma_gflops", "stream_copy_gbs", "stream_triad_gbs"}]}."""
    nd = importlib.import_module("nativedl")
    array_bytes = stream_array_bytes()
    rows = []
    for n in threads:
        bw = nd._C._measure_stream_bandwidth(array_bytes, n, STREAM_REPEATS)
        rows.append({"threads": n, "fma_gflops": nd._C._measure_fma_peak(FMA_SECONDS, n),
                     "stream_copy_gbs": bw["copy"], "stream_triad_gbs": bw["triad"]})
    return {"isa": nd._C._cpu_isa(), "array_bytes": array_bytes, "by_threads": rows}


def load(path: str) -> dict:
    """The "peak" entry of a JSON file written by `python -m bench --out` (with or without --peak)."""
    with open(path) as f:
        peak = json.load(f).get("peak")
    if not peak:
        raise SystemExit(f"{path} holds no peak measurement")
    return peak


def complete(peak: dict | None, threads: list[int]) -> dict:
    """peak (from a file, or None) with any thread count it lacks measured now."""
    if peak is None:
        return measure(threads)
    have = {row["threads"] for row in peak["by_threads"]}
    missing = [n for n in threads if n not in have]
    if missing:
        peak = dict(peak, by_threads=peak["by_threads"] + measure(missing)["by_threads"])
    return peak


def at(peak: dict | None, threads: int) -> dict | None:
    """The measurement at this thread count, or None."""
    if peak is None:
        return None
    return next((row for row in peak["by_threads"] if row["threads"] == threads), None)


def summary(peak: dict) -> str:
    lines = [f"machine limits (nativedl {peak['isa']} probes; STREAM arrays of {peak['array_bytes'] >> 20} MiB):"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for row in peak["by_threads"]:
        lines.append(f"  {row['threads']} thread(s): FMA peak {row['fma_gflops']:.1f} GFLOP/s, "
                     f"STREAM triad {row['stream_triad_gbs']:.1f} GB/s, copy {row['stream_copy_gbs']:.1f} GB/s"
                     + (f" (more threads than the {cpus} usable cpus: not a limit)" if row["threads"] > cpus else ""))
    return "\n".join(lines)
