"""Benchmark nativedl against NumPy and PyTorch; ratios above 1 mean nativedl is faster."""
from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):  # run as `python bench/run.py`: make the `bench` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import report  # noqa: E402
from bench.cases import discover  # noqa: E402
from bench.harness import measure  # noqa: E402
from bench.libs import STANDIN_ENV, load  # noqa: E402


def _shape_str(shape: tuple) -> str:
    return "x".join(f"{d >> 20}M" if d >= 1 << 20 and d % (1 << 20) == 0 else str(d) for d in shape)


def _error(name: str, lib: str, exc: Exception) -> str:
    msg = f"{type(exc).__name__}: {exc}"
    print(f"error: {name} [{lib}]: {msg}", file=sys.stderr)
    return msg


def run_case(name, case, libs, threads, args, table):
    """Rows for one case (one per thread count), or [] when nativedl lacks the feature."""
    shape = case.quick if args.quick else case.shape
    libs = [lib for lib in libs if lib.name in case.libs]
    fns, errors = {}, {}
    for lib in libs:
        try:
            fns[lib.name] = case.setup(lib, shape)
        except Exception as exc:
            errors[lib.name] = _error(name, lib.name, exc)
    if "nativedl" in fns and fns["nativedl"] is None:
        return []
    rows = []
    for n in threads:
        for lib in libs:
            lib.set_threads(n)
        timings = {}
        for lib, fn in fns.items():
            try:
                if fn is not None:
                    timings[lib] = measure(fn, args.repeat, case.inner)
            except Exception as exc:
                errors[lib] = _error(name, lib, exc)
        median = {lib: t.median_s for lib, t in timings.items()}
        nd = median.get("nativedl")
        flops = case.flops(shape) if case.flops else None
        nbytes = case.bytes(shape) if case.bytes else None
        rate = None
        if nd and (flops or nbytes):
            rate = {"value": (flops or nbytes) / nd / 1e9, "unit": "GFLOP/s" if flops else "GB/s"}
        row = {"case": name, "shape": _shape_str(shape), "threads": n, "unit": case.unit,
               "median_s": median,
               "samples_s": {lib: t.samples_s for lib, t in timings.items()},
               "inner": {lib: t.inner for lib, t in timings.items()},
               "ratio": {lib: t / nd for lib, t in median.items() if lib != "nativedl" and nd},
               "flops": flops, "bytes": nbytes, "rate": rate, "errors": dict(errors)}
        print(table.row(row), flush=True)
        rows.append(row)
    return rows


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--out", metavar="FILE.json", help="also write the results as JSON")
    p.add_argument("--filter", default="", metavar="SUBSTR", help="only cases whose family.name contains SUBSTR")
    p.add_argument("--threads", default=str(len(os.sched_getaffinity(0))), metavar="1,2",
                   help="comma-separated thread counts to run every case at (default: all usable cpus)")
    p.add_argument("--repeat", type=int, default=5, metavar="N", help="timed samples per measurement (median)")
    p.add_argument("--quick", action="store_true", help="small sizes, for checking that the suite runs")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    cases = [(name, case) for name, case in discover() if args.filter in name]
    if not cases:
        sys.exit(f"no case matches --filter {args.filter!r}")
    try:
        libs = load()
    except ImportError as exc:
        sys.exit(f"cannot import nativedl ({exc}); install it, or set {STANDIN_ENV}=torch to test the suite itself")
    info = report.machine_info(libs)
    table = report.Table([name for name, _ in cases],
                         [_shape_str(c.quick if args.quick else c.shape) for _, c in cases],
                         [lib.name for lib in libs])
    print(report.preamble(info))
    print(table.header(), flush=True)
    rows, skipped = [], []
    for name, case in cases:
        case_rows = run_case(name, case, libs, threads, args, table)
        rows += case_rows
        if not case_rows:
            skipped.append(name)
            print(f"skipped: {name} (nativedl does not support it)", file=sys.stderr)
    if args.out:
        settings = {"threads": threads, "repeat": args.repeat, "quick": args.quick, "filter": args.filter}
        report.write_json(args.out, info, settings, rows, skipped)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
