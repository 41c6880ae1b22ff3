"""Shared fixtures: small, fast scenarios built from the shipped files."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def small(name: str = "small", **sections) -> dict:
    """A small scenario dict (2,000 customers, 8 quarters, 2 replications) with overrides."""
    scenario = {
        "name": name,
        "simulation": {"quarters": 8, "replications": 2, "seed": 5},
        "market": {"customers": 2000},
        "vendor": {"stage": 3, "age_quarters": 12, "partner_managers": 3},
        "partners": {
            "var": {"count": 40, "initial": 4},
            "regional_si": {"count": 15},
            "distributor": {"count": 2},
            "reseller": {"count": 80},
            "marketplace": {"count": 1, "initial": 1},
            "influencer": {"count": 10},
            "msp": {"count": 10},
            "gsi": {"count": 3},
        },
    }
    for section, values in sections.items():
        scenario.setdefault(section, {}).update(values)
    return scenario


@pytest.fixture
def small_scenario() -> dict:
    """A small scenario with every partner type present."""
    return small()


# Property-based tests (hypothesis): a quick profile by default; ECOSIM_HYPOTHESIS=thorough runs many more examples.
settings.register_profile("quick", max_examples=15, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("ECOSIM_HYPOTHESIS", "quick"))
