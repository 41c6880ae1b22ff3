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
from sim.schema.vendors import Change, Competitor, ProductSegment, Rivals, Strategy, Vendor, VendorAdoption

__all__ = ["Scenario", "Simulation", "Segment", "Adoption", "WordOfMouth", "Market", "Vendor", "Rivals",
           "PartnerType", "PartnerBehavior", "Partners", "Tier", "ScoreWeights", "Scorecard", "Referral",
           "RegistrationBonus", "Milestones", "MDF", "RetentionRebate", "DoubleBubble", "NonMonetary",
           "Incentives", "Program", "Competitor", "VendorAdoption", "ProductSegment", "Strategy", "Change"]


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
    vendors: list[Competitor] | None = Field(
        None, min_length=1, description="Several startups competing for the same partners and customers, each "
                                        "with its own company, product, program and strategy; replaces the "
                                        "one-startup sections 'vendor' and 'program'.")

    @model_validator(mode="after")
    def _one_form(self) -> Scenario:
        if self.vendors is None:
            return self
        given = sorted({"vendor", "program"} & self.model_fields_set)
        if given:
            raise ValueError(f"a scenario with 'vendors' describes each startup in its own entry: move "
                             f"{' and '.join(given)} into vendors[].{'/'.join(given)}")
        names = [v.name for v in self.vendors]
        if len(set(names)) != len(names):
            raise ValueError(f"vendor names must be unique, got {names}")
        on_board = {t: p.initial for t, p in self.partners.by_type().items() if p.initial}
        if on_board:
            raise ValueError(f"with 'vendors', partners on board at the start belong to a vendor: set "
                             f"vendors[].initial_partners instead of partners.<type>.initial ({on_board})")
        return self

    @model_validator(mode="after")
    def _roster_tiers_are_the_programs(self) -> Scenario:
        if self.partners.roster is None:
            return self
        if self.vendors is not None:
            raise ValueError("partners.roster is the one startup's own partners; with 'vendors', give each vendor's "
                             "partners on board as vendors[].initial_partners")
        self.partners.roster.check_tiers([t.name for t in self.program.tiers])
        return self

    def resolved(self) -> dict:
        """Return the fully resolved scenario (every default filled) as plain data, in the form it was written."""
        one_startup = self.vendors is None
        return self.model_dump(mode="json", exclude={"vendors"} if one_startup else {"vendor", "program"})
