"""Revenue recognition: what paying customers bring in a quarter, by channel and by partner.

Each paying customer brings a quarter of its annual contract value, credited to the
channel that brought it in (direct, partner-sourced, partner-influenced, marketplace;
the four sum to ``revenue``). Partners are credited with the revenue of the customers
they sourced or carried (marketplaces) and, separately, of those they influenced; on
services-attached customers they also earn services revenue of their own
(``market.services_ratio`` of the contract value; seed 002 "services wraps").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.customers import CHANNELS, INFLUENCED, MARKETPLACE, SOURCED, CustomerPopulation

__all__ = ["Revenue", "recognise"]


@dataclass(frozen=True)
class Revenue:
    """The quarter's recognised revenue."""

    by_channel: np.ndarray  # revenue per channel (CHANNELS order)
    served: np.ndarray  # paying customers a partner sold or serves (ids, ascending)
    served_amount: np.ndarray  # the revenue each of them brings
    partner_revenue: np.ndarray  # (2 x partners): sourced (and marketplace), influenced
    services_revenue: np.ndarray  # partners' own services revenue, per partner
    paying: np.ndarray | None = None  # every paying customer of the vendor (ids, ascending)

    @property
    def total(self) -> float:
        """All revenue recognised in the quarter."""
        return float(self.by_channel.sum())


def recognise(customers: CustomerPopulation, n_partners: int, services_ratio: float, vendor: int = 0) -> Revenue:
    """Recognise a vendor's revenue of the quarter by channel and credit it to its partners."""
    c = customers
    earning, amount = c.quarterly_revenue(vendor)
    by_channel = np.bincount(c.channel[earning], weights=amount, minlength=len(CHANNELS))
    with_partner = c.partner[earning] >= 0
    served, served_amount = earning[with_partner], amount[with_partner]
    partner, channel = c.partner[served], c.channel[served]
    partner_revenue = np.zeros((2, n_partners))
    sourced_like = (channel == SOURCED) | (channel == MARKETPLACE)
    partner_revenue[0] = np.bincount(partner[sourced_like], weights=served_amount[sourced_like], minlength=n_partners)
    influenced = channel == INFLUENCED
    partner_revenue[1] = np.bincount(partner[influenced], weights=served_amount[influenced], minlength=n_partners)
    services = c.services[served]
    services_revenue = np.bincount(partner[services], minlength=n_partners,
                                   weights=served_amount[services] * services_ratio)
    return Revenue(by_channel, served, served_amount, partner_revenue, services_revenue, earning)
