"""Time one replication of a scenario, phase by phase, and report its peak memory.

Run as a script it reads a scenario dict (JSON) from its first argument and prints
one JSON line, so :mod:`run` can measure every size in a fresh process and the peak
resident set size belongs to that size alone; ``--write`` also writes the two tables
as Parquet files (into a temporary directory) and counts that in the total::

    python benchmarks/measure.py '{"name": "bench_M", ...}' [--write]

The phases are those of :func:`sim.runner.run_replication`: building the model
(customers, peer graph, partners, coverage), stepping every quarter, and building the
result tables. Within the steps, the customer update (the phase functions of
:mod:`sim.sales`: renewals and churn, closing deals, MDF campaigns, adoption with word
of mouth and attribution) is timed on its own for the comparison with Mesa's
per-agent updates.

Before the measured run the script runs the same scenario at 2,000 customers for two
quarters, so one-time costs of a fresh interpreter (lazily imported submodules,
first calls) are not charged to the size; a sweep pays them once per worker.
"""

from __future__ import annotations

import copy
import json
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sim import sales
from sim.model import EcosystemModel
from sim.runner import replication_rng
from sim.scenario import load_scenario

__all__ = ["measure_replication", "peak_rss_bytes", "warm_up"]


def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# The customer phases of sim.sales: renewals and churn, closing deals, MDF campaigns, partners' push,
# adoption with word of mouth (choose_adopters, its own phase since several vendors compete), opportunities.
CUSTOMER_UPDATE = ("renew", "close", "run_mdf_campaigns", "partner_push", "choose_adopters", "open_opportunities")


@contextmanager
def _timed(module, names: tuple[str, ...], totals: dict, key: str):
    """Wrap functions of ``module`` so their seconds add up in ``totals[key]`` (CPU seconds in ``totals[key_cpu]``)."""
    totals[key] = totals[f"{key}_cpu"] = 0.0
    originals = {name: getattr(module, name) for name in names}

    def wrap(inner):
        def timed(*args, **kwargs):
            clock, cpu = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[key] += time.perf_counter() - clock
                totals[f"{key}_cpu"] += time.process_time() - cpu
        return timed

    for name, inner in originals.items():
        setattr(module, name, wrap(inner))
    try:
        yield
    finally:
        for name, inner in originals.items():
            setattr(module, name, inner)


def measure_replication(scenario_dict: dict, replication: int = 0, write: bool = False) -> dict:
    """Run replication ``replication`` of a scenario and time its phases.

    Args:
        scenario_dict: the scenario.
        replication: which replication to run.
        write: also write the quarterly and partner tables as Parquet files, as a run
            directory holds them (into a temporary directory, removed afterwards).

    Returns:
        ``customers``, ``partners``, ``quarters``, ``build_s``, ``step_s``,
        ``customer_update_s`` (part of ``step_s``), ``tables_s``, ``write_s`` (0 unless
        ``write``), ``total_s`` (all of them), ``updates_per_s`` (customer-quarters per
        second of stepping), ``partner_rows`` and ``peak_rss_bytes``; and the CPU seconds
        of this process (``customer_update_cpu_s``, ``step_cpu_s`` for build and steps,
        ``total_cpu_s``): on a busy machine they stay what an idle core would take.
    """
    scenario = load_scenario(scenario_dict)
    quarters = scenario.simulation.quarters
    cpu = time.process_time()
    clock = time.perf_counter()
    model = EcosystemModel(scenario, rng=replication_rng(scenario.simulation.seed, replication))
    built = time.perf_counter()
    inside: dict[str, float] = {}
    with _timed(sales, CUSTOMER_UPDATE, inside, "customer_update"):
        for _ in range(quarters):
            model.step()
    stepped = time.perf_counter()
    step_cpu = time.process_time()
    quarterly = model.recorder.quarterly_frame()
    partners = model.recorder.partner_frame()
    framed = time.perf_counter()
    if write:
        with tempfile.TemporaryDirectory(prefix="ecosim-bench-") as folder:
            quarterly.to_parquet(Path(folder) / "quarterly.parquet", index=False)
            partners.to_parquet(Path(folder) / "partners.parquet", index=False)
    done = time.perf_counter()
    total_cpu = time.process_time() - cpu
    customers = scenario.market.customers
    return {
        "customers": customers,
        "partners": model.partners.size,
        "quarters": quarters,
        "build_s": built - clock,
        "step_s": stepped - built,
        "customer_update_s": inside["customer_update"],
        "customer_update_cpu_s": inside["customer_update_cpu"],
        "step_cpu_s": step_cpu - cpu,
        "tables_s": framed - stepped,
        "write_s": done - framed,
        "total_s": done - clock,
        "total_cpu_s": total_cpu,
        "updates_per_s": customers * quarters / (stepped - built),
        "partner_rows": len(partners),
        "peak_rss_bytes": peak_rss_bytes(),
    }


def warm_up(scenario_dict: dict) -> None:
    """Run the scenario at 2,000 customers for two quarters (imports, first calls)."""
    small = copy.deepcopy(scenario_dict)
    small["market"]["customers"] = 2_000
    small["simulation"]["quarters"] = 2
    measure_replication(small)


if __name__ == "__main__":
    scenario_json = json.loads(sys.argv[1])
    warm_up(scenario_json)
    print(json.dumps(measure_replication(scenario_json, write="--write" in sys.argv[2:])))
