"""The scenario schema: every section of a scenario file, validated with pydantic.

A scenario has the top-level sections ``name``, ``description``, ``simulation``,
``market`` (:mod:`sim.schema.market`), ``vendor`` and ``rivals``
(:mod:`sim.schema.vendors`), ``partners`` (:mod:`sim.schema.partners`) and
``program`` (:mod:`sim.schema.program`). Unknown keys are errors and defaults are
filled in, so a resolved scenario says exactly what ran. The schema imports no model
code: the vocabularies it validates against are data (:mod:`sim.partner_types`,
:mod:`sim.presets`). Loading files and ``--set`` overrides is :mod:`sim.scenario`.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.common import NAME_PATTERN, Strict
from sim.schema.market import Adoption, Market, Segment, Simulation, WordOfMouth
from sim.schema.partners import PartnerBehavior, Partners, PartnerType
from sim.schema.program import (
    MDF,
    DoubleBubble,
    Incentives,
    Milestones,
    NonMonetary,
    Program,
    Referral,
    RegistrationBonus,
    RetentionRebate,
    Scorecard,
    ScoreWeights,
    Tier,
)
from sim.schema.vendors import Rivals, Vendor

__all__ = ["Scenario", "Simulation", "Segment", "Adoption", "WordOfMouth", "Market", "Vendor", "Rivals",
           "PartnerType", "PartnerBehavior", "Partners", "Tier", "ScoreWeights", "Scorecard", "Referral",
           "RegistrationBonus", "Milestones", "MDF", "RetentionRebate", "DoubleBubble", "NonMonetary",
           "Incentives", "Program"]


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=NAME_PATTERN, description="Short name; used in result paths.")
    description: str = ""
    simulation: Simulation = Field(default_factory=Simulation)
    market: Market = Field(default_factory=Market)
    vendor: Vendor = Field(default_factory=Vendor)
    rivals: Rivals = Field(default_factory=Rivals)
    partners: Partners = Field(default_factory=lambda: Partners.model_validate({}))
    program: Program = Field(default_factory=Program)

    @model_validator(mode="after")
    def _roster_tiers_are_the_programs(self) -> Scenario:
        if self.partners.roster is not None:
            self.partners.roster.check_tiers([t.name for t in self.program.tiers])
        return self

    def resolved(self) -> dict:
        """Return the fully resolved scenario (every default filled) as plain data."""
        return self.model_dump(mode="json")
