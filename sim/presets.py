"""Named incentive programs (``program.preset``): data the scenario schema validates against.

A preset is a starting point for a scenario's ``program`` section: it fills in the
sections of :data:`PRESET_SECTIONS` (incentives and tiers), and the scenario's own
``program`` keys win. The components each preset switches on, and what they pay,
are described in :mod:`sim.incentives`; the designs are the seeds' and the sizes are
assumptions.

This module is data and a merge only, so the schema (:mod:`sim.scenario`) and the
experiments can name presets without importing model code.
"""

from __future__ import annotations

import copy

__all__ = ["PRESETS", "PRESET_SECTIONS", "apply_preset", "deep_merge"]

# Tiers of the tiered presets. The structure is the seeds' (seed 002: tiers "based on
# volume or certification level"; seed 001: "priority deal access ... exclusive
# support"); thresholds and benefits are assumptions, set so that in the shipped
# baseline about half the scored partners reach silver, a quarter gold and a few
# percent platinum.
_TIERED = [
    {"name": "registered", "min_score": 0.0},
    {"name": "silver", "min_score": 0.5, "margin_bonus": 0.02, "lead_priority": 1.5, "support": 0.05},
    {"name": "gold", "min_score": 0.6, "requires_certification": True, "margin_bonus": 0.05,
     "lead_priority": 2.0, "support": 0.10},
    {"name": "platinum", "min_score": 0.7, "requires_certification": True, "margin_bonus": 0.08,
     "lead_priority": 3.0, "support": 0.15},
]

# The program sections a preset defines (choosing a preset by override replaces them).
PRESET_SECTIONS: tuple[str, ...] = ("incentives", "tiers")

# Named starting points for ``program.preset``; a scenario's own ``program`` keys win.
# Sizes are assumptions; the designs are the seeds'.
PRESETS: dict[str, dict] = {
    # Seed 002 early stage: "fixed margin structures or transfer-price-plus models".
    "flat_margin": {"incentives": {}},
    # Seed 002 mature stage: "tiered margin programs based on volume or certification
    # level"; seed 001: high performers get "priority deal access ... exclusive support".
    "tiered_margin": {"tiers": _TIERED},
    # Seed 002: "deal-based payouts tied to registered or closed opportunities".
    "deal_registration": {"incentives": {"registration_bonus": {}}},
    # Seed 002 mature stage: "MDF for co-marketing or events", funded here by a
    # smaller margin so the program's budget stays comparable.
    "mdf_heavy": {"incentives": {"margin_scale": 0.85, "mdf": {"accrual": 0.06}}},
    # Seed 002: "rebates linked to customer retention or renewals".
    "retention_rebate": {"incentives": {"retention_rebate": {}}},
    # Seed 002 commercial model "Influence & Referral": a fee per referred deal, no margin.
    "referral_only": {"incentives": {"referral": {"resell_as_referral": True}}},
    # Seed 002 early stage: "simple, financial and milestone-based": fixed margins,
    # deal-based payouts for registered deals, bonuses for first wins; no tiers.
    "early_stage_simple": {"incentives": {"registration_bonus": {}, "milestones": {}}},
    # Seed 002 mature stage: tiered margins, MDF, retention rebates and non-financial
    # rewards ("from short-term payouts to long-term partnership value").
    "mature_hybrid": {"tiers": _TIERED,
                      "incentives": {"mdf": {}, "retention_rebate": {}, "non_monetary": {}}},
}


def deep_merge(base: dict, over: dict) -> dict:
    """Return ``base`` with ``over`` merged in, mapping by mapping; ``over`` wins (copies, not views).

    Examples:
        >>> deep_merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}, "b": 4})
        {'a': {'x': 1, 'y': 3}, 'b': 4}
    """
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_preset(program: dict) -> dict:
    """Return the ``program`` section with its named preset filled in under its own keys.

    An unknown preset name is left for schema validation to report.
    """
    preset = PRESETS.get(program.get("preset")) if isinstance(program.get("preset"), str) else None
    return program if preset is None else deep_merge(preset, program)
