"""Sweep tasks: a batch of runs executed in one call on any executor.

A task carries everything its runs need (the base scenario as plain data and each
run's overrides, seed and replication), so it runs the same in this process, a
local process pool or a Dask worker on another machine. A run that raises is
recorded with its error and the task goes on; the task returns tidy frames that the
caller persists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.metrics import flywheel_quarter
from sim.runner import run_replication
from sim.scenario import Scenario, apply_overrides

__all__ = ["RunSpec", "Task", "TaskResult", "run_task", "RUN_COLUMNS"]

RUN_COLUMNS = ("run_id", "status", "error")


@dataclass(frozen=True)
class RunSpec:
    """One run: replication ``replication`` of point ``point_id``, with the point's root seed."""

    run_id: int
    point_id: int
    replication: int
    seed: int
    overrides: dict


@dataclass(frozen=True)
class Task:
    """A batch of runs over one base scenario, and the metrics to keep."""

    base: dict
    runs: tuple[RunSpec, ...]
    final: tuple[str, ...]
    total: tuple[str, ...]
    flywheel: bool
    timeseries: tuple[str, ...]

    def metric_columns(self) -> list[str]:
        """The metric columns of the run rows, in order."""
        return ([f"final_{m}" for m in self.final] + [f"total_{m}" for m in self.total]
                + (["flywheel_quarter"] if self.flywheel else []))


@dataclass
class TaskResult:
    """What a task returns: one row per run and, if asked, per run and quarter."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    seconds: float


def _metrics(task: Task, quarterly: pd.DataFrame) -> list[float]:
    last = quarterly.iloc[-1]
    values = [last[m] for m in task.final] + [quarterly[m].sum() for m in task.total]
    if task.flywheel:
        values.append(flywheel_quarter(quarterly).iloc[0])
    return [float(v) for v in values]


def run_task(task: Task) -> TaskResult:
    """Run every run of a task; a run that raises becomes a row with status ``failed``."""
    clock = time.perf_counter()
    columns = task.metric_columns()
    rows, series = [], []
    scenarios: dict[int, Scenario] = {}
    for run in task.runs:
        try:
            if run.point_id not in scenarios:
                data = apply_overrides(task.base, {**run.overrides, "simulation.seed": run.seed})
                scenarios[run.point_id] = Scenario.model_validate(data)
            quarterly, _ = run_replication(scenarios[run.point_id], run.replication)
            rows.append((run.run_id, "ok", None, *_metrics(task, quarterly)))
            if task.timeseries:
                keys = ["quarter", *(["vendor"] if "vendor" in quarterly else [])]  # several startups: a row each
                frame = quarterly[[*keys, *task.timeseries]].astype(dict.fromkeys(task.timeseries, np.float64))
                frame = frame.astype({"quarter": np.int64})
                frame.insert(0, "run_id", run.run_id)
                series.append(frame)
        except Exception as exc:  # noqa: BLE001 - a failing run is recorded, the sweep goes on
            rows.append((run.run_id, "failed", f"{type(exc).__name__}: {exc}", *[np.nan] * len(columns)))
    runs = pd.DataFrame(rows, columns=[*RUN_COLUMNS, *columns])
    runs = runs.astype({"run_id": np.int64, "status": "str", "error": "str", **dict.fromkeys(columns, np.float64)})
    timeseries = None
    if task.timeseries:
        timeseries = pd.concat(series, ignore_index=True) if series else pd.DataFrame(
            {"run_id": pd.Series(dtype=np.int64), "quarter": pd.Series(dtype=np.int64),
             **{m: pd.Series(dtype=np.float64) for m in task.timeseries}})
    return TaskResult(runs, timeseries, time.perf_counter() - clock)
