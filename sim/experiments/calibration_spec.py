"""Calibration files (``ecosim calibrate --spec``): schema, loading and checks against scenario and history.

A calibration file names the parameters to fit by their scenario key paths, each with
a prior, the KPIs to fit (columns of the history) with weights, the replications
averaged per evaluation, the budget and the seed::

    kind: calibration
    parameters:
      market.adoption.innovation: {prior: log_uniform, low: 0.001, high: 0.03}
      market.adoption.imitation: {prior: uniform, low: 0.0, high: 0.4}
      vendor.partner_managers: {prior: uniform, low: 1, high: 6, integer: true}
      partners.var.reach: {prior: normal, mean: 0.05, sd: 0.03, low: 0.0, high: 0.2}
    kpis: {customers: 1, partners_partnered: 1, revenue_partner_sourced: 1}
    replications: 2
    budget: {population: 200, generations: 6, wall_time_minutes: 60}
    seed: 11

Everything is checked before anything runs: the file against the schema, every
parameter against the scenario (a numeric key whose whole prior range the scenario
accepts), every KPI against the history, the history against the metrics a run
records and the scenario's horizon. Messages name the file, the key path, the value
and what is allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_mapping, read_validated
from sim.errors import ScenarioError, format_validation_error
from sim.experiments.history import History, read_history
from sim.experiments.probe import recorded_metrics
from sim.scenario import Scenario, apply_overrides, validate_scenario

__all__ = ["Prior", "Budget", "CalibrationFile", "Calibration", "load_calibration"]

NORMAL_REACH = 6.0  # an unbounded normal prior is checked against the scenario at mean +- 6 sd


class Prior(Strict):
    """A parameter's prior: uniform or log-uniform between bounds, or normal (optionally truncated)."""

    prior: Literal["uniform", "log_uniform", "normal"] = Field(
        description="uniform (low, high), log_uniform (low > 0, high: uniform in the logarithm) or normal "
                    "(mean, sd; low and/or high truncate it).")
    low: float | None = Field(None, description="Lower bound.")
    high: float | None = Field(None, description="Upper bound.")
    mean: float | None = Field(None, description="normal only: the mean.")
    sd: float | None = Field(None, gt=0, description="normal only: the standard deviation.")
    integer: bool = Field(False, description="The parameter is a whole number: values are rounded, each whole "
                                             "number in [low, high] equally likely under a uniform prior.")

    @model_validator(mode="after")
    def _shape(self) -> Prior:
        if self.prior == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal prior needs mean and sd (low and high are optional bounds)")
        else:
            if self.low is None or self.high is None:
                raise ValueError(f"a {self.prior} prior needs low and high")
            if self.mean is not None or self.sd is not None:
                raise ValueError(f"mean and sd belong to a normal prior; a {self.prior} prior has low and high")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"prior bounds reversed: low ({self.low:g}) must be below high ({self.high:g})")
        if self.prior == "log_uniform" and self.low <= 0:
            raise ValueError(f"a log_uniform prior needs low > 0, got {self.low:g}")
        if self.integer and any(b is not None and not float(b).is_integer() for b in (self.low, self.high)):
            raise ValueError("an integer parameter needs whole-number low and high")
        return self

    def support(self) -> tuple[float, float]:
        """The smallest and largest value the prior proposes (an unbounded normal: mean -+ 6 sd)."""
        if self.prior == "normal":
            low = self.low if self.low is not None else self.mean - NORMAL_REACH * self.sd
            high = self.high if self.high is not None else self.mean + NORMAL_REACH * self.sd
            return low, high
        return self.low, self.high

    def value(self, x: float) -> float | int:
        """The scenario value of ``x``: rounded to a whole number within the bounds for an integer parameter."""
        if not self.integer:
            return float(x)
        low, high = self.support()
        return int(min(max(math.floor(x + 0.5), math.ceil(low)), math.floor(high)))

    def describe(self) -> str:
        """The prior in a few words, e.g. ``log_uniform(0.001, 0.03)``."""
        if self.prior == "normal":
            bounds = "" if self.low is None and self.high is None else \
                f" in [{'-inf' if self.low is None else f'{self.low:g}'}, " \
                f"{'inf' if self.high is None else f'{self.high:g}'}]"
            text = f"normal({self.mean:g}, {self.sd:g}){bounds}"
        else:
            text = f"{self.prior}({self.low:g}, {self.high:g})"
        return text + (", integer" if self.integer else "")


class Budget(Strict):
    """How long to calibrate: particles per generation, and generations and/or wall time."""

    population: int = Field(100, ge=10, le=1_000_000, description="Accepted particles per generation.")
    generations: int | None = Field(None, ge=1, le=1000, description="Generations to run (the first samples "
                                                                     "the prior's neighbourhood of the data).")
    wall_time_minutes: float | None = Field(None, gt=0, description="Start no new generation after this many "
                                                                    "minutes (a running one finishes).")

    @model_validator(mode="after")
    def _bounded(self) -> Budget:
        if self.generations is None and self.wall_time_minutes is None:
            raise ValueError("give generations and/or wall_time_minutes: a calibration needs an end")
        return self


class CalibrationFile(Strict):
    """A calibration file as written."""

    kind: Literal["calibration"] = Field("calibration", description="The experiment kind.")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Short name, used in result paths "
                                                                     "(default: <scenario name>_calibration).")
    description: str = ""
    parameters: dict[str, Prior] = Field(min_length=1, description="Scenario key path -> its prior.")
    kpis: dict[str, float] | None = Field(None, description="History columns to fit -> weight (> 0); default: "
                                                            "every column of the history, weight 1.")
    replications: int = Field(1, ge=1, le=1000, description="Replications averaged per evaluation.")
    budget: Budget = Field(description="Particles per generation, generations and/or wall time.")
    seed: int = Field(0, ge=0, description="Root seed: every evaluation's random numbers derive from it.")
    fit_draws: int = Field(20, ge=1, le=10_000, description="Posterior draws simulated over the scenario's whole "
                                                            "horizon for the fit plot.")

    @model_validator(mode="after")
    def _positive_weights(self) -> CalibrationFile:
        for kpi, weight in (self.kpis or {}).items():
            if not weight > 0:
                raise ValueError(f"kpis.{kpi} = {weight}: a KPI's weight must be above 0 (leave a KPI out to not "
                                 "fit it)")
        return self


@dataclass
class Calibration:
    """A loaded, fully checked calibration: scenario, history, parameters, KPIs and settings."""

    file: CalibrationFile
    label: str
    scenario: Scenario
    scenario_data: dict  # the scenario as written (calibrated.yaml starts from it)
    scenario_folder: Path
    history: History
    kpis: dict[str, float]

    @property
    def name(self) -> str:
        """The calibration's name (result paths)."""
        return self.file.name or f"{self.scenario.name}_calibration"

    @property
    def parameters(self) -> dict[str, Prior]:
        """Scenario key path -> prior."""
        return self.file.parameters

    def fingerprint(self) -> str:
        """sha256 of what the result depends on (spec, scenario, history), not of how it is executed."""
        observed = {k: [[int(q), float(v)] for q, v in self.history.observed(k).items()] for k in self.kpis}
        return content_hash({"spec": self.file.model_dump(mode="json", exclude={"description"}),
                             "scenario": self.scenario.resolved(), "history": observed})


def _resolved_value(data: dict, key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _check_parameter(key: str, prior: Prior, base: dict, label: str) -> None:
    where = f"{label}: parameters.{key}"
    if key.split(".")[0] == "simulation":
        raise ScenarioError(f"{where}: the simulation section is the calibration's own (its seed, replications, "
                            "and the history's quarters); fit a parameter of the market, vendor, rivals, partners "
                            "or program")
    current = _resolved_value(base, key)
    if isinstance(current, dict):
        raise ScenarioError(f"{where}: a section of the scenario, not a number; a parameter is a number such as "
                            "market.adoption.innovation")
    if current is None:  # an unknown key (the schema names it, with a did-you-mean), or a key left empty
        try:
            Scenario.model_validate(apply_overrides(base, {key: prior.value(prior.support()[0])}, source=where))
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(exc, where, Scenario, {})) from None
    elif isinstance(current, bool) or not isinstance(current, int | float):
        raise ScenarioError(f"{where}: the scenario's value is {current!r}, not a number; only numbers can be "
                            "calibrated")
    if isinstance(current, int) and not isinstance(current, bool) and not prior.integer:
        raise ScenarioError(f"{where}: a whole number in the scenario ({current}); add integer: true to its prior")
    for end in prior.support():
        value = prior.value(end)
        try:
            Scenario.model_validate(apply_overrides(base, {key: value}))
        except ValidationError as exc:
            detail = format_validation_error(exc, "", Scenario, {}).lstrip(": ")
            raise ScenarioError(f"{where}: the prior {prior.describe()} reaches {value:g}, which the scenario "
                                f"refuses ({detail}); narrow the prior") from None


def load_calibration(scenario: str | Path | dict, history: str | Path, spec: str | Path | dict) -> Calibration:
    """Load and check a calibration: its spec, the scenario it calibrates and the history it fits.

    Args:
        scenario: the scenario file (or dict) to calibrate.
        history: the CSV of observed quarterly KPIs.
        spec: the calibration file (or dict).

    Raises:
        ScenarioError: naming the file, key path (or line and column), bad value and what is allowed.
    """
    file, label, _ = read_validated(spec, "calibration", CalibrationFile)  # a key given twice is refused there
    data, scenario_label, folder = read_mapping(scenario, "scenario")
    checked = validate_scenario(data, scenario_label, folder=folder)
    if checked.vendors is not None:
        raise ScenarioError(f"{scenario_label}: has several startups ('vendors'); a calibration fits one company's "
                            "history to a one-startup scenario (vendor, program)")
    base = checked.resolved()
    observed = read_history(history, recorded_metrics(base), checked.simulation.quarters)
    kpis = dict(file.kpis) if file.kpis is not None else dict.fromkeys(observed.frame.columns, 1.0)
    for kpi in kpis:
        if kpi not in observed.frame.columns:
            raise ScenarioError(f"{label}: kpis.{kpi}: not a column of {observed.path} (its columns: "
                                f"{', '.join(observed.frame.columns)})")
    for key, prior in file.parameters.items():
        _check_parameter(key, prior, base, label)
    return Calibration(file, label, checked, data, folder, observed, kpis)
