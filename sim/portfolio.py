"""Partners' portfolios of startups: room on the line card, and dropping a startup that trails.

With several startups, a partner carries some of them at once (each vendor's
relationship row of :class:`sim.agents.PartnerPopulation`). Two rules, applied after
the quarter's recruitment and before effort is split:

* **Portfolio limit** — a partner carries at most ``partners.<type>.portfolio_limit``
  startups; when taking a new one puts it over the limit it keeps those it values
  most (highest utility, :meth:`sim.vendors.VendorAgent.utility`) and drops the rest,
  so taking one vendor can mean dropping another (seed 002: partners take on startups
  to diversify their portfolio, and a line card has room for a few).
* **Trailing offers** — a partner drops a startup whose utility trails the best other
  startup's by ``partners.behavior.drop_threshold`` (logit units) for
  ``drop_after_quarters`` quarters in a row (seed 002: partners "maximise their own
  profitability"; the quarters are the patience of a partner with a worse deal).

A dropped relationship ends (state ``churned``) and the startup takes over the
customers that partner served for it (:func:`sim.sales.hand_over`).
"""

from __future__ import annotations

import numpy as np

from sim import agents as ag

__all__ = ["settle_portfolios"]


def settle_portfolios(startups: list, behavior, services_ratio: float,
                      utilities: list | None = None) -> list[np.ndarray]:
    """Apply the portfolio limit and the trailing-offer rule; returns the partners each startup lost.

    With one startup nothing changes (there is no other startup to compare with).
    ``utilities``: the startups' utilities (:meth:`sim.vendors.VendorAgent.utility`) if
    already computed this quarter.
    """
    lost = [np.empty(0, dtype=np.int64) for _ in startups]
    if len(startups) < 2:
        return lost
    utility = np.array(utilities if utilities is not None else [v.utility(behavior, services_ratio) for v in startups])
    carried = np.array([v.partners.in_states(*ag.PARTNERED_STATES) for v in startups])
    dropped = _over_limit(utility, carried, startups[0].partners.portfolio_limit)
    dropped |= _trailing(startups, utility, carried & ~dropped, behavior)
    for k, vendor in enumerate(startups):
        lost[k] = np.flatnonzero(dropped[k])
        vendor.partners.state[lost[k]] = ag.CHURNED
    return lost


def _over_limit(utility: np.ndarray, carried: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """(startups x partners) mask of relationships dropped to bring each partner within its limit."""
    ranked = np.where(carried, utility, -np.inf)
    order = np.argsort(-ranked, axis=0, kind="stable")  # best first, per partner
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[0])[:, None], axis=0)
    return carried & (rank >= limit[None, :])


def _trailing(startups: list, utility: np.ndarray, carried: np.ndarray, behavior) -> np.ndarray:
    """(startups x partners) mask of relationships whose offer trailed another startup's too long."""
    dropped = np.zeros_like(carried)
    for k, vendor in enumerate(startups):
        best_other = np.delete(utility, k, axis=0).max(axis=0)
        p = vendor.partners
        trails = carried[k] & (utility[k] < best_other - behavior.drop_threshold)
        p.trailing_quarters = np.where(trails, p.trailing_quarters + 1, 0)
        dropped[k] = trails & (p.trailing_quarters >= behavior.drop_after_quarters)
    return dropped
