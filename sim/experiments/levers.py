"""Levers: the scenario settings an optimiser may change, by key path, and the designs they make.

A lever is written like a sampled sweep parameter (:mod:`sim.experiments.designs`): a
range ``{low: A, high: B}`` (with ``integer: true`` and/or ``log: true``) or choices
``{choices: [a, b, c]}`` of plain values. Any scenario key path works
(``partners.var.margin``, ``program.incentives.mdf.accrual``,
``program.incentives.payout_timing``, ``vendor.partner_managers``); an item of a list of
named items is addressed by its name: a tier (``program.tiers.gold.min_score``) or, in a
scenario with several startups, a startup (``vendors.ours.partner_managers``,
``vendors.ours.program.incentives.mdf.accrual``).

A design is one value per lever; :func:`design_overrides` turns it into the scenario
overrides that make it (a lever inside a list rewrites the base scenario's whole list),
on the base scenario of its optimisation or exploration file (:func:`design_base`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import ScenarioError
from sim.experiments import designs
from sim.presets import PRESET_SECTIONS
from sim.scenario import apply_overrides, load_base_scenario, validate_scenario

if TYPE_CHECKING:
    from sim.experiments.explore_spec import ExploreFile
    from sim.experiments.optimize_spec import OptimizeFile

__all__ = ["Lever", "parse_levers", "design_overrides", "design_base", "list_entry", "lever_values", "base_value"]

Lever = designs.Range | designs.Choices
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


def list_entry(base: dict, path: str) -> tuple[str, list[str]] | None:
    """Where a key path enters a list of the base scenario: ``(the list's key path, the rest)``, or ``None``."""
    node: Any = base
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list):
            return ".".join(parts[:i]), parts[i:]
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return None


def _set(node: Any, parts: list[str], value: Any, path: str) -> None:
    """Set ``value`` at ``parts`` inside ``node``: list items by name, missing sections created."""
    if isinstance(node, list):
        named = {item.get("name"): item for item in node if isinstance(item, dict)}
        if parts[0] not in named:
            raise ScenarioError(f"{path}: the base scenario has no '{parts[0]}' there; its items: "
                                f"{', '.join(map(str, named))}")
        if len(parts) == 1:
            raise ScenarioError(f"{path}: names a list item; give one of its fields, e.g. {path}.<field>")
        _set(named[parts[0]], parts[1:], value, path)
    elif not isinstance(node, dict):
        raise ScenarioError(f"{path}: {parts[0]} is inside a value, not a section")
    elif len(parts) == 1:
        if parts[0] == "preset":  # a program's preset replaces its incentives and tiers, as with --set
            for section in PRESET_SECTIONS:
                node.pop(section, None)
        node[parts[0]] = value
    else:
        child = node.get(parts[0])
        if child is None:
            child = node[parts[0]] = {}
        _set(child, parts[1:], value, path)


def design_overrides(base: dict, values: dict[str, Any]) -> dict[str, Any]:
    """The scenario overrides of one design: each lever's key path set to its value.

    A lever inside a list of named items (``program.tiers.<tier>.<field>``,
    ``vendors.<startup>.<key path>``) becomes one override of the whole list: the base
    scenario's items with those fields changed (presets first, like ``--set``).

    Examples:
        >>> base = {"program": {"tiers": [{"name": "registered"}, {"name": "gold", "min_score": 0.6}]}}
        >>> design_overrides(base, {"partners.var.margin": 0.25, "program.tiers.gold.min_score": 0.7})
        {'partners.var.margin': 0.25, 'program.tiers': [{'name': 'registered'}, {'name': 'gold', 'min_score': 0.7}]}

    Raises:
        ScenarioError: a lever names an item the base scenario's list does not have.
    """
    overrides: dict[str, Any] = {}
    for path in sorted(values, key=lambda p: not p.endswith("preset")):
        entry = list_entry(base, path)
        if entry is None:
            overrides[path] = values[path]
            continue
        where, rest = entry
        if where not in overrides:
            overrides[where] = copy.deepcopy(base_value(base, where))
        _set(overrides[where], rest, values[path], path)
    return overrides


def design_base(file: OptimizeFile | ExploreFile, where: str, folder: Path) -> dict:
    """The resolved base scenario the designs change, with the file's shared settings, horizon, replications and seed.

    Optimisation and exploration files give these the same way: ``scenario``, ``set``
    and their own ``quarters``, ``replications`` and ``seed``.

    Raises:
        ScenarioError: ``set`` names a ``simulation`` key (the file's own keys set those), or
            the scenario with the settings is invalid.
    """
    reserved = sorted(k for k in file.set if k.split(".")[0] == "simulation")
    if reserved:
        raise ScenarioError(f"{where}: set: {', '.join(reserved)}: set the file's own 'quarters', 'replications' "
                            "and 'seed' instead")
    base = load_base_scenario(file.scenario, where, folder).resolved()
    overrides = {**file.set, "simulation.replications": file.replications, "simulation.seed": file.seed}
    if file.quarters is not None:
        overrides["simulation.quarters"] = file.quarters
    return validate_scenario(apply_overrides(base, overrides, source=f"{where}: set"), f"{where}: set").resolved()


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
    for preset in (p for p in levers if p == "program.preset" or p.endswith(".program.preset")):
        tiers = preset.removesuffix("preset") + "tiers."
        if any(p.startswith(tiers) for p in levers):
            raise ScenarioError(f"{where}: {preset} and {tiers}* levers cannot be combined (a preset replaces the "
                                "tiers a tier lever changes)")
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
