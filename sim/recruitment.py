"""Recruitment: the vendor's partner managers and its distributors bring partners in.

Rules in this module, each with its source:

* :func:`acceptance_probability` — partners join for customer demand, margins,
  services potential and credibility (seed 002 "How do mature partners assess
  whether a startup is ready to partner?"): logistic in the offered pay relative to
  the type's usual margin, services attach, the vendor's stage credibility and its
  installed base in the partner's own accounts. The offered pay includes the tier
  bonus a prospect expects to reach, so the thresholds and requirements of the tiers
  weigh against their benefits (:meth:`sim.tiers.TierBook.expected_margin_bonus`).
* :func:`vendor_outreach` — partner managers approach prospects, as many as their
  capacity allows, those whose books look worth most first (with noise: seed 002
  "Partner Selection and Fitment"); types above the vendor's Partner Maturity Index
  stage are not approached when stage gates are on (seed 002: "Stage 2 ... VARs,
  Regional SIs, Resellers"; "Stage 3 ... GSIs, Distributors"). A prospect that
  declines is approached again a year later. The pool of prospects is large (every
  partner of the type in the market); who joins is decided by acceptance and by the
  team's capacity, so a bigger pool brings better-looking prospects to the top, not
  more joins. Recruits queue for onboarding (:mod:`sim.enablement`).
* :func:`distributor_cascade` — enabled distributors recruit and enable resellers
  from their own network (seed 002 case study 1: "the distributor became the primary
  orchestrator, responsible for onboarding and managing downstream resellers"), so
  cascaded resellers skip the vendor's queue; the vendor pays ``cascade_cost_share``
  of their enablement. How many it approaches follows its recruiting capacity, its
  commitment to the vendor (distribution margin and traction) and route quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim.draws import Draws, stochastic_round
from sim.partner_types import MIN_STAGE_OF_TYPE, PARTNER_TYPES

DECLINE_COOLDOWN_QUARTERS = 4  # a prospect that declined is approached again a year later (assumption)

__all__ = ["Recruitment", "acceptance_probability", "recruit", "vendor_outreach", "distributor_cascade"]


@dataclass(frozen=True)
class Recruitment:
    """Who joined a vendor this quarter."""

    recruited: int  # partners who accepted (outreach and cascade)
    cascade_enablement_spend: float  # the vendor's share of cascaded resellers' enablement


def acceptance_probability(
    margin: np.ndarray,
    default_margin: np.ndarray,
    services_attach: np.ndarray,
    credibility: float,
    installed_share: np.ndarray,
    behavior,
    propensity: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Probability a prospective partner accepts the vendor's offer (logistic), given its own propensity."""
    relative_margin = margin / np.maximum(default_margin, 1e-9) - 1.0
    logit = (behavior.acceptance_base + propensity
             + behavior.acceptance_margin_weight * relative_margin
             + behavior.acceptance_services_weight * services_attach
             + behavior.acceptance_credibility_weight * credibility
             + behavior.demand_weight * installed_share)
    return 1.0 / (1.0 + np.exp(-logit))


def _acceptance(partners: ag.PartnerPopulation, vendor, ids: np.ndarray, behavior,
                carried_offer: np.ndarray | None) -> np.ndarray:
    """Acceptance of the vendor's offer by prospects ``ids``.

    What a deal pays under its program, with the tier bonus a prospect expects to
    reach, against the better of the type's usual margin and the best offer of the
    other startups the prospect carries; credibility, services and installed base.
    """
    p, program = partners, vendor.program
    offer = program.deal_value()[ids] + vendor.tiers.expected_margin_bonus() * program.pv_timed[ids]
    reference = program.usual_value(p.default_margin)[ids]
    if carried_offer is not None:
        reference = np.maximum(reference, carried_offer[ids])
    return acceptance_probability(offer, reference, p.services_attach[ids], vendor.credibility,
                                  p.installed_share[ids], behavior)


def _approach_order(value: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Positions in descending order of ``log(1 + value)`` plus Gumbel noise from uniforms ``u``.

    Recruiters approach the prospects whose books look worth most first, with noise:
    the chance that a prospect comes before another is a logit in their log values
    (the Gumbel-max trick).
    """
    gumbel = -np.log(-np.log(np.minimum(np.maximum(u, 1e-12), 1.0 - 1e-12)))  # np.clip, without its overhead
    return np.argsort(-(np.log1p(value) + gumbel), kind="stable")


def _join(partners: ag.PartnerPopulation, approached: np.ndarray, accept: np.ndarray, t: int, ramp_left) -> np.ndarray:
    """Approached prospects who accept join (onboarding); the others decline for now."""
    joined, declined = approached[accept], approached[~accept]
    partners.state[joined] = ag.ONBOARDING
    partners.recruited_quarter[joined] = t
    partners.ramp_left[joined] = ramp_left if np.isscalar(ramp_left) else ramp_left[accept]
    partners.declined_quarter[declined] = t
    return joined


def _eligible(partners: ag.PartnerPopulation, t: int) -> np.ndarray:
    """Prospects not approached and declined within the last ``DECLINE_COOLDOWN_QUARTERS``."""
    return (partners.state == ag.PROSPECT) & (t - partners.declined_quarter >= DECLINE_COOLDOWN_QUARTERS)


def vendor_outreach(partners: ag.PartnerPopulation, vendor, t: int, slot_draws: Draws, priority_draws: Draws,
                    accept_draws: Draws, behavior, carried_offer: np.ndarray | None = None) -> int:
    """Partner managers approach the prospects whose books look worth most; each accepts or declines.

    Returns:
        Partners who joined (they queue for a partner manager: ``ramp_left`` -1).
    """
    p, v = partners, vendor.config
    eligible = _eligible(p, t) & (p.parent < 0)
    if v.enforce_stage_gates:
        min_stage = np.array([MIN_STAGE_OF_TYPE[name] for name in PARTNER_TYPES])[p.type_index]
        eligible &= min_stage <= vendor.stage
    if vendor.recruits is not None:
        eligible &= np.isin(p.type_names, vendor.recruits)
    candidates = np.flatnonzero(eligible)
    slots = stochastic_round(v.partner_managers * v.outreach_per_manager * vendor.route_quality, slot_draws.scalar())
    everyone = np.arange(p.size)
    priority = priority_draws.uniform(everyone)
    accept_u = accept_draws.uniform(everyone)
    if candidates.size == 0 or slots == 0:
        return 0
    approached = candidates[_approach_order(p.book_value[candidates], priority[candidates])[:slots]]
    accept = accept_u[approached] < _acceptance(p, vendor, approached, behavior, carried_offer)
    return int(_join(p, approached, accept, t, ramp_left=-1).size)


def distributor_cascade(partners: ag.PartnerPopulation, vendor, t: int, draws: Draws, behavior,
                        carried_offer: np.ndarray | None = None) -> tuple[int, float]:
    """Enabled distributors recruit resellers of their own network and enable them.

    A distributor's recruiting capacity (``resellers_recruited_per_quarter``: resellers
    its team can approach in a quarter at full commitment) is spent on the vendor in
    proportion to its commitment, its effort share for the vendor (which follows the
    distribution margin against other vendors' and the vendor's traction in its
    network, :mod:`sim.effort`), times the vendor's route quality.

    Returns:
        (resellers who joined, the vendor's share of their enablement cost).
    """
    p = partners
    recruited, spend = 0, 0.0
    everyone = np.arange(p.size)
    priority, round_u, accept_u = draws.uniform(everyone), draws.uniform(everyone), draws.uniform(everyone)
    distributors = np.flatnonzero(p.is_distributor & p.in_states(*ag.SELLING_STATES))
    if distributors.size == 0:
        return 0, 0.0
    # Acceptance depends on the offer, credibility and installed base, which the cascade
    # does not change: computed once for all partners rather than per distributor.
    acceptance = _acceptance(p, vendor, everyone, behavior, carried_offer)
    eligible = _eligible(p, t)
    for dist in distributors:
        network = np.flatnonzero((p.parent == dist) & eligible)
        commitment = p.effort_share[dist] * vendor.route_quality
        capacity = stochastic_round(p.resellers_per_quarter[dist] * commitment, round_u[dist])
        if network.size == 0 or capacity == 0:
            continue
        approached = network[_approach_order(p.book_value[network], priority[network])[:capacity]]
        accept = accept_u[approached] < acceptance[approached]
        joined = _join(p, approached, accept, t, ramp_left=p.ramp_quarters[approached])
        spend += float((p.enablement_cost[joined] * p.cascade_cost_share[dist]).sum())
        recruited += joined.size
    return recruited, spend


def recruit(partners: ag.PartnerPopulation, vendor, t: int, stream, behavior,
            carried_offer: np.ndarray | None = None) -> Recruitment:
    """The vendor's outreach, then its distributors' cascade.

    Args:
        partners: the partner population (recruits' state is set).
        vendor: the recruiting :class:`sim.vendors.VendorAgent`.
        t: the quarter.
        stream: ``stream(purpose)`` gives the quarter's :class:`sim.draws.Draws` of a purpose.
        behavior: the scenario's ``partners.behavior`` section.
        carried_offer: with several startups, the best offer among the other startups
            each partner carries (what a prospect compares the vendor's with).
    """
    outreach = vendor_outreach(partners, vendor, t, stream("outreach_slots"), stream("outreach"), stream("accept"),
                               behavior, carried_offer)
    cascaded, spend = distributor_cascade(partners, vendor, t, stream("cascade"), behavior, carried_offer)
    return Recruitment(outreach + cascaded, spend)
