"""Experiment files (``experiments/*.yaml`` with ``kind: compare``): schema, loading, validation.

An experiment file names a base scenario (a path relative to the file, or an inline
mapping), settings shared by all arms (``set``), two or more arms (each a preset
and/or key-path settings), the replications, horizon and root seed, and the metrics
to compare::

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

Each metric is reduced per replication to one number: its ``final`` quarter value,
its ``total`` over the run, its ``mean`` over quarters, or (``ratio``) the total of
one column over the total of another. Flows default to ``total``, stocks to
``final``. Everything is checked before anything runs: the file, every arm's
scenario, and every metric against what a run records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_mapping
from sim.errors import ScenarioError, format_validation_error
from sim.experiments.probe import check_metric, recorded_metrics
from sim.metrics import FLOW_METRICS
from sim.presets import PRESETS
from sim.scenario import Scenario, apply_overrides, load_base_scenario, validate_scenario

__all__ = ["MetricSpec", "Arm", "ExperimentFile", "Experiment", "load_experiment", "experiment_schema"]

# Quarterly columns that are flows (summed over the run by default), beyond metrics.FLOW_METRICS.
FLOWS = set(FLOW_METRICS) | {"renewals", "opportunities", "new_customers_partner"}
# Where less is better (a planner's reading), with every payout_<component>; other metrics: more is better.
LOWER_IS_BETTER = {
    "churned_customers", "churned_partner_sourced", "conflicts", "program_cost", "partner_payouts",
    "mdf_spend", "mdf_unspent", "enablement_spend", "double_bubble_spend", "partners_exited",
    "partners_red", "customers_churned_total"}


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


def experiment_schema() -> dict:
    """Return the JSON Schema of experiment (``kind: compare``) files."""
    return ExperimentFile.model_json_schema()


def _arm_scenario(spec: ExperimentFile, arm: Arm, label: str, base: dict) -> Scenario:
    """An arm's scenario: the base with the shared settings, the arm's preset and settings."""
    for where, settings in (("set", spec.set), (f"arms.{arm.name}.set", arm.set)):
        reserved = sorted(k for k in settings if k.startswith("simulation."))
        if reserved:
            raise ScenarioError(f"{label}: {where}: {', '.join(reserved)}: set the experiment's own "
                                "'replications', 'quarters' and 'seed' instead (every arm shares them)")
    overrides = {**spec.set, **({"program.preset": arm.preset} if arm.preset else {}), **arm.set,
                 "simulation.replications": spec.replications, "simulation.seed": spec.seed}
    if spec.quarters is not None:
        overrides["simulation.quarters"] = spec.quarters
    where = f"{label}: arm '{arm.name}'"
    return validate_scenario(apply_overrides(base, overrides, source=where), where)


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
    base = load_base_scenario(spec.scenario, label, folder).resolved()
    scenarios = {arm.name: _arm_scenario(spec, arm, label, base) for arm in spec.arms}
    metrics = spec.metric_specs()
    _check_metrics(metrics, label, scenarios)
    return Experiment(spec, label, scenarios, metrics)
