"""Sweep throughput: runs per minute of one scenario's replications on each executor.

A sweep is many independent replications, so its speed is runs per minute. This
times the same replications of one scenario on the executors ``ecosim sweep`` uses
(:func:`sim.executors.open_executor`: ``serial``, ``processes``, ``dask`` with a
LocalCluster), each task being :func:`sim.runner.run_replication` with both of its
tables returned to the caller.

Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
``distributed.nanny.pre-spawn-environ`` default). That fixes glibc's mmap threshold,
so every temporary array above 128 KiB is mapped and unmapped afresh, which slows a
replication by about half; ecosim's LocalCluster therefore unsets it
(:func:`sim.executors._local_cluster`).

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

from sim.executors import EXECUTORS, open_executor
from sim.runner import run_replication
from sim.scenario import Scenario, load_scenario

__all__ = ["timed_runs", "sweep_scaling"]

def timed_runs(
    executor: Executor, scenario: Scenario, runs: int, workers: int, repeat: int
) -> float:
    """Seconds to run replications ``0..runs-1`` (best of ``repeat``), after a warm-up.

    The warm-up is one replication per worker, so every worker has imported the model.
    """
    wait([executor.submit(run_replication, scenario, runs + w) for w in range(workers)])
    best = float("inf")
    for _ in range(repeat):
        clock = time.perf_counter()
        futures = [executor.submit(run_replication, scenario, i) for i in range(runs)]
        for future in futures:
            future.result()
        best = min(best, time.perf_counter() - clock)
    return best


def _seconds(kind: str, scenario: Scenario, runs: int, workers: int, repeat: int) -> float:
    with open_executor(kind, workers=None if kind == "serial" else workers) as info:
        return timed_runs(info.executor, scenario, runs, info.workers, repeat)


def sweep_scaling(scenario_dict: dict, runs: int, workers: int, repeat: int = 1) -> dict:
    """Runs per minute on every executor (best of ``repeat``) and the speed-up over ``serial``.

    Returns:
        ``{"runs", "workers", <executor>: {"seconds", "runs_per_minute", "speedup"}}``
        for ``serial``, ``processes`` and ``dask``.
    """
    scenario = load_scenario(scenario_dict)
    seconds = {kind: _seconds(kind, scenario, runs, workers, repeat) for kind in EXECUTORS}
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
