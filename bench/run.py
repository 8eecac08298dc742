"""Benchmark nativedl against NumPy and PyTorch; ratios above 1 mean nativedl is faster."""
from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):  # run as `python bench/run.py`: make the `bench` package importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import peak as machine_peak  # noqa: E402
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


def _rates(median: dict, flops, nbytes) -> dict:
    """Each library's throughput: GFLOP/s when the case declares flops, else GB/s."""
    if not (flops or nbytes):
        return {}
    unit = "GFLOP/s" if flops else "GB/s"
    return {lib: {"value": (flops or nbytes) / t / 1e9, "unit": unit} for lib, t in median.items() if t}


def _percents(median: dict, flops, nbytes, limits: dict | None) -> dict:
    """nativedl's share of the FMA peak (flops cases) and STREAM triad bandwidth (bytes cases) of the
    device the case runs on."""
    nd = median.get("nativedl")
    if not nd or limits is None:
        return {}
    out = {}
    if flops:
        out["peak"] = 100 * flops / nd / 1e9 / limits["fma_gflops"]
    if nbytes:
        out["bandwidth"] = 100 * nbytes / nd / 1e9 / limits["stream_triad_gbs"]
    return out


def run_case(name, case, libs, threads, args, table, peak=None):
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
        rates = _rates(median, flops, nbytes)
        row = {"case": name, "shape": _shape_str(shape), "threads": n, "unit": case.unit,
               "median_s": median,
               "samples_s": {lib: t.samples_s for lib, t in timings.items()},
               "inner": {lib: t.inner for lib, t in timings.items()},
               "ratio": {lib: t / nd for lib, t in median.items() if lib != "nativedl" and nd},
               "flops": flops, "bytes": nbytes, "rate": rates.get("nativedl"), "rates": rates,
               "percent": _percents(median, flops, nbytes, machine_peak.at(peak, n, case.device)),
               "errors": dict(errors)}
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
    p.add_argument("--peak", action="store_true",
                   help="only measure this machine's FMA peak and STREAM bandwidth at each --threads count")
    p.add_argument("--no-peak", action="store_true", help="skip measuring them (no %% of peak / bandwidth columns)")
    p.add_argument("--peak-file", metavar="FILE.json",
                   help="reuse the peak recorded in an earlier --out file (thread counts it lacks are measured)")
    return p.parse_args(argv)


def _limits(args, threads):
    """The machine's peak and bandwidth for this run, or None (--no-peak, or nativedl's probes unavailable)."""
    if args.no_peak:
        return None
    try:
        peak = machine_peak.complete(machine_peak.load(args.peak_file) if args.peak_file else None, threads)
    except (ImportError, AttributeError) as exc:
        print(f"note: cannot measure the machine's peak ({exc}); no % columns", file=sys.stderr)
        return None
    print(machine_peak.summary(peak), flush=True)
    return peak


def main(argv=None):
    args = parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    if args.peak and args.no_peak:
        sys.exit("--peak and --no-peak contradict each other")
    if args.peak:
        peak = _limits(args, threads)
        if peak is None:
            sys.exit("cannot measure the peak: nativedl (with nativedl._C._measure_fma_peak) is needed")
        if args.out:
            report.write_json(args.out, report.machine_info(load()), {"threads": threads}, [], [], peak)
            print(f"wrote {args.out}")
        return
    cases = [(name, case) for name, case in discover() if args.filter in name]
    if not cases:
        sys.exit(f"no case matches --filter {args.filter!r}")
    try:
        libs = load()
    except ImportError as exc:
        sys.exit(f"cannot import nativedl ({exc}); install it, or set {STANDIN_ENV}=torch to test the suite itself")
    info = report.machine_info(libs)
    print(report.preamble(info))
    peak = _limits(args, threads)
    table = report.Table([name for name, _ in cases],
                         [_shape_str(c.quick if args.quick else c.shape) for _, c in cases],
                         [lib.name for lib in libs], percents=peak is not None)
    print(table.header(), flush=True)
    rows, skipped = [], []
    for name, case in cases:
        case_rows = run_case(name, case, libs, threads, args, table, peak)
        rows += case_rows
        if not case_rows:
            skipped.append(name)
            print(f"skipped: {name} (nativedl does not support it)", file=sys.stderr)
    if args.out:
        settings = {"threads": threads, "repeat": args.repeat, "quick": args.quick, "filter": args.filter}
        report.write_json(args.out, info, settings, rows, skipped, peak)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
