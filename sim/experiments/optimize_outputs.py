"""What a finished study leaves: its tables, its best design(s) as files to run, and the manifest.

The result directory of ``ecosim optimize`` holds:

* ``trials.parquet``: one row per trial (levers, metric means, constraint violation,
  feasibility, whether it is best); ``runs.parquet``: one row per trial and replication;
* ``best.csv``: the best trial (one objective) or the Pareto front (several);
* ``base_scenario.yaml``: the resolved base scenario the trials changed;
* ``best_scenario.yaml`` and ``compare_best.yaml`` (one objective), or ``pareto/trial_N.yaml``
  and ``compare_pareto.yaml`` (several): the best design(s) as ready scenarios, and a
  compare experiment of them against the base on fresh seeds, to confirm them with
  paired intervals (``ecosim compare``);
* ``study.db`` (the optuna study), ``manifest.json``, ``report.html`` and ``plots/``.
"""

from __future__ import annotations

import shutil
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.common import atomic_directory, package_version, write_json
from sim.experiments.optimize_spec import Constraint, OptimizeSpec
from sim.experiments.outcomes import FLYWHEEL, direction, label
from sim.runner import build_manifest
from sim.scenario import Scenario

__all__ = ["assemble", "trials_table", "runs_table", "best_numbers", "MAX_COMPARED"]

MAX_COMPARED = 6  # Pareto designs in compare_pareto.yaml, spread along the first objective
CONFIRM_REPLICATIONS = 30


def trials_table(study, spec: OptimizeSpec, best: list[int]) -> pd.DataFrame:
    """One row per trial: levers, metric means, violation, feasibility, error, and whether it is in ``best``."""
    labels = [label(m) for m in spec.outcomes]
    rows = []
    for trial in study.get_trials(deepcopy=False):
        outcomes = trial.user_attrs.get("outcomes", {})
        means = {k: float(np.mean(outcomes[k])) if k in outcomes else np.nan for k in labels}
        violation = float(sum(max(v, 0.0) for v in trial.constraints.values()))
        complete = trial.state.name == "COMPLETE"
        rows.append({"trial": trial.number, "state": trial.state.name.lower(),
                     **{path: trial.params.get(path) for path in spec.levers}, **means,
                     "violation": violation if complete else np.nan, "feasible": complete and violation <= 0,
                     "error": trial.user_attrs.get("error")})
    table = pd.DataFrame(rows, columns=["trial", "state", *spec.levers, *labels, "violation", "feasible", "error"])
    table["best"] = table["trial"].isin(best)
    return table.astype({"trial": np.int64, "state": "str", "feasible": bool, "error": "object"})


def runs_table(study, spec: OptimizeSpec) -> pd.DataFrame:
    """One row per (trial, replication) of the complete trials, with every metric."""
    frames = [pd.DataFrame(t.user_attrs["outcomes"]).assign(trial=t.number)
              for t in study.get_trials(deepcopy=False) if "outcomes" in t.user_attrs]
    columns = ["trial", "replication", *(label(m) for m in spec.outcomes)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns].astype({"trial": np.int64, "replication": np.int64})


def best_numbers(study, spec: OptimizeSpec) -> list[int]:
    """The best feasible trial's number, or the feasible Pareto front's (by the first objective).

    Trials of the front with the same value on every objective are one design for the
    planner: only the first of them is kept.
    """
    if len(spec.objectives) == 1:
        try:
            return [study.best_trial.number]
        except ValueError:  # no complete trial meets the constraints
            return []
    kept: dict[tuple, int] = {}
    for trial in sorted(study.best_trials, key=lambda t: (t.values, t.number)):
        kept.setdefault(tuple(trial.values), trial.number)
    return list(kept.values())


def _yaml(path: Path, data: dict, header: list[str]) -> None:
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header)
    path.write_text(comments + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _spread(best: pd.DataFrame, count: int) -> pd.DataFrame:
    """At most ``count`` rows spread evenly over a front sorted by its first objective."""
    if len(best) <= count:
        return best
    return best.iloc[np.unique(np.linspace(0, len(best) - 1, count).round().astype(int))]


def _better(metric) -> str:
    """Which way a compared metric is better: an objective's direction, a budget's (max: lower) bound."""
    if isinstance(metric, Constraint):
        return "lower" if metric.max is not None else "higher"
    return direction(metric)


def _compare_file(spec: OptimizeSpec, best: pd.DataFrame, which: str) -> dict:
    """A compare experiment of the base against each best design, on a seed the study did not use."""
    metrics = [{**m.model_dump(mode="json", exclude_none=True, include={"name", "statistic", "ratio"}),
                "better": _better(m)} for m in spec.outcomes if not (m.column == FLYWHEEL and m.ratio is None)]
    arms = [{"name": "base", "description": "the base scenario"}]
    for row in best.to_dict(orient="records"):
        values = {path: _plain(row[path]) for path in spec.levers}
        arms.append({"name": f"trial_{row['trial']}", "description": f"trial {row['trial']} of {spec.name}",
                     "set": _plain(spec.overrides(values))})
    return {"kind": "compare", "name": f"{spec.name}_{which}_vs_base",
            "question": f"Does the {which} design of {spec.name} beat the base on fresh random draws?",
            "scenario": "base_scenario.yaml", "replications": max(CONFIRM_REPLICATIONS, spec.file.replications),
            "seed": spec.seed + 1, "metrics": metrics or ["revenue", "vendor_net_revenue"], "arms": arms}


def _plain(value):
    """Plain Python data (numpy scalars as numbers) for YAML."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _design_files(spec: OptimizeSpec, best: pd.DataFrame, folder: Path) -> list[str]:
    """The best design(s) as scenario files, and the compare experiment against the base."""
    base_header = [f"The base scenario of the optimisation {spec.name} ({spec.label}), resolved: every default",
                   "filled in, with the file's shared settings, horizon, replications and seed."]
    _yaml(folder / "base_scenario.yaml", spec.base, base_header)
    written = ["base_scenario.yaml"]
    if best.empty:
        return written
    single = len(spec.objectives) == 1
    for row in best.to_dict(orient="records"):
        values = {path: _plain(row[path]) for path in spec.levers}
        data = Scenario.model_validate(spec.scenario_data(values)).resolved()
        data["name"] = f"{spec.name}_best" if single else f"{spec.name}_trial_{row['trial']}"
        name = "best_scenario.yaml" if single else f"pareto/trial_{row['trial']}.yaml"
        (folder / name).parent.mkdir(exist_ok=True)
        _yaml(folder / name, data, [f"Trial {row['trial']} of the optimisation {spec.name}: the base scenario with",
                                    *(f"  {p} = {v!r}" for p, v in values.items()),
                                    "Run it: ecosim run THIS_FILE"])
        written.append(name)
    which = "best" if single else "pareto"
    compared = best if single else _spread(best, MAX_COMPARED)
    _yaml(folder / f"compare_{which}.yaml", _compare_file(spec, compared, which),
          ["Confirm the optimiser's pick against the base with paired 95% intervals, on a seed the study did not",
           "use (a design chosen as the best on some draws looks better on them than it is):",
           f"  ecosim compare compare_{which}.yaml"])
    return [*written, f"compare_{which}.yaml"]


def _manifest(spec: OptimizeSpec, space, trials: pd.DataFrame, best: pd.DataFrame) -> dict:
    sessions = space.plan["sessions"]
    wall = sum(s["wall_seconds"] for s in sessions)
    started = datetime.fromisoformat(sessions[0]["started_utc"])
    manifest = build_manifest(Scenario.model_validate(spec.base), started, wall)
    s = spec.file.sampler
    manifest.update({
        "kind": "optimize", "name": spec.name, "question": spec.file.question, "description": spec.file.description,
        "experiment": spec.label, "experiment_sha256": spec.fingerprint(),
        "sampler": {"algorithm": "TPESampler" if len(spec.objectives) == 1 else "NSGAIISampler",
                    "batch": s.batch, "startup_trials": s.startup_trials, "population": s.population,
                    "seeds": "the sampler proposing trial n: SeedSequence(seed, spawn_key=(SAMPLER_STREAM, n))"},
        "levers": {path: repr(lever) for path, lever in spec.levers.items()},
        "set": spec.file.set,
        "objectives": [{**m.model_dump(mode="json", exclude_none=True), "label": label(m), "direction": direction(m)}
                       for m in spec.objectives],
        "constraints": [{**c.model_dump(mode="json", exclude_none=True), "label": label(c),
                         "describe": c.describe()} for c in spec.constraints],
        "trials": {"requested": spec.file.trials, "complete": int((trials["state"] == "complete").sum()),
                   "failed": int((trials["state"] == "fail").sum()), "feasible": int(trials["feasible"].sum())},
        "replications_per_trial": spec.file.replications,
        "best": best["trial"].tolist(),
        "base": space.plan["base"],
        "seeds": "every trial runs replication r on SeedSequence(seed, spawn_key=(r,)) (common random numbers)",
        "sessions": sessions,
        "command": sys.argv,
    })
    manifest["packages"].update({name: package_version(name) for name in ("optuna", "pyarrow")})
    return manifest


def assemble(spec: OptimizeSpec, study, space):
    """Build the result tables of a finished study and, if it has a destination, write it atomically."""
    from sim.experiments.optimization import OptimizationResult

    numbers = best_numbers(study, spec)
    trials = trials_table(study, spec, numbers)
    runs = runs_table(study, spec)
    best = trials.set_index("trial").loc[numbers].reset_index()
    base = pd.DataFrame(space.plan["base"].get("outcomes", {}))
    manifest = _manifest(spec, space, trials, best)
    result = OptimizationResult(trials, runs, best, base, manifest)
    if space.target is None:
        return result
    with atomic_directory(space.target, staging=space.work / "final") as final:
        trials.to_parquet(final / "trials.parquet", index=False)
        runs.to_parquet(final / "runs.parquet", index=False)
        best.to_csv(final / "best.csv", index=False)
        shutil.copy2(space.work / "study.db", final / "study.db")
        outputs = ["trials.parquet", "runs.parquet", "best.csv", "study.db", *_design_files(spec, best, final)]
        manifest["outputs"] = sorted([*outputs, "manifest.json", "report.html"])
        write_json(final / "manifest.json", manifest)
        from sim.report import build_report

        build_report(final)
    shutil.rmtree(space.work, ignore_errors=True)
    result.path = space.target
    return result
