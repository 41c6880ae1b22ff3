"""Scenario sections ``simulation`` and ``market``: the horizon and the customer population."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.common import Strict
from sim.limits import MAX_CUSTOMERS
from sim.schema.types import Money, Rate, Seed, Share, check_shares_sum_to_one

__all__ = ["Simulation", "Segment", "Adoption", "WordOfMouth", "Market"]


class Simulation(Strict):
    """How long to run, how many replications, and the root seed."""

    quarters: int = Field(20, ge=1, le=400, description="Quarters to simulate (one step = one quarter).")
    replications: int = Field(10, ge=1, le=100_000, description="Independent replications.")
    seed: Seed = Field(0, description="Root seed (0 to 2**63-1); replication seeds come from "
                                      "SeedSequence(seed).spawn(n).")


class Segment(Strict):
    """One customer segment: its share of the market and how its deals behave.

    Deal sizes follow the playbook's partner-type table (seed 002): SMB and long tail
    $10K-$100K, mid-market and upper SMB $100K-$1M, large enterprise $1M+. Sales
    cycles, win rates and churn are typical B2B SaaS figures (assumption).
    """

    share: Share = Field(description="Share of all customers in this segment.")
    annual_contract_value: Money = Field(description="Mean first-year contract value in currency units.")
    sales_cycle_quarters: int = Field(ge=0, le=12, description="Quarters from opportunity to close (0 = same quarter).")
    win_rate: Rate = Field(description="Base probability that an opportunity is won.")
    annual_churn: Rate = Field(description="Probability a customer does not renew at an annual renewal.")


def _default_segments() -> dict[str, Segment]:
    return {
        # seed 002 table: resellers & distributors serve SMB and long tail ($10K-$100K)
        "smb": Segment(share=0.70, annual_contract_value=30_000, sales_cycle_quarters=0,
                       win_rate=0.30, annual_churn=0.25),
        # seed 002 table: VARs and regional SIs, mid-market and upper SMB ($100K-$1M)
        "mid_market": Segment(share=0.25, annual_contract_value=150_000, sales_cycle_quarters=1,
                              win_rate=0.25, annual_churn=0.12),
        # seed 002 table: GSIs and large SIs, large enterprises ($1M+)
        "enterprise": Segment(share=0.05, annual_contract_value=1_000_000, sales_cycle_quarters=2,
                              win_rate=0.20, annual_churn=0.07),
    }


class Adoption(Strict):
    """Per-quarter Bass adoption coefficients.

    ``innovation`` (p) is the adoption hazard from the vendor's own marketing;
    ``imitation`` (q) multiplies the share of a customer's peers who already use the
    product (Bass 1969). They describe adoption itself: a prospect enters a buying
    process with the adoption hazard divided by the win rate, so the published
    coefficients keep their meaning (:func:`sim.deals.adoption_hazard`). Defaults are
    the mean annual coefficients of Sultan, Farley & Lehmann's (1990) meta-analysis of
    213 Bass applications (p = 0.03, q = 0.38) divided by four. ``cross_brand`` is word
    of mouth from other vendors' customers, which grows the category for every vendor
    (Libai, Muller & Peres 2009, Journal of Marketing 73(3)); it matters only when
    several startups compete.
    """

    innovation: Rate = Field(0.0075, description="Bass p per quarter: adoption hazard from vendor marketing.")
    imitation: Rate = Field(0.095, description="Bass q per quarter: adoption hazard per unit share of peers who "
                                               "are the vendor's customers (within-brand).")
    cross_brand: Rate = Field(0.0, description="Adoption hazard per unit share of peers who are another vendor's "
                                               "customers (cross-brand word of mouth; several vendors only).")


class WordOfMouth(Strict):
    """The customer-customer peer graph that carries word of mouth."""

    graph: Literal["complete", "small_world", "scale_free", "random", "none"] = Field(
        "small_world", description="complete = fully mixed (Bass); none = no word of mouth.")
    mean_degree: int = Field(10, ge=2, le=200, description="Mean peers per customer (not used by complete/none).")
    rewiring: Rate = Field(0.1, description="Watts-Strogatz rewiring probability (small_world only).")


class Market(Strict):
    """The customer population."""

    customers: int = Field(20_000, ge=10, le=MAX_CUSTOMERS, description="Potential customers (graph nodes); at "
                                                                        "most 100 million (sim.limits).")
    segments: dict[Literal["smb", "mid_market", "enterprise"], Segment] = Field(
        default_factory=_default_segments)
    adoption: Adoption = Field(default_factory=Adoption)
    word_of_mouth: WordOfMouth = Field(default_factory=WordOfMouth)
    price_elasticity: float = Field(1.0, ge=0, le=10, description="With several vendors: how much a vendor's "
                                                                   "price (relative to list) weighs on customers' "
                                                                   "choice: its adoption hazard x price^-elasticity "
                                                                   "(assumption).")
    switching_cost: Share = Field(0.8, description="With several vendors: the share of renewing customers who "
                                                   "never reconsider their vendor; the others switch with the "
                                                   "probability that a peer-recommended vendor is another one "
                                                   "(assumption: B2B switching costs are high).")
    churn: bool = Field(True, description="Whether customers churn at renewal (false for the Bass limit).")
    services_ratio: float = Field(0.5, ge=0, le=10, description="Partner services revenue per unit of contract "
                                                                 "value on services-attached deals (seed 002 "
                                                                 "'services wraps'; assumption for the size).")
    services_expansion: Share = Field(
        0.10, description="Contract value growth at renewal for services-attached customers (seed 002: services "
                          "wraps increase stickiness and long-term revenue; assumption for the size).")

    @model_validator(mode="before")
    @classmethod
    def _fill_segments(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("segments"), dict):
            defaults = {k: v.model_dump() for k, v in _default_segments().items()}
            merged = {}
            for name, seg in data["segments"].items():
                base = defaults.get(name, {})
                merged[name] = {**base, **seg} if isinstance(seg, dict) else seg
            data = {**data, "segments": merged}
        return data

    @model_validator(mode="after")
    def _shares(self) -> "Market":
        check_shares_sum_to_one({k: v.share for k, v in self.segments.items()}, "market.segments.*.share")
        return self
