"""Scenario section ``partners``: each partner type's numbers and how partners decide.

Every type's defaults, and their sources, are in :mod:`sim.partner_types`; a scenario
sets only what it changes, and the rest is filled in.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.common import Strict
from sim.limits import MAX_PARTNERS_PER_TYPE
from sim.partner_types import PARTNER_TYPES, TYPE_DEFAULTS
from sim.roster import Roster
from sim.schema.types import Money, NonNegInt, Rate, Share, check_shares_sum_to_one

__all__ = ["PartnerType", "PartnerBehavior", "Partners"]


class Heterogeneity(Strict):
    """How partners of one type differ from each other (each partner draws its own values).

    Partner firms of one type are not alike: their size is heavy-tailed like the size of
    firms in general (lognormal; Cabral & Mata 2003, "On the evolution of the firm size
    distribution", American Economic Review 93(4)); their sellers' capability and their
    appetite for a new vendor vary too. The dispersions are stated assumptions; how
    concentrated partner revenue becomes and how many partners are active follow from
    them and from each seller's choice of a vendor every quarter (:mod:`sim.effort`),
    and docs/VALIDATION.md measures both against what partner programs report.
    """

    size: float = Field(1.0, ge=0, le=3, description="Standard deviation of log size: a partner's sellers are "
                                                     "the type's times a mean-one lognormal factor.")
    reach: float = Field(0.8, ge=0, le=3, description="Standard deviation of log account reach: the accounts each "
                                                      "of its sellers covers are the type's times a mean-one "
                                                      "lognormal factor.")
    capability: float = Field(0.3, ge=0, le=2, description="Standard deviation of log capability: multiplies the "
                                                           "win rate of the deals the partner sells (mean one).")
    engagement: float = Field(1.5, ge=0, le=10, description="Standard deviation of the partner's propensity to "
                                                            "engage with a startup vendor, in logit units of its "
                                                            "effort split.")


class PartnerType(Strict):
    """One partner type: how many exist and how they sell (defaults: sim.partner_types)."""

    count: NonNegInt = Field(le=MAX_PARTNERS_PER_TYPE, description="Partners of this type in the market (the "
                                                                   "recruitable pool); at most a million "
                                                                   "(sim.limits).")
    initial: NonNegInt = Field(0, description="Of those, how many are already partners at the start.")
    commercial_model: Literal["resell", "referral", "marketplace", "distribution"]
    margin: Share = Field(description="Resale discount, referral fee (of first-year value), marketplace fee or "
                                      "distribution margin, by commercial model.")
    sellers: NonNegInt = Field(description="Sellers the partner has for this product category.")
    accounts_per_seller: NonNegInt = Field(description="Customer accounts each seller covers.")
    segment_fit: dict[Literal["smb", "mid_market", "enterprise"], Share]
    deal_size_multiplier: float = Field(gt=0, le=10)
    sales_cycle_extra: int = Field(ge=-4, le=8, description="Quarters added to the segment's sales cycle.")
    win_rate_lift: float = Field(ge=0, le=2, description="Relative win-rate lift when this partner sells.")
    services_attach: Share = Field(description="Probability a deal this partner touches carries services.")
    retention_effect: Share = Field(description="Relative churn reduction for customers this partner serves.")
    reach: Rate = Field(description="Per-quarter adoption hazard a fully engaged partner adds in an account.")
    ramp_quarters: int = Field(ge=0, le=12, description="Quarters of onboarding before the partner can sell.")
    certification_quarters: int = Field(ge=0, le=12, description="Quarters from enabled to certified.")
    enablement_cost: Money = Field(description="Vendor cost to onboard and enable one partner.")
    resellers_recruited_per_quarter: NonNegInt = Field(0, description="Distributors only: resellers the "
                                                                      "distributor's channel team can approach in "
                                                                      "a quarter at full commitment to the vendor.")
    portfolio_limit: int = Field(3, ge=1, le=50, description="Startups a partner of this type carries at most "
                                                             "(several startups only; assumption: room for a few "
                                                             "new vendors on a line card; seed 002: partners take "
                                                             "on startups to diversify their portfolio).")
    cascade_cost_share: Share = Field(0.25, description="Distributors only: share of a reseller's enablement "
                                                        "cost the vendor pays when a distributor cascades it.")
    heterogeneity: Heterogeneity = Field(default_factory=Heterogeneity,
                                         description="How partners of this type differ from each other.")

    @model_validator(mode="after")
    def _consistent(self) -> "PartnerType":
        if self.initial > self.count:
            raise ValueError(f"initial ({self.initial}) cannot exceed count ({self.count})")
        if self.sellers and self.accounts_per_seller or self.commercial_model == "marketplace":
            check_shares_sum_to_one(self.segment_fit, "segment_fit")
        return self


class PartnerBehavior(Strict):
    """How partners decide: effort split, recruitment acceptance, lifecycle timing."""

    effort_sensitivity: float = Field(
        20.0, ge=0, le=200, description="Logit scale of the effort split on expected profit per unit of deal "
                                        "value (seed 002: partners maximise their own profitability).")
    demand_weight: float = Field(3.0, ge=0, le=50, description="Weight of installed base in the partner's "
                                                               "accounts in effort and acceptance (seed 002: "
                                                               "customer pull).")
    alignment_weight: float = Field(1.0, ge=0, le=20, description="Weight of alignment in the effort split.")
    acceptance_base: float = Field(-1.0, ge=-20, le=20, description="Logit intercept of recruitment acceptance.")
    acceptance_margin_weight: float = Field(3.0, ge=0, le=100, description="Acceptance logit per unit of "
                                                                           "relative margin above the type's "
                                                                           "usual margin.")
    acceptance_services_weight: float = Field(1.0, ge=0, le=20, description="Acceptance logit per unit "
                                                                            "services attach.")
    acceptance_credibility_weight: float = Field(2.0, ge=0, le=20, description="Acceptance logit per unit "
                                                                               "vendor credibility.")
    dormant_after_quarters: int = Field(2, ge=1, le=20, description="Quarters without an opportunity before an "
                                                                    "active partner is dormant.")
    exit_after_quarters: int = Field(8, ge=1, le=40, description="Quarters dormant before a partner leaves "
                                                                 "(assumption: an agreement lapses after two "
                                                                 "years without business).")
    conflict_alignment_penalty: Share = Field(0.15, description="Alignment a partner loses when it loses a "
                                                                "contested deal.")
    alignment_recovery: Share = Field(0.05, description="Per-quarter recovery of alignment toward 0.5 (plus "
                                                        "the program's non-monetary boost).")
    pay_discount_rate: float = Field(0.03, ge=0, le=1, description="Per-quarter rate at which partners discount "
                                                                   "later pay (assumption: small firms' cost of "
                                                                   "capital; seed 002: partners want "
                                                                   "predictable margins).")
    poor_fit_share: float = Field(0.3, ge=0, le=0.9, description="Share of the prospects a partner could push "
                                                                 "that are poor fits; it screens them out as "
                                                                 "hard as its pay depends on renewals "
                                                                 "(assumption; seed 001 on front-loaded pay).")
    poor_fit_churn: float = Field(2.0, ge=1, le=10, description="Churn of a poor-fit customer relative to the "
                                                                "segment average (assumption).")
    effort_inertia: Share = Field(0.0, description="Share of last quarter's effort split a partner keeps "
                                                   "(several startups: effort moves gradually to a better offer).")
    drop_threshold: float = Field(1.0, ge=0, le=20, description="Several startups: a partner drops a startup whose "
                                                                "utility trails another startup's by this much "
                                                                "(logit units) ...")
    drop_after_quarters: int = Field(4, ge=1, le=40, description="... for this many quarters in a row "
                                                                 "(assumption).")

    @model_validator(mode="after")
    def _fits(self) -> "PartnerBehavior":
        if self.poor_fit_share * self.poor_fit_churn > 1:
            raise ValueError(f"poor_fit_share x poor_fit_churn must be at most 1 (the segment's churn is the "
                             f"average over good and poor fits), got {self.poor_fit_share} x "
                             f"{self.poor_fit_churn}")
        return self


def _default_partners() -> dict:
    return {t: dict(TYPE_DEFAULTS[t]) for t in PARTNER_TYPES}


class Partners(Strict):
    """Partner types (``partners.<type>``) and shared partner behaviour."""

    behavior: PartnerBehavior = Field(default_factory=PartnerBehavior)
    distributor: PartnerType
    reseller: PartnerType
    var: PartnerType
    regional_si: PartnerType
    gsi: PartnerType
    msp: PartnerType
    marketplace: PartnerType
    influencer: PartnerType
    roster: Roster | None = Field(None, description="The company's own partners on board at the start, from its "
                                                    "roster export (sim/roster.py): {file: roster.csv, as_of: "
                                                    "2026-01-01}; replaces partners.<type>.initial.")

    @model_validator(mode="before")
    @classmethod
    def _fill_type_defaults(cls, data: Any) -> Any:
        """Merge each type's user keys over its defaults from ``sim.partner_types``."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for ptype in PARTNER_TYPES:
            user = data.get(ptype, {})
            if user is None:
                user = {}
            merged[ptype] = {**TYPE_DEFAULTS[ptype], **user} if isinstance(user, dict) else user
        return merged

    @model_validator(mode="after")
    def _roster_fits(self) -> "Partners":
        if self.roster is None:
            return self
        initial = {t: p.initial for t, p in self.by_type().items() if p.initial}
        if initial:
            raise ValueError(f"a roster lists the partners on board at the start: set partners.<type>.initial to 0 "
                             f"(got {initial})")
        for ptype, listed in self.roster.counts().items():
            if listed > getattr(self, ptype).count:
                raise ValueError(f"the roster lists {listed} {ptype} partners but partners.{ptype}.count is "
                                 f"{getattr(self, ptype).count}; the pool must hold the roster's partners")
        return self

    def by_type(self) -> dict[str, PartnerType]:
        """Return the partner types as a dict keyed by type name."""
        return {t: getattr(self, t) for t in PARTNER_TYPES}
