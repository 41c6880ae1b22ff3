"""Incentive experiments (``ecosim compare``): arms compared on common random numbers.

An experiment file (``experiments/*.yaml`` with ``kind: compare``) names a base
scenario (a path relative to the file, or an inline mapping), settings shared by all
arms (``set``), two or more arms (each a preset and/or key-path settings), the
replications, horizon and root seed, and the metrics to compare::

    kind: compare
    name: margin_vs_retention_rebate
    question: Does a retention rebate beat a bigger front margin?
    scenario: ../scenarios/baseline.yaml
    set: {market.customers: 5000}
    replications: 20
    quarters: 16
    seed: 7
    metrics: [arr, revenue, {name: churn_rate, ratio: [churned_customers, customers], better: lower}]
    arms:
      - {name: bigger_margin, set: {program.incentives.margin_scale: 1.25}}
      - {name: retention_rebate, preset: retention_rebate}

Every arm runs replication ``r`` on ``SeedSequence(seed, spawn_key=(r,))``, so the
arms share their random draws (common random numbers) and each replication's
difference between two arms is a paired observation: the 95% interval of the mean
difference is the Student-t interval of those paired differences (Law & Kelton,
*Simulation Modeling and Analysis*, on common random numbers and paired-t
comparisons). An arm compared with itself differs by exactly zero.

Each metric is reduced per replication to one number: its ``final`` quarter value,
its ``total`` over the run, its ``mean`` over quarters, or (``ratio``) the total of
one column over the total of another. Flows default to ``total``, stocks to
``final``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, RESULTS_ROOT, Strict, atomic_directory, content_hash, read_mapping, write_json
from sim.errors import ScenarioError, format_validation_error
from sim.experiments.probe import check_metric, recorded_metrics
from sim.formatting import comparison_cells
from sim.metrics import FLOW_METRICS, mean_interval
from sim.presets import PRESETS
from sim.runner import RunResult, run_scenario, write_run
from sim.scenario import Scenario, apply_overrides, load_scenario

__all__ = ["ExperimentFile", "Comparison", "load_experiment", "compare", "format_comparison",
           "experiment_schema"]

# Quarterly columns that are flows (summed over the run by default), beyond metrics.FLOW_METRICS.
FLOWS = set(FLOW_METRICS) | {"renewals", "opportunities", "new_customers_partner"}
# Where less is better (a planner's reading), with every payout_<component>; other metrics: more is better.
LOWER_IS_BETTER = {
    "churned_customers", "churned_partner_sourced", "conflicts", "program_cost", "partner_payouts",
    "mdf_spend", "mdf_unspent", "enablement_spend", "double_bubble_spend", "partners_exited",
    "partners_red", "customers_churned_total"}
STATISTIC_NAMES = {"final": "final quarter", "total": "run total", "mean": "quarterly mean", "ratio": "ratio of totals"}


class MetricSpec(Strict):
    """One metric to compare: a quarterly column (or a ratio of two) reduced per replication."""

    name: str = Field(description="A quarterly.parquet column, or the label of a ratio.")
    statistic: Literal["final", "total", "mean"] | None = Field(
        None, description="final: last quarter; total: sum over quarters; mean: mean over quarters "
                          "(default: total for flows, final for stocks).")
    ratio: tuple[str, str] | None = Field(None, description="[numerator, denominator] columns: the ratio of "
                                                            "their run totals.")
    better: Literal["higher", "lower"] | None = Field(None, description="Which direction wins (default: lower "
                                                                        "for costs, churn and conflicts).")

    @model_validator(mode="after")
    def _ratio_alone(self) -> "MetricSpec":
        if self.ratio is not None and self.statistic is not None:
            raise ValueError("a ratio is always the ratio of run totals; leave out 'statistic'")
        return self

    @property
    def reduction(self) -> str:
        """How the metric is reduced per replication."""
        if self.ratio is not None:
            return "ratio"
        return self.statistic or ("total" if self.name in FLOWS else "final")

    @property
    def direction(self) -> str:
        """``higher`` or ``lower``: which way is better."""
        lower = self.name in LOWER_IS_BETTER or self.name.startswith("payout_")
        return self.better or ("lower" if lower else "higher")

    def columns(self) -> tuple[str, ...]:
        """The quarterly columns the metric reads."""
        return self.ratio if self.ratio is not None else (self.name,)


class Arm(Strict):
    """One design under comparison: a preset and/or scenario key-path settings."""

    name: str = Field(pattern=NAME_PATTERN, description="Short name; used as the arm's directory.")
    description: str = ""
    preset: Literal[tuple(PRESETS)] | None = Field(None, description="Sets program.preset.")  # type: ignore[valid-type]
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for this arm.")


class ExperimentFile(Strict):
    """An incentive experiment file as written."""

    kind: Literal["compare"] = Field(description="The experiment kind.")
    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    question: str = Field("", description="The planner's question the experiment answers.")
    description: str = ""
    scenario: str | dict[str, Any] = Field(description="Base scenario: a path relative to this file, or an "
                                                       "inline scenario mapping.")
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for every arm.")
    replications: int = Field(20, ge=2, le=100_000, description="Paired replications per arm.")
    quarters: int | None = Field(None, ge=1, le=400, description="Horizon (default: the scenario's).")
    seed: int = Field(0, ge=0, description="Root seed shared by every arm (common random numbers).")
    metrics: list[str | MetricSpec] = Field(min_length=1, description="Metrics to compare.")
    arms: list[Arm] = Field(min_length=2, description="The designs; each is compared with the first.")

    @model_validator(mode="after")
    def _unique(self) -> "ExperimentFile":
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique, got {names}")
        labels = [m if isinstance(m, str) else m.name for m in self.metrics]
        if len(set(labels)) != len(labels):
            raise ValueError(f"metric names must be unique, got {labels}")
        return self

    def metric_specs(self) -> list[MetricSpec]:
        """The metrics as :class:`MetricSpec` objects."""
        return [MetricSpec(name=m) if isinstance(m, str) else m for m in self.metrics]


@dataclass
class Experiment:
    """A loaded, validated experiment: each arm's resolved scenario."""

    file: ExperimentFile
    label: str
    scenarios: dict[str, Scenario]
    metrics: list[MetricSpec]

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.file.name

    def fingerprint(self) -> str:
        """sha256 of the experiment and every arm's resolved scenario."""
        content = {"experiment": self.file.model_dump(mode="json", exclude={"scenario"}),
                   "arms": {a: s.resolved() for a, s in self.scenarios.items()}}
        return content_hash(content)


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


def experiment_schema() -> dict:
    """Return the JSON Schema of experiment (``kind: compare``) files."""
    return ExperimentFile.model_json_schema()


# --------------------------------------------------------------------------- loading
def _base(spec: ExperimentFile, label: str, folder: Path) -> dict:
    """The base scenario, resolved: errors name the scenario file, or the experiment for an inline one."""
    if isinstance(spec.scenario, str):
        path = folder / spec.scenario
        if not path.is_file():
            raise ScenarioError(f"{label}: scenario = {spec.scenario!r}: file not found (looked for {path})")
        return load_scenario(path).resolved()
    try:
        return Scenario.model_validate(spec.scenario).resolved()
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, f"{label}: scenario", Scenario, {})) from None


def _arm_scenario(spec: ExperimentFile, arm: Arm, label: str, base: dict) -> Scenario:
    for where, settings in (("set", spec.set), (f"arms.{arm.name}.set", arm.set)):
        reserved = sorted(k for k in settings if k.startswith("simulation."))
        if reserved:
            raise ScenarioError(f"{label}: {where}: {', '.join(reserved)}: set the experiment's own "
                                "'replications', 'quarters' and 'seed' instead (every arm shares them)")
    overrides = {**spec.set, **({"program.preset": arm.preset} if arm.preset else {}), **arm.set,
                 "simulation.replications": spec.replications, "simulation.seed": spec.seed}
    if spec.quarters is not None:
        overrides["simulation.quarters"] = spec.quarters
    try:
        return Scenario.model_validate(apply_overrides(base, overrides, source=f"{label}: arm '{arm.name}'"))
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, f"{label}: arm '{arm.name}'", Scenario, {})) from None


def _check_metrics(metrics: list[MetricSpec], label: str, scenarios: dict[str, Scenario]) -> None:
    """Check the metrics' columns against what runs of every arm record."""
    recorded = recorded_metrics(*(scenario.resolved() for scenario in scenarios.values()))
    for i, metric in enumerate(metrics):
        for column in metric.columns():
            check_metric(column, recorded, f"{label}: metrics[{i}]")


def load_experiment(source: str | Path | dict, **settings: int | None) -> Experiment:
    """Load an experiment file (or dict) and validate it and every arm's scenario.

    Args:
        source: the file path or dict (a relative ``scenario`` path is read relative to
            the file, or to the current directory for a dict).
        **settings: ``replications``, ``seed`` or ``quarters`` replacing the file's own
            (``None`` keeps the file's).

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    data, label, folder = read_mapping(source, "experiment")
    data.update({key: value for key, value in settings.items() if value is not None})
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, label, ExperimentFile, {})) from None
    base = _base(spec, label, folder)
    scenarios = {arm.name: _arm_scenario(spec, arm, label, base) for arm in spec.arms}
    metrics = spec.metric_specs()
    _check_metrics(metrics, label, scenarios)
    return Experiment(spec, label, scenarios, metrics)


# --------------------------------------------------------------------------- analysis
def reduce_metric(quarterly: pd.DataFrame, metric: MetricSpec) -> pd.Series:
    """One value per replication: the metric's final, total, mean or ratio of totals.

    A ``tier_<name>`` count of a tier the arm does not have is 0.
    """
    absent = {c: 0 for c in metric.columns() if c.startswith("tier_") and c not in quarterly}
    by_rep = quarterly.assign(**absent).sort_values("quarter").groupby("replication")
    how = metric.reduction
    if how == "ratio":
        num, den = (by_rep[c].sum() for c in metric.ratio)
        return num / den.where(den != 0)
    column = by_rep[metric.name]
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


# --------------------------------------------------------------------------- running
def compare(
    source: str | Path | dict,
    *,
    replications: int | None = None,
    seed: int | None = None,
    quarters: int | None = None,
    out: str | Path | None = None,
    write: bool = True,
    workers: int = 1,
    progress: bool | None = None,
) -> Comparison:
    """Run every arm of an experiment on common random numbers and compare each with the first.

    Args:
        source: an experiment file path or dict.
        replications: replaces the experiment's replications.
        seed: replaces the experiment's root seed.
        quarters: replaces the experiment's horizon.
        out: result directory (default ``results/<experiment>/<UTC time>-<hash>``); it
            receives ``comparison.csv``, ``values.csv``, ``experiment.json`` and one run
            directory per arm, written atomically.
        write: write the result directory; ``False`` only returns the tables.
        workers: processes for each arm's replications (results do not depend on it).
        progress: show progress bars (default: only on a terminal).

    Returns:
        A :class:`Comparison`.
    """
    experiment = load_experiment(source, replications=replications, seed=seed, quarters=quarters)
    target = Path(out) if out is not None else None
    if write and target is not None and target.exists() and any(target.iterdir()):
        raise ScenarioError(f"--out {target}: directory exists and is not empty; choose a new one")
    started = datetime.now(timezone.utc)
    runs = {arm: run_scenario(scenario, write=False, workers=workers, progress=progress)
            for arm, scenario in experiment.scenarios.items()}
    arms = list(runs)
    values = pd.DataFrame([
        {"arm": arm, "replication": int(rep), "metric": metric.name, "value": float(value)}
        for arm, run in runs.items() for metric in experiment.metrics
        for rep, value in reduce_metric(run.quarterly, metric).items()])
    comparison = paired_comparison(values, experiment.metrics, arms)
    comparison.insert(0, "experiment", experiment.name)
    manifest = {
        "experiment": experiment.name, "question": experiment.file.question, "source": experiment.label,
        "fingerprint": experiment.fingerprint(), "seed": experiment.file.seed,
        "replications": experiment.file.replications,
        "quarters": {a: s.simulation.quarters for a, s in experiment.scenarios.items()},
        "replication_seeds": "every arm: numpy.random.SeedSequence(seed, spawn_key=(replication,))",
        "arms": [a.model_dump(mode="json") for a in experiment.file.arms],
        "metrics": [m.model_dump(mode="json") for m in experiment.metrics],
        "started_utc": started.isoformat(), "finished_utc": datetime.now(timezone.utc).isoformat(),
        "status": "complete",
    }
    result = Comparison(comparison, values, runs, manifest)
    if write:
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        default = RESULTS_ROOT / experiment.name / f"{stamp}-{manifest['fingerprint'][:8]}"
        result.path = _write(result, target or default)
    return result


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


# --------------------------------------------------------------------------- printing
def format_comparison(result: Comparison) -> str:
    """A planner-readable table: per arm vs. the first, each metric's difference and verdict."""
    m, table = result.manifest, result.comparison
    quarters = sorted(set(m["quarters"].values()))
    lines = [f"{m['experiment']}: {m['question']}" if m["question"] else m["experiment"],
             f"{m['replications']} paired replications x {'/'.join(map(str, quarters))} quarters, seed {m['seed']} "
             "(common random numbers); 95% intervals of the paired differences"]
    for arm, rows in table.groupby("arm", sort=False):
        baseline = rows["baseline"].iloc[0]
        labels = [f"{r.metric} ({STATISTIC_NAMES[r.statistic]})" for r in rows.itertuples()]
        w_label, w_base, w_arm = max(map(len, labels + ["metric"])), max(12, len(baseline)), max(12, len(arm))
        lines += ["", f"{arm} vs {baseline}",
                  f"  {'metric':<{w_label}}  {baseline:>{w_base}}  {arm:>{w_arm}}  "
                  f"{'difference [95% interval]':<38}{'change':>8}  verdict"]
        for label, row in zip(labels, rows.itertuples(), strict=True):
            cells = comparison_cells(row)
            diff = f"{cells['difference']} {cells['interval']}"
            lines.append(f"  {label:<{w_label}}  {cells['baseline']:>{w_base}}  {cells['arm']:>{w_arm}}  "
                         f"{diff:<38}{cells['change']:>8}  {row.verdict}")
        for verdict, words in (("better", f"{arm} is better on"), ("worse", f"{arm} is worse on"),
                               ("no clear difference", "no clear difference (interval includes 0)")):
            names = rows.loc[rows["verdict"] == verdict, "metric"].tolist()
            if names:
                lines.append(f"  {words}: {', '.join(names)}")
    return "\n".join(lines)
