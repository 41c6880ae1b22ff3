"""Per-quarter accounting: revenue recognition, partner payouts and the recorded tables.

The recorder is the model's ledger. Revenue is recognised per customer (a quarter of
its contract value) and split by the channel that brought the customer in; partners
are paid by their commercial model (seed 002 "By Commercial Model") under the
incentive program (:mod:`sim.incentives`, which says what is paid and when):

* resell partners keep their discount (``margin``) on the revenue of the customers
  they sourced, and a two-tier reseller's distributor keeps its distribution margin
  on the same revenue;
* referral partners earn their fee on first-year contract value;
* marketplaces keep their listing fee on every transaction they carry;
* a partner that influenced (co-sold) a deal it did not source earns the program's
  co-sell fee of first-year value;
* registration bonuses, first-win and certification bonuses and retention rebates
  when the program has them.

Payouts are kept by component (``payout_margin``, ``payout_referral``,
``payout_deal_registration``, ``payout_bonus``, ``payout_rebate``), which sum to
``partner_payouts``. So every quarter ``revenue == vendor_net_revenue +
partner_payouts`` and ``program_cost == partner_payouts + mdf_spend +
enablement_spend`` hold exactly. ``enablement_spend`` is what the vendor spends to
get partner deals sold besides paying partners: onboarding and certification, the
share of cascaded reseller enablement and, under a double bubble, direct reps'
commission on partner deals (also reported alone as ``double_bubble_spend``, 0
without a double bubble).
Partner rows are kept in preallocated (quarters x partners) arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim import agents as ag
from sim.customers import CHANNELS, DIRECT, INFLUENCED, MARKETPLACE, OPPORTUNITY, SOURCED
from sim.incentives import PAYOUT_COMPONENTS
from sim.tiers import RAG

__all__ = ["Recorder"]

PARTNER_COLUMNS = ("state", "revenue_sourced", "revenue_influenced", "pipeline", "payout",
                   "effort_share", "profit", "alignment", "customers", "certified", "mdf_spend")
# Scorecard columns of partners.parquet, in the order of TierBook.score's rows.
SCORE_COLUMNS = ("score", "score_reach", "score_alignment", "score_performance")


class Recorder:
    """Accumulates one quarter's flows and stores every quarter's rows."""

    def __init__(self, model, quarters: int):
        self.model = model
        n = model.partners.size
        self.rows: list[dict] = []
        self.partner_data = {
            "state": np.zeros((quarters, n), dtype=np.int8),
            "certified": np.zeros((quarters, n), dtype=bool),
            **{col: np.zeros((quarters, n)) for col in PARTNER_COLUMNS if col not in ("state", "certified")},
        }
        self.tier_data = np.zeros((quarters, n), dtype=np.int16)
        self.rag_data = np.zeros((quarters, n), dtype=np.int8)
        self.score_data = np.zeros((len(SCORE_COLUMNS), quarters, n))
        self.start_quarter()

    # ------------------------------------------------------------------ flows
    def start_quarter(self) -> None:
        """Reset the quarter's accumulators."""
        n = self.model.partners.size
        self.enablement_spend = self.double_bubble_spend = 0.0
        self.payout_parts = np.zeros((len(PAYOUT_COMPONENTS), n))
        self.mdf_spend = np.zeros(n)
        self.partner_deals = np.zeros((4, n))  # won, lost, renewed, churned (customers of each partner)
        self.partners_exited = self.churned_partner_sourced = self.renewals_due_partner_sourced = 0
        self.partner_opportunities = np.zeros(n, dtype=np.int64)
        self.revenue_by_channel = np.zeros(len(CHANNELS))
        self.partner_revenue = np.zeros((2, n))
        self.services_revenue = np.zeros(n)
        self.new_customers = self.new_customers_partner = self.lost = self.opened = self.pocs = self.conflicts = 0
        self.renewals = self.churned = 0
        self.won_value = 0.0

    @property
    def payout(self) -> np.ndarray:
        """This quarter's payout per partner, all components."""
        return self.payout_parts.sum(axis=0)

    def note_renewals(self, renewed: np.ndarray, churned: np.ndarray) -> None:
        """Count this quarter's renewals and churned customers, per partner too; pay rebates."""
        c = self.model.customers
        self.renewals += renewed.size
        self.churned += churned.size
        self._count_by_partner(2, renewed)
        self._count_by_partner(3, churned)
        churned_sourced = int((c.channel[churned] == SOURCED).sum())
        self.churned_partner_sourced += churned_sourced
        self.renewals_due_partner_sourced += churned_sourced + int((c.channel[renewed] == SOURCED).sum())
        self.model.incentives.rebate(renewed, self._pay)

    def _count_by_partner(self, row: int, ids: np.ndarray) -> None:
        partner = self.model.customers.partner[ids]
        self.partner_deals[row] += np.bincount(partner[partner >= 0], minlength=self.partner_deals.shape[1])

    def note_mdf(self, spend: np.ndarray) -> None:
        """Record MDF spent on demand generation this quarter, per partner."""
        self.mdf_spend += spend

    def note_opened(self, opps, value: np.ndarray, conflicts: int) -> None:
        """Count new opportunities, partner-run evaluations (POCs) and conflicts."""
        p = self.model.partners
        self.opened += opps.ids.size
        with_partner = opps.partner >= 0
        self.partner_opportunities += np.bincount(opps.partner[with_partner], minlength=p.size)
        # seed 002 early-stage metric: "Number of Proofs of Concept (POCs) initiated ... through partners"
        self.pocs += int(np.count_nonzero((opps.channel == SOURCED) | (opps.channel == INFLUENCED)))
        self.conflicts += conflicts

    def note_closed(self, won: np.ndarray, lost: np.ndarray) -> None:
        """Count closed deals; the incentive program books their first-year pay."""
        c = self.model.customers
        self.new_customers += won.size
        self.lost += lost.size
        value = c.contract_value[won]
        self.won_value += float(value.sum())
        self.new_customers_partner += int((c.channel[won] != DIRECT).sum())
        self._count_by_partner(0, won)
        self._count_by_partner(1, lost)
        self.double_bubble_spend += self.model.incentives.book(won, self._pay)

    def _pay(self, component: int, partner_ids: np.ndarray, amounts: np.ndarray) -> None:
        """Pay ``amounts`` to ``partner_ids`` under payout ``component`` (PAYOUT_COMPONENTS index)."""
        self.payout_parts[component] += np.bincount(partner_ids, weights=amounts,
                                                    minlength=self.payout_parts.shape[1])

    def pay_and_recognise(self, t: int) -> None:
        """Recognise the quarter's revenue by channel and pay partners under the program."""
        c, p = self.model.customers, self.model.partners
        earning, revenue = c.quarterly_revenue()
        self.revenue_by_channel = np.bincount(c.channel[earning], weights=revenue, minlength=len(CHANNELS))
        with_partner = c.partner[earning] >= 0
        paying, amount = earning[with_partner], revenue[with_partner]
        partner, channel = c.partner[paying], c.channel[paying]
        sourced_like = (channel == SOURCED) | (channel == MARKETPLACE)
        self.partner_revenue[0] = np.bincount(partner[sourced_like], weights=amount[sourced_like],
                                              minlength=p.size)
        influenced = channel == INFLUENCED
        self.partner_revenue[1] = np.bincount(partner[influenced], weights=amount[influenced], minlength=p.size)
        services = c.services[paying]
        self.services_revenue = np.bincount(partner[services], minlength=p.size,
                                            weights=amount[services] * self.model.config.market.services_ratio)
        self.model.incentives.pay_quarter(t, paying, amount, self.partner_revenue.sum(axis=0), self._pay)

    # ------------------------------------------------------------------ rows
    def end_quarter(self, t: int, recruited: int) -> None:
        """Store the quarter's row and partner rows."""
        self.rows.append(self._quarter_row(t, recruited))
        self._store_partners(t)

    def _quarter_row(self, t: int, recruited: int) -> dict:
        m = self.model
        c, p = m.customers, m.partners
        counts = c.counts()
        revenue = float(self.revenue_by_channel.sum())
        parts = self.payout_parts.sum(axis=1)
        payouts = float(parts.sum())
        mdf = float(self.mdf_spend.sum())
        enablement = self.enablement_spend + self.double_bubble_spend
        program_cost = payouts + mdf + enablement
        ecosystem = float(self.revenue_by_channel[[SOURCED, INFLUENCED, MARKETPLACE]].sum())
        closed = self.new_customers + self.lost
        partnered = int(p.in_states(*ag.PARTNERED_STATES).sum())
        active = int((p.state == ag.ACTIVE).sum())
        in_pipeline = c.state == OPPORTUNITY
        row = {
            "quarter": t,
            "revenue": revenue,
            "revenue_direct": float(self.revenue_by_channel[DIRECT]),
            "revenue_partner_sourced": float(self.revenue_by_channel[SOURCED]),
            "revenue_partner_influenced": float(self.revenue_by_channel[INFLUENCED]),
            "revenue_marketplace": float(self.revenue_by_channel[MARKETPLACE]),
            "arr": float(c.contract_value[c.active_mask()].sum()),
            "customers": int(counts[2]),
            "new_customers": self.new_customers,
            "new_customers_partner": self.new_customers_partner,
            "churned_customers": self.churned,
            "renewals": self.renewals,
            "prospects": int(counts[0]),
            "customers_in_pipeline": int(counts[1]),
            "customers_churned_total": int(counts[3]),
            "partners_recruited": recruited,
            "partners_active": active,
            "partners_partnered": partnered,
            "activation_rate": active / partnered if partnered else 0.0,
            "opportunities": self.opened,
            "pipeline": float(c.opportunity_value[in_pipeline].sum()),
            "pocs": self.pocs,
            "win_rate": self.new_customers / closed if closed else np.nan,
            "avg_deal_size": self.won_value / self.new_customers if self.new_customers else np.nan,
            "partner_payouts": payouts,
            **{f"payout_{name}": float(parts[i]) for i, name in enumerate(PAYOUT_COMPONENTS)},
            "mdf_spend": mdf,
            "mdf_unspent": float(m.incentives.mdf_balance.sum()),
            "enablement_spend": enablement,
            "double_bubble_spend": self.double_bubble_spend,
            "program_cost": program_cost,
            "partner_roi": ecosystem / program_cost if program_cost > 0 else np.nan,
            "ecosystem_contribution": ecosystem / revenue if revenue > 0 else 0.0,
            "conflicts": self.conflicts,
            "churned_partner_sourced": self.churned_partner_sourced,
            "renewals_due_partner_sourced": self.renewals_due_partner_sourced,
            "partners_exited": self.partners_exited,
            "vendor_net_revenue": revenue - payouts,
            "stage": m.stage,
            "product_readiness": m.readiness,
            "routes_active": m.routes_active,
            "route_quality": m.route_quality,
        }
        for i, state in enumerate(ag.STATES):
            row[f"partners_{state}"] = int((p.state == i).sum())
        in_program = p.in_states(*ag.PARTNERED_STATES)
        for name, count in zip(m.tiers.names, m.tiers.counts(in_program), strict=True):
            row[f"tier_{name}"] = int(count)
        rag = m.tiers.rag[in_program]
        for i, colour in enumerate(RAG):
            row[f"partners_{colour}"] = int((rag == i).sum())
        return row

    def _store_partners(self, t: int) -> None:
        m = self.model
        c, p = m.customers, m.partners
        q = t - 1
        in_pipeline = np.flatnonzero((c.state == OPPORTUNITY) & (c.partner >= 0))
        served = np.flatnonzero(c.active_mask() & (c.partner >= 0))
        d = self.partner_data
        d["state"][q] = p.state
        d["certified"][q] = p.certified
        d["revenue_sourced"][q] = self.partner_revenue[0]
        d["revenue_influenced"][q] = self.partner_revenue[1]
        d["pipeline"][q] = np.bincount(c.partner[in_pipeline], weights=c.opportunity_value[in_pipeline],
                                       minlength=p.size)
        d["payout"][q] = self.payout
        d["effort_share"][q] = p.effort_share
        d["profit"][q] = self.payout + self.services_revenue
        d["alignment"][q] = p.alignment
        d["customers"][q] = np.bincount(c.partner[served], minlength=p.size)
        d["mdf_spend"][q] = self.mdf_spend
        self.tier_data[q] = m.tiers.tier
        self.rag_data[q] = m.tiers.rag
        self.score_data[:, q] = m.tiers.score

    # ------------------------------------------------------------------ tables
    def quarterly_frame(self) -> pd.DataFrame:
        """One row per quarter."""
        return pd.DataFrame(self.rows)

    def partner_frame(self) -> pd.DataFrame:
        """One row per (quarter, partner), in the contract's columns."""
        m = self.model
        p = m.partners
        quarters = len(self.rows)
        n = p.size
        d = {k: v[:quarters].ravel() for k, v in self.partner_data.items()}
        code = d.pop("state")
        state = np.array(ag.STATES, dtype=object)[code]
        partnered = np.isin(code, ag.PARTNERED_STATES)
        tier = np.array(m.tiers.names, dtype=object)[self.tier_data[:quarters].ravel()]
        rag = np.array(RAG + ("",), dtype=object)[self.rag_data[:quarters].ravel()]  # -1 (not scored) -> ""
        scores = {col: np.where(partnered, self.score_data[i, :quarters].ravel(), np.nan)
                  for i, col in enumerate(SCORE_COLUMNS)}
        frame = pd.DataFrame({
            "quarter": np.repeat(np.arange(1, quarters + 1), n),
            "partner_id": np.tile(np.arange(n), quarters),
            "partner_type": np.tile(p.type_names, quarters),
            "state": state,
            "tier": np.where(partnered, tier, ""),
            **scores,
            "rag": np.where(partnered, rag, ""),
            **d,
            "parent_id": pd.array(np.tile(np.where(p.parent >= 0, p.parent, -1), quarters), dtype="Int64"),
        })
        frame.loc[frame["parent_id"] < 0, "parent_id"] = pd.NA
        frame["customers"] = frame["customers"].astype(np.int64)
        return frame
