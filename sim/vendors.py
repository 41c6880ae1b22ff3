"""Vendors: Mesa agents that own their partner programs and compete for partners' effort.

A :class:`VendorAgent` is a startup with everything it decides or holds: its incentive
program (:class:`sim.incentives.IncentiveProgram`), its tier book
(:class:`sim.tiers.TierBook`), its Partner Maturity Index stage and credibility, its
product readiness, its partner-management capacity and the routes to market it runs.
A :class:`StaticRival` is an established vendor the same partners also carry: it pays
each partner type its usual margin, wins at a fixed rate and never changes (scenario
section ``rivals``).

Both offer partners the same three things, which the effort split
(:mod:`sim.effort`) weighs for every vendor alike: expected profit per unit of selling
effort, alignment, and the vendor's installed base in the partner's accounts. A
second full vendor is therefore a second agent, not a new branch.

Rules in this module, each with its source:

* :meth:`VendorAgent.assess_stage` — the Partner Maturity Index stage from age,
  customers and ARR (seed 002 PMI table: stage 1 is years 0-2, stage 3 from year 3);
  it only moves up; product readiness grows with design partners' feedback.
* :meth:`VendorAgent.assess_routes` — each active route to market costs attention;
  quality = min(1, route capacity / routes) (seed 002: "don't pursue more than two to
  three ecosystem motions at a time").
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim import agents as ag
from sim.effort import expected_profit_per_value, utility
from sim.incentives import IncentiveProgram, collected_pay_value
from sim.tiers import TierBook

__all__ = ["VendorSpec", "vendor_specs", "VendorAgent", "StaticRival", "believed_share"]

STAGE2_AGE_QUARTERS = 8  # seed 002 PMI: stage 1 is years 0-2
STAGE3_AGE_QUARTERS = 12  # seed 002 PMI: stage 3 from year 3
# What a partner believes about its chance of winning the vendor's deals, before its own
# track record (assumptions): 30% of the true rate, held as firmly as five deals of evidence.
PRIOR_WIN_BELIEF, PRIOR_DEALS = 0.3, 5.0


def believed_share(win: np.ndarray, won: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Share of its true win rate a partner expects on a vendor's deals, learnt from its own deals.

    A beta-binomial estimate: a prior of ``PRIOR_WIN_BELIEF`` of the true rate, worth
    ``PRIOR_DEALS`` deals, updated by the partner's own wins and losses; it tends to 1
    as its record grows. Early losses make a partner lose heart and early wins commit
    it (seed 002: partners that cannot see real returns "lose motivation quickly"; a
    first program should let partners "see real returns from the start").

    Examples:
        >>> believed_share(np.array([0.3, 0.3, 0.3]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 3.0])).round(2)
        array([0.3 , 0.81, 0.19])
    """
    rate = np.divide(PRIOR_WIN_BELIEF * win * PRIOR_DEALS + won, PRIOR_DEALS + won + lost)
    return np.minimum(1.0, np.divide(rate, win, out=np.zeros_like(rate), where=win > 0))


@dataclass(frozen=True)
class VendorSpec:
    """Everything a scenario says about one startup vendor, whichever form the file uses."""

    name: str
    company: object  # the vendor section: age, stage, readiness, capacities, direct coverage, credibility
    program: object  # its partner program section
    adoption: object  # its Bass innovation and (within-brand) imitation coefficients
    segments: object  # its product's deal terms per segment (sim.customers.Segments)
    price: float = 1.0  # its price relative to the list contract values
    recruits: tuple[str, ...] | None = None  # the partner types it recruits (None: every type)
    initial_partners: dict | None = None  # partners of each type on board with it at the start
    strategy: object = None  # how it moves its levers (sim.strategies)
    changes: tuple = ()  # scheduled moves


def vendor_specs(scenario) -> list[VendorSpec]:
    """The startups of a scenario, in the model's canonical order (by name, so listing order changes nothing).

    A one-vendor file (``vendor``, ``program``) describes the startup ``focal``, selling
    at the market's segment terms with the market's adoption coefficients.
    """
    from sim.customers import Segments

    market = scenario.market
    if scenario.vendors is None:
        return [VendorSpec("focal", scenario.vendor, scenario.program, market.adoption, Segments.from_market(market))]
    specs = []
    for entry in sorted(scenario.vendors, key=lambda v: v.name):
        terms = {seg: {k: v for k, v in entry.product[seg].model_dump().items() if v is not None}
                 for seg in entry.product}
        segments = Segments.from_market(market, terms)
        specs.append(VendorSpec(entry.name, entry, entry.program, entry.adoption or market.adoption, segments,
                                entry.price, tuple(entry.recruits) if entry.recruits is not None else None,
                                dict(entry.initial_partners), entry.strategy, tuple(entry.changes)))
    return specs


class VendorAgent(mesa.Agent):
    """A startup vendor: its program, tier book, stage, capacities and routes to market.

    Args:
        model: the Mesa model the agent belongs to.
        spec: what the scenario says about the vendor (:class:`VendorSpec`).
        index: its position among the startups (its row in the partners' relationship tables).
        partners: the partners as this vendor sees them (:class:`sim.agents.PartnerView`).
        behavior: the scenario's ``partners.behavior`` section.
        churn: whether customers churn (``market.churn``).
        direct_owned: mask of the customers that are this vendor's direct named accounts.
    """

    def __init__(self, model, spec: VendorSpec, index: int, partners: ag.PartnerView, behavior, churn: bool,
                 direct_owned: np.ndarray):
        super().__init__(model)
        self.name = spec.name
        self.index = index
        self.config = spec.company
        self.program_spec = spec.program
        self.adoption = spec.adoption
        self.segments = spec.segments
        self.partners = partners
        self.direct_owned = direct_owned
        self.age = self.config.age_quarters
        self.readiness = self.config.product_readiness
        self.stage = max(self.config.stage or 1, self._derived_stage(customers=0, arr=0.0))
        self.route_quality = 1.0
        self.routes_active = 0
        self.price = spec.price
        self.recruits = spec.recruits
        self.strategy, self.changes = spec.strategy, spec.changes
        self.tiers = TierBook(spec.program, partners.size)
        self.tiers.tier[:] = partners.start_tier  # partners of a roster start in their tier (sim/roster.py)
        self.program = IncentiveProgram(spec.program, behavior, churn, partners, spec.segments, direct_owned,
                                        self.tiers)

    # ------------------------------------------------------------------ stage
    def _derived_stage(self, customers: int, arr: float) -> int:
        """Partner Maturity Index stage from age, customers and ARR (seed 002 PMI table)."""
        v = self.config
        if self.age >= STAGE3_AGE_QUARTERS and arr >= v.stage3_arr:
            return 3
        if self.age >= STAGE2_AGE_QUARTERS and customers >= v.stage2_customers:
            return 2
        return 1

    def assess_stage(self, customers: int, arr: float) -> None:
        """Age a quarter; the stage only moves up; readiness grows with design feedback.

        Args:
            customers: the vendor's paying customers now.
            arr: their annual recurring revenue.
        """
        self.age += 1
        self.stage = max(self.stage, self._derived_stage(customers, arr))
        self.readiness = min(1.0, self.readiness + self.config.readiness_gain_per_quarter)

    @property
    def credibility(self) -> float:
        """The vendor's credibility with partners at its current stage."""
        return self.config.credibility[str(self.stage)]

    # ------------------------------------------------------------------ routes
    def assess_routes(self, partners: ag.PartnerPopulation) -> None:
        """Count the routes to market its partners run; beyond capacity, quality drops.

        Seed 002: each motion "requires significant investment in enablement ... and
        ongoing relationship management". Quality = min(1, route_capacity / routes).
        """
        partnered = partners.in_states(*ag.PARTNERED_STATES)
        self.routes_active = len(set(partners.route[partnered]))
        self.route_quality = min(1.0, self.config.route_capacity / max(self.routes_active, 1))

    # ------------------------------------------------------------------ offer to partners
    def expected_profit(self, services_ratio: float) -> np.ndarray:
        """Each partner's expected profit per unit of deal value from a unit of effort on this vendor.

        Win probability (segment mix x readiness x the type's lift x the partner's
        capability x the tier's support), as far as the partner believes it
        (:func:`believed_share`), x deal size x (the program's present value of a won
        deal plus the services wrap).
        """
        p = self.partners
        win = ((p.segment_fit @ self.segments.win) * self.readiness * (1.0 + p.win_rate_lift)
               * p.capability * (1.0 + self.tiers.benefit("support")))
        win = win * believed_share(win, p.deals_won, p.deals_lost)
        return expected_profit_per_value(self.program.deal_value(), win, p.deal_size_multiplier, p.services_attach,
                                         services_ratio)

    def affinity(self, behavior) -> np.ndarray:
        """Each partner's affinity for this vendor, in logit units.

        Its own appetite for a startup (``heterogeneity.engagement``) and the vendor's
        credibility against an established vendor's (1). Seed 002: partners assess a
        startup's "credibility and financial stability" before they invest in it; the
        same weight as in recruitment acceptance.
        """
        return self.partners.propensity + behavior.acceptance_credibility_weight * (self.credibility - 1.0)

    def utility(self, behavior, services_ratio: float) -> np.ndarray:
        """Each partner's utility of putting effort on this vendor (:func:`sim.effort.utility`)."""
        p = self.partners
        return utility(self.expected_profit(services_ratio), p.alignment, p.installed_share, behavior,
                       self.affinity(behavior))


class StaticRival(mesa.Agent):
    """An established rival on usual terms: it only competes for partners' effort.

    Partners are neutral toward it (alignment 0.5), it is fully credible (affinity 0)
    and it holds ``rivals.installed_share`` of their accounts.

    Args:
        model: the Mesa model the agent belongs to.
        name: the rival's name.
        rivals: the scenario's ``rivals`` section.
        partners: the partner population.
        segments: the market's per-segment deal terms.
        behavior: the scenario's ``partners.behavior`` section.
        churn: whether customers churn (``market.churn``).
    """

    def __init__(self, model, name: str, rivals, partners: ag.PartnerPopulation, segments, behavior, churn: bool):
        super().__init__(model)
        self.name = name
        self.config = rivals
        self.partners = partners
        self.pay_per_value = partners.default_margin * rivals.margin_ratio * collected_pay_value(
            partners, segments, behavior.pay_discount_rate, churn)

    def utility(self, behavior, services_ratio: float) -> np.ndarray:
        """Each partner's utility of effort on the rival: the type's usual margin, paid on collection."""
        r = self.config
        profit = expected_profit_per_value(self.pay_per_value, r.win_rate, self.partners.deal_size_multiplier,
                                           r.services_attach, services_ratio)
        return utility(profit, 0.5, r.installed_share, behavior, 0.0)
