"""Benchmark ecosim at DESIGN.md's reference sizes, against Mesa's own network example.

Usage (from the repository root)::

    .venv/bin/python benchmarks/run.py                 # everything (about two minutes)
    .venv/bin/python benchmarks/run.py --sizes M L     # only some sizes
    .venv/bin/python benchmarks/run.py --skip sweep scaling --json out.json

Prints, per size (M, L, XL; one replication of 40 quarters, graph building included,
each size in a fresh process so its peak memory is its own): build, step, table and
total seconds, customer-quarter updates per second and peak RSS. Then the Mesa
comparison (agent-steps per second of ``mesa.examples.basic.virus_on_network`` and of
ecosim at 50,000 customers / nodes, and their ratio), sweep throughput (runs per
minute of M-size runs on each executor), and how time grows with size (1/4, 1/2 and
all of XL, with the fitted log-log exponent). The targets of the performance issue
are printed beside each figure. Nothing here is a test: timings depend on the
machine and on what else it runs, so the header records the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sizes import QUARTERS, SIZES, size_scenario

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TARGET_SECONDS = {"M": 1.0, "L": 4.0, "XL": 20.0, "XXL": 60.0}
TARGET_PEAK_BYTES = {"XL": 4 * 1024**3, "XXL": 8 * 1024**3}
TARGET_MESA_RATIO = 100.0
DEFAULT_SIZES = ("M", "L", "XL")  # XXL (about a minute and 5 GiB) runs when asked: --sizes XXL
WRITTEN_SIZES = ("XXL",)  # sizes whose total includes writing the tables (quarterly and partner Parquet)
TARGET_SPEEDUP = {"processes": 1.8, "dask": 1.6}
SCALING_FRACTIONS = (0.25, 0.5, 1.0)
SCALING_ROUNDS = 3  # at least: the exponent compares sizes, so it needs steady figures
MESA_MEAN_DEGREE = 10
SECTIONS = ("sizes", "mesa", "sweep", "scaling")

# One BLAS/OpenMP thread per process: speed-ups must come from the executors alone.
SINGLE_THREAD = {var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def in_fresh_process(script: str, *args: str) -> dict:
    """Run a benchmark script in a new interpreter and return the JSON it prints last."""
    out = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **SINGLE_THREAD},
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{script} {' '.join(args)[:80]} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_size(size: str, fraction: float = 1.0, repeat: int = 1) -> dict:
    """Best of ``repeat`` fresh-process measurements of one size (by total seconds).

    The sizes of ``WRITTEN_SIZES`` also write their tables, and the total counts it.
    """
    scenario = json.dumps(size_scenario(size, fraction))
    write = ["--write"] if size in WRITTEN_SIZES and fraction == 1.0 else []
    runs = [in_fresh_process("measure.py", scenario, *write) for _ in range(repeat)]
    return min(runs, key=lambda r: r["total_s"])


def measure_scaling(rounds: int) -> dict[float, dict]:
    """Best of ``rounds`` fresh-process runs at each fraction of XL, taken in turn.

    Rounds go through every fraction in turn, so a busy spell on a shared machine slows
    all fractions alike instead of tilting the fitted exponent.
    """
    runs: dict[float, list[dict]] = {f: [] for f in SCALING_FRACTIONS}
    for _ in range(rounds):
        for f in SCALING_FRACTIONS:
            runs[f].append(in_fresh_process("measure.py", json.dumps(size_scenario("XL", f))))
    return {f: min(r, key=lambda run: run["total_s"]) for f, r in runs.items()}


def fitted_exponent(sizes: list[float], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size): 1 is linear growth."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


# --------------------------------------------------------------------------- header
def machine() -> dict:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory / 1024**3, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def commit() -> str:
    """The checked-out commit, with ``-dirty`` when tracked files under sim/ are modified."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no", "sim") else "")


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- printing
def table(header: list[str], rows: list[list[str]]) -> str:
    """Right-aligned columns (the first left-aligned), as plain text."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def verdict(value: float, target: float, at_most: bool = True) -> str:
    """``met`` or ``NOT MET`` for a figure against its target."""
    return "met" if (value <= target if at_most else value >= target) else "NOT MET"


def mib(n: float) -> str:
    """Bytes as MiB."""
    return f"{n / 1024**2:,.0f} MiB"


def print_sizes(results: dict[str, dict]) -> None:
    """The per-size table."""
    rows = []
    for size, r in results.items():
        target, peak_target = TARGET_SECONDS.get(size), TARGET_PEAK_BYTES.get(size)
        rows.append(
            [
                size,
                f"{r['customers']:,}",
                f"{r['partners']:,}",
                f"{r['build_s']:.2f}",
                f"{r['step_s']:.2f}",
                f"{r['tables_s']:.2f}",
                f"{r['write_s']:.2f}" if r["write_s"] else "-",
                f"{r['total_s']:.2f}",
                f"<= {target:g} s {verdict(r['total_s'], target)}" if target else "",
                f"{r['updates_per_s'] / 1e6:.2f} M",
                mib(r["peak_rss_bytes"]),
                f"<= {mib(peak_target)} {verdict(r['peak_rss_bytes'], peak_target)}"
                if peak_target
                else "",
            ]
        )
    print(
        f"\nPer size: one replication, {QUARTERS} quarters, graph building included, "
        "each in a fresh process"
    )
    print(
        table(
            [
                "size",
                "customers",
                "partners",
                "build s",
                "step s",
                "tables s",
                "write s",
                "total s",
                "target",
                "cust-qtr/s",
                "peak RSS",
                "target",
            ],
            rows,
        )
    )
    for size, r in results.items():
        print(f"  {size}: {r['total_cpu_s']:.2f} CPU seconds in all ({r['total_s']:.2f} s wall)")


def print_mesa(ours: dict, mesa: dict) -> dict:
    """The side-by-side comparison; returns the ratios."""
    n, steps = ours["customers"], ours["quarters"]
    customer_rate = n * steps / ours["customer_update_s"]
    ratios = {
        "customer_update": customer_rate / mesa["agent_steps_per_s"],
        "whole_quarter": ours["updates_per_s"] / mesa["agent_steps_per_s"],
        # by CPU seconds: what the two take on an idle core, however busy the machine was
        "customer_update_cpu": mesa["step_cpu_s"] / ours["customer_update_cpu_s"],
    }
    rows = [
        [
            f"mesa virus_on_network (mean degree {mesa['mean_degree']:.1f})",
            f"{mesa['build_s']:.2f}",
            f"{mesa['step_s']:.2f}",
            f"{mesa['agent_steps_per_s']:,.0f}",
            "",
        ],
        [
            "ecosim customer update (renew, close, adopt, open)",
            "",
            f"{ours['customer_update_s']:.2f}",
            f"{customer_rate:,.0f}",
            f"{ratios['customer_update']:.0f}x",
        ],
        [
            "ecosim whole quarter (with partners, accounting)",
            f"{ours['build_s']:.2f}",
            f"{ours['step_s']:.2f}",
            f"{ours['updates_per_s']:,.0f}",
            f"{ratios['whole_quarter']:.0f}x",
        ],
    ]
    print(f"\nMesa comparison: {n:,} customers / nodes, {steps} steps each")
    print(table(["", "build s", "step s", "agent-steps/s", "ratio"], rows))
    print(
        f"customer update by CPU seconds (Mesa {mesa['step_cpu_s']:.2f}, ecosim "
        f"{ours['customer_update_cpu_s']:.2f}): {ratios['customer_update_cpu']:.0f}x"
    )
    print(
        f"target: customer update >= {TARGET_MESA_RATIO:g}x Mesa: "
        f"{verdict(ratios['customer_update'], TARGET_MESA_RATIO, at_most=False)}"
    )
    return ratios


def print_sweep(result: dict) -> None:
    """Runs per minute per executor."""
    rows = []
    for name in ("serial", "processes", "dask"):
        r, target = result[name], TARGET_SPEEDUP.get(name)
        rows.append(
            [
                name,
                f"{r['seconds']:.2f}",
                f"{r['runs_per_minute']:.0f}",
                f"{r['speedup']:.2f}x",
                f">= {target:g}x {verdict(r['speedup'], target, at_most=False)}" if target else "",
            ]
        )
    print(
        f"\nSweep throughput: {result['runs']} M-size runs per executor (best of "
        f"{result['repeat']}), {result['workers']} workers, warmed up first"
    )
    print(table(["executor", "seconds", "runs/min", "speed-up", "target"], rows))


def print_scaling(points: dict[float, dict], rounds: int) -> dict:
    """Time at fractions of XL and the fitted exponents; returns the exponents."""
    fractions = list(points)
    exponents = {
        key: fitted_exponent(fractions, [points[f][key] for f in fractions])
        for key in ("total_s", "step_s", "build_s")
    }
    rows = [
        [
            f"{f:g}",
            f"{r['customers']:,}",
            f"{r['partners']:,}",
            f"{r['build_s']:.2f}",
            f"{r['step_s']:.2f}",
            f"{r['total_s']:.2f}",
            f"{r['updates_per_s'] / 1e6:.2f} M",
        ]
        for f, r in points.items()
    ]
    rows.append(
        [
            "exponent",
            "",
            "",
            f"{exponents['build_s']:.2f}",
            f"{exponents['step_s']:.2f}",
            f"{exponents['total_s']:.2f}",
            "",
        ]
    )
    print(
        "\nScaling: fractions of XL (customers and partners together), best of "
        f"{rounds} rounds taken in turn, exponent = log-log slope"
    )
    header = ["fraction", "customers", "partners", "build s", "step s", "total s", "cust-qtr/s"]
    print(table(header, rows))
    print(
        f"target: total grows no worse than linearly (exponent <= 1.00 at the precision shown): "
        f"{verdict(round(exponents['total_s'], 2), 1.0)}"
    )
    return exponents


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> dict:
    """Run the selected benchmarks, print them, and return every figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=list(DEFAULT_SIZES), choices=list(SIZES),
                        help="sizes to measure (default: M L XL; XXL when named)")
    parser.add_argument(
        "--skip", nargs="+", default=[], choices=SECTIONS, help="sections to leave out"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size and per sweep executor; best kept"
    )
    parser.add_argument("--sweep-runs", type=int, default=24, help="M-size runs per executor")
    parser.add_argument(
        "--workers", type=int, default=2, help="process pool and Dask cluster workers"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)

    report: dict = {
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "commit": commit(),
        "machine": machine(),
        "load_before": load(),
    }
    m = report["machine"]
    print(f"ecosim benchmark  {report['date_utc']} UTC  commit {report['commit']}")
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, "
        f"Python {m['python']}"
    )
    print(f"load average (1, 5, 15 min) before: {report['load_before']}")

    sizes: dict[str, dict] = {}
    if "sizes" not in args.skip:
        sizes = {size: measure_size(size, repeat=args.repeat) for size in args.sizes}
        print_sizes(sizes)
        report["sizes"] = sizes
    if "mesa" not in args.skip:
        ours = sizes.get("M") or measure_size("M", repeat=args.repeat)
        mesa = in_fresh_process(
            "mesa_reference.py", str(SIZES["M"][0]), str(MESA_MEAN_DEGREE), str(QUARTERS), "0"
        )
        report["mesa"] = {"ecosim": ours, "mesa": mesa, "ratio": print_mesa(ours, mesa)}
    if "sweep" not in args.skip:
        report["sweep"] = in_fresh_process(
            "sweep_scaling.py",
            json.dumps(size_scenario("M")),
            str(args.sweep_runs),
            str(args.workers),
            str(args.repeat),
        )
        print_sweep(report["sweep"])
    if "scaling" not in args.skip:
        rounds = max(args.repeat, SCALING_ROUNDS)
        points = measure_scaling(rounds)
        report["scaling"] = {
            "points": {str(f): r for f, r in points.items()},
            "rounds": rounds,
            "exponents": print_scaling(points, rounds),
        }
    report["load_after"] = load()
    print(f"\nload average after: {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
