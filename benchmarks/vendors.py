"""Benchmark the cost of competition: one startup against five at size M.

Usage (from the repository root)::

    .venv/bin/python benchmarks/vendors.py            # 1 and 5 startups at M, best of 3 each
    .venv/bin/python benchmarks/vendors.py --repeat 1 --vendors 1 2 5

The M-size scenario of :mod:`sizes` (50,000 customers, 500 partners, 40 quarters) is
written in the ``vendors:`` form with N identical startups, each with the baseline's
company, program and partners on board at the start; each run is measured in a fresh
process (:mod:`measure`). The target of the competition issue: five startups cost at
most twice one startup's time. Besides wall seconds the table gives the run's CPU
seconds and their ratio (the least of the runs), which stay what an idle core would
take on a busy machine.
"""

from __future__ import annotations

import argparse
import copy
import json

from run import in_fresh_process, load
from sizes import size_scenario

TARGET_RATIO = 2.0


def vendors_scenario(n: int, size: str = "M") -> dict:
    """The size's scenario with ``n`` identical startups (``vendors:``)."""
    scenario = copy.deepcopy(size_scenario(size))
    company, program = scenario.pop("vendor", {}), scenario.pop("program", {})
    initial = {t: spec.pop("initial") for t, spec in scenario["partners"].items()
               if isinstance(spec, dict) and spec.get("initial")}
    scenario["vendors"] = [{"name": f"startup_{i + 1}", **company, "program": program, "initial_partners": initial}
                           for i in range(n)]
    scenario["name"] = f"bench_{size}_{n}_vendors"
    return scenario


def main(argv: list[str] | None = None) -> dict:
    """Measure each number of startups, print the table and the ratio to one startup."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", type=int, nargs="+", default=[1, 5], help="numbers of startups")
    parser.add_argument("--repeat", type=int, default=3, help="fresh-process runs per number; best kept")
    args = parser.parse_args(argv)
    print(f"load average (1, 5, 15 min) before: {load()}")
    results = {}
    for n in args.vendors:
        runs = [in_fresh_process("measure.py", json.dumps(vendors_scenario(n))) for _ in range(args.repeat)]
        results[n] = {**min(runs, key=lambda r: r["total_s"]), "total_cpu_s": min(r["total_cpu_s"] for r in runs)}
    base, base_cpu = results[min(results)]["total_s"], results[min(results)]["total_cpu_s"]
    print(f"{'startups':>8}  {'build s':>8}  {'step s':>8}  {'total s':>8}  {'x one':>6}  {'cpu s':>6}  "
          f"{'x one':>6}  target")
    for n, r in results.items():
        ratio, cpu_ratio = r["total_s"] / base, r["total_cpu_s"] / base_cpu
        target = f"<= {TARGET_RATIO:g}x {'met' if ratio <= TARGET_RATIO else 'not met'}" if n == 5 else ""
        print(f"{n:>8}  {r['build_s']:8.2f}  {r['step_s']:8.2f}  {r['total_s']:8.2f}  {ratio:6.2f}  "
              f"{r['total_cpu_s']:6.2f}  {cpu_ratio:6.2f}  {target}")
    print(f"load average after: {load()}")
    return results


if __name__ == "__main__":
    main()
