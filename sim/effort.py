"""Partner effort: how each partner splits its sellers across the vendors it carries.

Rules in this module, each with its source:

* :func:`expected_profit_per_value` — a partner's expected profit per unit of deal
  value from one unit of selling effort: margin x win probability x relative deal
  size, plus the services wrap it can sell around the product (seed 002 "Ability to
  Build Service Layers").
* :func:`logit_share` — partners split seller capacity across vendors by a
  multinomial logit of utility ``effort_sensitivity x profit + alignment_weight x
  alignment + demand_weight x installed share`` (seed 002 "Why Partners Need
  Startups": partners "are in the business of maximizing their own profitability";
  McFadden 1974). Every vendor, startup or established rival, enters the same way.
* :func:`assign_sellers` — the logit share is each seller's probability of choosing
  the vendor (McFadden 1974: the logit gives an individual's choice probabilities),
  and each seller of a partner makes that choice in the quarter: a partner's sellers
  working the vendor are a multinomial draw over the vendors it carries. A partner
  with two sellers and a 10% share has nobody on the vendor in most quarters, so
  whether a partner is active follows from its size and its mindshare against the
  other vendors on its line card (seed 002 names activation rate, "how many onboarded
  partners are actively driving activity", as a growth-stage metric).
* :func:`update_installed_share` — the share of a partner's accounts already using
  the vendor's product, the customer pull in its utility (seed 002: customer demand is
  "the strongest signal"); a distributor, with no accounts of its own, sees the
  vendor's share of the whole market.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim.draws import Draws

__all__ = ["Effort", "expected_profit_per_value", "utility", "logit_share", "update_installed_share",
           "split_effort", "assign_sellers", "binomial_quantile"]


@dataclass(frozen=True)
class Effort:
    """The quarter's effort on one vendor."""

    share: np.ndarray  # each seller's probability of working the vendor (0 outside the program)
    engagement: np.ndarray  # share of the partner's sellers working it this quarter x selling productivity


def expected_profit_per_value(margin, win_prob, deal_multiplier, services_attach, services_ratio):
    """Partner's expected profit per unit of deal value from one unit of selling effort.

    Examples:
        >>> float(expected_profit_per_value(0.2, 0.5, 1.0, 0.0, 0.5))
        0.1
    """
    return win_prob * deal_multiplier * (margin + services_attach * services_ratio)


def utility(profit, alignment, installed_share, behavior, affinity=0.0):
    """A partner's utility of putting effort on a vendor (the logit's index), plus its own affinity."""
    return (behavior.effort_sensitivity * profit + behavior.alignment_weight * alignment
            + behavior.demand_weight * installed_share + affinity)


def logit_share(utilities: list, own: int = 0) -> np.ndarray:
    """Share of effort each partner gives vendor ``own``: ``1 / (1 + sum_w exp(U_w - U_own))``.

    Args:
        utilities: one utility (array per partner, or a number) per vendor.
        own: the position of the vendor whose share is wanted.

    Examples:
        >>> float(logit_share([np.array([1.0]), 1.0, 1.0])[0])  # three equal vendors
        0.3333333333333333
    """
    mine = np.asarray(utilities[own], dtype=float)
    others = sum((np.exp(u - mine) for i, u in enumerate(utilities) if i != own), np.zeros_like(mine))
    return 1.0 / (1.0 + others)


def update_installed_share(partners: ag.PartnerView, coverage, paying: np.ndarray, vendor: int = 0) -> None:
    """Set each partner's share of accounts already using the vendor's product.

    Args:
        partners: the partner population (its ``installed_share`` is set).
        coverage: the partners' account books (:class:`sim.network.Coverage`).
        paying: mask of the vendor's paying customers.
        vendor: the vendor's index (its own incremental count).
    """
    p = partners
    in_book = coverage.paying_in_book(paying, vendor)
    p.installed_share = np.divide(in_book, coverage.accounts, out=np.zeros(p.size), where=coverage.accounts > 0)
    # A distributor holds no accounts of its own: it sees the vendor's traction in the whole market.
    p.installed_share[p.is_distributor] = np.count_nonzero(paying) / max(paying.size, 1)


def binomial_quantile(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The inverse CDF of Binomial(n, p) at ``u``, elementwise: the smallest k with P(X <= k) > u.

    Drawing by inversion keeps common random numbers: the same uniform gives the same
    count, or a neighbouring one, when an experiment's arm moves ``p`` a little.

    Examples:
        >>> binomial_quantile(np.array([0.1, 0.5, 0.99]), np.array([4, 4, 4]), np.array([0.5, 0.5, 0.5])).tolist()
        [1, 2, 4]
    """
    u, n, p = np.broadcast_arrays(np.asarray(u, float), np.asarray(n, np.int64), np.minimum(np.maximum(p, 0.0), 1.0))
    upper = p > 0.5  # count the failures instead, so that (1 - p) ** n cannot underflow
    u, p = np.where(upper, np.minimum(1.0 - u, 1.0 - 2.0**-53), u), np.where(upper, 1.0 - p, p)
    ratio = np.divide(p, 1.0 - p, out=np.zeros_like(p), where=p < 1.0)
    pmf = (1.0 - p) ** n
    cdf = pmf.copy()
    k = np.zeros(n.shape, dtype=np.int64)
    for j in range(int(n.max(initial=0))):
        below = (cdf <= u) & (j < n)
        if not below.any():
            break
        pmf = pmf * (n - j) / (j + 1) * ratio
        cdf += pmf
        k += below
    return np.where(upper, n - k, k)


def assign_sellers(shares: list, sellers: np.ndarray, draws: list[Draws]) -> list[np.ndarray]:
    """Share of each partner's sellers working each startup this quarter: a multinomial draw.

    Each of a partner's ``round(sellers)`` sellers (at least one) chooses a vendor with
    the logit probabilities ``shares``; the startups are drawn one after another as
    conditional binomials, in the order given (the caller's: by vendor name, so the
    order in which a scenario lists them changes nothing). A partner without
    sellers of its own (a distributor, a marketplace listing) keeps its share.

    Args:
        shares: each startup's logit share per partner.
        sellers: each partner's sellers (a lognormal draw, not a whole number).
        draws: each startup's own draws of the quarter.
    """
    units = np.where(sellers > 0, np.maximum(1, np.rint(sellers)), 0).astype(np.int64)
    working = [np.asarray(share, float).copy() for share in shares]
    deciding = np.flatnonzero((units > 0) & (sum(working) > 0))  # partners with sellers and a startup to choose
    left, mass_left = units[deciding], np.ones(deciding.size)
    for k, share in enumerate(shares):
        mine = np.asarray(share, float)[deciding]
        chosen = binomial_quantile(draws[k].uniform(deciding), left,
                                   np.divide(mine, mass_left, out=np.zeros(deciding.size), where=mass_left > 0))
        working[k][units > 0] = 0.0
        working[k][deciding] = chosen / units[deciding]
        left = left - chosen
        mass_left = np.maximum(mass_left - mine, 0.0)
    return working


def split_effort(startups: list, rivals: list, behavior, services_ratio: float, draws: list[Draws],
                 inertia: float = 0.0, utilities: list | None = None) -> list[Effort]:
    """Partners split their sellers across the vendors they carry; returns each startup's effort.

    Every vendor offers a utility (:meth:`sim.vendors.VendorAgent.utility`,
    :meth:`sim.vendors.StaticRival.utility`); a partner in a startup's program gives it
    its logit share among the startups it carries and the established rivals (a
    marketplace listing needs no seller effort: share 1), moving there from last
    quarter's share by ``1 - inertia``. Its sellers then choose with those
    probabilities (:func:`assign_sellers`); its engagement is the share of its sellers
    working the startup times its selling productivity at the startup's route
    quality. Sets each startup's ``partners.effort_share`` (the probabilities).

    Args:
        startups: the startups (:class:`sim.vendors.VendorAgent`).
        rivals: the established rivals (:class:`sim.vendors.StaticRival`).
        behavior: the scenario's ``partners.behavior`` section.
        services_ratio: services revenue per unit of deal value.
        draws: each startup's draws of the quarter for its partners' sellers.
        inertia: share of last quarter's split a partner keeps.
        utilities: the startups' utilities (:meth:`sim.vendors.VendorAgent.utility`) if already computed
            this quarter.
    """
    startup_u = utilities if utilities is not None else [v.utility(behavior, services_ratio) for v in startups]
    rival_u = [r.utility(behavior, services_ratio) for r in rivals]
    carried = [v.partners.in_states(*ag.PARTNERED_STATES) for v in startups]
    # Another startup's utility for the partners that carry it (-inf, no share, elsewhere).
    carried_u = [np.where(carried[j], u, -np.inf) for j, u in enumerate(startup_u)] if len(startups) > 1 else []
    shares = []
    for k, vendor in enumerate(startups):
        p = vendor.partners
        others = [u for j, u in enumerate(carried_u) if j != k]
        share = np.where(p.is_marketplace, 1.0, logit_share([startup_u[k], *others, *rival_u]))
        if inertia:
            share = inertia * p.effort_share + (1.0 - inertia) * share
        shares.append(np.where(carried[k], share, 0.0))
    by_name = sorted(range(len(startups)), key=lambda k: startups[k].name)
    drawn = assign_sellers([shares[k] for k in by_name], startups[0].partners.sellers, [draws[k] for k in by_name])
    working = [drawn[by_name.index(k)] for k in range(len(startups))]
    efforts = []
    for vendor, share, worked in zip(startups, shares, working, strict=True):
        vendor.partners.effort_share = share
        efforts.append(Effort(share, worked * vendor.partners.productivity(vendor.route_quality)))
    return efforts
