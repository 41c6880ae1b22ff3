"""Optimisation files (``experiments/*.yaml`` with ``kind: optimize``): schema, loading, validation.

An optimisation file names a base scenario, settings shared by every trial (``set``),
the design space (levers by key path, :mod:`sim.experiments.levers`), one or more
objectives and optional constraints over recorded metrics
(:mod:`sim.experiments.outcomes`), the replications each trial runs, the trial budget
and the root seed::

    kind: optimize
    name: best_reseller_program
    scenario: ../scenarios/baseline.yaml
    space:
      partners.reseller.margin: {low: 0.05, high: 0.35}
      program.incentives.payout_timing: {choices: [on_booking, on_collection, spread]}
    objectives: [{name: vendor_net_revenue, statistic: total}]      # better: higher
    constraints:
      - {name: cost_share, ratio: [program_cost, revenue], max: 0.15}
    replications: 5
    trials: 60
    seed: 7

An objective's direction is its ``better`` (default: lower for costs, churn, conflicts
and the flywheel quarter, higher otherwise). A constraint bounds the mean of its metric
over a trial's replications with ``max`` and/or ``min``. Everything is checked before
anything runs: the file, every lever at its bounds, every objective and constraint
against what a run records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_validated
from sim.errors import ScenarioError
from sim.experiments import levers as levers_
from sim.experiments.compare_spec import MetricSpec
from sim.experiments.outcomes import as_spec, check_outcomes, direction, label, startup_names
from sim.experiments.probe import recorded_metrics
from sim.scenario import apply_overrides

__all__ = ["Constraint", "SamplerSettings", "OptimizeFile", "OptimizeSpec", "load_optimization"]


class Constraint(MetricSpec):
    """A bound on the mean of a metric over a trial's replications."""

    max: float | None = Field(None, description="The metric's mean must be at most this.")
    min: float | None = Field(None, description="The metric's mean must be at least this.")

    @model_validator(mode="after")
    def _bounded(self) -> "Constraint":
        if self.max is None and self.min is None:
            raise ValueError("a constraint needs 'max' and/or 'min'")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max}): no design can satisfy it")
        if self.better is not None:
            raise ValueError("a constraint has bounds, not a direction: leave out 'better'")
        return self

    def violations(self, value: float) -> list[float]:
        """How far a mean is outside each bound, relative to the bound (<= 0: satisfied)."""
        return [(value - b) / (abs(b) or 1.0) if side == "max" else (b - value) / (abs(b) or 1.0)
                for side, b in (("max", self.max), ("min", self.min)) if b is not None]

    def describe(self) -> str:
        """The constraint as a planner reads it, e.g. ``cost_share <= 0.15``."""
        bounds = [f">= {self.min:g}" if self.min is not None else "", f"<= {self.max:g}" if self.max is not None
                  else ""]
        return f"{label(self)} {' and '.join(b for b in bounds if b)}"


class SamplerSettings(Strict):
    """How trials are proposed (optuna): batches, TPE's start-up and NSGA-II's population."""

    batch: int = Field(8, ge=1, le=10_000, description="Trials proposed and run at once; the results depend on it, "
                                                       "not on the workers, so a study reproduces anywhere.")
    startup_trials: int = Field(10, ge=1, le=100_000, description="One objective (TPE): random trials before the "
                                                                  "model-based search starts.")
    population: int = Field(16, ge=2, le=100_000, description="Several objectives (NSGA-II): designs per "
                                                              "generation.")


class OptimizeFile(Strict):
    """An optimisation file as written."""

    kind: Literal["optimize"] = Field(description="The experiment kind.")
    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    question: str = Field("", description="The planner's question the optimisation answers.")
    description: str = ""
    scenario: str | dict[str, Any] = Field(description="Base scenario: a path relative to this file, or an "
                                                       "inline scenario mapping.")
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for every trial.")
    space: dict[str, Any] = Field(description="Scenario key path -> lever: {low, high[, integer][, log]} or "
                                              "{choices: [...]}.")
    objectives: list[str | MetricSpec] = Field(min_length=1, description="Metrics to optimise (compare's metric "
                                                                         "specs, or flywheel_quarter).")
    constraints: list[Constraint] = Field(default_factory=list, description="Bounds on metrics' means.")
    replications: int = Field(5, ge=1, le=10_000, description="Replications per trial, on the same seeds for "
                                                              "every trial (common random numbers).")
    trials: int = Field(ge=1, le=100_000, description="Trial budget: designs evaluated.")
    quarters: int | None = Field(None, ge=1, le=400, description="Horizon (default: the scenario's).")
    seed: int = Field(0, ge=0, description="Root seed of the runs and of the sampler.")
    sampler: SamplerSettings = Field(default_factory=SamplerSettings)

    @model_validator(mode="after")
    def _unique(self) -> "OptimizeFile":
        labels = [label(as_spec(m)) for m in self.objectives]
        if len(set(labels)) != len(labels):
            raise ValueError(f"objectives must differ, got {labels}")
        return self


@dataclass
class OptimizeSpec:
    """A loaded, validated optimisation: base scenario, levers, objectives and constraints."""

    file: OptimizeFile
    label: str
    base: dict
    levers: dict[str, levers_.Lever]
    objectives: list[MetricSpec]
    constraints: list[Constraint]

    @property
    def name(self) -> str:
        """The optimisation's name."""
        return self.file.name

    @property
    def seed(self) -> int:
        """The root seed of the runs and the sampler."""
        return self.file.seed

    @property
    def quarters(self) -> int:
        """Every trial's horizon."""
        return self.base["simulation"]["quarters"]

    @property
    def outcomes(self) -> list[MetricSpec]:
        """Objectives, then constraints whose label is not an objective's: what each trial records."""
        unique: dict[str, MetricSpec] = {}
        for metric in [*self.objectives, *self.constraints]:
            unique.setdefault(label(metric), metric)
        return list(unique.values())

    def directions(self) -> list[str]:
        """``maximize`` or ``minimize`` per objective (optuna's words)."""
        return ["maximize" if direction(m) == "higher" else "minimize" for m in self.objectives]

    def overrides(self, values: dict[str, Any]) -> dict[str, Any]:
        """The scenario overrides of a design (lever key path -> value)."""
        return levers_.design_overrides(self.base, values)

    def scenario_data(self, values: dict[str, Any]) -> dict:
        """The resolved base with a design's levers set (not yet validated)."""
        return apply_overrides(self.base, self.overrides(values), source=self.label)

    def fingerprint(self) -> str:
        """sha256 of what the trials depend on (not of comments, description or question)."""
        content = {"file": self.file.model_dump(mode="json", exclude={"scenario", "description", "question"}),
                   "base": self.base}
        return content_hash(content)


def _check_labels(objectives: list[MetricSpec], constraints: list[Constraint], where: str) -> None:
    """Refuse non-finite bounds, and two different metrics under one label."""
    read: dict[str, tuple] = {}
    for metric in [*objectives, *constraints]:
        what = (metric.reduction, metric.columns())
        if read.setdefault(label(metric), what) != what:
            raise ScenarioError(f"{where}: '{label(metric)}' names two different metrics; give each ratio its own "
                                "name")
    for i, constraint in enumerate(constraints):
        if not all(math.isfinite(b) for b in (constraint.min, constraint.max) if b is not None):
            raise ScenarioError(f"{where}: constraints[{i}]: bounds must be finite numbers")


def load_optimization(source: str | Path | dict) -> OptimizeSpec:
    """Load an optimisation file (or dict) and validate it, its levers and its metrics.

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    spec, label_, folder = read_validated(source, "optimization", OptimizeFile)
    base = levers_.design_base(spec, label_, folder)
    levers = levers_.parse_levers(spec.space, base, f"{label_}: space")
    objectives = [as_spec(m) for m in spec.objectives]
    recorded = recorded_metrics(base)
    startups = startup_names(base)
    check_outcomes(objectives, recorded, f"{label_}: objectives", startups)
    check_outcomes(list(spec.constraints), recorded, f"{label_}: constraints", startups)
    _check_labels(objectives, spec.constraints, label_)
    return OptimizeSpec(spec, label_, base, levers, objectives, list(spec.constraints))
