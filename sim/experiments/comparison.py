"""Paired comparisons of designs and whole strategies (``ecosim compare``) on common random numbers.

:func:`compare` runs every arm of an experiment file (:mod:`sim.experiments.compare_spec`),
or of two or more scenario files compared whole, and compares each with the first.
Every arm runs replication ``r`` on ``SeedSequence(seed, spawn_key=(r,))``, so arms
that share their market and partner pools share their random draws (common random
numbers) and each replication's difference between two arms is a paired observation:
the 95% interval of the mean difference is the Student-t interval of those paired
differences (Law & Kelton, *Simulation Modeling and Analysis*, on common random numbers
and paired-t comparisons). An arm compared with itself differs by exactly zero. Arms
whose initial worlds differ (:func:`sim.experiments.compare_spec.world_differences`)
still pair replications by seed; their intervals stay valid, only no narrower than for
independent runs.

:func:`leaders` says which arm is best on each metric, and by how much over the
runner-up: the plain-language summary of a comparison is written from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from sim.common import RESULTS_ROOT, atomic_directory, claimed_directory, result_stem, write_json
from sim.experiments.compare_report import format_comparison, summary_paragraph
from sim.experiments.compare_spec import Experiment, MetricSpec, load_experiment, world_differences
from sim.metrics import flywheel_quarter, mean_interval
from sim.runner import RunResult, run_scenario, write_run

__all__ = ["Comparison", "compare", "reduce_metric", "paired_comparison", "leaders"]


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes:
        comparison: per metric and arm (vs. the first arm): means, mean difference,
            paired 95% interval, relative change, replications, verdict.
        values: per arm, replication and metric: the reduced value (tidy).
        runs: each arm's :class:`sim.runner.RunResult`.
        manifest: the resolved experiment, seeds and timings.
        path: the result directory, when written.
    """

    comparison: pd.DataFrame
    values: pd.DataFrame
    runs: dict[str, RunResult] = field(repr=False)
    manifest: dict
    path: Path | None = None

    def report(self) -> str:
        """A readable table: per arm vs. the first, each metric's difference and verdict; then a summary."""
        return format_comparison(self.manifest, self.comparison) + "\n\n" + self.summary()

    def summary(self) -> str:
        """One plain-language paragraph: which arm wins on what, when the flywheel turns, what is paired."""
        metrics = [MetricSpec.model_validate(m) for m in self.manifest["metrics"]]
        flywheel = {arm: flywheel_quarter(run.quarterly) for arm, run in self.runs.items()}
        return summary_paragraph(self.manifest, leaders(self.values, metrics), flywheel)


def reduce_metric(quarterly: pd.DataFrame, metric: MetricSpec) -> pd.Series:
    """One value per replication: the metric's final, total, mean or ratio of totals.

    A ``tier_<name>`` count of a tier the arm does not have is 0; a ``column@vendor``
    metric reads that startup's rows.
    """
    if metric.vendor is not None:
        quarterly = quarterly[quarterly["vendor"] == metric.vendor]
    absent = {c: 0 for c in metric.columns() if c.startswith("tier_") and c not in quarterly}
    by_rep = quarterly.assign(**absent).sort_values("quarter").groupby("replication")
    how = metric.reduction
    if how == "ratio":
        num, den = (by_rep[c].sum() for c in metric.ratio)
        return num / den.where(den != 0)
    column = by_rep[metric.column]
    return {"final": column.last, "total": column.sum, "mean": column.mean}[how]()


def paired_comparison(values: pd.DataFrame, metrics: list[MetricSpec], arms: list[str]) -> pd.DataFrame:
    """Each arm vs. the first, per metric: paired mean difference and its 95% interval.

    Args:
        values: tidy frame with ``arm``, ``replication``, ``metric``, ``value``.
        metrics: the metrics, in order.
        arms: arm names; the first is the baseline.

    Returns:
        One row per (metric, arm other than the first).
    """
    wide = values.pivot_table(index=["metric", "replication"], columns="arm", values="value", dropna=False)
    baseline = arms[0]
    rows = []
    for metric in metrics:
        table = wide.loc[metric.name]
        for arm in arms[1:]:
            pair = table[[baseline, arm]].dropna()
            diff = pair[arm] - pair[baseline]
            mean, low, high = mean_interval(diff)
            base_mean = float(pair[baseline].mean()) if len(pair) else np.nan
            significant = bool(len(pair) > 1 and (low > 0 or high < 0))
            improves = (mean > 0) == (metric.direction == "higher")
            verdict = ("better" if improves else "worse") if significant else "no clear difference"
            rows.append({
                "metric": metric.name, "statistic": metric.reduction, "better": metric.direction,
                "arm": arm, "baseline": baseline, "n": len(pair),
                "baseline_mean": base_mean, "arm_mean": float(pair[arm].mean()) if len(pair) else np.nan,
                "mean_difference": mean, "ci_low": low, "ci_high": high,
                "relative_change": mean / base_mean if base_mean else np.nan,
                "excludes_zero": significant, "verdict": verdict,
            })
    return pd.DataFrame(rows)


def leaders(values: pd.DataFrame, metrics: list[MetricSpec]) -> pd.DataFrame:
    """Per metric, the best arm and its paired difference from the runner-up.

    The best arm has the best mean in the metric's direction (``better``); the
    runner-up the next best. Their difference (best minus runner-up) and its paired 95%
    interval say whether the lead is clear (the interval excludes zero).

    Args:
        values: tidy frame with ``arm``, ``replication``, ``metric``, ``value``.
        metrics: the metrics, in order.

    Returns:
        One row per metric: ``metric``, ``statistic``, ``better``, ``leader``,
        ``leader_mean``, ``runner_up``, ``runner_up_mean``, ``mean_difference``,
        ``ci_low``, ``ci_high``, ``clear``.
    """
    rows = []
    for metric in metrics:
        means = values[values["metric"] == metric.name].groupby("arm", sort=False)["value"].mean().dropna()
        if len(means) < 2:
            continue
        ranked = means.sort_values(ascending=metric.direction == "lower", kind="stable")
        leader, runner_up = ranked.index[:2]
        pair = paired_comparison(values[values["metric"] == metric.name], [metric], [runner_up, leader]).iloc[0]
        rows.append({"metric": metric.name, "statistic": metric.reduction, "better": metric.direction,
                     "leader": leader, "leader_mean": float(ranked.iloc[0]), "runner_up": runner_up,
                     "runner_up_mean": float(ranked.iloc[1]), "mean_difference": pair["mean_difference"],
                     "ci_low": pair["ci_low"], "ci_high": pair["ci_high"], "clear": bool(pair["excludes_zero"])})
    return pd.DataFrame(rows)


def compare(
    source: str | Path | dict,
    *,
    replications: int | None = None,
    seed: int | None = None,
    quarters: int | None = None,
    metrics: list[str] | None = None,
    out: str | Path | None = None,
    write: bool = True,
    workers: int = 1,
    progress: bool | None = None,
) -> Comparison:
    """Run every arm of an experiment on common random numbers and compare each with the first.

    Args:
        source: an experiment file path or dict, or a list of two or more scenario
            files (or mappings) to compare whole, one arm each
            (:func:`sim.experiments.compare_spec.scenario_experiment`).
        replications: replaces the experiment's replications.
        seed: replaces the experiment's root seed.
        quarters: replaces the experiment's horizon.
        metrics: quarterly columns replacing the experiment's metrics.
        out: result directory (default ``results/<experiment>/<UTC time>-<hash>``, claimed
            before the arms run, with a suffix ``-2``, ... when taken); it
            receives ``comparison.csv``, ``values.csv``, ``experiment.json`` and one run
            directory per arm, written atomically.
        write: write the result directory; ``False`` only returns the tables.
        workers: processes for each arm's replications (results do not depend on it).
        progress: show progress bars (default: only on a terminal).

    Returns:
        A :class:`Comparison`.
    """
    experiment = load_experiment(source, metrics=metrics, replications=replications, seed=seed, quarters=quarters)
    started = datetime.now(timezone.utc)
    default = RESULTS_ROOT / experiment.name / result_stem(started, experiment.fingerprint())
    with claimed_directory(out, default, write) as target:
        result = _run_arms(experiment, started, workers, progress)
        if target is not None:
            result.path = _write(result, target)
    return result


def _run_arms(experiment: Experiment, started: datetime, workers: int, progress: bool | None) -> Comparison:
    """Run every arm and compare each with the first."""
    runs = {arm: run_scenario(scenario, write=False, workers=workers, progress=progress)
            for arm, scenario in experiment.scenarios.items()}
    arms = list(runs)
    values = pd.DataFrame([
        {"arm": arm, "replication": int(rep), "metric": metric.name, "value": float(value)}
        for arm, run in runs.items() for metric in experiment.metrics
        for rep, value in reduce_metric(run.quarterly, metric).items()])
    comparison = paired_comparison(values, experiment.metrics, arms)
    comparison.insert(0, "experiment", experiment.name)
    return Comparison(comparison, values, runs, _manifest(experiment, started))


def _write(result: Comparison, target: Path) -> Path:
    """Write the experiment directory atomically, with each arm's run directory inside it."""
    with atomic_directory(target) as tmp:
        result.comparison.to_csv(tmp / "comparison.csv", index=False)
        result.values.to_csv(tmp / "values.csv", index=False)
        write_json(tmp / "experiment.json", result.manifest)
        for arm, run in result.runs.items():
            write_run(run, tmp / arm)
    for arm, run in result.runs.items():
        run.path = target / arm
    return target


def _manifest(experiment: Experiment, started: datetime) -> dict:
    """What ran: the experiment, its seeds, arms, metrics and times."""
    file = experiment.file
    return {
        "experiment": experiment.name, "question": file.question, "source": experiment.label,
        "fingerprint": experiment.fingerprint(), "seed": file.seed, "replications": file.replications,
        "quarters": {a: s.simulation.quarters for a, s in experiment.scenarios.items()},
        "replication_seeds": "every arm: numpy.random.SeedSequence(seed, spawn_key=(replication,))",
        "arms": [a.model_dump(mode="json") for a in file.arms],
        "scenarios": {a: s.name for a, s in experiment.scenarios.items()},
        "world_differences": world_differences(experiment.scenarios),
        "metrics": [m.model_dump(mode="json") for m in experiment.metrics],
        "started_utc": started.isoformat(), "finished_utc": datetime.now(timezone.utc).isoformat(),
        "status": "complete",
    }
