"""This machine's limits, which "% of peak" and "% of bandwidth" are computed against: the float32 FMA
peak and the STREAM copy/triad bandwidth, measured by nativedl's native probes (nativedl/machine.h)
with the kernel set nativedl picked, at each thread count of the run; and, with a GPU, the CUDA
device's float32 FMA peak and triad bandwidth, which the CUDA rows are computed against."""
from __future__ import annotations

import importlib
import json
import os

FMA_SECONDS = 0.3  # per thread count: 5 rounds, the best counts (rates over each thread's CPU time)
STREAM_REPEATS = 10  # passes per kernel, the best counts (other jobs share the memory bus)
MIN_STREAM_ARRAY_BYTES = 128 << 20
CUDA_ARRAY_BYTES = 256 << 20  # far beyond any GPU's L2


def _l3_bytes() -> int:
    try:
        return max(0, os.sysconf("SC_LEVEL3_CACHE_SIZE"))
    except (ValueError, OSError):
        return 0


def stream_array_bytes() -> int:
    """STREAM's rule: each array at least 4x the last-level cache, so no pass is served from it."""
    return max(MIN_STREAM_ARRAY_BYTES, 4 * _l3_bytes())


def measure_cuda() -> dict | None:
    """{"fma_gflops", "stream_triad_gbs"} of the current CUDA device, or None without one."""
    nd = importlib.import_module("nativedl")
    if not nd.cuda.is_available():
        return None
    p = nd._C._measure_cuda_peak(CUDA_ARRAY_BYTES, STREAM_REPEATS)
    return {"fma_gflops": p["fma_gflops"], "stream_triad_gbs": p["triad_gbs"]}


def measure(threads: list[int]) -> dict:
    """{"isa", "array_bytes", "by_threads": [{"threads", "fma_gflops", "stream_copy_gbs", "stream_triad_gbs"}],
    "cuda": measure_cuda()}."""
    nd = importlib.import_module("nativedl")
    array_bytes = stream_array_bytes()
    rows = []
    for n in threads:
        bw = nd._C._measure_stream_bandwidth(array_bytes, n, STREAM_REPEATS)
        rows.append({"threads": n, "fma_gflops": nd._C._measure_fma_peak(FMA_SECONDS, n),
                     "stream_copy_gbs": bw["copy"], "stream_triad_gbs": bw["triad"]})
    return {"isa": nd._C._cpu_isa(), "array_bytes": array_bytes, "by_threads": rows, "cuda": measure_cuda()}


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
    if peak.get("cuda") is None:
        peak = dict(peak, cuda=measure_cuda())
    return peak


def at(peak: dict | None, threads: int, device: str = "cpu") -> dict | None:
    """The limits of a case on `device` at this thread count ({"fma_gflops", "stream_triad_gbs", ...}), or None."""
    if peak is None:
        return None
    if device == "cuda":
        return peak.get("cuda")
    return next((row for row in peak["by_threads"] if row["threads"] == threads), None)


def summary(peak: dict) -> str:
    lines = [f"machine limits (nativedl {peak['isa']} probes; STREAM arrays of {peak['array_bytes'] >> 20} MiB):"]
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for row in peak["by_threads"]:
        lines.append(f"  {row['threads']} thread(s): FMA peak {row['fma_gflops']:.1f} GFLOP/s, "
                     f"STREAM triad {row['stream_triad_gbs']:.1f} GB/s, copy {row['stream_copy_gbs']:.1f} GB/s"
                     + (f" (more threads than the {cpus} usable cpus: not a limit)" if row["threads"] > cpus else ""))
    if peak.get("cuda"):
        lines.append(f"  CUDA device: FMA peak {peak['cuda']['fma_gflops']:.0f} GFLOP/s, "
                     f"triad {peak['cuda']['stream_triad_gbs']:.0f} GB/s (the cuda rows' % columns)")
    return "\n".join(lines)
