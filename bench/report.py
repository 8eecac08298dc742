"""Presenting results: machine info, the plain-text table (streamed row by row) and the JSON file."""
from __future__ import annotations

import json
import os
import platform

from bench.libs import STANDIN_ENV, Lib, threadpool_limits

UNIT_SCALE = {"ms": 1e3, "us": 1e6}
LIB_TITLES = {"nativedl": "nativedl", "numpy": "NumPy", "torch": "PyTorch"}


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _torch_capability(libs: list[Lib]) -> str | None:
    """The vector ISA PyTorch's own CPU kernels dispatch to (e.g. "AVX512")."""
    torch = next((lib.m for lib in libs if lib.name == "torch"), None)
    try:
        return torch.backends.cpu.get_cpu_capability() if torch is not None else None
    except AttributeError:
        return None


def _numpy_blas() -> list[dict] | None:
    """NumPy's (and any other loaded) BLAS libraries, as threadpoolctl sees them."""
    if threadpool_limits is None:
        return None
    from threadpoolctl import threadpool_info
    return [{k: lib.get(k) for k in ("internal_api", "version", "num_threads")} for lib in threadpool_info()]


def machine_info(libs: list[Lib]) -> dict:
    nd = libs[0].m
    build = getattr(nd, "__build_info__", None)
    return {
        "cpu": _cpu_model(),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {lib.name: getattr(lib.m, "__version__", None) for lib in libs},
        "nativedl_module": nd.__name__,
        "nativedl_standin": os.environ.get(STANDIN_ENV),
        "nativedl_build_info": build,
        "nativedl_isa": build.get("isa") if isinstance(build, dict) else None,
        "torch_cpu_capability": _torch_capability(libs),
        "blas": _numpy_blas(),
        "numpy_blas_threads_controlled": threadpool_limits is not None,
    }


def preamble(info: dict) -> str:
    lines = [f"cpu: {info['cpu']} ({info['nproc']} cpus); nativedl kernels: {info['nativedl_isa']}"
             + (f", PyTorch kernels: {info['torch_cpu_capability']}" if info["torch_cpu_capability"] else ""),
             "versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())]
    if info["nativedl_standin"]:
        lines.append(f"NOTE: nativedl column is the stand-in module '{info['nativedl_module']}' ({STANDIN_ENV}),"
                     " not nativedl")
    if not info["numpy_blas_threads_controlled"]:
        lines.append("NOTE: threadpoolctl not installed; NumPy's BLAS ignores --threads")
    return "\n".join(lines)


class Table:
    """Fixed-width rows printed as soon as each is measured; widths fit the selected cases."""

    def __init__(self, names: list[str], shapes: list[str], libs: list[str], percents: bool = False):
        self.libs, self.percents = libs, percents
        self.cols = ([("case", max(map(len, names + ["case"])), "<"),
                      ("shape", max(map(len, shapes + ["shape"])), "<"), ("thr", 3, ">"), ("unit", 4, "<")]
                     + [(LIB_TITLES[lib], 10, ">") for lib in libs]
                     + [(f"{lib}/nd", 9, ">") for lib in libs[1:]]
                     + [("nativedl rate", 14, ">")]
                     + ([("% peak", 6, ">"), ("% bw", 6, ">")] if percents else []))

    def _line(self, cells: list[str]) -> str:
        return "  ".join(f"{c:{align}{w}}" for c, (_, w, align) in zip(cells, self.cols)).rstrip()

    def header(self) -> str:
        head = self._line([title for title, _, _ in self.cols])
        return f"{head}\n{'-' * len(head)}"

    def row(self, r: dict) -> str:
        scale = UNIT_SCALE[r["unit"]]
        times = [r["median_s"].get(lib) for lib in self.libs]
        ratios = [r["ratio"].get(lib) for lib in self.libs[1:]]
        rate = r["rate"]
        pct = [r["percent"].get(k) for k in ("peak", "bandwidth")] if self.percents else []
        return self._line([r["case"], r["shape"], str(r["threads"]), r["unit"]]
                          + ["error" if lib in r["errors"] else f"{t * scale:.3f}" if t is not None else ""
                             for lib, t in zip(self.libs, times)]
                          + [f"{x:.2f}" if x is not None else "" for x in ratios]
                          + [f"{rate['value']:.1f} {rate['unit']}" if rate else ""]
                          + [f"{p:.1f}" if p is not None else "" for p in pct])


def write_json(path: str, info: dict, settings: dict, rows: list[dict], skipped: list[str],
               peak: dict | None = None) -> None:
    """peak: bench.peak.measure()'s result, or None when not measured."""
    with open(path, "w") as f:
        json.dump({"machine": info, "settings": settings, "peak": peak, "results": rows, "skipped": skipped},
                  f, indent=2, default=str)
        f.write("\n")
