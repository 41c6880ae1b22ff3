"""The customer population: one entry per customer in numpy arrays, updated per quarter.

Customers are far too many to be Python objects, so their state is a set of arrays
indexed by graph node. Every customer is in exactly one state (``prospect``,
``opportunity``, ``active``, ``churned``), so customers are conserved by construction.

Rules in this module, each with its source:

* :meth:`CustomerPopulation.peer_adopted_share` — word of mouth: the share of a
  customer's peers who are customers (Bass 1969 imitation term; on a graph, as in
  network diffusion models such as Delre et al. 2007).
Random draws are one per customer, indexed by customer id (:class:`sim.draws.Draws`):
given the same stream, a customer meets the same draw whatever happened to the
others, so runs that differ only in program design keep common random numbers
(:meth:`sim.model.EcosystemModel.stream`).

* :meth:`CustomerPopulation.renew` — annual renewals; churn by segment, lowered for
  customers with partner services attached (seed 002: services wraps "increase
  stickiness"; SI-delivered deals are stickier, case study 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.draws import Draws
from sim.network import FlaggedCount
from sim.partner_types import SEGMENTS

__all__ = ["CUSTOMER_STATES", "CHANNELS", "CustomerPopulation", "Segments"]

CUSTOMER_STATES: tuple[str, ...] = ("prospect", "opportunity", "active", "churned")
PROSPECT, OPPORTUNITY, ACTIVE, CHURNED = range(len(CUSTOMER_STATES))

# Who brought the customer in (DESIGN.md revenue columns).
CHANNELS: tuple[str, ...] = ("direct", "partner_sourced", "partner_influenced", "marketplace")
DIRECT, SOURCED, INFLUENCED, MARKETPLACE = range(len(CHANNELS))

QUARTERS_PER_YEAR = 4


@dataclass(frozen=True)
class Segments:
    """The market's deal terms per customer segment (in ``SEGMENTS`` order; 0 for an absent segment)."""

    share: np.ndarray  # share of customers
    value: np.ndarray  # mean first-year contract value
    cycle: np.ndarray  # sales cycle, quarters
    win: np.ndarray  # base win rate
    churn: np.ndarray  # annual churn

    @classmethod
    def from_market(cls, market, product: dict | None = None) -> Segments:
        """Read the scenario's ``market.segments``, with a vendor's ``product`` terms over them.

        Args:
            market: the scenario's ``market`` section.
            product: per segment, the fields of a vendor's product that differ from the market's.
        """
        product = product or {}

        def column(field: str, dtype=float) -> np.ndarray:
            return np.array([product.get(s, {}).get(field, getattr(market.segments[s], field))
                             if s in market.segments else 0.0 for s in SEGMENTS], dtype=dtype)

        return cls(column("share"), column("annual_contract_value"), column("sales_cycle_quarters", int),
                   column("win_rate"), column("annual_churn"))


class CustomerPopulation:
    """Customer state arrays and the vectorised rules that update them."""

    def __init__(self, segment: np.ndarray, peers: sp.csr_matrix | None, fully_mixed: bool, vendors: int = 1):
        n = segment.size
        self.size = n
        self.vendors = vendors
        self.segment = segment.astype(np.int8)
        self.peers = peers
        self.fully_mixed = fully_mixed
        # The graph is 0/1, so a row's stored entries are its peers.
        degree = None if peers is None else np.diff(peers.indptr).astype(np.float32)
        self.inverse_degree = None if degree is None else np.divide(1.0, degree, out=np.zeros(n), where=degree > 0)
        # peers @ (customers of vendor v), kept current incrementally (the graph is symmetric: columns = rows).
        self._adopted_peers = None if peers is None else [FlaggedCount(peers, peers) for _ in range(vendors)]
        self.state = np.zeros(n, dtype=np.int8)
        self.vendor = np.full(n, -1, dtype=np.int8)  # the vendor of a customer or open opportunity
        self.channel = np.zeros(n, dtype=np.int8)
        self.partner = np.full(n, -1, dtype=np.int64)
        self.contract_value = np.zeros(n)
        self.start_quarter = np.full(n, -1, dtype=np.int64)
        self.services = np.zeros(n, dtype=bool)
        self.churn_multiplier = np.ones(n)
        self.fit = np.ones(n)  # churn multiplier from how well the deal was qualified (sim.incentives)
        # The open opportunity of each customer (at most one); when it closes is in _closing.
        self.win_prob = np.zeros(n)
        self.opportunity_value = np.zeros(n)
        self._closing: dict[int, list[np.ndarray]] = {}  # quarter -> ids of opportunities closing then
        self._active_total = np.zeros(vendors, dtype=np.int64)  # paying customers per vendor, as of the refresh

    # ------------------------------------------------------------------ queries
    def active_mask(self, vendor: int | None = None) -> np.ndarray:
        """Boolean mask of paying customers (of ``vendor``, or of any vendor)."""
        active = self.state == ACTIVE
        return active if vendor is None or self.vendors == 1 else active & (self.vendor == vendor)

    def of_vendor(self, vendor: int) -> np.ndarray | bool:
        """Mask of customers dealing with ``vendor`` (``True`` when there is one vendor)."""
        return True if self.vendors == 1 else self.vendor == vendor

    def counts(self, vendor: int | None = None) -> np.ndarray:
        """Customers per state; for a vendor, its pipeline, customers and former customers.

        Without a vendor the counts sum to the population size (every customer is in
        exactly one state); prospects belong to no vendor, so a vendor's count of
        prospects is all of them.
        """
        if vendor is None or self.vendors == 1:
            # One count per state: bincount would first copy the int8 states to int64.
            return np.array([np.count_nonzero(self.state == s) for s in range(len(CUSTOMER_STATES))])
        mine = self.vendor == vendor
        return np.array([np.count_nonzero(self.state == PROSPECT)]
                        + [np.count_nonzero((self.state == s) & mine) for s in (OPPORTUNITY, ACTIVE, CHURNED)])

    def refresh_word_of_mouth(self) -> None:
        """Count every customer's paying peers from the current states (once per quarter).

        :meth:`peer_adopted_share` reads these counts, so it can be asked block by block.
        """
        for v in range(self.vendors):
            active = self.active_mask(v)
            if self.fully_mixed:
                self._active_total[v] = np.count_nonzero(active)
            elif self.peers is not None:
                self._adopted_peers[v].update(active)  # peers @ active, updated incrementally

    def peer_adopted_share(self, ids: np.ndarray | slice, vendor: int = 0) -> np.ndarray:
        """Share of the peers of customers ``ids`` (ids or a slice) who are ``vendor``'s paying customers (``f_i``).

        As of the last :meth:`refresh_word_of_mouth`. ``complete``: fully mixed,
        f_i = adopted others / (N - 1), computed in O(N) without building N^2 edges.
        No graph (``none``): f_i = 0.
        """
        if self.fully_mixed:
            own = self.state[ids] == ACTIVE
            if self.vendors > 1:
                own &= self.vendor[ids] == vendor
            return (int(self._active_total[vendor]) - own) / max(self.size - 1, 1)
        if self.peers is None:
            return np.zeros(self.state[ids].size)
        return self._adopted_peers[vendor].counts[ids] * self.inverse_degree[ids]

    def quarterly_revenue(self, vendor: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``vendor``'s paying customers (ids, ascending) and the revenue each brings this quarter.

        A quarter of the annual contract value.
        """
        paying = np.flatnonzero(self.active_mask(vendor))
        return paying, self.contract_value[paying] / QUARTERS_PER_YEAR

    # ------------------------------------------------------------------ updates
    def open_opportunities(self, ids, quarter, close_quarter, win_prob, value, channel, partner,
                           fit=1.0, vendor: int = 0) -> None:
        """Move prospects ``ids`` into ``vendor``'s pipeline with the given deal terms and fit."""
        self.state[ids] = OPPORTUNITY
        self.vendor[ids] = vendor
        close = np.maximum(close_quarter, quarter)
        for due in np.unique(close).tolist():
            self._closing.setdefault(due, []).append(ids[close == due])
        self.win_prob[ids] = win_prob
        self.opportunity_value[ids] = value
        self.channel[ids] = channel
        self.partner[ids] = partner
        self.fit[ids] = fit

    def close_due(self, quarter: int, draws: Draws) -> tuple[np.ndarray, ...]:
        """Resolve opportunities closing this quarter: won ones become customers.

        Returns:
            (won ids, lost ids, the partner each lost opportunity was credited to, -1
            for none, and its vendor). Lost opportunities return to the prospect pool.
        """
        due = np.concatenate(self._closing.pop(quarter, []) or [np.empty(0, dtype=np.int64)])
        won_mask = draws.uniform(due) < self.win_prob[due]
        won, lost = due[won_mask], due[~won_mask]
        lost_partner, lost_vendor = self.partner[lost], self.vendor[lost]
        self.state[won] = ACTIVE
        self.contract_value[won] = self.opportunity_value[won]
        self.start_quarter[won] = quarter
        self.state[lost] = PROSPECT
        self.vendor[lost] = -1
        self.channel[lost] = DIRECT
        self.partner[lost] = -1
        return won, lost, lost_partner, lost_vendor

    def attach_services(self, ids: np.ndarray, attach_prob: np.ndarray, retention_effect: np.ndarray,
                        draws: Draws) -> None:
        """Attach partner services to new customers; attached customers churn less.

        The churn multiplier is the deal's fit times the services effect.
        """
        attached = draws.uniform(ids) < attach_prob
        self.services[ids] = attached
        self.churn_multiplier[ids] = self.fit[ids] * np.where(attached, 1.0 - retention_effect, 1.0)

    def release(self, partner_ids: np.ndarray, vendor: int = 0) -> np.ndarray:
        """Hand over to ``vendor`` the customers and open opportunities of partners that left it.

        The stated rule for a partner that churns or is exited: from the next quarter its
        customers and open opportunities are the vendor's direct business (channel
        ``direct``, no partner): the partner earns nothing more on them, their revenue
        counts as direct revenue, and the partner's services wrap ends, so a
        services-attached customer loses its retention effect and churns at its
        segment's rate again (times its deal fit).

        Returns:
            The ids of the customers handed over.
        """
        if partner_ids.size == 0:
            return np.empty(0, dtype=np.int64)
        # Whether each customer's partner left: a table over partner ids (no partner, -1, reads its last, False, entry).
        left = np.zeros(int(partner_ids.max()) + 2, dtype=bool)
        left[partner_ids] = True
        mine = left[np.minimum(self.partner, left.size - 1)]
        if self.vendors > 1:
            mine &= self.vendor == vendor
        ids = np.flatnonzero(mine)
        self.partner[ids] = -1
        self.channel[ids] = DIRECT
        self.services[ids] = False
        self.churn_multiplier[ids] = self.fit[ids]
        return ids

    def switch(self, quarter: int, renewed: np.ndarray, switching_cost: float, draws: Draws) -> np.ndarray:
        """Renewing customers that reconsider move to the vendor their peers use, with several vendors.

        A renewing customer reconsiders with probability ``1 - switching_cost``; it then
        picks a vendor in proportion to its peers who are each vendor's customers (as
        of the last word-of-mouth count), and switches if that is another vendor. The
        new vendor serves it directly from a new contract (no partner, no services).

        Returns:
            The ids of the customers who switched.
        """
        if self.vendors == 1 or renewed.size == 0:
            return np.empty(0, dtype=np.int64)
        peers = np.array([self.peer_adopted_share(renewed, v) for v in range(self.vendors)])
        total = peers.sum(axis=0)
        reconsider = (draws.uniform(renewed) >= switching_cost) & (total > 0)
        cumulative = np.cumsum(peers, axis=0)
        pick = (draws.uniform(renewed)[None, :] * total >= cumulative).sum(axis=0)
        moved = reconsider & (np.minimum(pick, self.vendors - 1) != self.vendor[renewed])
        ids = renewed[moved]
        self.vendor[ids] = np.minimum(pick, self.vendors - 1)[moved]
        self.start_quarter[ids] = quarter
        self.partner[ids] = -1
        self.channel[ids] = DIRECT
        self.services[ids] = False
        self.churn_multiplier[ids] = self.fit[ids]
        return ids

    def renew(self, quarter: int, annual_churn: np.ndarray, expansion: float,
              draws: Draws, churn_enabled: bool) -> tuple[np.ndarray, np.ndarray]:
        """Annual renewals: customers at a contract anniversary renew or churn.

        Churn probability is the annual churn of the customer's vendor's product in its
        segment (``annual_churn``: vendors x segments) times the customer's churn
        multiplier (below 1 with services attached). Renewing services-attached
        customers expand their contract by ``expansion``.

        Returns:
            (renewed ids, churned ids).
        """
        active = np.flatnonzero(self.active_mask())
        tenure = quarter - self.start_quarter[active]
        due = active[(tenure > 0) & (tenure % QUARTERS_PER_YEAR == 0)]
        if churn_enabled:
            p_churn = annual_churn[self.vendor[due], self.segment[due]] * self.churn_multiplier[due]
            churn_mask = draws.uniform(due) < p_churn
        else:
            churn_mask = np.zeros(due.size, dtype=bool)
        churned, renewed = due[churn_mask], due[~churn_mask]
        self.state[churned] = CHURNED
        grow = renewed[self.services[renewed]]
        self.contract_value[grow] *= 1.0 + expansion
        return renewed, churned
