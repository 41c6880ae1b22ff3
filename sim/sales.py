"""Customers and deals in a quarter: renewals, closing deals, and new opportunities.

The quarter's customer events, in order: contracts at their anniversary renew or churn
(:func:`renew`); opportunities due close, won or lost (:func:`close`); partners spend
MDF on campaigns in their accounts (:func:`run_mdf_campaigns`); prospects enter a
buying process and each new opportunity is attributed, claimed and given its terms
(:func:`open_opportunities`); opportunities with a zero-quarter cycle close at once
(:func:`close` again). After the partners' activity and reviews, the customers of
partners that left are handed over to the vendor (:func:`hand_over`). The rules
themselves live in :mod:`sim.customers` (the population's updates) and :mod:`sim.deals` (hazard, attribution, influence,
conflicts, terms); this module sequences them for one vendor and returns what
happened as records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim import deals
from sim.customers import MARKETPLACE, PROSPECT, SOURCED, CustomerPopulation, Segments
from sim.draws import Draws
from sim.incentives import MdfSpend, fit_multiplier
from sim.network import Coverage

__all__ = ["Renewals", "Closed", "Opened", "Handover", "renew", "close", "run_mdf_campaigns", "open_opportunities",
           "hand_over"]

BLOCK = 65_536  # customers per block in the adoption pass: its temporaries fit a core's cache


@dataclass(frozen=True)
class Renewals:
    """Customers at a contract anniversary this quarter."""

    renewed: np.ndarray  # customer ids
    churned: np.ndarray  # customer ids


@dataclass(frozen=True)
class Closed:
    """Opportunities that closed."""

    won: np.ndarray  # customer ids, now paying
    lost: np.ndarray  # customer ids, back among the prospects
    lost_partner: np.ndarray  # the partner credited with each lost opportunity (-1 for none)


@dataclass(frozen=True)
class Opened:
    """Opportunities opened this quarter, with their terms."""

    opportunities: deals.NewOpportunities
    value: np.ndarray  # first-year contract value if won
    conflicts: deals.ConflictOutcome  # overlapping claims and how they were settled
    sourced_per_partner: np.ndarray  # opportunities each partner brought in itself (sourced or listed)


@dataclass(frozen=True)
class Handover:
    """Customers and opportunities of partners that left, now served by the vendor directly."""

    partners: np.ndarray  # partner ids that left this quarter (churned or exited)
    customers: np.ndarray  # customer ids handed over


def renew(customers: CustomerPopulation, segments: Segments, market, t: int, draws: Draws) -> Renewals:
    """Contracts at their anniversary renew (services-attached ones expand) or churn."""
    renewed, churned = customers.renew(t, segments.churn, market.services_expansion, draws, market.churn)
    return Renewals(renewed, churned)


def close(customers: CustomerPopulation, partners: ag.PartnerPopulation, t: int, close_draws: Draws,
          attach_draws: Draws) -> Closed:
    """Close the opportunities due: won ones become customers and may carry the partner's services.

    A partner that wins its first deal is marked (``partners.has_won``): its first-win
    bonus is no longer pending. Partners keep their track record (``deals_won``,
    ``deals_lost``), from which they judge the vendor (:mod:`sim.vendors`).
    """
    c, p = customers, partners
    won, lost, lost_partner = c.close_due(t, close_draws)
    partner = c.partner[won]
    has = partner >= 0
    attach = np.zeros(won.size)
    effect = np.zeros(won.size)
    attach[has] = p.services_attach[partner[has]]
    effect[has] = p.retention_effect[partner[has]]
    c.attach_services(won, attach, effect, attach_draws)
    p.has_won[partner[has]] = True
    for record, sellers in ((p.deals_won, partner[has]), (p.deals_lost, lost_partner[lost_partner >= 0])):
        record += np.bincount(sellers, minlength=p.size)
        parents = p.parent[sellers]
        record += np.bincount(parents[parents >= 0], minlength=p.size)  # a distributor's record is its network's
    return Closed(won, lost, lost_partner)


def run_mdf_campaigns(program, partners: ag.PartnerPopulation, customers: CustomerPopulation,
                      coverage: Coverage) -> MdfSpend:
    """Selling partners spend MDF on demand generation among the prospects in their books."""
    if program.config.mdf is None:
        return MdfSpend(np.zeros(partners.size), np.zeros(partners.size))
    prospects = coverage.in_books(customers.state == PROSPECT)
    return program.spend_mdf(partners.in_states(*ag.SELLING_STATES), prospects)


def open_opportunities(customers: CustomerPopulation, partners: ag.PartnerPopulation, coverage: Coverage,
                       vendor, engagement: np.ndarray, mdf: MdfSpend, segments: Segments, scenario, t: int,
                       stream) -> Opened:
    """Open new opportunities: adoption hazard, attribution, deal fit, influence, conflicts, terms.

    A partner's push is its reach x engagement x the deal volume it keeps after
    screening poor fits, plus its MDF campaigns; a deal it sources is a poor fit with
    the share of poor fits it lets through (:func:`sim.incentives.screening`).

    Args:
        customers: the customer population (new opportunities enter its pipeline).
        partners: the partner population.
        coverage: the partners' account books.
        vendor: the :class:`sim.vendors.VendorAgent` selling.
        engagement: each partner's engagement with the vendor (:class:`sim.effort.Effort`).
        mdf: the quarter's MDF campaigns.
        segments: the market's per-segment deal terms.
        scenario: the validated scenario.
        t: the quarter.
        stream: ``stream(purpose)`` gives the quarter's draws of a purpose.
    """
    c, p = customers, partners
    program, behavior = scenario.program, scenario.partners.behavior
    reach = p.reach * engagement
    volume, poor_share = vendor.program.screening()
    push = np.where(p.is_marketplace, 0.0, reach * volume + mdf.hazard)
    market_push_seg = (p.segment_fit * np.where(p.is_marketplace, reach, 0.0)[:, None]).sum(axis=0)
    ids, partner, market, wom = _adopters(c, coverage, scenario.market.adoption, segments.win, push,
                                          market_push_seg, stream("adopt"))
    direct = scenario.market.adoption.innovation
    u = stream("source").uniform(ids)
    channel = deals.attribute_sources(u, direct, partner, market, wom)
    opps = deals.NewOpportunities(ids, channel, np.full(ids.size, -1, dtype=np.int64), np.zeros(ids.size, dtype=bool))
    sourced = channel == SOURCED
    opps.partner[sourced] = deals.sample_partner_per_row(coverage.matrix, ids[sourced], push, stream("sourcer"))
    # Where u fell inside the partner band is a fresh uniform: it decides the deal's fit.
    band = np.divide(u * (direct + partner + market + wom) - direct, partner, out=np.ones(ids.size),
                     where=partner > 0)
    by_partner = np.flatnonzero(sourced & (opps.partner >= 0))
    fit = np.ones(ids.size)
    fit[by_partner] = fit_multiplier(band[by_partner] < poor_share[opps.partner[by_partner]],
                                     behavior.poor_fit_share, behavior.poor_fit_churn)
    on_market = channel == MARKETPLACE
    opps.partner[on_market] = _pick_marketplace(c, p, ids[on_market], reach, stream("marketplace"))
    selling_engagement = np.where(p.is_marketplace, 0.0, engagement)
    deals.influence(ids, opps.channel, opps.partner, coverage.matrix, selling_engagement, stream("influence"),
                    priority=vendor.tiers.benefit("lead_priority"))
    conflicts = deals.resolve_conflicts(
        opps, coverage.matrix, selling_engagement, c.direct_owned, program.deal_registration,
        direct_claims=program.incentives.double_bubble is None, draws=stream("conflict"),
        protected=_registration_protected(opps, c, p, segments, program.incentives.registration_bonus))
    value, cycle, win = deals.deal_terms(opps, c.segment, segments.value, segments.cycle, segments.win,
                                         vendor.readiness, p, conflicts.partner_beat_direct, program.direct_resistance,
                                         stream("terms"), support=vendor.tiers.benefit("support"))
    c.open_opportunities(opps.ids, t, t + cycle, win, value, opps.channel, opps.partner, fit=fit)
    own = (opps.partner >= 0) & ((opps.channel == SOURCED) | (opps.channel == MARKETPLACE))
    return Opened(opps, value, conflicts, np.bincount(opps.partner[own], minlength=p.size))


def _adopters(c: CustomerPopulation, coverage: Coverage, adoption, win_rate: np.ndarray, push: np.ndarray,
              market_push_seg: np.ndarray, draws: Draws) -> tuple[np.ndarray, ...]:
    """Prospects who enter a buying process this quarter, and the parts of their hazard.

    Each prospect's hazard (:func:`sim.deals.adoption_hazard`) adds the push of the
    partners covering its account, its segment's marketplace push and its adopted
    peers, and is divided by its segment's win rate (``win_rate``, per segment).
    Customers are taken a cache-sized block at a time, so the temporaries of a block
    stay in cache however many customers there are, and the hazard is
    computed for the whole block with contiguous array operations (most customers
    are prospects) while only prospects draw. Each customer's draw is fixed by its
    id, so the blocks change nothing but the speed.

    Returns:
        (ids, partner part, marketplace part, word-of-mouth part), one per adopter.
    """
    c.refresh_word_of_mouth()
    indptr, partner_of_entry = coverage.matrix.indptr, coverage.matrix.indices
    adopters = []
    for start in range(0, c.size, BLOCK):
        stop = min(start + BLOCK, c.size)
        block = slice(start, stop)
        prospects = np.flatnonzero(c.state[block] == PROSPECT)
        lo, hi = indptr[start], indptr[stop]
        partner_push = np.bincount(coverage.customer_of_entry[lo:hi] - start,
                                   weights=push[partner_of_entry[lo:hi]],
                                   minlength=stop - start)  # cover @ push for the block's rows
        segment = c.segment[block]
        hazard, _, partner, market, wom = deals.adoption_hazard(
            adoption.innovation, adoption.imitation, partner_push, market_push_seg[segment],
            c.peer_adopted_share(block), win_rate[segment])
        entering = prospects[draws.uniform(start + prospects) < hazard[prospects]]
        adopters.append((start + entering, partner[entering], market[entering], wom[entering]))
    return tuple(np.concatenate(parts) for parts in zip(*adopters, strict=True))


def _registration_protected(opps: deals.NewOpportunities, c: CustomerPopulation, p: ag.PartnerPopulation,
                            segments: Segments, bonus) -> np.ndarray | None:
    """Partner-sourced deals whose registration still protects them when they close.

    With a registration bonus every partner-sourced deal is registered; the
    registration lasts ``protection_quarters``, so it covers deals whose sales cycle
    (segment plus the partner type's extra quarters) is no longer than that.
    """
    if bonus is None:
        return None
    protected = np.zeros(opps.ids.size, dtype=bool)
    by_partner = np.flatnonzero((opps.channel == SOURCED) & (opps.partner >= 0))
    cycle = segments.cycle[c.segment[opps.ids[by_partner]]] + p.sales_cycle_extra[opps.partner[by_partner]]
    protected[by_partner] = cycle <= bonus.protection_quarters
    return protected


def _pick_marketplace(c: CustomerPopulation, p: ag.PartnerPopulation, ids: np.ndarray, reach: np.ndarray,
                      draws: Draws) -> np.ndarray:
    """Draw the marketplace that carries each marketplace transaction (~ its reach)."""
    markets = np.flatnonzero(p.is_marketplace)
    u = draws.uniform(ids)
    segments = c.segment[ids]
    if segments.size == 0 or markets.size == 0:
        return np.full(segments.size, -1, dtype=np.int64)
    # Cumulative weights per segment (marketplaces x segments), searched once per transaction.
    cum = np.cumsum(p.segment_fit[markets] * reach[markets][:, None], axis=0)
    draw = u * cum[-1, segments]
    pick = np.empty(segments.size, dtype=np.int64)
    for seg in np.unique(segments):
        here = segments == seg
        pick[here] = np.searchsorted(cum[:, seg], draw[here], side="left")
    return markets[np.minimum(pick, markets.size - 1)]


def hand_over(customers: CustomerPopulation, left: np.ndarray) -> Handover:
    """The vendor takes over the customers of partners that left (:meth:`CustomerPopulation.release`)."""
    return Handover(left, customers.release(left))
