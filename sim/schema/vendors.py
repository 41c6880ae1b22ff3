"""Scenario sections ``vendor`` and ``rivals``: the focal startup and the vendors it competes with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.common import NAME_PATTERN, Strict
from sim.partner_types import PARTNER_TYPES
from sim.schema.program import Program
from sim.schema.types import Money, NonNegInt, Rate, Share

__all__ = ["Vendor", "Rivals", "VendorAdoption", "ProductSegment", "Strategy", "Change", "Competitor"]

PARTNER_TYPE_NAMES = tuple(PARTNER_TYPES)


class Vendor(Strict):
    """The focal startup: its stage, sales capacity and partner-management capacity."""

    age_quarters: int = Field(8, ge=0, le=400, description="Company age at the start (quarters).")
    stage: int | None = Field(None, ge=1, le=3, description="Partner Maturity Index stage at the start "
                                                            "(1 validation, 2 expansion, 3 ecosystem); "
                                                            "default: derived from age.")
    product_readiness: Share = Field(
        1.0, description="How production-ready the product is; scales win rates (seed 002 stage 1: "
                         "'new and untested' products win pilots, not revenue).")
    readiness_gain_per_quarter: Share = Field(
        0.0, description="Readiness gained per quarter (design partners' feedback matures the product).")
    partner_managers: NonNegInt = Field(2, description="Partner managers (seed 002: under-resourced teams are "
                                                      "the bottleneck).")
    onboardings_per_manager: NonNegInt = Field(3, description="Partners one manager can take into onboarding "
                                                             "per quarter (assumption).")
    outreach_per_manager: NonNegInt = Field(4, description="Prospective partners one manager approaches per "
                                                          "quarter (assumption: about what one manager can "
                                                          "then onboard).")
    route_capacity: float = Field(2.5, ge=0.5, le=10, description="Routes to market the team can run at full "
                                                                  "quality (seed 002: 'no more than 2-3').")
    enforce_stage_gates: bool = Field(True, description="Recruit a type only once the vendor reaches its "
                                                        "Partner Maturity Index stage (seed 002 PMI table).")
    direct_coverage: dict[Literal["smb", "mid_market", "enterprise"], Share] = Field(
        default_factory=lambda: {"smb": 0.0, "mid_market": 0.2, "enterprise": 0.5},
        description="Share of each segment's accounts owned by direct reps (named accounts): a partner deal "
                    "there is a direct-vs-partner claim (seed 002 'Roles and Ownership').")
    stage2_customers: NonNegInt = Field(10, description="Customers needed for stage 2 (seed 002: 'a handful of "
                                                        "paying customers' before commercial partnering).")
    stage3_arr: Money = Field(5_000_000, description="ARR needed for stage 3 (assumption).")
    credibility: dict[Literal["1", "2", "3"], Share] = Field(
        default_factory=lambda: {"1": 0.4, "2": 0.7, "3": 1.0},
        description="Credibility by stage; scales recruitment acceptance (seed 002: partners assess "
                    "'credibility and financial stability').")


class Rivals(Strict):
    """Rival vendors that the same partners also carry and split effort with."""

    count: int = Field(2, ge=0, le=50, description="Rival vendors each partner carries.")
    margin_ratio: float = Field(1.0, ge=0, le=5, description="Rivals pay each partner type its usual margin "
                                                            "(sim.partner_types) times this.")
    win_rate: Rate = Field(0.28, description="Win rate partners expect on a rival's deals (established brands).")
    services_attach: Share = Field(0.3, description="Services attach partners expect on rivals' deals.")
    installed_share: Share = Field(0.3, description="Share of a partner's accounts already using a rival "
                                                     "(established vendors' customer pull; assumption: an "
                                                     "established vendor serves about a third of them).")


# --------------------------------------------------------------------------- several startups
SEGMENT_NAMES = Literal["smb", "mid_market", "enterprise"]


class VendorAdoption(Strict):
    """A startup's own Bass coefficients (default: the market's)."""

    innovation: Rate = Field(description="Bass p per quarter: adoption hazard from the vendor's marketing.")
    imitation: Rate = Field(description="Bass q per quarter: within-brand word of mouth.")


class ProductSegment(Strict):
    """A startup's product terms in one segment; a key left out takes the market's value."""

    annual_contract_value: Money | None = Field(None, description="Mean first-year contract value (list price).")
    sales_cycle_quarters: int | None = Field(None, ge=0, le=12, description="Quarters from opportunity to close.")
    win_rate: Rate | None = Field(None, description="Base probability that an opportunity is won.")
    annual_churn: Rate | None = Field(None, description="Probability a customer does not renew at an anniversary.")


class Strategy(Strict):
    """How a startup moves its levers against the others (:mod:`sim.strategies`)."""

    kind: Literal["static", "match", "undercut", "budget"] = Field(
        "static", description="static: never changes; match: takes the highest margin and MDF among the startups "
                              "after a lag; undercut: prices below the cheapest startup after a lag; budget: keeps "
                              "program cost within a share of its revenue.")
    lag_quarters: int = Field(2, ge=0, le=20, description="match, undercut: quarters before it reacts.")
    step: float = Field(0.05, ge=0, le=0.9, description="undercut: how far below the cheapest price it goes.")
    budget_share: float = Field(0.15, gt=0, le=1, description="budget: program cost as a share of revenue.")


class Change(Strict):
    """A scheduled move: from ``quarter`` on, a startup's lever takes a new value (a shock to study)."""

    quarter: int = Field(ge=1, le=400, description="The quarter from which the change holds.")
    margin_scale: float | None = Field(None, ge=0, le=5, description="Multiplies every margin and fee rate.")
    mdf_accrual: Share | None = Field(None, description="Share of partner revenue accrued to MDF (needs "
                                                        "program.incentives.mdf).")
    price: float | None = Field(None, gt=0, le=5, description="Price relative to the list contract values.")


class Competitor(Vendor):
    """One startup of a ``vendors:`` list: its company, product, program, recruiting and strategy."""

    name: str = Field(pattern=NAME_PATTERN, description="The vendor's name; results carry it in a vendor column.")
    adoption: VendorAdoption | None = Field(None, description="Its own Bass coefficients (default: the market's).")
    product: dict[SEGMENT_NAMES, ProductSegment] = Field(
        default_factory=dict, description="Its product's terms per segment, over the market's.")
    program: Program = Field(default_factory=Program, description="Its partner program.")
    initial_partners: dict[Literal[PARTNER_TYPE_NAMES], NonNegInt] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="Partners of each type already on board with it at the start.")
    recruits: list[Literal[PARTNER_TYPE_NAMES]] | None = Field(  # type: ignore[valid-type]
        None, description="The partner types it recruits (default: every type).")
    price: float = Field(1.0, gt=0, le=5, description="Its price relative to the list contract values.")
    strategy: Strategy = Field(default_factory=Strategy)
    changes: list[Change] = Field(default_factory=list, description="Scheduled moves, by quarter.")
