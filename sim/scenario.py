"""Scenario files: loading, ``--set`` overrides, validation and the scenario's hash.

The schema itself is :mod:`sim.schema` (re-exported here, so ``from sim.scenario
import Scenario`` keeps working). Everything is validated before anything runs, and a
bad file, key path or value is refused with one message naming where and why.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.common import content_hash, load_yaml, read_mapping, read_yaml_mapping
from sim.errors import ScenarioError, format_validation_error
from sim.presets import PRESET_SECTIONS
from sim.schema import (
    MDF,
    Adoption,
    DoubleBubble,
    Incentives,
    Market,
    Milestones,
    NonMonetary,
    PartnerBehavior,
    Partners,
    PartnerType,
    Program,
    Referral,
    RegistrationBonus,
    RetentionRebate,
    Rivals,
    Scenario,
    Scorecard,
    ScoreWeights,
    Segment,
    Simulation,
    Tier,
    Vendor,
    WordOfMouth,
)

__all__ = [
    "Scenario",
    "load_scenario",
    "load_base_scenario",
    "validate_scenario",
    "parse_overrides",
    "apply_overrides",
    "scenario_hash",
    "json_schema",
    "read_yaml_mapping",
    # the schema's sections (sim.schema)
    "Simulation", "Segment", "Adoption", "WordOfMouth", "Market", "Vendor", "Rivals", "PartnerType",
    "PartnerBehavior", "Partners", "Tier", "ScoreWeights", "Scorecard", "Referral", "RegistrationBonus",
    "Milestones", "MDF", "RetentionRebate", "DoubleBubble", "NonMonetary", "Incentives", "Program",
]


def parse_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are read as YAML scalars/lists."""
    overrides: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {pair!r}: expected key.path=value")
        try:
            value = load_yaml(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None)
            detail = f" ({problem})" if problem and problem.startswith("duplicate key") else ""
            raise ScenarioError(f"--set {pair!r}: cannot read value {raw!r}{detail}") from None
        overrides[key.strip()] = value
    return overrides


def apply_overrides(data: dict, overrides: dict[str, Any], source: str = "--set") -> dict:
    """Return a copy of ``data`` with each dotted key path set to its value.

    Setting ``program.preset`` replaces the program's incentives and tiers with the
    preset's (``PRESET_SECTIONS``), so a preset chosen over a resolved scenario takes
    effect; other overrides of the same call then apply on top.

    In a list of named sections (``vendors``), a path part names an entry:
    ``vendors.alpha.program.incentives.margin_scale`` sets that key of the vendor
    ``alpha``. Unknown paths are not guessed here: they become unknown keys that
    validation rejects with a did-you-mean.
    """
    data = copy.deepcopy(data)
    if "program.preset" in overrides and isinstance(data.get("program"), dict):
        for section in PRESET_SECTIONS:
            data["program"].pop(section, None)
    for path, value in overrides.items():
        node = data
        parts = path.split(".")
        for i, part in enumerate(parts[:-1]):
            child = _named_item(node, part) if isinstance(node, list) else node.get(part)
            if child is None:
                if isinstance(node, list):
                    names = [item.get("name") for item in node if isinstance(item, dict)]
                    raise ScenarioError(f"{source} {path}: no entry named {part!r} in {'.'.join(parts[:i])} "
                                        f"(names: {', '.join(map(str, names))})")
                child = node[part] = {}
            if not isinstance(child, dict | list):
                raise ScenarioError(f"{source} {path}: {'.'.join(parts[: i + 1])} is a value, not a section")
            node = child
        if isinstance(node, list):
            raise ScenarioError(f"{source} {path}: {'.'.join(parts[:-1])} is a list; name an entry and a key in it")
        node[parts[-1]] = value
    return data


def _named_item(items: list, name: str) -> dict | None:
    """The entry of a list of sections (such as ``vendors``) whose ``name`` is ``name``."""
    return next((item for item in items if isinstance(item, dict) and item.get("name") == name), None)


def validate_scenario(data: dict, label: str, overrides: dict[str, Any] | None = None,
                      folder: Path | None = None) -> Scenario:
    """Validate scenario data; errors name ``label`` (or ``--set``, for a key in ``overrides``).

    Files the scenario names (``partners.roster.file``) are read relative to ``folder``
    (default: the working directory).

    Raises:
        ScenarioError: naming where, the key path, the bad value and what is allowed.
    """
    try:
        return Scenario.model_validate(data, context={"folder": folder})
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, label, Scenario, overrides or {})) from None


def load_scenario(
    source: str | Path | dict,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """Load and validate a scenario from a YAML path or a dict, applying overrides.

    Raises:
        ScenarioError: naming the file, key path, bad value and what is allowed.
    """
    data, label, folder = read_mapping(source, "scenario")
    if overrides:
        data = apply_overrides(data, overrides)
    return validate_scenario(data, label, overrides, folder)


def load_base_scenario(reference: str | dict, label: str, folder: Path) -> Scenario:
    """Load the base scenario an experiment file names: a path relative to it, or an inline mapping.

    Args:
        reference: the file's ``scenario`` value.
        label: how messages name the experiment file.
        folder: the folder a relative path is read from.

    Raises:
        ScenarioError: a missing file (saying where it was looked for), or an invalid
            scenario (an inline one's errors name the experiment file).
    """
    if isinstance(reference, dict):
        return validate_scenario(copy.deepcopy(reference), f"{label}: scenario", folder=folder)
    path = folder / reference
    if path.is_dir():
        raise ScenarioError(f"{label}: scenario = {reference!r}: {path} is a directory, expected a scenario "
                            "YAML file")
    if not path.exists():
        raise ScenarioError(f"{label}: scenario = {reference!r}: file not found (looked for {path})")
    return load_scenario(path)


def scenario_hash(scenario: Scenario) -> str:
    """Return the sha256 of the resolved scenario's canonical JSON."""
    return content_hash(scenario.resolved())


def json_schema() -> dict:
    """Return the JSON Schema of scenario files (for editors' autocompletion)."""
    return Scenario.model_json_schema()
