"""Exploration files (``experiments/*.yaml`` with ``kind: explore``): schema, loading, validation.

An exploration runs candidate designs in many plausible futures. The file names a base
scenario, settings shared by every run (``set``), the designs (named arms like compare's,
and/or the best designs of an optimisation result), the uncertain market parameters with
their ranges, how many futures to sample from them (a Latin hypercube), replications per
design and future, a root seed, the outcome the designs are judged on, more metrics to
keep, and optionally a scenario discovery target::

    kind: explore
    name: robust_program
    scenario: ../scenarios/baseline.yaml
    designs:
      - {name: current}
      - {name: tiered, preset: tiered_margin}
    designs_from: ../results/optimize_growth_vs_cost/20260101T000000Z-1a2b3c4d   # its best design(s)
    uncertainties:
      market.adoption.imitation: {low: 0.05, high: 0.15}
      rivals.count: {low: 1, high: 6, integer: true}
    futures: 200
    outcome: {name: vendor_net_revenue, statistic: total}
    discovery: {design: best_on_average, below: 900_000_000}

Every design runs in every future on the same seeds (common random numbers), so the
designs differ in a future only by their settings. Everything is checked before
anything runs, including that the EMA Workbench (PRIM) is installed when a discovery
target is given.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_validated
from sim.errors import ScenarioError
from sim.experiments import levers as levers_
from sim.experiments.compare_spec import Arm, MetricSpec
from sim.experiments.outcomes import as_spec, check_outcomes, label, startup_names, timeseries_columns
from sim.experiments.probe import recorded_metrics
from sim.formatting import format_metric
from sim.scenario import apply_overrides, validate_scenario

__all__ = ["Discovery", "ExploreFile", "ExploreSpec", "load_exploration", "BEST_ON_AVERAGE"]

BEST_ON_AVERAGE = "best_on_average"


class Discovery(Strict):
    """Scenario discovery: for one design, the futures in which it fails, described by PRIM boxes."""

    design: str = Field(BEST_ON_AVERAGE, description="A design's name, or best_on_average (the best mean outcome).")
    metric: str | None = Field(None, description="The label of the outcome that defines failure (default: the "
                                                 "exploration's outcome), e.g. total_vendor_net_revenue.")
    below: float | None = Field(None, description="The design fails in a future where the metric is below this.")
    above: float | None = Field(None, description="The design fails in a future where the metric is above this.")
    min_density: float = Field(0.8, gt=0, le=1, description="The box reported is the one of PRIM's peeling "
                                                            "trajectory that holds the most failures (coverage) "
                                                            "among those in which at least this share fails "
                                                            "(density).")

    @model_validator(mode="after")
    def _one_target(self) -> "Discovery":
        if (self.below is None) == (self.above is None):
            raise ValueError("give the failure target as 'below: X' or 'above: X' (one of them)")
        return self

    def describe(self, metric: str) -> str:
        """The failure rule as a planner reads it.

        Examples:
            >>> Discovery(below=9e8).describe("total_vendor_net_revenue")
            'total_vendor_net_revenue < $900M'
        """
        if self.below is not None:
            return f"{metric} < {format_metric(metric, self.below)}"
        return f"{metric} > {format_metric(metric, self.above)}"


class ExploreFile(Strict):
    """An exploration file as written."""

    kind: Literal["explore"] = Field(description="The experiment kind.")
    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    question: str = Field("", description="The planner's question the exploration answers.")
    description: str = ""
    scenario: str | dict[str, Any] = Field(description="Base scenario: a path relative to this file, or an "
                                                       "inline scenario mapping.")
    set: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> value for every run.")
    designs: list[Arm] = Field(default_factory=list, description="Candidate designs: a name, and a preset and/or "
                                                                 "key-path settings (none: the base scenario).")
    designs_from: str | None = Field(None, description="An ecosim optimize result directory (relative to this "
                                                       "file): its best design or Pareto front become designs "
                                                       "trial_<n>.")
    uncertainties: dict[str, Any] = Field(description="Scenario key path -> {low, high[, integer][, log]} or "
                                                      "{choices: [...]}: the range of plausible futures.")
    futures: int = Field(ge=1, le=1_000_000, description="Futures sampled by Latin hypercube from the ranges.")
    futures_seed: int = Field(0, ge=0, description="Seed of the Latin hypercube.")
    replications: int = Field(1, ge=1, le=10_000, description="Replications per design and future.")
    quarters: int | None = Field(None, ge=1, le=400, description="Horizon (default: the scenario's).")
    seed: int = Field(0, ge=0, description="Root seed: every design and future runs replication r on "
                                           "SeedSequence(seed, spawn_key=(r,)).")
    outcome: str | MetricSpec = Field(description="What the designs are judged on (means, percentiles, regret).")
    metrics: list[str | MetricSpec] = Field(default_factory=list, description="More outcomes to keep.")
    discovery: Discovery | None = Field(None, description="Scenario discovery (PRIM) for one design.")

    @model_validator(mode="after")
    def _designs(self) -> "ExploreFile":
        whole = [d.name for d in self.designs if d.scenario is not None]
        if whole:
            raise ValueError(f"designs {whole} name a scenario of their own: an exploration's designs change the "
                             "base scenario by 'preset' and 'set' (compare whole scenarios with ecosim compare)")
        names = [d.name for d in self.designs]
        if len(set(names)) != len(names):
            raise ValueError(f"design names must be unique, got {names}")
        if self.designs_from is None and len(self.designs) < 2:
            raise ValueError("give at least two designs (or designs_from: an optimisation result)")
        return self


@dataclass
class ExploreSpec:
    """A loaded, validated exploration: base scenario, designs, uncertainties and outcomes."""

    file: ExploreFile
    label: str
    base: dict
    designs: dict[str, dict]
    uncertainties: dict[str, levers_.Lever]
    outcomes: list[MetricSpec]

    @property
    def name(self) -> str:
        """The exploration's name."""
        return self.file.name

    @property
    def outcome(self) -> MetricSpec:
        """The outcome the designs are judged on."""
        return self.outcomes[0]

    def sweep(self) -> dict:
        """The sweep that runs it: designs as cases crossed with a Latin hypercube of futures."""
        return {"kind": "sweep", "name": self.name, "description": f"the runs of the exploration {self.name}",
                "scenario": self.base, "parameters": self.file.uncertainties, "cases": self.designs,
                "design": {"method": "lhs", "samples": self.file.futures, "seed": self.file.futures_seed},
                "replications": self.file.replications, "seed": self.file.seed, "common_random_numbers": True,
                "metrics": {"final": [], "total": [], "flywheel": False,
                            "timeseries": list(timeseries_columns(self.outcomes))}}

    def fingerprint(self) -> str:
        """sha256 of what the runs and the analysis depend on."""
        content = {"file": self.file.model_dump(mode="json", exclude={"scenario", "description", "question",
                                                                      "designs_from"}),
                   "base": self.base, "designs": self.designs}
        return content_hash(content)


def _designs_from(reference: str, folder: Path, base: dict, where: str) -> dict[str, dict]:
    """The best design or Pareto front of an ``ecosim optimize`` result, as named overrides."""
    path = folder / reference
    manifest_file = path / "manifest.json"
    if not (manifest_file.is_file() and (path / "trials.parquet").is_file()):
        raise ScenarioError(f"{where}: designs_from = {reference!r}: not an ecosim optimize result directory "
                            f"(looked for manifest.json and trials.parquet in {path})")
    manifest = json.loads(manifest_file.read_text())
    if manifest.get("kind") != "optimize" or not manifest.get("best"):
        raise ScenarioError(f"{where}: designs_from = {reference!r}: the optimisation has no best design "
                            "(no trial met its constraints)")
    trials = pd.read_parquet(path / "trials.parquet").set_index("trial")
    designs = {}
    for number in manifest["best"]:
        values = {p: trials.at[number, p] for p in manifest["levers"]}
        values = {p: v.item() if hasattr(v, "item") else v for p, v in values.items()}
        try:
            designs[f"trial_{number}"] = levers_.design_overrides(base, values)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: designs_from: {exc}") from None
    return designs


def _check_designs(designs: dict[str, dict], uncertain: dict, base: dict, where: str) -> None:
    for name, overrides in designs.items():
        clash = sorted(set(overrides) & set(uncertain))
        if clash:
            raise ScenarioError(f"{where}: design '{name}' sets {', '.join(clash)}, an uncertainty: a design is what "
                                "the planner chooses, the future what it cannot")
        validate_scenario(apply_overrides(base, overrides, source=where), f"{where}: design '{name}'")


def _check_discovery(spec: ExploreFile, designs: dict, outcomes: list[MetricSpec], where: str) -> None:
    found = spec.discovery
    if found is None:
        return
    if found.design != BEST_ON_AVERAGE and found.design not in designs:
        raise ScenarioError(f"{where}: discovery.design = {found.design!r}: not a design; choose one of "
                            f"{', '.join([BEST_ON_AVERAGE, *designs])}")
    labels = [label(m) for m in outcomes]
    if found.metric is not None and found.metric not in labels:
        raise ScenarioError(f"{where}: discovery.metric = {found.metric!r}: not an outcome; choose one of "
                            f"{', '.join(labels)} (add it under 'metrics')")
    if importlib.util.find_spec("ema_workbench") is None:
        raise ScenarioError(f"{where}: discovery needs the EMA Workbench's PRIM: pip install 'ecosim[explore]' "
                            "(or leave out 'discovery' to explore without it)")


def load_exploration(source: str | Path | dict) -> ExploreSpec:
    """Load an exploration file (or dict) and validate it, its designs, uncertainties and outcomes.

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    spec, where, folder = read_validated(source, "exploration", ExploreFile)
    base = levers_.design_base(spec, where, folder)
    designs = {}
    for d in spec.designs:
        try:
            designs[d.name] = levers_.design_overrides(base, {**({"program.preset": d.preset} if d.preset else {}),
                                                              **d.set})
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: design '{d.name}': {exc}") from None
    if spec.designs_from is not None:
        found = _designs_from(spec.designs_from, folder, base, where)
        twice = sorted(set(found) & set(designs))
        if twice:
            raise ScenarioError(f"{where}: designs: {', '.join(twice)} also come from designs_from; rename them")
        designs.update(found)
    uncertain = levers_.parse_levers(spec.uncertainties, base, f"{where}: uncertainties")
    listed = sorted(p for p in uncertain if levers_.list_entry(base, p) is not None)
    if listed:
        raise ScenarioError(f"{where}: uncertainties: {', '.join(listed)}: an uncertainty is a plain key path (the "
                            "futures run as a sweep); an item of a list (a tier, a startup) can be varied as designs")
    _check_designs(designs, uncertain, base, where)
    outcomes = [as_spec(m) for m in [spec.outcome, *spec.metrics]]
    labels = [label(m) for m in outcomes]
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"{where}: outcome and metrics must differ, got {labels}")
    check_outcomes(outcomes, recorded_metrics(base), f"{where}: outcome and metrics", startup_names(base))
    _check_discovery(spec, designs, outcomes, where)
    return ExploreSpec(spec, where, base, designs, uncertain, outcomes)
