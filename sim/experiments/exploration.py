"""Robust designs (``ecosim explore``): candidate designs in many plausible futures, and when they fail.

``explore("experiments/X.yaml")`` loads the file (:mod:`sim.experiments.explore_spec`) and
runs every design in every future as a sweep (:mod:`sim.experiments.parameter_sweep`): the
designs are its cases, the futures a Latin hypercube (``scipy.stats.qmc``) over the
uncertain parameters, every run on common random numbers. So it runs on any executor
and an interrupted exploration resumes where it stopped. Then, per design:

* the mean outcome over the futures and its 10th and 90th percentiles;
* its **regret** in each future: its shortfall from the best design in that future
  (Savage's minimax-regret criterion; Lempert et al., *Shaping the Next One Hundred
  Years*, RAND 2003), with its mean, 90th percentile and maximum;
* how often it is the best design;

and, for one design and a failure target, **scenario discovery**: the PRIM box of
uncertain parameters in which that design fails (:mod:`sim.experiments.discovery`).

The result directory (``results/<name>/<UTC time>-<hash>/`` or ``out``) appears complete,
in one rename: ``outcomes.parquet`` (one row per design and future), ``robustness.csv``,
``discovery_box.csv`` and ``discovery_trajectory.csv``, ``manifest.json``, ``report.html``
and ``plots/``, and the sweep of runs behind it in ``sweep/``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from sim.common import RESULTS_ROOT, atomic_directory, result_stem, write_json
from sim.errors import ScenarioError
from sim.experiments.discovery import Box, prim_box
from sim.experiments.executors import choose_executor
from sim.experiments.explore_report import format_exploration
from sim.experiments.explore_spec import BEST_ON_AVERAGE, ExploreSpec, load_exploration
from sim.experiments.outcomes import direction, label, reduce_runs
from sim.experiments.parameter_sweep import sweep
from sim.experiments.store import SweepStore, work_dir
from sim.experiments.sweep_spec import load_sweep
from sim.runner import build_manifest
from sim.scenario import Scenario

__all__ = ["ExplorationResult", "explore", "robustness", "regret"]


@dataclass
class ExplorationResult:
    """The tables of an exploration and, when written, where they are.

    Attributes:
        outcomes: one row per (design, future): ``design``, ``future``, every uncertain
            parameter, every outcome (mean over replications), ``regret`` and ``failed_runs``.
        robustness: one row per design: ``mean``, ``p10``, ``p90``, ``regret_mean``,
            ``regret_p90``, ``regret_max``, ``best_share`` (futures in which it is best).
        discovery: the PRIM box of the discovery design, or ``None``.
        manifest: what ran, and the answers.
        path: the result directory, when written.
    """

    outcomes: pd.DataFrame
    robustness: pd.DataFrame
    discovery: Box | None
    manifest: dict
    path: Path | None = field(default=None)

    def report(self) -> str:
        """A readable account: each design's robustness and, if asked, when the chosen design fails."""
        return format_exploration(self.manifest, self.robustness, self.path)


def regret(outcomes: pd.DataFrame, column: str, higher_is_better: bool) -> pd.Series:
    """Each design's shortfall from the best design in the same future (0 for the best).

    Examples:
        >>> frame = pd.DataFrame({"future": [0, 0, 1, 1], "design": list("abab"), "x": [3.0, 5.0, 4.0, 1.0]})
        >>> regret(frame, "x", higher_is_better=True).tolist()
        [2.0, 0.0, 0.0, 3.0]
    """
    by_future = outcomes.groupby("future")[column]
    best = by_future.transform("max" if higher_is_better else "min")
    return (best - outcomes[column]) if higher_is_better else (outcomes[column] - best)


def robustness(outcomes: pd.DataFrame, column: str, designs: list[str]) -> pd.DataFrame:
    """Per design: the outcome's mean, 10th and 90th percentiles, and its regret's mean, 90th percentile, maximum."""
    grouped = outcomes.groupby("design", sort=False)
    table = pd.DataFrame({
        "mean": grouped[column].mean(),
        "p10": grouped[column].quantile(0.1),
        "p90": grouped[column].quantile(0.9),
        "regret_mean": grouped["regret"].mean(),
        "regret_p90": grouped["regret"].quantile(0.9),
        "regret_max": grouped["regret"].max(),
        "best_share": grouped["regret"].agg(lambda r: float((r == 0).mean())),
        "failed_runs": grouped["failed_runs"].sum(),
    }).reindex(designs)
    return table.rename_axis("design").reset_index()


def _design_outcomes(spec: ExploreSpec, runs: pd.DataFrame, timeseries: pd.DataFrame | None) -> pd.DataFrame:
    """One row per design and future: the uncertain parameters and each outcome's mean over replications."""
    values = reduce_runs(runs, timeseries, spec.outcomes, spec.base["simulation"]["quarters"])
    labels = [label(m) for m in spec.outcomes]
    frame = runs[["run_id", "point_id", "case", "status", *spec.uncertainties]].join(values, on="run_id")
    frame["future"] = frame["point_id"] % spec.file.futures
    frame["failed"] = frame["status"] != "ok"
    keys = ["case", "future", *spec.uncertainties]
    table = frame.groupby(keys, sort=False).agg(**{k: (k, "mean") for k in labels}, failed_runs=("failed", "sum"))
    table = table.reset_index().rename(columns={"case": "design"})
    best = direction(spec.outcome) == "higher"
    table["regret"] = regret(table, label(spec.outcome), best)
    order = {name: i for i, name in enumerate(spec.designs)}
    table = table.sort_values(["future", "design"], key=lambda c: c.map(order) if c.name == "design" else c)
    return table[["design", "future", *spec.uncertainties, *labels, "regret", "failed_runs"]].reset_index(drop=True)


def _discover(spec: ExploreSpec, outcomes: pd.DataFrame, table: pd.DataFrame) -> tuple[Box | None, dict | None]:
    """PRIM on the discovery design's futures; ``(box, summary)``, or ``(None, None)`` if not asked."""
    found = spec.file.discovery
    if found is None:
        return None, None
    best = direction(spec.outcome) == "higher"
    ranked = table.set_index("design")["mean"]
    design = found.design if found.design != BEST_ON_AVERAGE else (ranked.idxmax() if best else ranked.idxmin())
    metric = found.metric or label(spec.outcome)
    rows = outcomes[(outcomes["design"] == design) & outcomes[metric].notna()]
    fails = (rows[metric] < found.below) if found.below is not None else (rows[metric] > found.above)
    summary = {"design": design, "chosen_as": found.design, "rule": found.describe(metric), "metric": metric,
               "below": found.below, "above": found.above, "futures": len(rows), "failures": int(fails.sum()),
               "min_density": found.min_density}
    if not 0 < fails.sum() < len(rows):
        summary["note"] = (f"{design} fails in {int(fails.sum())} of {len(rows)} futures ({summary['rule']}): "
                           "there is nothing to tell apart; change the target")
        return None, summary
    box = prim_box(rows[list(spec.uncertainties)], fails.to_numpy(), found.min_density)
    if box.limits.empty:
        summary["note"] = (f"no range of the uncertain parameters tells {design}'s failures apart significantly in "
                           f"{len(rows)} futures; more futures may")
        return None, summary
    summary.update(box.stats, limits=box.limits.to_dict(orient="records"))
    return box, summary


# ---------------------------------------------------------------------------------------------- where it runs
def _hidden(target: Path) -> Path:
    """Where the sweep of runs is written until the exploration is complete."""
    return target.parent / f".{target.name}.sweep"


def _find_interrupted(spec: ExploreSpec) -> Path | None:
    """The destination of the newest interrupted exploration of this file under ``results/<name>/``."""
    parent = RESULTS_ROOT / spec.name
    fingerprint = load_sweep(spec.sweep()).fingerprint()
    found = SweepStore.find_interrupted(parent, fingerprint)
    if found is None:
        done = [m.parent for m in parent.glob(".*.sweep/manifest.json")
                if json.loads(m.read_text()).get("experiment_sha256") == fingerprint]
        found = max(done, key=lambda p: p.stat().st_mtime) if done else None
    return None if found is None else found.parent / found.name[1:-len(".sweep")]


def _target(spec: ExploreSpec, out, resume: bool, started: datetime) -> Path:
    if resume:
        target = Path(out) if out is not None else _find_interrupted(spec)
        if target is None:
            raise ScenarioError(f"--resume: no interrupted exploration of this file under {RESULTS_ROOT / spec.name}/ "
                                "(give --out DIR if it was written elsewhere)")
        if target.exists() and any(target.iterdir()):
            raise ScenarioError(f"{target}: this exploration is already complete")
        if not (_hidden(target).exists() or work_dir(_hidden(target)).exists()):
            raise ScenarioError(f"--resume: no interrupted exploration at {target}")
        return target
    target = Path(out) if out is not None else \
        RESULTS_ROOT / spec.name / result_stem(started, spec.fingerprint())
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScenarioError(f"--out {target}: exists and is not empty; choose a new directory")
    if _hidden(target).exists():
        raise ScenarioError(f"{_hidden(target)}: an exploration stopped after its runs; rerun with --resume to "
                            "finish it")
    return target


def _runs(spec: ExploreSpec, target: Path | None, resume: bool, **execution) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                      dict]:
    """The runs of every design in every future: from the sweep's directory if complete, else by running it."""
    if target is None:
        result = sweep(spec.sweep(), write=False, **execution)
        return result.runs, result.timeseries, result.manifest
    hidden = _hidden(target)
    if not (resume and (hidden / "sweep.parquet").is_file()):
        sweep(spec.sweep(), out=hidden, resume=resume and work_dir(hidden).exists(), **execution)
    series = hidden / "timeseries.parquet"
    return (pd.read_parquet(hidden / "sweep.parquet"), pd.read_parquet(series) if series.is_file() else None,
            json.loads((hidden / "manifest.json").read_text()))


def explore(
    experiment: str | Path | dict,
    *,
    executor: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    write: bool = True,
    progress: bool | None = None,
) -> ExplorationResult:
    """Run every design in every future, measure robustness and regret, and discover when a design fails.

    Args:
        experiment: an exploration file path, or the same content as a dict.
        executor: ``serial``, ``processes`` (default) or ``dask`` (default when
            ``scheduler`` is given).
        scheduler: a Dask scheduler address; without it ``dask`` starts a LocalCluster.
        workers: processes or local Dask workers (default: the machine's cores).
        out: the result directory (default ``results/<name>/<UTC time>-<hash>``).
        resume: finish an interrupted exploration (the one at ``out``, or the newest
            interrupted one of this file under ``results/<name>/``).
        write: write the result directory; ``False`` only returns the tables.
        progress: show a progress bar (default: only on a terminal).

    Returns:
        The :class:`ExplorationResult`.

    Raises:
        ScenarioError: bad file, scenario or arguments (before anything runs).
        SweepIncomplete: runs were lost to a failed worker; rerun with ``resume=True``.
        SweepInterrupted: interrupted; finished runs are kept for ``resume=True``.
    """
    spec = load_exploration(experiment)
    kind = choose_executor(executor, workers, scheduler)
    if resume and not write:
        raise ScenarioError("--resume needs a written exploration (write=True)")
    started = datetime.now(timezone.utc)
    target = _target(spec, out, resume, started) if write else None
    runs, timeseries, sweep_manifest = _runs(spec, target, resume, executor=kind, scheduler=scheduler,
                                             workers=workers, progress=progress)
    outcomes = _design_outcomes(spec, runs, timeseries)
    table = robustness(outcomes, label(spec.outcome), list(spec.designs))
    box, found = _discover(spec, outcomes, table)
    manifest = _manifest(spec, table, found, sweep_manifest, started)
    result = ExplorationResult(outcomes, table, box, manifest)
    if target is not None:
        result.path = _write(result, target)
    return result


def _manifest(spec: ExploreSpec, table: pd.DataFrame, found: dict | None, sweep_manifest: dict,
              started: datetime) -> dict:
    best = direction(spec.outcome) == "higher"
    ranked = table.set_index("design")
    sessions = sweep_manifest.get("sessions", [])
    manifest = build_manifest(Scenario.model_validate(spec.base), started,
                              sum(s.get("wall_seconds", 0) for s in sessions))
    manifest.update({
        "kind": "explore", "name": spec.name, "question": spec.file.question, "description": spec.file.description,
        "experiment": spec.label, "experiment_sha256": spec.fingerprint(),
        "designs": spec.designs, "designs_from": spec.file.designs_from,
        "uncertainties": {path: repr(lever) for path, lever in spec.uncertainties.items()},
        "futures": spec.file.futures, "futures_seed": spec.file.futures_seed,
        "futures_design": "Latin hypercube (scipy.stats.qmc.LatinHypercube) over the uncertainties",
        "replications": spec.file.replications,
        "seeds": "every design in every future runs replication r on SeedSequence(seed, spawn_key=(r,))",
        "outcome": {**spec.outcome.model_dump(mode="json", exclude_none=True), "label": label(spec.outcome),
                    "direction": direction(spec.outcome)},
        "metrics": [label(m) for m in spec.outcomes[1:]],
        "best_on_average": ranked["mean"].idxmax() if best else ranked["mean"].idxmin(),
        "least_worst_regret": ranked["regret_max"].idxmin(),
        "discovery": found,
        "runs": sweep_manifest.get("runs"), "runs_failed": sweep_manifest.get("runs_failed"),
        "sessions": sessions, "command": sys.argv,
    })
    return manifest


def _write(result: ExplorationResult, target: Path) -> Path:
    """Write the exploration's directory atomically, with the sweep of runs behind it inside."""
    with atomic_directory(target) as tmp:
        result.outcomes.to_parquet(tmp / "outcomes.parquet", index=False)
        result.robustness.to_csv(tmp / "robustness.csv", index=False)
        outputs = ["outcomes.parquet", "robustness.csv", "manifest.json", "report.html", "sweep"]
        if result.discovery is not None:
            result.discovery.limits.to_csv(tmp / "discovery_box.csv", index=False)
            result.discovery.trajectory.to_csv(tmp / "discovery_trajectory.csv", index_label="step")
            outputs += ["discovery_box.csv", "discovery_trajectory.csv"]
        result.manifest["outputs"] = sorted(outputs)
        write_json(tmp / "manifest.json", result.manifest)
        from sim.report import build_report

        build_report(tmp)
        os.replace(_hidden(target), tmp / "sweep")
    return target
