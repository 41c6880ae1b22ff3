"""Parameter sweeps: run a sweep file's design with replications on any executor.

``sweep("experiments/X.yaml")`` loads and validates the sweep (:mod:`sim.experiments.sweep_spec`),
plans one run per (point, replication), batches the runs into tasks
(:mod:`sim.experiments.tasks`) and runs them on a ``concurrent.futures`` executor
(:mod:`sim.experiments.executors`). Each finished task is persisted at once
(:mod:`sim.experiments.store`), so an interrupted sweep resumes where it stopped; when all
runs are done the result directory appears, complete, in one rename:

* ``sweep.parquet``: one row per run: ``run_id``, ``point_id``, ``case`` (if the sweep
  has cases), ``replication``, ``seed``, every varied parameter (by key path),
  ``status`` (``ok``/``failed``), ``error``, every kept metric;
* ``timeseries.parquet`` (if asked): one row per run and quarter;
* ``points.csv``: mean and 95% interval of every metric at every point;
* ``sensitivity.csv`` (Sobol' and Morris designs): SALib indices per metric;
* ``manifest.json``: as for runs, plus the sweep, design, sessions and failures.

Seeds: replication ``r`` of a point with root seed ``s`` draws from
``SeedSequence(s, spawn_key=(r,))``, exactly as ``ecosim run`` does, so a run's result
depends only on its point and replication, never on the executor, batch or order, and
``ecosim run BASE --seed s --set ...`` reproduces it.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from sim.common import RESULTS_ROOT, package_version, result_stem, write_json
from sim.errors import ExperimentIncomplete, ScenarioError
from sim.experiments.executors import ExecutorInfo, choose_executor, machine_workers, open_executor, run_tasks
from sim.experiments.sensitivity import point_summary, sensitivity
from sim.experiments.store import SweepStore
from sim.experiments.sweep_report import format_report
from sim.experiments.sweep_spec import MAX_POINTS, SweepSpec, load_sweep
from sim.experiments.tasks import RunSpec, Task, TaskResult, run_task
from sim.limits import check_memory, run_bytes
from sim.runner import build_manifest
from sim.scenario import Scenario

__all__ = ["sweep", "SweepResult", "SweepIncomplete", "SweepInterrupted", "plan_runs"]

MAX_BATCH = 50
TASKS_PER_WORKER = 4


class SweepIncomplete(ExperimentIncomplete):
    """Some runs were lost to the infrastructure (a worker died); the finished ones are kept."""


class SweepInterrupted(KeyboardInterrupt):
    """The sweep was interrupted (Ctrl-C); finished runs are kept for ``--resume``."""


@dataclass
class SweepResult:
    """The tables of a sweep and, when written, where they are."""

    runs: pd.DataFrame
    timeseries: pd.DataFrame | None
    points: pd.DataFrame
    sensitivity: pd.DataFrame | None
    manifest: dict
    path: Path | None = None

    def report(self) -> str:
        """A readable account: size, throughput, failures, then indices or per-point intervals."""
        return format_report(self.manifest, self.points, self.sensitivity)


def plan_runs(spec: SweepSpec) -> pd.DataFrame:
    """One row per run: ``run_id``, ``point_id``, ``case``, ``replication``, ``seed`` and the parameters.

    ``run_id = point_id * replications + replication``: stable for a given sweep file.
    """
    n = spec.replications
    rows = [(p.point_id * n + r, p.point_id, p.case, r, p.seed, p.row) for p in spec.points for r in range(n)]
    plan = pd.DataFrame(rows, columns=["run_id", "point_id", "case", "replication", "seed", "row"])
    plan = plan.astype({"run_id": "int64", "point_id": "int64", "replication": "int64", "seed": "int64"})
    params = spec.design.table.iloc[plan["row"].to_numpy()].reset_index(drop=True)
    plan = pd.concat([plan.drop(columns="row"), params], axis=1)
    if spec.file.cases:
        plan["case"] = plan["case"].astype("str")
    else:
        plan = plan.drop(columns="case")
    return plan


def _tasks(spec: SweepSpec, run_ids: list[int], batch: int) -> list[Task]:
    n = spec.replications
    m = spec.file.metrics
    specs = [RunSpec(run_id, run_id // n, run_id % n, spec.points[run_id // n].seed,
                     spec.points[run_id // n].overrides) for run_id in run_ids]
    return [Task(spec.base, tuple(specs[i:i + batch]), tuple(m.final), tuple(m.total), m.flywheel,
                 tuple(m.timeseries)) for i in range(0, len(specs), batch)]


def _batch_size(batch_size: int | None, runs: int, workers: int) -> int:
    """Runs per task: given, or enough tasks to balance the workers, at most ``MAX_BATCH`` runs each."""
    if batch_size is not None:
        if batch_size < 1:
            raise ScenarioError(f"--batch-size {batch_size}: must be at least 1")
        return batch_size
    return max(1, min(MAX_BATCH, math.ceil(runs / (workers * TASKS_PER_WORKER))))


def _execute(tasks: list[Task], info: ExecutorInfo, store: SweepStore, bar, session: int) -> list[tuple[int, str]]:
    """Run the tasks, persisting each as it finishes; return ``(runs, error)`` of lost tasks."""
    failed_runs = 0

    def save(task: Task, result: TaskResult) -> None:
        nonlocal failed_runs
        failed = int((result.runs["status"] != "ok").sum())
        store.save(result.runs, result.timeseries, failed=failed, seconds=round(result.seconds, 3), session=session)
        failed_runs += failed
        if failed:
            bar.set_postfix(failed=failed_runs, refresh=False)
        bar.update(len(task.runs))

    lost = run_tasks(run_task, tasks, info, save, notify=partial(bar.write, file=sys.stderr))
    return [(len(task.runs), error) for task, error in lost]


def _open_store(spec: SweepSpec, out, resume: bool, write: bool, started: datetime, plan: dict) -> SweepStore:
    if not write:
        if resume:
            raise ScenarioError("--resume needs a written sweep (write=True)")
        return SweepStore.create(Path(tempfile.mkdtemp(prefix="ecosim-sweep-")) / spec.name, plan, temporary=True)
    if resume:
        target = Path(out) if out is not None else SweepStore.find_interrupted(RESULTS_ROOT / spec.name,
                                                                             plan["fingerprint"])
        if target is None:
            raise ScenarioError(f"--resume: no interrupted run of this sweep under {RESULTS_ROOT / spec.name}/ "
                                "(give --out DIR if it was written elsewhere)")
        return SweepStore.resume(target, plan)
    if out is not None:
        return SweepStore.create(Path(out), plan)
    return SweepStore.create(RESULTS_ROOT / spec.name / result_stem(started, plan["fingerprint"]), plan, unique=True)


def sweep(
    experiment: str | Path | dict,
    *,
    executor: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    write: bool = True,
    progress: bool | None = None,
    max_points: int = MAX_POINTS,
) -> SweepResult:
    """Run a sweep file and return its tables (and, by default, write its result directory).

    Args:
        experiment: a sweep file path, or the same content as a dict.
        executor: ``serial``, ``processes`` (default) or ``dask`` (default when
            ``scheduler`` is given).
        scheduler: a Dask scheduler address; without it ``dask`` starts a LocalCluster.
        workers: processes or local Dask workers (default: the machine's cores).
        batch_size: runs per task (default: enough tasks to keep every worker busy,
            at most 50 runs each).
        out: the result directory (default ``results/<name>/<UTC time>-<hash>``).
        resume: finish an interrupted sweep (the one at ``out``, or the newest
            interrupted one of this sweep file under ``results/<name>/``).
        write: write the result directory; ``False`` only returns the tables.
        progress: show a progress bar (default: only on a terminal).
        max_points: refuse a design with more points than this (computed before any is built).

    Returns:
        The :class:`SweepResult`.

    Raises:
        ScenarioError: bad sweep file, scenario or arguments, a design beyond ``max_points``,
            or runs that would not fit in memory (before anything runs).
        SweepIncomplete: runs were lost to a failed worker; rerun with ``resume=True``.
        SweepInterrupted: interrupted; finished runs are kept for ``resume=True``.
    """
    spec = load_sweep(experiment, max_points)
    kind = choose_executor(executor, workers, scheduler)
    if not scheduler:  # a cluster's workers run on other machines, with memory of their own
        local = 1 if kind == "serial" else workers or machine_workers()
        parallel = min(local, len(spec.points) * spec.replications)
        check_memory(run_bytes(spec.largest, parallel, keep_partners=False), f"sweep '{spec.name}'")
    started = datetime.now(timezone.utc)
    plan_table = plan_runs(spec)
    plan = {"name": spec.name, "experiment": spec.label, "fingerprint": spec.fingerprint(),
            "runs": len(plan_table), "sessions": []}
    store = _open_store(spec, out, resume, write, started, plan)
    todo = sorted(set(plan_table["run_id"]) - store.completed())
    clock = time.perf_counter()
    session = {"started_utc": started.isoformat(), "executor": kind, "runs_planned": len(todo)}
    bar = tqdm(total=len(plan_table), initial=len(plan_table) - len(todo), desc=spec.name, unit="run",
               disable=None if progress is None else not progress, smoothing=0.05)
    try:
        with open_executor(kind, workers, scheduler) as info:
            batch = _batch_size(batch_size, len(todo), info.workers)
            session.update(workers=info.workers, scheduler=info.address, batch_size=batch)
            lost = _execute(_tasks(spec, todo, batch), info, store, bar, len(store.plan["sessions"]))
    except KeyboardInterrupt:
        _close_session(store, session, clock, todo, status="interrupted")
        raise SweepInterrupted(f"interrupted{_kept(store, len(plan_table), write)}") from None
    except Exception:
        if not write or (not resume and not store.entries):  # e.g. no scheduler: leave no empty work directory
            store.discard()
        raise
    finally:
        bar.close()
    _close_session(store, session, clock, todo, status="incomplete" if lost else "complete")
    if lost:
        raise SweepIncomplete(f"{sum(n for n, _ in lost)} of {len(plan_table)} runs did not finish "
                              f"({lost[0][1]}){_kept(store, len(plan_table), write)}")
    return _assemble(spec, store, plan_table, started, write)


def _kept(store: SweepStore, total: int, write: bool) -> str:
    """Where the finished runs of a stopped sweep are (nothing is kept for an in-memory sweep)."""
    if not write:
        store.discard()
        return ""
    return f": {len(store.completed())} of {total} runs are kept in {store.work}; rerun with --resume to finish"


def _close_session(store: SweepStore, session: dict, clock: float, todo: list[int], status: str) -> None:
    done = len(set(todo) & store.completed())
    wall = time.perf_counter() - clock
    session.update(finished_utc=datetime.now(timezone.utc).isoformat(), wall_seconds=round(wall, 3),
                   runs_done=done, runs_per_minute=round(60 * done / wall, 1) if wall > 0 else None,
                   status=status)
    store.record_session(session)


def _assemble(spec: SweepSpec, store: SweepStore, plan_table: pd.DataFrame, started: datetime,
              write: bool) -> SweepResult:
    """Join the persisted parts with the plan, analyse, and write the result directory."""
    keys = list(plan_table.columns)
    outcome = store.load("part")
    runs = plan_table.merge(outcome, on="run_id", how="left", validate="one_to_one")
    runs = runs.sort_values("run_id", ignore_index=True)
    timeseries = None
    if spec.file.metrics.timeseries:
        timeseries = plan_table.merge(store.load("timeseries"), on="run_id", how="inner")
        timeseries = timeseries.sort_values(["run_id", "quarter"], ignore_index=True)
    ident = [k for k in keys if k not in ("run_id", "point_id", "replication", "seed")]
    points = point_summary(runs, ident, spec.file.metrics.columns())
    indices = sensitivity(spec, runs)
    manifest = _manifest(spec, store, runs, started)
    result = SweepResult(runs, timeseries, points, indices, manifest)
    writers = {"sweep.parquet": lambda p: runs.to_parquet(p, index=False),
               "points.csv": lambda p: points.to_csv(p, index=False)}
    if timeseries is not None:
        writers["timeseries.parquet"] = lambda p: timeseries.to_parquet(p, index=False)
    if indices is not None:
        writers["sensitivity.csv"] = lambda p: indices.to_csv(p, index=False)
    manifest["outputs"] = sorted([*writers, "manifest.json"])
    writers["manifest.json"] = lambda p: write_json(p, manifest)
    if write:
        result.path = store.finalize(writers)
    else:
        store.discard()
    return result


def _manifest(spec: SweepSpec, store: SweepStore, runs: pd.DataFrame, started: datetime) -> dict:
    sessions = store.plan["sessions"]
    wall = sum(s["wall_seconds"] for s in sessions)
    executed = sum(s["runs_done"] for s in sessions)
    manifest = build_manifest(Scenario.model_validate(spec.base), started, wall)
    failed = runs[runs["status"] != "ok"]
    d = spec.file.design
    manifest.update({
        "kind": "sweep",
        "name": spec.name,
        "description": spec.file.description,
        "experiment": spec.label,
        "experiment_sha256": spec.fingerprint(),
        "started_utc": sessions[0]["started_utc"],
        "design": {"method": d.method, "samples": d.samples, "seed": d.seed, "second_order": d.second_order,
                   "levels": d.levels, "design_points": len(spec.design.values)},
        "parameters": {k: repr(v) for k, v in spec.parameters.items()},
        "constants": spec.constants,
        "cases": spec.file.cases,
        "points": len(spec.points),
        "runs": len(runs),
        "runs_ok": int((runs["status"] == "ok").sum()),
        "runs_failed": len(failed),
        "failures": [{"error": e, "runs": int(n)} for e, n in failed["error"].value_counts().items()],
        "seeds": ("replication r of a point draws from SeedSequence(seed, spawn_key=(r,)); "
                  + ("every point shares the sweep's root seed (common random numbers)"
                     if spec.file.common_random_numbers else
                     "each point's root seed is SeedSequence(sweep seed, spawn_key=(point_id,))")),
        "metrics": spec.file.metrics.model_dump(),
        "sessions": sessions,
        "runs_per_minute": round(60 * executed / wall, 1) if wall > 0 else None,
        "command": sys.argv,
    })
    manifest["packages"].update({name: package_version(name) for name in ("SALib", "dask", "distributed", "pyarrow")})
    return manifest

