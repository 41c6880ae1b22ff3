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
* :func:`update_installed_share` — the share of a partner's accounts already using
  the vendor's product, the customer pull in its utility (seed 002: customer demand is
  "the strongest signal"); a distributor, with no accounts of its own, sees the
  vendor's share of the whole market.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag

__all__ = ["Effort", "expected_profit_per_value", "utility", "logit_share", "update_installed_share",
           "split_effort"]


@dataclass(frozen=True)
class Effort:
    """The quarter's effort on one vendor."""

    share: np.ndarray  # share of each partner's sellers working the vendor (0 outside the program)
    engagement: np.ndarray  # share x selling productivity


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


def split_effort(startups: list, rivals: list, behavior, services_ratio: float, inertia: float = 0.0) -> list[Effort]:
    """Partners split their sellers across the vendors they carry; returns each startup's effort.

    Every vendor offers a utility (:meth:`sim.vendors.VendorAgent.utility`,
    :meth:`sim.vendors.StaticRival.utility`); a partner in a startup's program gives it
    its logit share among the startups it carries and the established rivals (a
    marketplace listing needs no seller effort: share 1), moving there from last
    quarter's share by ``1 - inertia``; its engagement is that share times its selling
    productivity at the startup's route quality. Sets each startup's
    ``partners.effort_share``.
    """
    startup_u = [v.utility(behavior, services_ratio) for v in startups]
    rival_u = [r.utility(behavior, services_ratio) for r in rivals]
    carried = [v.partners.in_states(*ag.PARTNERED_STATES) for v in startups]
    shares = []
    for k in range(len(startups)):
        others = [np.where(carried[j], u, -np.inf) for j, u in enumerate(startup_u) if j != k]
        shares.append(logit_share([startup_u[k], *others, *rival_u]))
    efforts = []
    for vendor, share, in_program in zip(startups, shares, carried, strict=True):
        p = vendor.partners
        share = np.where(p.is_marketplace, 1.0, share)
        if inertia:
            share = inertia * p.effort_share + (1.0 - inertia) * share
        share = np.where(in_program, share, 0.0)
        p.effort_share = share
        efforts.append(Effort(share, share * p.productivity(vendor.route_quality)))
    return efforts
