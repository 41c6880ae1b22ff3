"""Scenario section ``program``: deal registration, incentives, tiers and the scorecard.

What each component pays and how partners respond is in :mod:`sim.incentives` and
:mod:`sim.tiers`; the named presets a program starts from are in :mod:`sim.presets`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.common import Strict
from sim.presets import PRESETS, apply_preset
from sim.schema.types import Money, Share, check_shares_sum_to_one

__all__ = ["Tier", "ScoreWeights", "Scorecard", "Referral", "RegistrationBonus", "Milestones", "MDF",
           "RetentionRebate", "DoubleBubble", "NonMonetary", "Incentives", "Program"]


class Tier(Strict):
    """A partner tier: its entry threshold and its benefits (sources: :mod:`sim.tiers`)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    min_score: Share = Field(0.0, description="Scorecard score needed to qualify (the first tier: 0).")
    requires_certification: bool = Field(False, description="Only certified partners qualify (seed 002: tiers "
                                                            "'based on volume or certification level').")
    margin_bonus: float = Field(0.0, ge=0, le=0.5, description="Added to the partner's margin or fee rate.")
    mdf_bonus: Share = Field(0.0, description="Added to the MDF accrual rate (needs program.incentives.mdf).")
    lead_priority: float = Field(1.0, ge=0, le=20, description="Weight when the vendor shares leads with "
                                                               "covering partners (seed 001: 'priority deal "
                                                               "access').")
    support: float = Field(0.0, ge=0, le=1, description="Relative win-rate lift from vendor pre-sales support "
                                                        "(seed 001: 'access to exclusive support').")


class ScoreWeights(Strict):
    """Weights of the scorecard's three sections (seed 000: 'weight each section')."""

    reach: Share = 0.3
    alignment: Share = 0.3
    performance: Share = 0.4

    @model_validator(mode="after")
    def _sum(self) -> "ScoreWeights":
        check_shares_sum_to_one(self.model_dump(), "scorecard weights")
        return self


class Scorecard(Strict):
    """Scorecard, reviews and exit policy (sources: :mod:`sim.tiers`; sizes are assumptions)."""

    weights: ScoreWeights = Field(default_factory=ScoreWeights)
    green: Share = Field(0.6, description="Score at or above which a partner is green.")
    red: Share = Field(0.3, description="Score below which a partner is red (amber between).")
    review_every_quarters: int = Field(1, ge=1, le=8, description="Review cadence (seed 003: quarterly).")
    window_quarters: int = Field(4, ge=1, le=12, description="Trailing quarters of revenue, wins and renewals "
                                                             "a review looks at.")
    promote_after_reviews: int = Field(2, ge=1, le=12, description="Consecutive qualifying reviews before a "
                                                                   "promotion (hysteresis k).")
    demote_after_reviews: int = Field(2, ge=1, le=12, description="Consecutive failing reviews before a "
                                                                  "demotion (hysteresis k).")
    exit_after_red_reviews: int | None = Field(None, ge=1, le=40, description="Exit partners red this many "
                                                                              "reviews in a row (null: never).")
    exit_grace_quarters: int = Field(4, ge=0, le=40, description="Quarters of selling before red reviews count "
                                                                 "toward an exit.")

    @model_validator(mode="after")
    def _cutoffs(self) -> "Scorecard":
        if self.red > self.green:
            raise ValueError(f"red cut-off ({self.red}) must not exceed green cut-off ({self.green})")
        return self


class Referral(Strict):
    """Referral fees (seed 002 'Influence & Referral')."""

    fee_scale: float = Field(1.0, ge=0, le=5, description="Multiplies referral partners' fee "
                                                          "(partners.<type>.margin).")
    resell_as_referral: bool = Field(False, description="Pay resell partners a one-time referral fee instead "
                                                        "of a recurring margin.")
    resell_fee: Share = Field(0.10, description="That fee, as a share of first-year value (assumption).")


class RegistrationBonus(Strict):
    """Bonus on registered net-new deals, and the registration's protection window."""

    bonus: Share = Field(0.05, description="Share of first-year value (assumption).")
    protection_quarters: int = Field(2, ge=0, le=12, description="A registration protects the partner's claim "
                                                                 "on deals that close within this many quarters "
                                                                 "(assumption).")


class Milestones(Strict):
    """First-win and certification bonuses (seed 002; seed 001)."""

    first_win: Money = Field(5_000, description="Paid once, on a partner's first won deal (assumption).")
    certification: Money = Field(2_500, description="Paid once, when a partner certifies (assumption).")


class MDF(Strict):
    """Market development funds: accrued on partner revenue, spent on demand generation."""

    accrual: Share = Field(0.03, description="Share of the partner's revenue accrued to its fund (assumption).")
    spend_share: Share = Field(0.5, description="Share of its fund a selling partner spends per quarter.")
    cost_per_opportunity: float = Field(4_000, gt=0, description="Campaign spend per opportunity created in "
                                                                 "the partner's accounts (assumption).")


class RetentionRebate(Strict):
    """Rebate on renewals of partner-acquired customers (seed 002)."""

    rate: Share = Field(0.05, description="Share of the renewed contract value (assumption).")


class DoubleBubble(Strict):
    """Direct reps are also paid on partner deals in their named accounts (seed 002)."""

    commission: Share = Field(0.08, description="Direct rep's commission, share of first-year value "
                                                "(assumption).")


class NonMonetary(Strict):
    """Early product access and roadmap previews (seed 002 mature stage; seed 003)."""

    alignment_boost: Share = Field(0.1, description="Raises the alignment partners settle at (assumption).")


class Incentives(Strict):
    """Composable incentive components (sources: :mod:`sim.incentives`); null turns one off."""

    margin_scale: float = Field(1.0, ge=0, le=5, description="Multiplies every resale, distribution and "
                                                             "marketplace margin.")
    referral: Referral = Field(default_factory=Referral)
    registration_bonus: RegistrationBonus | None = None
    milestones: Milestones | None = None
    mdf: MDF | None = None
    retention_rebate: RetentionRebate | None = None
    double_bubble: DoubleBubble | None = None
    non_monetary: NonMonetary | None = None
    payout_timing: Literal["on_booking", "on_collection", "spread"] = Field(
        "on_collection", description="When first-year pay is paid (seed 001: avoid front-loaded incentives).")
    spread_quarters: int = Field(8, ge=2, le=12, description="Quarters first-year pay is spread over (spread).")


class Program(Strict):
    """The partner program: deal registration, incentives, tiers and scorecard."""

    preset: Literal[tuple(PRESETS)] | None = Field(  # type: ignore[valid-type]
        None, description="Named incentives and tiers to start from (sim.presets.PRESETS); keys set here "
                          "override it; setting it with --set replaces the incentives and tiers.")
    deal_registration: Literal["first_registered", "partner_preferred", "direct_preferred"] = Field(
        "first_registered", description="Who wins a contested opportunity (seed 002 'deal-registration "
                                        "overlaps').")
    co_sell_fee: Share = Field(0.05, description="Fee (share of first-year value) paid to a partner on a deal "
                                                 "it influenced but did not source (seed 002 'co-sell "
                                                 "incentives'; assumption for the size).")
    direct_resistance: Share = Field(0.2, description="Relative win-rate loss on a partner deal taken from a "
                                                     "direct rep's named account (seed 002: direct teams see "
                                                     "partners as a drag and resist; assumption for the size).")
    incentives: Incentives = Field(default_factory=Incentives)
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(name="registered")], min_length=1,
                              description="Tiers from entry to top, by rising min_score (seed 002: a single "
                                          "tier early on, formal tiers after product-market fit).")
    scorecard: Scorecard = Field(default_factory=Scorecard)

    @model_validator(mode="before")
    @classmethod
    def _fill_preset(cls, data: Any) -> Any:
        return apply_preset(data) if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _consistent(self) -> "Program":
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must be unique, got {names}")
        if self.tiers[0].min_score != 0 or self.tiers[0].requires_certification:
            raise ValueError(f"the first tier ('{names[0]}') is the entry tier: min_score 0, no certification "
                             "requirement")
        scores = [t.min_score for t in self.tiers]
        if any(b <= a for a, b in zip(scores, scores[1:], strict=False)):
            raise ValueError(f"tiers must be listed by strictly rising min_score, got {scores}")
        if self.incentives.mdf is None and any(t.mdf_bonus > 0 for t in self.tiers):
            raise ValueError("a tier has mdf_bonus but program.incentives.mdf is not set")
        return self
