"""Scenario sections ``vendor`` and ``rivals``: the focal startup and the vendors it competes with."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.common import Strict
from sim.schema.types import Money, NonNegInt, Rate, Share

__all__ = ["Vendor", "Rivals"]


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
