"""Opportunities: who creates them, who claims them, and on what terms they close.

Rules in this module, each with its source:

* :func:`adoption_hazard` — per quarter a prospect *adopts* with hazard ``p_i + q *
  f_i``; ``p_i`` is the vendor's marketing plus the reach of the partners covering the
  account plus marketplace reach (Bass 1969; DESIGN.md mechanisms table). Adoption
  goes through a buying process the vendor wins with its segment's win rate ``w``, so
  a prospect enters one with hazard ``min(1, (p_i + q f_i) / w)``: the published
  adoption coefficients (Sultan, Farley & Lehmann 1990) keep their meaning. With no
  partners, a complete peer graph, no churn and zero-quarter sales cycles this is
  discrete Bass diffusion; longer cycles delay adoption by the cycle.
* :func:`attribute_sources` — competing hazards: each new opportunity is credited to
  one source with probability proportional to that source's share of the hazard.
* :func:`influence` — a customer who arrives by marketing or word of mouth asks the
  partner already serving the account (seed 002: "customers begin asking their
  existing partners about your solution"): the deal becomes partner-influenced.
* :func:`resolve_conflicts` — two claimants on one opportunity are an overlapping
  claim; the deal-registration rule decides who gets it (seed 002 "partner conflict or
  deal-registration overlaps"). A claim no rule settles (who registered first, with
  no protected registration) is a dispute, and a partner that loses a dispute loses
  alignment; clear rules settle claims without one (seed 002: "Transparency avoids
  conflict").
* :func:`deal_terms` — deal size, sales cycle and win rate by segment and by the
  partner type that sells it (seed 002 partner-type table; SI deals larger, longer).

Every random draw here is one per customer, indexed by customer id
(:class:`sim.draws.Draws`), and each function makes the same draws whatever
its input: given the same stream, an opportunity meets the same numbers in runs
that differ only in program design (common random numbers; see
:meth:`sim.model.EcosystemModel.stream`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.customers import DIRECT, INFLUENCED, MARKETPLACE, SOURCED
from sim.draws import Draws
from sim.network import row_entries

__all__ = [
    "adoption_hazard",
    "attribute_sources",
    "sample_partner_per_row",
    "influence",
    "resolve_conflicts",
    "ConflictOutcome",
    "deal_terms",
    "NewOpportunities",
]

DEAL_SIZE_SIGMA = 0.3  # lognormal spread of contract values around the segment mean (assumption)
MAX_WIN_PROB = 0.95  # no seller wins every deal, except in the idealised Bass limit (win rate 1)


@dataclass
class NewOpportunities:
    """The opportunities opened this quarter, before their terms are set."""

    ids: np.ndarray  # customer ids
    channel: np.ndarray  # DIRECT, SOURCED, INFLUENCED or MARKETPLACE
    partner: np.ndarray  # partner id or -1
    contested: np.ndarray  # a partner lost (or a direct rep conceded) a claim on it


def adoption_hazard(innovation: float, imitation: float, partner_push: np.ndarray, marketplace_push: np.ndarray,
                    peer_share: np.ndarray, win_rate: np.ndarray, cross_brand: float = 0.0,
                    other_share: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Hazard of entering a buying process, and the adoption hazard's parts by source.

    Args:
        innovation: Bass p, the adoption hazard from the vendor's marketing.
        imitation: Bass q, per unit share of adopted peers.
        partner_push: adoption hazard from the partners covering each account.
        marketplace_push: adoption hazard from marketplace listings.
        peer_share: share of each customer's peers who are the vendor's customers (``f_i``).
        win_rate: the base win rate of each customer's segment.
        cross_brand: cross-brand imitation, per unit share of peers who are other vendors' customers.
        other_share: that share (``None`` with one vendor).

    Returns:
        (entry hazard ``min(1, adoption hazard / win rate)``, 0 where the win rate is 0;
        then the direct, partner, marketplace and word-of-mouth parts of the adoption
        hazard).

    Examples:
        >>> h, *_ = adoption_hazard(0.01, 0.3, np.zeros(2), np.zeros(2), np.array([0.0, 0.5]), np.array([0.25, 1.0]))
        >>> h.round(3).tolist()
        [0.04, 0.16]
    """
    wom = imitation * peer_share
    if other_share is not None and cross_brand:
        wom = wom + cross_brand * other_share
    total = innovation + partner_push + marketplace_push + wom
    entry = np.divide(total, win_rate, out=np.zeros_like(total), where=win_rate > 0)
    return np.minimum(1.0, entry), innovation, partner_push, marketplace_push, wom


def attribute_sources(u: np.ndarray, direct: float, partner: np.ndarray, market: np.ndarray,
                      wom: np.ndarray) -> np.ndarray:
    """Credit each new opportunity to one source, proportionally to its share of the hazard.

    ``u`` are uniform draws in [0, 1). Word of mouth and vendor marketing are both
    closed by the vendor (channel DIRECT) unless a partner influences them later.
    """
    total = direct + partner + market + wom
    x = u * total
    channel = np.full(u.size, DIRECT, dtype=np.int8)
    channel[(x >= direct) & (x < direct + partner)] = SOURCED
    channel[(x >= direct + partner) & (x < direct + partner + market)] = MARKETPLACE
    return channel


def sample_partner_per_row(cover: sp.csr_matrix, rows: np.ndarray, weights: np.ndarray,
                           draws: Draws, exclude: np.ndarray | None = None) -> np.ndarray:
    """For each row (customer), draw one covering partner with probability ~ ``weights``.

    Args:
        cover: customers x partners coverage matrix (CSR).
        rows: customer ids to draw for.
        weights: non-negative weight per partner.
        draws: the stream to draw from (one draw).
        exclude: optional partner id per row to leave out (-1 for none).

    Returns:
        A partner id per row, or -1 where no covering partner has positive weight.
    """
    u = draws.uniform(rows)
    entries, lengths = row_entries(cover, rows)
    cols = cover.indices[entries]
    w = weights[cols].astype(float)
    if exclude is not None:
        w[cols == np.repeat(exclude, lengths)] = 0.0
    cum = np.concatenate([[0.0], np.cumsum(w)])  # cum[k]: weight of the entries before entry k
    row_bounds = np.concatenate([[0], np.cumsum(lengths)])
    row_start, totals = cum[row_bounds[:-1]], cum[row_bounds[1:]] - cum[row_bounds[:-1]]
    pos = np.searchsorted(cum, row_start + u * totals, side="right") - 1
    pos = np.minimum(np.maximum(pos, 0), max(cols.size - 1, 0))  # np.clip, without its dispatch overhead
    chosen = np.where(totals > 0, cols[pos] if cols.size else -1, -1)
    return chosen.astype(np.int64)


def influence(ids: np.ndarray, channel: np.ndarray, partner: np.ndarray, cover: sp.csr_matrix,
              engagement: np.ndarray, draws: Draws, priority: np.ndarray | None = None) -> None:
    """Turn direct opportunities in partner-served accounts into partner-influenced ones.

    One covering partner is drawn with probability proportional to its engagement
    (effort share x productivity) times its tier's lead-sharing ``priority`` (seed 001:
    "priority deal access") and co-sells the deal with probability equal to its
    engagement. Modifies ``channel`` and ``partner`` in place.
    """
    direct = np.flatnonzero(channel == DIRECT)
    weights = engagement if priority is None else engagement * priority
    candidate = sample_partner_per_row(cover, ids[direct], weights, draws)
    engage_u = draws.uniform(ids[direct])
    has = candidate >= 0
    engaged = np.zeros(direct.size, dtype=bool)
    engaged[has] = engage_u[has] < engagement[candidate[has]]
    channel[direct[engaged]] = INFLUENCED
    partner[direct[engaged]] = candidate[engaged]


@dataclass(frozen=True)
class ConflictOutcome:
    """How the quarter's overlapping claims on partner-sourced opportunities were settled."""

    claims: int  # overlapping claims: another partner or a direct rep claimed a partner-sourced deal
    disputes: int  # claims no rule settled: decided by who registered first, with no protection
    losers: np.ndarray  # partner ids that lost a claim (one entry per loss)
    disputed_losers: np.ndarray  # those of them that lost a dispute
    partner_beat_direct: np.ndarray  # bool per opportunity: the partner won against a direct rep


def resolve_conflicts(opps: NewOpportunities, cover: sp.csr_matrix, engagement: np.ndarray,
                      direct_owned: np.ndarray, rule: str, direct_claims: bool,
                      draws: Draws, protected: np.ndarray | None = None) -> ConflictOutcome:
    """Settle opportunities that two claimants register.

    Claimants of a partner-sourced opportunity: the sourcing partner; another partner
    covering the account, who registers it with probability equal to its engagement;
    and the account's direct rep when the account is a direct named account and
    ``direct_claims`` is true. Rules: ``first_registered`` (either claimant equally
    likely to have registered first), ``partner_preferred`` and ``direct_preferred``
    (decide partner-vs-direct claims; partner-vs-partner falls back to first-registered).
    A ``protected`` opportunity (per opportunity; a deal registration still inside its
    protection window) was registered first by its sourcing partner, so that partner
    wins every first-registered contest. Direct claims are off under a double bubble
    (``direct_claims`` false): the direct rep is paid on the partner's deal too.

    A claim is a *dispute* when no rule settles it: it falls to who registered first
    and no protected registration says who that was. Claims settled by a protected
    registration or by a partner- or direct-preferred rule are not disputes (seed 002:
    partners "understand that conflicts and overlaps are inevitable ... What they don't
    tolerate well is uncertainty, ambiguity"; transparency "in opportunity
    registration" prevents "relationship-damaging disputes").

    Modifies ``opps`` in place (the winner becomes the seller; a partner that loses to
    the direct rep leaves a direct deal).
    """
    sourced = np.flatnonzero(opps.channel == SOURCED)
    ids = opps.ids[sourced]
    owner = opps.partner[sourced]
    registered_first = np.zeros(ids.size, dtype=bool) if protected is None else protected[sourced]
    partner_beat_direct = np.zeros(opps.ids.size, dtype=bool)

    # Partner vs partner: always decided by who registered first.
    other = sample_partner_per_row(cover, ids, engagement, draws, exclude=owner)
    claim_u, first_u, direct_u = draws.uniform(ids), draws.uniform(ids), draws.uniform(ids)
    has_other = other >= 0
    claims = np.zeros(ids.size, dtype=bool)
    claims[has_other] = claim_u[has_other] < engagement[other[has_other]]
    other_wins = claims & (first_u < 0.5) & ~registered_first
    partner_lost = np.where(other_wins, owner, other)
    partner_disputed = claims & ~registered_first
    owner = np.where(other_wins, other, owner)
    opps.partner[sourced] = owner

    # Partner vs direct rep in named accounts.
    direct_claim = direct_owned[ids] & direct_claims
    if rule == "partner_preferred":
        partner_wins, settled = np.ones(ids.size, dtype=bool), np.ones(ids.size, dtype=bool)
    elif rule == "direct_preferred":
        partner_wins, settled = np.zeros(ids.size, dtype=bool), np.ones(ids.size, dtype=bool)
    else:
        partner_wins, settled = (direct_u < 0.5) | registered_first, registered_first
    direct_wins = direct_claim & ~partner_wins
    direct_disputed = direct_claim & ~settled
    partner_beat_direct[sourced[direct_claim & partner_wins]] = True
    opps.channel[sourced[direct_wins]] = DIRECT
    opps.partner[sourced[direct_wins]] = -1
    opps.contested[sourced[claims | direct_claim]] = True
    losers = np.concatenate([partner_lost[claims], owner[direct_wins]])
    disputed_losers = np.concatenate([partner_lost[partner_disputed], owner[direct_wins & direct_disputed]])
    return ConflictOutcome(int(claims.sum()) + int(direct_claim.sum()),
                           int(partner_disputed.sum()) + int(direct_disputed.sum()),
                           losers, disputed_losers, partner_beat_direct)


def _of_seller(values: np.ndarray, partner: np.ndarray, direct_value: float) -> np.ndarray:
    """Per opportunity: the selling partner's value, or ``direct_value`` for direct deals."""
    out = np.full(partner.size, direct_value, dtype=float)
    has = partner >= 0
    out[has] = values[partner[has]]
    return out


def deal_terms(opps: NewOpportunities, segment: np.ndarray, seg_value: np.ndarray, seg_cycle: np.ndarray,
               seg_win: np.ndarray, readiness: float, partners, partner_beat_direct: np.ndarray,
               direct_resistance: float, draws: Draws,
               support: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Contract value, close quarter offset and win probability of each new opportunity.

    * value: the segment's mean contract value x the selling partner type's deal-size
      multiplier (SI and GSI deals are larger) x lognormal noise (mean 1);
    * cycle: the segment's sales cycle + the partner type's extra quarters (SIs longer,
      marketplaces shorter), never negative;
    * win probability: the segment's win rate x product readiness x (1 + the partner's
      win-rate lift, halved until certified) x the partner's own capability, lowered by ``direct_resistance`` when a
      partner won the account against the direct rep, raised by the selling partner's
      tier ``support`` (relative lift, seed 001 "access to exclusive support"); capped
      at 0.95 unless the segment's own win rate is 1 (the idealised Bass limit).
    """
    seg = segment[opps.ids]
    pid = opps.partner
    multiplier = _of_seller(partners.deal_size_multiplier, pid, 1.0)
    noise = np.exp(DEAL_SIZE_SIGMA * draws.normal(opps.ids) - 0.5 * DEAL_SIZE_SIGMA**2)
    value = seg_value[seg] * multiplier * noise
    cycle = np.maximum(0, seg_cycle[seg] + _of_seller(partners.sales_cycle_extra, pid, 0).astype(int))
    lift = _of_seller(partners.win_rate_lift * np.where(partners.certified, 1.0, 0.5), pid, 0.0)
    win = seg_win[seg] * readiness * (1.0 + lift) * _of_seller(partners.capability, pid, 1.0)
    win = np.where(partner_beat_direct, win * (1.0 - direct_resistance), win)
    if support is not None:
        win = win * (1.0 + _of_seller(support, pid, 0.0))
    cap = np.where(seg_win[seg] >= 1.0, 1.0, MAX_WIN_PROB)
    return value, cycle, np.minimum(np.maximum(win, 0.0), cap)  # np.clip, without its dispatch overhead
