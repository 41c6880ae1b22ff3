"""Sweep throughput: runs per minute of one scenario's replications on each executor.

A sweep is many independent replications, so its speed is runs per minute. This
times the same replications of one scenario on the executors ``ecosim sweep`` uses
(:func:`sim.experiments.executors.open_executor`: ``serial``, ``processes``, ``dask`` with a
LocalCluster), each task being what a sweep's workers run,
:func:`sim.experiments.tasks.run_task`: one replication (a sweep batches several per task,
which only lowers the overhead) returning its row of final and run-total metrics and
the quarter the flywheel starts.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
``distributed.nanny.pre-spawn-environ`` default). That fixes glibc's mmap threshold,
so every temporary array above 128 KiB is mapped and unmapped afresh, which slows a
replication by about half; ecosim's LocalCluster therefore unsets it
(:func:`sim.experiments.executors._local_cluster`).

Executors are opened and warmed up (one replication per worker, so imports are
done) before the clock starts: a thousand-run sweep pays start-up once, so
steady-state throughput is what decides its wall time.

Run as a script it prints one JSON line::

    python benchmarks/sweep_scaling.py '{"name": "bench_M", ...}' RUNS WORKERS REPEAT
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import Executor, wait

from sim.experiments.executors import EXECUTORS, open_executor
from sim.experiments.tasks import RunSpec, Task, run_task

METRICS = ("revenue", "revenue_partner_sourced", "revenue_partner_influenced", "partners_active")

__all__ = ["timed_runs", "sweep_scaling"]

def task(scenario: dict, replication: int) -> Task:
    """A sweep task of one replication of ``scenario``, keeping the usual sweep metrics."""
    run = RunSpec(replication, 0, replication, scenario["simulation"]["seed"], {})
    return Task(scenario, (run,), final=METRICS, total=METRICS, flywheel=True, timeseries=())


def timed_runs(executor: Executor, scenario: dict, runs: int, workers: int, repeat: int) -> float:
    """Seconds to run replications ``0..runs-1`` (best of ``repeat``), after a warm-up.

    The warm-up is one replication per worker, so every worker has imported the model.
    """
    wait([executor.submit(run_task, task(scenario, runs + w)) for w in range(workers)])
    best = float("inf")
    for _ in range(repeat):
        clock = time.perf_counter()
        futures = [executor.submit(run_task, task(scenario, i)) for i in range(runs)]
        for future in futures:
            if (future.result().runs["status"] != "ok").any():
                raise RuntimeError("a benchmark run failed")
        best = min(best, time.perf_counter() - clock)
    return best


def _seconds(kind: str, scenario: dict, runs: int, workers: int, repeat: int) -> float:
    with open_executor(kind, workers=None if kind == "serial" else workers) as info:
        return timed_runs(info.executor, scenario, runs, info.workers, repeat)


def sweep_scaling(scenario_dict: dict, runs: int, workers: int, repeat: int = 1) -> dict:
    """Runs per minute on every executor (best of ``repeat``) and the speed-up over ``serial``.

    Returns:
        ``{"runs", "workers", <executor>: {"seconds", "runs_per_minute", "speedup"}}``
        for ``serial``, ``processes`` and ``dask``.
    """
    seconds = {kind: _seconds(kind, scenario_dict, runs, workers, repeat) for kind in EXECUTORS}
    result: dict = {"runs": runs, "workers": workers, "repeat": repeat}
    for kind, s in seconds.items():
        result[kind] = {
            "seconds": s,
            "runs_per_minute": 60.0 * runs / s,
            "speedup": seconds["serial"] / s,
        }
    return result


if __name__ == "__main__":
    scenario_json, n_runs, n_workers, n_repeat = sys.argv[1:5]
    print(
        json.dumps(
            sweep_scaling(json.loads(scenario_json), int(n_runs), int(n_workers), int(n_repeat))
        )
    )
