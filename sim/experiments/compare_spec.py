"""Experiment files (``experiments/*.yaml`` with ``kind: compare``): schema, loading, validation.

An experiment file names a base scenario (a path relative to the file, or an inline
mapping), settings shared by all arms (``set``), two or more arms (each a preset
and/or key-path settings, on the base or on a whole scenario of its own), the
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

An arm that names its own ``scenario`` compares whole strategies (the experiment's
``scenario`` is then only the base of arms that name none), and several scenario files
given to ``ecosim compare`` become such an experiment (:func:`scenario_experiment`).

Each metric is reduced per replication to one number: its ``final`` quarter value,
its ``total`` over the run, its ``mean`` over quarters, or (``ratio``) the total of
one column over the total of another. Flows default to ``total``, stocks to
``final``. Everything is checked before anything runs: the file, every arm's
scenario, the arms' common horizon, and every metric against what a run records.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_mapping
from sim.errors import ScenarioError, format_validation_error
from sim.experiments.probe import check_metric, recorded_metrics
from sim.metrics import FLOW_METRICS
from sim.partner_types import PARTNER_TYPES
from sim.presets import PRESETS
from sim.scenario import Scenario, apply_overrides, load_base_scenario, validate_scenario

__all__ = ["MetricSpec", "Arm", "ExperimentFile", "Experiment", "load_experiment", "experiment_schema",
           "scenario_experiment", "world_differences", "STRATEGY_METRICS"]

# Quarterly columns that are flows (summed over the run by default), beyond metrics.FLOW_METRICS.
FLOWS = set(FLOW_METRICS) | {"renewals", "opportunities", "new_customers_partner"}
# Where less is better (a planner's reading), with every payout_<component>; other metrics: more is better.
LOWER_IS_BETTER = {
    "churned_customers", "churned_partner_sourced", "conflicts", "program_cost", "partner_payouts",
    "mdf_spend", "mdf_unspent", "enablement_spend", "double_bubble_spend", "partners_exited",
    "partners_red", "customers_churned_total"}
# What a comparison of whole scenario files reports unless told otherwise: revenue by route,
# the customer base, the partners in the program, the ecosystem's share and the program's cost.
STRATEGY_METRICS = (
    "revenue", "revenue_direct", "revenue_partner_sourced", "revenue_partner_influenced", "revenue_marketplace",
    "arr", "customers", "partners_partnered", "partners_active", "ecosystem_contribution", "program_cost",
    "vendor_net_revenue")
# The settings the initial state is drawn from, in the order the replication's generator draws
# it (sim.model.EcosystemModel.__init__): customers' segments, the vendor's named accounts, the
# word-of-mouth graph, then the partners (sizes, reach) and their account books.
WORLD_KEYS = ("market.customers", "market.segments.*.share", "vendor.direct_coverage", "market.word_of_mouth",
              *(f"partners.{t}.{field}" for t in PARTNER_TYPES
                for field in ("count", "sellers", "accounts_per_seller", "segment_fit", "heterogeneity")))


class MetricSpec(Strict):
    """One metric to compare: a quarterly column (or a ratio of two) reduced per replication."""

    name: str = Field(description="A quarterly.parquet column, or the label of a ratio; with several startups, "
                                  "'column@vendor' (e.g. revenue@ours) reads that startup's rows.")
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
    def column(self) -> str:
        """The quarterly column (or ratio label) without its ``@vendor``."""
        return self.name.partition("@")[0]

    @property
    def vendor(self) -> str | None:
        """The startup whose rows the metric reads (``None``: the only one)."""
        return self.name.partition("@")[2] or None

    @property
    def reduction(self) -> str:
        """How the metric is reduced per replication."""
        if self.ratio is not None:
            return "ratio"
        return self.statistic or ("total" if self.column in FLOWS else "final")

    @property
    def direction(self) -> str:
        """``higher`` or ``lower``: which way is better."""
        lower = self.column in LOWER_IS_BETTER or self.column.startswith("payout_")
        return self.better or ("lower" if lower else "higher")

    def columns(self) -> tuple[str, ...]:
        """The quarterly columns the metric reads."""
        return self.ratio if self.ratio is not None else (self.column,)


class Arm(Strict):
    """One design under comparison: a whole scenario of its own and/or a preset and key-path settings."""

    name: str = Field(pattern=NAME_PATTERN, description="Short name; used as the arm's directory.")
    description: str = ""
    scenario: str | dict[str, Any] | None = Field(
        None, description="This arm's own scenario (a whole strategy): a path relative to the experiment file, "
                          "or an inline mapping (default: the experiment's scenario).")
    preset: Literal[tuple(PRESETS)] | None = Field(None, description="Sets program.preset.")  # type: ignore[valid-type]
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for this arm.")


class ExperimentFile(Strict):
    """An incentive experiment file as written."""

    kind: Literal["compare"] = Field(description="The experiment kind.")
    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    question: str = Field("", description="The planner's question the experiment answers.")
    description: str = ""
    scenario: str | dict[str, Any] | None = Field(
        None, description="Base scenario of the arms that name none: a path relative to this file, or an inline "
                          "scenario mapping.")
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for every arm.")
    replications: int = Field(20, ge=2, le=100_000, description="Paired replications per arm.")
    quarters: int | None = Field(None, ge=1, le=400, description="Horizon (default: the scenarios' own, when "
                                                                  "every arm has the same).")
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
        if self.scenario is None:
            missing = [a.name for a in self.arms if a.scenario is None]
            if missing:
                raise ValueError(f"arms {missing} name no scenario and the experiment has none: give the "
                                 "experiment a base 'scenario' or each arm its own")
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
        exclude = {"scenario": True, "arms": {"__all__": {"scenario"}}}  # where they were read from
        content = {"experiment": self.file.model_dump(mode="json", exclude=exclude),
                   "arms": {a: s.resolved() for a, s in self.scenarios.items()}}
        return content_hash(content)


def experiment_schema() -> dict:
    """Return the JSON Schema of experiment (``kind: compare``) files."""
    return ExperimentFile.model_json_schema()


def _arm_scenario(spec: ExperimentFile, arm: Arm, label: str, base: dict) -> Scenario:
    """An arm's scenario: its own or the base, with the shared settings, the arm's preset and settings."""
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


def _check_horizons(spec: ExperimentFile, label: str, scenarios: dict[str, Scenario]) -> None:
    """Refuse arms that would run different horizons: their final quarters and totals would not compare."""
    horizons = {arm: scenario.simulation.quarters for arm, scenario in scenarios.items()}
    if spec.quarters is None and len(set(horizons.values())) > 1:
        listed = ", ".join(f"{arm}: {q}" for arm, q in horizons.items())
        raise ScenarioError(f"{label}: the arms' scenarios run different horizons ({listed} quarters): set the "
                            "experiment's 'quarters' (ecosim compare --quarters Q) so every arm runs the same")


def _is_scenario(data: dict) -> bool:
    """Whether a mapping given to ``compare`` is a scenario (it has neither ``kind`` nor ``arms``)."""
    return "kind" not in data and "arms" not in data


ONE_SCENARIO = "a scenario file; ecosim compare takes two or more scenario files, or one experiment file"


def scenario_experiment(sources: Sequence[str | Path | dict], metrics: Sequence[str] = STRATEGY_METRICS) -> dict:
    """An experiment, as a dict, whose arms are whole scenarios: what ``ecosim compare A.yaml B.yaml`` runs.

    Each arm is named after its scenario's ``name`` (or its file), with ``-2``, ``-3``
    for repeats, and the experiment after its arms; the experiment file's defaults hold
    for replications and seed.

    Args:
        sources: two or more scenario file paths or scenario mappings.
        metrics: the quarterly columns to compare.

    Raises:
        ScenarioError: fewer than two sources, or a source that is an experiment file.
    """
    arms: list[dict] = []
    for source in sources:
        data, label, _ = read_mapping(source, "scenario")
        if not _is_scenario(data):
            raise ScenarioError(f"{label}: an experiment file; ecosim compare takes one experiment file, or two "
                                "or more scenario files")
        if len(sources) < 2:
            raise ScenarioError(f"{label}: {ONE_SCENARIO}")
        stem = data["name"] if isinstance(data.get("name"), str) else Path(label).stem
        name, repeat = stem, 1
        while name in {arm["name"] for arm in arms}:
            repeat += 1
            name = f"{stem}-{repeat}"
        arms.append({"name": name, "scenario": data if isinstance(source, dict) else str(source)})
    return {"kind": "compare", "name": "_vs_".join(arm["name"] for arm in arms), "arms": arms,
            "metrics": list(metrics)}


def load_experiment(source: str | Path | dict | Sequence[str | Path | dict], *,
                    metrics: Sequence[str] | None = None, **settings: int | None) -> Experiment:
    """Load an experiment file (or dict), or scenario files to compare whole, and validate every arm.

    Args:
        source: an experiment file path or dict (a relative ``scenario`` path is read
            relative to the file, or to the current directory for a dict); or a list
            of scenario files or mappings, each an arm (:func:`scenario_experiment`).
            One path is told apart by its content: an experiment has a ``kind``.
        metrics: quarterly columns replacing the experiment's metrics.
        **settings: ``replications``, ``seed`` or ``quarters`` replacing the file's own
            (``None`` keeps the file's).

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    scenarios_label = None
    if isinstance(source, (list, tuple)) and len(source) > 1:
        scenarios_label = ", ".join("<scenario dict>" if isinstance(s, dict) else str(s) for s in source)
        source = scenario_experiment(source)
    elif isinstance(source, (list, tuple)):
        source = source[0]
    data, label, folder = read_mapping(source, "experiment")
    label = scenarios_label or label
    if _is_scenario(data):
        raise ScenarioError(f"{label}: {ONE_SCENARIO} (kind: compare)")
    data.update({key: value for key, value in settings.items() if value is not None})
    if metrics:
        data["metrics"] = list(metrics)
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, label, ExperimentFile, {})) from None
    base = None if spec.scenario is None else load_base_scenario(spec.scenario, label, folder).resolved()
    scenarios = {}
    for arm in spec.arms:
        own = base if arm.scenario is None else \
            load_base_scenario(arm.scenario, f"{label}: arm '{arm.name}'", folder).resolved()
        scenarios[arm.name] = _arm_scenario(spec, arm, label, own)
    _check_horizons(spec, label, scenarios)
    metric_specs = spec.metric_specs()
    _check_vendors(metric_specs, label, scenarios)
    _check_metrics(metric_specs, label, scenarios)
    return Experiment(spec, label, scenarios, metric_specs)


def _check_vendors(metrics: list[MetricSpec], label: str, scenarios: dict[str, Scenario]) -> None:
    """With several startups every metric names one (``column@vendor``) that every arm has."""
    names = {arm: sorted(v.name for v in s.vendors) if s.vendors else None for arm, s in scenarios.items()}
    several = sorted({n for arm_names in names.values() if arm_names for n in arm_names})
    for i, metric in enumerate(metrics):
        if several and metric.vendor is None:
            raise ScenarioError(f"{label}: metrics[{i}]: '{metric.name}': the scenarios have several startups; "
                                f"name one, e.g. '{metric.name}@{several[0]}' (startups: {', '.join(several)})")
        missing = [arm for arm, arm_names in names.items() if metric.vendor and metric.vendor not in (arm_names or [])]
        if missing:
            raise ScenarioError(f"{label}: metrics[{i}]: '{metric.name}': arm(s) {', '.join(missing)} have no "
                                f"startup '{metric.vendor}' (startups: {', '.join(several) or 'none'})")


def _leaves(data: Any, prefix: str = "") -> dict[str, str]:
    """Dotted key paths of nested data's leaves and their values as canonical JSON."""
    if isinstance(data, dict):
        return {path: value for key, child in data.items() for path, value in _leaves(child, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): json.dumps(data, sort_keys=True)}


def world_differences(scenarios: dict[str, Scenario]) -> dict[str, dict[str, Any]]:
    """The settings of the initial state (``WORLD_KEYS``) on which the arms' scenarios differ.

    Replication ``r`` of every arm draws its initial state from the same generator, in
    the order of ``WORLD_KEYS``: arms equal on all of them start from the same market,
    named accounts, word-of-mouth graph, partners and account books, and their customers
    and partners then meet the same random numbers each quarter (common random numbers).
    From the first key that differs on, the arms build different worlds from the same
    seed.

    Returns:
        ``{key path: {arm: value}}`` for each differing setting, in drawing order.
    """
    leaves = {arm: _leaves(scenario.resolved()) for arm, scenario in scenarios.items()}
    differing: dict[str, dict[str, Any]] = {}
    for pattern in WORLD_KEYS:
        head, _, tail = pattern.partition(".*")
        paths = {path for found in leaves.values() for path in found
                 if (path == head or path.startswith(f"{head}.")) and path.endswith(tail)}
        for path in sorted(paths):
            values = {arm: found.get(path) for arm, found in leaves.items()}
            if len(set(values.values())) > 1:
                differing[path] = {arm: None if v is None else json.loads(v) for arm, v in values.items()}
    return differing
