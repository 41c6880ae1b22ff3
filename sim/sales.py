"""Customers and deals in a quarter: renewals, closing deals, and new opportunities.

The quarter's customer events, in order: contracts at their anniversary renew or churn
(:func:`renew`); opportunities due close, won or lost (:func:`close`); partners spend
MDF on campaigns in their accounts (:func:`run_mdf_campaigns`); prospects enter a
buying process with one of the vendors (:func:`choose_adopters`) and each new
opportunity is attributed, claimed and given its terms by that vendor
(:func:`open_opportunities`); opportunities with a zero-quarter cycle close at once
(:func:`close` again). A customer deals with at most one vendor at a time: the
vendor of its contract or of its open opportunity (``customers.vendor``). After the
partners' activity and reviews, the customers of partners that left are handed over
to the vendor (:func:`hand_over`). The rules themselves live in :mod:`sim.customers`
(the population's updates) and :mod:`sim.deals` (hazard, attribution, influence,
conflicts, terms); this module sequences them for one vendor and returns what
happened as records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim import agents as ag
from sim import deals
from sim.customers import MARKETPLACE, PROSPECT, SOURCED, CustomerPopulation, Segments
from sim.draws import Draws
from sim.incentives import MdfSpend, fit_multiplier
from sim.network import Coverage

__all__ = ["Renewals", "Closed", "Push", "Adopters", "Opened", "Handover", "renew", "close", "run_mdf_campaigns",
           "partner_push", "choose_adopters", "open_opportunities", "hand_over"]

BLOCK = 65_536  # customers per block in the adoption pass: its temporaries fit a core's cache


@dataclass(frozen=True)
class Renewals:
    """A vendor's customers at a contract anniversary this quarter."""

    renewed: np.ndarray  # customer ids
    churned: np.ndarray  # customer ids that left the category
    switched: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # ids lost to another vendor


@dataclass(frozen=True)
class Closed:
    """Opportunities that closed."""

    won: np.ndarray  # customer ids, now paying
    lost: np.ndarray  # customer ids, back among the prospects
    lost_partner: np.ndarray  # the partner credited with each lost opportunity (-1 for none)


@dataclass(frozen=True)
class Push:
    """A vendor's partners' pressure on adoption this quarter."""

    partner: np.ndarray  # adoption hazard each partner adds in every prospect account it covers
    marketplace: np.ndarray  # adoption hazard marketplaces add, per segment
    reach: np.ndarray  # each partner's reach x engagement
    poor_share: np.ndarray  # share of poor fits among the deals each partner sources


@dataclass(frozen=True)
class Adopters:
    """Prospects entering a buying process with one vendor, and the parts of their adoption hazard."""

    ids: np.ndarray
    partner: np.ndarray  # partner push
    marketplace: np.ndarray  # marketplace push
    word_of_mouth: np.ndarray  # within- and cross-brand word of mouth
    direct: float  # the vendor's own marketing (Bass p)


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


def renew(customers: CustomerPopulation, churn: np.ndarray, market, t: int, draws: Draws) -> list[Renewals]:
    """Contracts at their anniversary renew (services-attached ones expand) or churn; one record per vendor.

    With several vendors, some renewing customers switch vendor
    (:meth:`sim.customers.CustomerPopulation.switch`).

    Args:
        customers: the customer population.
        churn: annual churn of each vendor's product per segment (vendors x segments).
        market: the scenario's ``market`` section.
        t: the quarter.
        draws: the quarter's renewal draws.
    """
    c = customers
    renewed, churned = c.renew(t, churn, market.services_expansion, draws, market.churn)
    if c.vendors == 1:
        return [Renewals(renewed, churned)]
    was = c.vendor[renewed].copy()
    c.switch(t, renewed, market.switching_cost, draws)
    stayed = c.vendor[renewed] == was  # a customer that switched has another vendor now
    return [Renewals(renewed[(was == v) & stayed], churned[c.vendor[churned] == v], renewed[(was == v) & ~stayed])
            for v in range(c.vendors)]


def close(customers: CustomerPopulation, startups: list, t: int, close_draws: Draws,
          attach_draws: Draws) -> list[Closed]:
    """Close the opportunities due: won ones become customers and may carry the partner's services.

    A partner that wins its first deal with a vendor is marked (``has_won``): its
    first-win bonus is no longer pending. Partners keep their track record with each
    vendor (``deals_won``, ``deals_lost``), from which they judge it (:mod:`sim.vendors`).

    Returns:
        One :class:`Closed` per startup, in order.
    """
    c = customers
    population = startups[0].partners
    won, lost, lost_partner, lost_vendor = c.close_due(t, close_draws)
    partner = c.partner[won]
    has = partner >= 0
    attach = np.zeros(won.size)
    effect = np.zeros(won.size)
    attach[has] = population.services_attach[partner[has]]
    effect[has] = population.retention_effect[partner[has]]
    c.attach_services(won, attach, effect, attach_draws)
    records = []
    for vendor in startups:
        mine_won = slice(None) if c.vendors == 1 else c.vendor[won] == vendor.index
        mine_lost = slice(None) if c.vendors == 1 else lost_vendor == vendor.index
        record = Closed(won[mine_won], lost[mine_lost], lost_partner[mine_lost])
        _note_track_record(vendor.partners, c.partner[record.won], record.lost_partner)
        records.append(record)
    return records


def _note_track_record(p: ag.PartnerView, won_partner: np.ndarray, lost_partner: np.ndarray) -> None:
    """Add the closed deals to the sellers' (and their distributors') record with the vendor."""
    won_partner, lost_partner = won_partner[won_partner >= 0], lost_partner[lost_partner >= 0]
    p.has_won[won_partner] = True
    for record, sellers in ((p.deals_won, won_partner), (p.deals_lost, lost_partner)):
        record += np.bincount(sellers, minlength=p.size)
        parents = p.parent[sellers]
        record += np.bincount(parents[parents >= 0], minlength=p.size)  # a distributor's record is its network's


def run_mdf_campaigns(vendor, customers: CustomerPopulation, coverage: Coverage) -> MdfSpend:
    """Selling partners spend the vendor's MDF on demand generation among the prospects in their books."""
    p = vendor.partners
    if vendor.program.config.mdf is None:
        return MdfSpend(np.zeros(p.size), np.zeros(p.size))
    prospects = coverage.in_books(customers.state == PROSPECT)
    return vendor.program.spend_mdf(p.in_states(*ag.SELLING_STATES), prospects)


def partner_push(vendor, engagement: np.ndarray, mdf: MdfSpend) -> Push:
    """A vendor's partners' push on adoption.

    A partner's push is its reach x engagement x the deal volume it keeps after
    screening poor fits, plus its MDF campaigns; a deal it sources is a poor fit with
    the share of poor fits it lets through (:func:`sim.incentives.screening`).
    """
    p = vendor.partners
    reach = p.reach * engagement
    volume, poor_share = vendor.program.screening()
    push = np.where(p.is_marketplace, 0.0, reach * volume + mdf.hazard)
    market_push_seg = (p.segment_fit * np.where(p.is_marketplace, reach, 0.0)[:, None]).sum(axis=0)
    return Push(push, market_push_seg, reach, poor_share)


def choose_adopters(customers: CustomerPopulation, coverage: Coverage, startups: list, pushes: list[Push],
                    market, adopt_draws: Draws, choose_draws: Draws) -> list[Adopters]:
    """Prospects who enter a buying process this quarter, each with one vendor.

    Each vendor ``v`` has an adoption hazard in each prospect's account
    (:func:`sim.deals.adoption_hazard`): its own marketing ``p_v``, the push of its
    partners covering the account, its marketplace push, within-brand word of mouth
    ``q_v f_v`` from its own customers among the prospect's peers and, with several
    vendors, cross-brand word of mouth ``cross_brand (f - f_v)`` from the other
    vendors' customers, which grows the category for everyone (Libai, Muller & Peres
    2009, "The role of within-brand and cross-brand communications in competitive
    growth", Journal of Marketing 73(3)). With several vendors, a vendor's price
    relative to its list weighs on it (``a_v x price_v ^ -market.price_elasticity``).
    The prospect enters a buying process with hazard ``min(1, sum_v a_v / w_v)``
    (``w_v``: the vendor's win rate in its segment) and chooses vendor ``v`` with
    probability proportional to ``a_v / w_v``: market share emerges from these hazards.

    Customers are taken a cache-sized block at a time, and each block's draws are one
    call per stream, in block order. Only prospects draw, so the hazards are computed
    for the block's prospects only, each vendor's with the arithmetic of
    :func:`sim.deals.adoption_hazard`; which vendor a prospect chooses is worked out
    only for the prospects that enter. Each customer's draws are fixed by its id and
    its block.

    Returns:
        One :class:`Adopters` per startup, in order.
    """
    c = customers
    several = len(startups) > 1
    cross_brand = market.adoption.cross_brand if several else 0.0
    c.refresh_word_of_mouth()
    everyone = _push_of_everyone(coverage, pushes, np.count_nonzero(c.state == PROSPECT))
    by_partner = None if everyone is not None else np.array([push.partner for push in pushes]).T.copy()
    parts: list[list] = [[] for _ in startups]
    for start in range(0, c.size, BLOCK):
        stop = min(start + BLOCK, c.size)
        ids = start + np.flatnonzero(c.state[start:stop] == PROSPECT)
        segment = c.segment[ids].astype(np.intp)
        # Each vendor's push in each prospect's account (vendors x prospects), the same sums as cover @ push.
        covering = ([push[ids] for push in everyone] if everyone is not None
                    else (coverage.matrix[ids] @ by_partner).T.copy())
        peers = [c.peer_adopted_share(ids, v.index) for v in startups]
        all_peers = None
        if several and cross_brand:
            all_peers = peers[0].copy()  # the vendors' shares summed in vendor order
            for peer in peers[1:]:
                all_peers += peer
        hazards = []
        for vendor, push, partner_push, peer in zip(startups, pushes, covering, peers, strict=True):
            hazard = _adoption_hazard(vendor, partner_push, push.marketplace.take(segment), peer, segment,
                                      cross_brand, all_peers)
            if several:
                hazard = (hazard[0] * vendor.price ** -market.price_elasticity, *hazard[1:])
            hazards.append(hazard)
        for hazard, entering, vendor_parts in zip(hazards, _choose(hazards, ids, adopt_draws, choose_draws), parts,
                                                  strict=True):
            _, partner, market_push, wom = hazard
            vendor_parts.append((ids[entering], partner[entering], market_push[entering], wom[entering]))
    return [Adopters(*(np.concatenate(column) for column in zip(*vendor_parts, strict=True)),
                     direct=vendor.adoption.innovation) for vendor, vendor_parts in zip(startups, parts, strict=True)]


def _push_of_everyone(coverage: Coverage, pushes: list[Push], prospects: int) -> list[np.ndarray] | None:
    """Each vendor's push summed over the partners covering each customer, or None when few are prospects.

    The sum is ``cover @ push``: a customer's partners added in the order of its
    coverage row, starting from zero, however it is computed. While most customers
    are prospects, one bincount per vendor over the coverage entries; with one
    vendor, always; otherwise None, and each block's prospects get theirs from their
    own coverage rows (:func:`choose_adopters`).
    """
    if len(pushes) > 1 and 2 * prospects <= coverage.matrix.shape[0]:
        return None
    return [np.bincount(coverage.customer_of_entry, weights=push.partner[coverage.matrix.indices],
                        minlength=coverage.matrix.shape[0]) for push in pushes]


def _adoption_hazard(vendor, partner_push: np.ndarray, marketplace_push: np.ndarray, peer: np.ndarray,
                     segment: np.ndarray, cross_brand: float, all_peers: np.ndarray | None) -> tuple:
    """A vendor's entry hazard and its partner, marketplace and word-of-mouth parts for some prospects.

    The numbers of :func:`sim.deals.adoption_hazard` (``other_share`` is
    ``all_peers - peer``), in fewer passes: with a positive win rate in every
    segment customers are in, the division needs no mask.
    """
    win = vendor.segments.win
    if (win[vendor.segments.share > 0] > 0).all():
        wom = vendor.adoption.imitation * peer
        if all_peers is not None:
            wom = wom + cross_brand * (all_peers - peer)
        entry = vendor.adoption.innovation + partner_push
        entry += marketplace_push
        entry += wom
        entry /= win.take(segment)
        return np.minimum(1.0, entry, out=entry), partner_push, marketplace_push, wom
    entry, _, partner_push, marketplace_push, wom = deals.adoption_hazard(
        vendor.adoption.innovation, vendor.adoption.imitation, partner_push, marketplace_push, peer,
        win.take(segment), cross_brand, None if all_peers is None else all_peers - peer)
    return entry, partner_push, marketplace_push, wom


def _choose(hazards: list, ids: np.ndarray, adopt_draws: Draws, choose_draws: Draws) -> list[np.ndarray]:
    """Positions (in ``ids``) of the prospects entering a buying process, per vendor.

    Args:
        hazards: each vendor's entry hazard of each prospect first (:func:`_adoption_hazard`).
        ids: the prospects of one block.
        adopt_draws: the quarter's draws of whether a prospect enters (one call per block).
        choose_draws: the quarter's draws of the vendor it chooses (one call per block, several vendors).
    """
    if len(hazards) == 1:
        return [np.flatnonzero(adopt_draws.uniform(ids) < hazards[0][0])]
    total = hazards[0][0].copy()  # the vendors' entry hazards added in vendor order, uncapped
    for hazard in hazards[1:]:
        total += hazard[0]
    entering = np.flatnonzero(adopt_draws.uniform(ids) < np.minimum(1.0, total))
    # Each id's draw is its own, so drawing for the entering prospects alone gives them the same numbers.
    u = choose_draws.uniform(ids[entering]) * total[entering]
    entry = np.array([hazard[0][entering] for hazard in hazards])
    pick = (u[None, :] >= np.cumsum(entry, axis=0)).sum(axis=0)  # the vendor whose band holds u
    pick = np.minimum(pick, len(hazards) - 1)
    return [entering[pick == k] for k in range(len(hazards))]


def open_opportunities(customers: CustomerPopulation, coverage: Coverage, vendor, engagement: np.ndarray,
                       push: Push, adopters: Adopters, scenario, t: int, stream) -> Opened:
    """Open a vendor's new opportunities: attribution, deal fit, influence, conflicts, terms.

    Args:
        customers: the customer population (new opportunities enter its pipeline).
        coverage: the partners' account books.
        vendor: the :class:`sim.vendors.VendorAgent` selling.
        engagement: each partner's engagement with the vendor (:class:`sim.effort.Effort`).
        push: the vendor's partners' push (:func:`partner_push`).
        adopters: the prospects entering a buying process with the vendor.
        scenario: the validated scenario.
        t: the quarter.
        stream: ``stream(purpose)`` gives the vendor's draws of a purpose this quarter.
    """
    c, p = customers, vendor.partners
    program, behavior = vendor.program_spec, scenario.partners.behavior
    ids, partner, market, wom, direct = (adopters.ids, adopters.partner, adopters.marketplace,
                                         adopters.word_of_mouth, adopters.direct)
    u = stream("source").uniform(ids)
    channel = deals.attribute_sources(u, direct, partner, market, wom)
    opps = deals.NewOpportunities(ids, channel, np.full(ids.size, -1, dtype=np.int64), np.zeros(ids.size, dtype=bool))
    sourced = channel == SOURCED
    opps.partner[sourced] = deals.sample_partner_per_row(coverage.matrix, ids[sourced], push.partner,
                                                         stream("sourcer"))
    # Where u fell inside the partner band is a fresh uniform: it decides the deal's fit.
    band = np.divide(u * (direct + partner + market + wom) - direct, partner, out=np.ones(ids.size),
                     where=partner > 0)
    by_partner = np.flatnonzero(sourced & (opps.partner >= 0))
    fit = np.ones(ids.size)
    fit[by_partner] = fit_multiplier(band[by_partner] < push.poor_share[opps.partner[by_partner]],
                                     behavior.poor_fit_share, behavior.poor_fit_churn)
    on_market = channel == MARKETPLACE
    opps.partner[on_market] = _pick_marketplace(c, p, ids[on_market], push.reach, stream("marketplace"))
    selling_engagement = np.where(p.is_marketplace, 0.0, engagement)
    deals.influence(ids, opps.channel, opps.partner, coverage.matrix, selling_engagement, stream("influence"),
                    priority=vendor.tiers.benefit("lead_priority"))
    conflicts = deals.resolve_conflicts(
        opps, coverage.matrix, selling_engagement, vendor.direct_owned, program.deal_registration,
        direct_claims=program.incentives.double_bubble is None, draws=stream("conflict"),
        protected=_registration_protected(opps, c, p, vendor.segments, program.incentives.registration_bonus))
    segments = vendor.segments
    value, cycle, win = deals.deal_terms(opps, c.segment, segments.value, segments.cycle, segments.win,
                                         vendor.readiness, p, conflicts.partner_beat_direct,
                                         program.direct_resistance, stream("terms"),
                                         support=vendor.tiers.benefit("support"))
    if vendor.price != 1.0:
        value = value * vendor.price
    c.open_opportunities(opps.ids, t, t + cycle, win, value, opps.channel, opps.partner, fit=fit,
                         vendor=vendor.index)
    own = (opps.partner >= 0) & ((opps.channel == SOURCED) | (opps.channel == MARKETPLACE))
    return Opened(opps, value, conflicts, np.bincount(opps.partner[own], minlength=p.size))


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


def hand_over(customers: CustomerPopulation, left: np.ndarray, vendor: int = 0) -> Handover:
    """The vendor takes over the customers of partners that left it (:meth:`CustomerPopulation.release`)."""
    return Handover(left, customers.release(left, vendor))
