"""Sweep files (``experiments/*.yaml`` with ``kind: sweep``): schema, loading, validation.

A sweep file names a base scenario (a path relative to the sweep file, or an inline
mapping), the parameters to vary by scenario key path (see :mod:`sim.experiments.designs` for the
shapes), a design, optional named cases (bundles of key-path settings crossed with
the design, like policies crossed with scenarios), replications, a root seed and the
metrics to keep. Everything is checked before anything runs: the file against the
schema, then every design point's scenario, with messages naming the file, key path,
value and what is allowed.

A sweep's size is computed from its file before a single point is built
(:func:`read_sweep`, :func:`sim.experiments.designs.design_size`): one beyond
:data:`MAX_POINTS` points is refused with its size unless a larger limit is given
(``--max-points``), and ``ecosim sweep --dry-run`` never builds the design.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from sim.common import NAME_PATTERN, Strict, content_hash, read_validated
from sim.errors import ScenarioError, format_validation_error
from sim.experiments import designs
from sim.experiments.probe import check_metric, recorded_metrics
from sim.limits import MAX_POINTS, replication_bytes
from sim.scenario import Scenario, apply_overrides, load_base_scenario, validate_scenario
from sim.schema.types import Seed

__all__ = ["MAX_POINTS", "SweepFile", "SweepHead", "SweepSpec", "Point", "read_sweep", "load_sweep"]

DEFAULT_FINAL = ("revenue", "arr", "customers", "ecosystem_contribution", "partners_active", "partner_roi")
RESERVED = {"simulation.seed": "seed", "simulation.replications": "replications"}


class DesignSettings(Strict):
    """Which design generates the points, and its size."""

    method: Literal[designs.METHODS] = Field(
        "grid", description="grid: every combination of the parameters' lists; random, lhs (Latin hypercube), "
                            "sobol (Saltelli/Sobol' for variance-based indices) and morris (elementary "
                            "effects) sample the parameters' ranges and choices.")
    samples: int | None = Field(None, ge=1, le=1_000_000, description="random/lhs: points; sobol: base sample N "
                                                                      "(a power of two; N*(D+2) points); "
                                                                      "morris: trajectories (N*(D+1) points).")
    seed: Seed = Field(0, description="Seed of the design's sampler (the runs' seeds come from 'seed').")
    second_order: bool = Field(False, description="sobol only: also estimate second-order indices S2.")
    levels: int = Field(4, ge=2, le=100, description="morris only: grid levels of each trajectory.")

    @model_validator(mode="after")
    def _fits_method(self) -> "DesignSettings":
        if self.method == "grid":
            if self.samples is not None:
                raise ValueError("a grid has no 'samples': its points are every combination of the lists")
        elif self.samples is None:
            raise ValueError(f"method {self.method} needs 'samples'")
        if self.method == "sobol" and not designs.is_power_of_two(self.samples):
            raise ValueError(f"sobol needs samples to be a power of two (Sobol' sequences are balanced only "
                             f"there), e.g. {1 << max(self.samples - 1, 1).bit_length()}")
        if self.second_order and self.method != "sobol":
            raise ValueError("second_order applies to method sobol only")
        if "levels" in self.model_fields_set and self.method != "morris":
            raise ValueError("levels applies to method morris only")
        return self


class MetricSettings(Strict):
    """What each run keeps: columns of the quarterly table (see the run contract)."""

    final: list[str] = Field(default_factory=lambda: list(DEFAULT_FINAL),
                             description="Kept as final_<metric>: the value in the last quarter.")
    total: list[str] = Field(default_factory=list, description="Kept as total_<metric>: the sum over quarters.")
    flywheel: bool = Field(True, description="Keep flywheel_quarter: the first quarter partner-sourced plus "
                                             "influenced revenue exceeds half of revenue (empty if never).")
    timeseries: list[str] = Field(default_factory=list, description="Written per run and quarter to "
                                                                    "timeseries.parquet.")

    def columns(self) -> list[str]:
        """The metric columns of ``sweep.parquet``, in order."""
        return ([f"final_{m}" for m in self.final] + [f"total_{m}" for m in self.total]
                + (["flywheel_quarter"] if self.flywheel else []))


class SweepFile(Strict):
    """A sweep file as written."""

    kind: Literal["sweep"] = Field(description="The experiment kind.")
    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    description: str = ""
    scenario: str | dict[str, Any] = Field(description="Base scenario: a path relative to this file, or an "
                                                       "inline scenario mapping.")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Scenario key path -> a value "
                                                                         "(constant), a list (grid axis), "
                                                                         "{low, high[, integer][, log]} or "
                                                                         "{choices: [...]}.")
    cases: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Named bundles of key-path "
                                                                               "settings, each crossed with "
                                                                               "the design.")
    design: DesignSettings = Field(default_factory=DesignSettings)
    replications: int | None = Field(None, ge=1, le=100_000, description="Replications per point (default: "
                                                                         "the scenario's).")
    seed: Seed | None = Field(None, description="Root seed, 0 to 2**63-1 (default: the scenario's "
                                                "simulation.seed).")
    common_random_numbers: bool = Field(True, description="true: replication r of every point draws from "
                                                          "SeedSequence(seed, spawn_key=(r,)), so points "
                                                          "differ only by their parameters; false: each "
                                                          "point gets its own seed from SeedSequence(seed, "
                                                          "spawn_key=(point,)).")
    metrics: MetricSettings = Field(default_factory=MetricSettings)


@dataclass(frozen=True)
class Point:
    """One point of the sweep: its case, design row and the overrides that make its scenario."""

    point_id: int
    case: str | None
    row: int
    overrides: dict
    seed: int
    quarters: int


@dataclass
class SweepHead:
    """A sweep file read and checked up to its size, without building its points (``--dry-run``)."""

    file: SweepFile
    label: str
    base: dict
    parameters: dict[str, designs.Parameter]
    constants: dict[str, Any]
    replications: int
    seed: int
    size: int

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.file.name

    @property
    def method(self) -> str:
        """The design method."""
        return self.file.design.method


@dataclass
class SweepSpec:
    """A loaded, fully validated sweep: everything needed to plan and analyse its runs.

    ``largest`` is the point scenario that needs the most memory (:mod:`sim.limits`).
    """

    file: SweepFile
    label: str
    base: dict
    parameters: dict[str, designs.Parameter]
    constants: dict[str, Any]
    design: designs.Design
    points: list[Point]
    replications: int
    seed: int
    largest: Scenario

    @property
    def name(self) -> str:
        """The sweep's name."""
        return self.file.name

    @property
    def method(self) -> str:
        """The design method."""
        return self.file.design.method

    def fingerprint(self) -> str:
        """sha256 of what the runs depend on (not of how they are executed)."""
        content = {"sweep": self.file.model_dump(mode="json", exclude={"scenario", "description"}),
                   "base": self.base, "seed": self.seed, "replications": self.replications}
        return content_hash(content)


def _base_scenario(spec: SweepFile, label: str, folder: Path, constants: dict) -> Scenario:
    """The base scenario with the sweep's constant parameters set."""
    base = load_base_scenario(spec.scenario, label, folder)
    data = apply_overrides(base.resolved(), constants, source=f"{label}: parameters")
    return validate_scenario(data, f"{label} (parameters)")


def _parameters(spec: SweepFile, label: str) -> tuple[dict, dict]:
    varied, constants = {}, {}
    for key, raw in spec.parameters.items():
        if key in RESERVED:
            raise ScenarioError(f"{label}: parameters.{key}: set the sweep's '{RESERVED[key]}' key instead "
                                "(seeds and replications are the sweep's, not parameters)")
        try:
            parsed = designs.parse_parameter(raw, spec.design.method)
        except ValueError as exc:
            raise ScenarioError(f"{label}: parameters.{key} = {raw!r}: {exc}") from None
        if parsed is None:
            constants[key] = raw
        else:
            varied[key] = parsed
    if spec.design.method in ("sobol", "morris") and importlib.util.find_spec("SALib") is None:
        raise ScenarioError(f"{label}: design.method = {spec.design.method!r} needs SALib, a dependency of "
                            "ecosim missing from this environment: pip install SALib")
    if spec.design.method in designs.SAMPLED_METHODS and not varied:
        raise ScenarioError(f"{label}: parameters: a {spec.design.method} design needs at least one range "
                            "{low: A, high: B} or {choices: [...]}")
    for case, settings in spec.cases.items():
        clash = sorted((set(settings) & set(spec.parameters)) | (set(settings) & set(RESERVED)))
        if clash:
            raise ScenarioError(f"{label}: cases.{case}: {', '.join(clash)} is set by the sweep itself; a case "
                                "may not also set it")
    return varied, constants


def _point_seed(root: int, point_id: int) -> int:
    """An independent root seed for one point (used without common random numbers)."""
    return int(np.random.SeedSequence(root, spawn_key=(point_id,)).generate_state(1, np.uint64)[0] >> 1)


def _validate_points(spec: SweepFile, label: str, base: dict, design: designs.Design,
                     seed: int) -> tuple[list[Point], Scenario]:
    """Every point, its scenario validated; and the point scenario that needs the most memory."""
    cases = spec.cases or {None: {}}
    points, problems = [], []
    largest, most = None, -1
    for c, (case, settings) in enumerate(cases.items()):
        for row, values in enumerate(design.values):
            point_id = c * len(design.values) + row
            overrides = {**settings, **values}
            point_seed = seed if spec.common_random_numbers else _point_seed(seed, point_id)
            try:
                scenario = Scenario.model_validate(apply_overrides(base, overrides, source=label))
            except ValidationError as exc:
                where = ", ".join(f"{k}={v!r}" for k, v in values.items())
                what = f"case {case}" + (f", {where}" if where else "") if case else where
                message = format_validation_error(exc, f"{label} (point {point_id}: {what})", Scenario, {})
                if message not in problems:
                    problems.append(message)
                if len(problems) == 3:
                    break
                continue
            points.append(Point(point_id, case, row, overrides, point_seed, scenario.simulation.quarters))
            if replication_bytes(scenario) > most:
                largest, most = scenario, replication_bytes(scenario)
        if len(problems) == 3:
            break
    if problems:
        raise ScenarioError("\n".join(problems))
    return points, largest


def _probe_values(spec: SweepFile, label: str, base: dict, varied: dict[str, designs.Parameter]) -> None:
    """Validate every value of every parameter on its own, in every case, without building the design.

    Each check sets one parameter to one of its values (every level or choice, a
    range's ends) and the others to their first values: a misspelt key or a value out
    of range is caught for the cost of the sum of the axes' lengths, not their product.
    """
    first = {key: designs.first_value(parameter) for key, parameter in varied.items()}
    checks = [(key, value) for key, parameter in varied.items() for value in designs.probe_values(parameter)]
    for case, settings in (spec.cases or {None: {}}).items():
        for key, value in checks or [(None, None)]:
            values = first if key is None else {**first, key: value}
            try:
                Scenario.model_validate(apply_overrides(base, {**settings, **values}, source=label))
            except ValidationError as exc:
                where = ", ".join([f"case {case}"] * (case is not None) + [f"{key}={value!r}"] * (key is not None))
                raise ScenarioError(format_validation_error(exc, f"{label} ({where})", Scenario, {})) from None


def _check_metrics(metrics: MetricSettings, label: str, base: dict) -> None:
    """Check the kept metrics against what runs of the base scenario record."""
    recorded = recorded_metrics(base)
    for group, names in (("final", metrics.final), ("total", metrics.total), ("timeseries", metrics.timeseries)):
        for name in names:
            check_metric(name, recorded, f"{label}: metrics.{group}")


def read_sweep(source: str | Path | dict, max_points: int = MAX_POINTS) -> SweepHead:
    """Read and check a sweep file (or dict) up to its size, building none of its points.

    Checks the file, its parameters, its base scenario with the constants set, its
    metrics, and its size against ``max_points``.

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed, or the
            size and the limit.
    """
    spec, label, folder = read_validated(source, "sweep", SweepFile)
    varied, constants = _parameters(spec, label)
    d = spec.design
    size = designs.design_size(varied, d.method, d.samples, second_order=d.second_order) * max(1, len(spec.cases))
    if size > max_points:
        raise ScenarioError(f"{label}: the {d.method} design has {size:,} points, more than the limit of "
                            f"{max_points:,}; shrink it, or raise the limit with --max-points {size}")
    scenario = _base_scenario(spec, label, folder, constants)
    seed = spec.seed if spec.seed is not None else scenario.simulation.seed
    replications = spec.replications or scenario.simulation.replications
    base = apply_overrides(scenario.resolved(), {"simulation.seed": seed, "simulation.replications": replications})
    _probe_values(spec, label, base, varied)
    _check_metrics(spec.metrics, label, base)
    return SweepHead(spec, label, base, varied, constants, replications, seed, size)


def load_sweep(source: str | Path | dict, max_points: int = MAX_POINTS) -> SweepSpec:
    """Load a sweep file (or dict), validate it and every point's scenario.

    A relative ``scenario`` path is read relative to the sweep file (to the current
    directory for a dict). The size is checked first (:func:`read_sweep`).

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    head = read_sweep(source, max_points)
    d = head.file.design
    design = designs.design_points(head.parameters, d.method, d.samples, d.seed, second_order=d.second_order,
                                   levels=d.levels)
    points, largest = _validate_points(head.file, head.label, head.base, design, head.seed)
    return SweepSpec(head.file, head.label, head.base, head.parameters, head.constants, design, points,
                     head.replications, head.seed, largest)
