"""Evaluating designs: each design's replications on an executor, reduced to outcomes.

A design is a set of scenario overrides on a base scenario. Every design runs
replication ``r`` on ``SeedSequence(seed, spawn_key=(r,))`` (:func:`sim.runner.replication_rng`),
so designs are compared on common random numbers. The runs are batched into
:class:`sim.experiments.tasks.Task` objects and run with :func:`sim.experiments.executors.run_tasks`
on any executor; as soon as all replications of a design are in, its outcomes
(:mod:`sim.experiments.outcomes`) are handed on, so an optimiser can learn from it at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.experiments.compare_spec import MetricSpec
from sim.experiments.executors import ExecutorInfo, run_tasks
from sim.experiments.outcomes import label, reduce_runs, timeseries_columns
from sim.experiments.tasks import RunSpec, Task, TaskResult, run_task

__all__ = ["Evaluation", "evaluate_designs"]

TASKS_PER_WORKER = 2


@dataclass(frozen=True)
class Evaluation:
    """What was learned about one design.

    Attributes:
        key: the design's key (a trial number).
        outcomes: one row per replication (``replication`` and one column per outcome
            label), or ``None`` when a run failed.
        error: the first failed run's error, or ``None``.
    """

    key: int
    outcomes: pd.DataFrame | None
    error: str | None

    def means(self) -> pd.Series:
        """Each outcome's mean over the replications."""
        return self.outcomes.drop(columns="replication").mean()


def evaluate_designs(designs: dict[int, dict], *, base: dict, seed: int, replications: int,
                     outcomes: list[MetricSpec], info: ExecutorInfo, on_design: Callable[[Evaluation], None],
                     notify: Callable[[str], None] = print) -> list[tuple[int, str]]:
    """Run every design's replications and hand on each design's :class:`Evaluation` when complete.

    Args:
        designs: key (a non-negative integer) -> scenario overrides.
        base: the resolved base scenario.
        seed: the root seed every design shares.
        replications: replications per design.
        outcomes: what to reduce each run to.
        info: an open executor.
        on_design: called in this process with each finished design.
        notify: how to tell the user that running tasks are being saved on Ctrl-C.

    Returns:
        ``(key, error)`` of designs whose runs were lost to the infrastructure.
    """
    quarters = base["simulation"]["quarters"]
    runs = [RunSpec((key + 1) * replications + r, key, r, seed, overrides)
            for key, overrides in designs.items() for r in range(replications)]
    size = max(1, math.ceil(len(runs) / (TASKS_PER_WORKER * info.workers)))
    columns = timeseries_columns(outcomes)
    tasks = [Task(base, tuple(runs[i:i + size]), (), (), False, columns) for i in range(0, len(runs), size)]
    done: dict[int, list[pd.DataFrame]] = {}
    errors: dict[int, str] = {}

    def collect(batch: Task, result: TaskResult) -> None:
        frame = reduce_runs(result.runs, result.timeseries, outcomes, quarters)
        failed = result.runs.loc[result.runs["status"] != "ok"]
        for run in batch.runs:
            if run.run_id in frame.index:
                row = frame.loc[[run.run_id]].reset_index(drop=True)
                done.setdefault(run.point_id, []).append(row.assign(replication=run.replication))
            else:
                done.setdefault(run.point_id, []).append(None)
                errors.setdefault(run.point_id, failed.set_index("run_id").loc[run.run_id, "error"])
            if len(done[run.point_id]) == replications:
                rows = done.pop(run.point_id)
                if run.point_id in errors:
                    on_design(Evaluation(run.point_id, None, errors.pop(run.point_id)))
                else:
                    table = pd.concat(rows, ignore_index=True).sort_values("replication", ignore_index=True)
                    on_design(Evaluation(run.point_id, table[["replication", *map(label, outcomes)]], None))

    lost = run_tasks(run_task, tasks, info, collect, notify=notify)
    return list({run.point_id: error for batch, error in lost for run in batch.runs}.items())
