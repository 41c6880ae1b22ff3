"""Levers: the scenario settings an optimiser may change, by key path, and the designs they make.

A lever is written like a sampled sweep parameter (:mod:`sim.experiments.designs`): a
range ``{low: A, high: B}`` (with ``integer: true`` and/or ``log: true``) or choices
``{choices: [a, b, c]}`` of plain values. Any scenario key path works
(``partners.var.margin``, ``program.incentives.mdf.accrual``,
``program.incentives.payout_timing``, ``vendor.partner_managers``); a tier's field is
addressed by the tier's name, ``program.tiers.<tier>.<field>`` (e.g.
``program.tiers.gold.min_score``), because tiers are a list.

A design is one value per lever; :func:`design_overrides` turns it into the scenario
overrides that make it (tier levers rewrite the base scenario's ``program.tiers``).
"""

from __future__ import annotations

import copy
from typing import Any

from sim.errors import ScenarioError
from sim.experiments import designs
from sim.scenario import apply_overrides, validate_scenario

__all__ = ["Lever", "parse_levers", "design_overrides", "lever_values", "base_value"]

Lever = designs.Range | designs.Choices
TIERS = ("program", "tiers")
SHAPES = "a range {low: A, high: B} (optionally integer: true, log: true) or {choices: [a, b, ...]}"


def _parse(raw: Any) -> Lever:
    """One lever as written; ``ValueError`` says what is allowed."""
    if isinstance(raw, list):
        raise ValueError(f"give {SHAPES}; a list is a sweep's grid axis")
    if not isinstance(raw, dict):
        raise ValueError(f"a single value is fixed, not varied: put it under 'set'; give {SHAPES}")
    lever = designs.parse_parameter(raw, "random")
    if isinstance(lever, designs.Choices):
        if len(lever.values) < 2:
            raise ValueError("give at least two choices (one choice is a fixed setting: put it under 'set')")
        plain = (str, int, float, bool, type(None))
        if not all(isinstance(v, plain) for v in lever.values):
            raise ValueError("choices must be plain values (numbers, strings, true/false, null)")
        if len(set(lever.values)) != len(lever.values):
            raise ValueError("choices must be different from each other")
    return lever


def lever_values(lever: Lever) -> list:
    """The values that bound a lever: its range's ends, or every choice."""
    if isinstance(lever, designs.Choices):
        return list(lever.values)
    ends = [lever.low, lever.high]
    return [int(v) for v in ends] if lever.integer else ends


def _tier_path(path: str) -> tuple[str, str] | None:
    """``(tier, field)`` of a tier lever's path, or ``None`` for any other key path."""
    parts = path.split(".")
    if tuple(parts[:2]) != TIERS:
        return None
    if len(parts) != 4:
        raise ScenarioError(f"{path}: a tier lever is program.tiers.<tier name>.<field>, e.g. "
                            "program.tiers.gold.min_score")
    return parts[2], parts[3]


def design_overrides(base: dict, values: dict[str, Any]) -> dict[str, Any]:
    """The scenario overrides of one design: each lever's key path set to its value.

    Tier levers (``program.tiers.<tier>.<field>``) become one ``program.tiers`` override:
    the base scenario's tiers with those fields changed.

    Examples:
        >>> base = {"program": {"tiers": [{"name": "registered"}, {"name": "gold", "min_score": 0.6}]}}
        >>> design_overrides(base, {"partners.var.margin": 0.25, "program.tiers.gold.min_score": 0.7})
        {'partners.var.margin': 0.25, 'program.tiers': [{'name': 'registered'}, {'name': 'gold', 'min_score': 0.7}]}

    Raises:
        ScenarioError: a tier lever names a tier the base scenario does not have.
    """
    overrides: dict[str, Any] = {}
    tiers = None
    for path, value in values.items():
        tier = _tier_path(path)
        if tier is None:
            overrides[path] = value
            continue
        tiers = tiers if tiers is not None else copy.deepcopy(base["program"]["tiers"])
        named = {t["name"]: t for t in tiers}
        if tier[0] not in named:
            raise ScenarioError(f"{path}: the base scenario has no tier '{tier[0]}'; its tiers: "
                                f"{', '.join(named)}")
        named[tier[0]][tier[1]] = value
    if tiers is not None:
        overrides["program.tiers"] = tiers
    return overrides


def parse_levers(raw: dict[str, Any], base: dict, where: str) -> dict[str, Lever]:
    """Read and check the levers of a design space (or uncertain parameters) against a resolved base scenario.

    Each lever is checked alone at each of its bounds (or choices) on the base scenario,
    so an unknown key path (with a did-you-mean), a bound the scenario does not allow, a
    reversed range or a tier the scenario does not have is refused before anything runs.

    Args:
        raw: key path -> lever as written.
        base: the resolved base scenario.
        where: how messages name the space, e.g. ``"file.yaml: space"``.

    Raises:
        ScenarioError: naming the lever, its value and what is allowed.
    """
    if not raw:
        raise ScenarioError(f"{where}: nothing to vary; give at least one scenario key path with {SHAPES}")
    levers = {}
    for path, value in raw.items():
        if path.split(".")[0] == "simulation":
            raise ScenarioError(f"{where}.{path}: the horizon, replications and seed are the file's own "
                                "'quarters', 'replications' and 'seed'")
        try:
            levers[path] = _parse(value)
        except ValueError as exc:
            raise ScenarioError(f"{where}.{path} = {value!r}: {exc}") from None
    for path, lever in levers.items():
        for value in lever_values(lever):
            try:
                overrides = design_overrides(base, {path: value})
            except ScenarioError as exc:
                raise ScenarioError(f"{where}.{exc}") from None
            validate_scenario(apply_overrides(base, overrides, source=where), f"{where}.{path} = {value!r}")
    if "program.preset" in levers and any(_tier_path(p) for p in levers):
        raise ScenarioError(f"{where}: program.preset and program.tiers.* levers cannot be combined (a preset "
                            "replaces the tiers a tier lever changes)")
    return levers


def base_value(base: dict, path: str) -> Any:
    """A lever's value in a resolved scenario (``None`` where the section is off).

    Examples:
        >>> base = {"partners": {"var": {"margin": 0.2}}, "program": {"incentives": {"mdf": None},
        ...         "tiers": [{"name": "gold", "min_score": 0.6}]}}
        >>> base_value(base, "partners.var.margin"), base_value(base, "program.incentives.mdf.accrual")
        (0.2, None)
        >>> base_value(base, "program.tiers.gold.min_score")
        0.6
    """
    node: Any = base
    for part in path.split("."):
        if isinstance(node, list):
            node = next((item for item in node if item.get("name") == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return None
    return node
