"""The recorded tables: one row per quarter and one per (quarter, partner), from the quarter's records.

The recorder only records: each quarter it receives the phases' records
(:class:`QuarterFlows`) and the end-of-quarter state, and keeps what the result tables
need; it never calls back into the model or the phases. Revenue is recognised per
customer (a quarter of its contract value) and split by the channel that brought the
customer in (:mod:`sim.revenue`); partners are paid by their commercial model (seed
002 "By Commercial Model") under the vendor's incentive program
(:mod:`sim.incentives`, which says what is paid and when):

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
Partner rows are kept in preallocated (quarters x partners) arrays: the quarterly and
partner tables are columnar because a partner row per Mesa agent per quarter would cost
a Python call per partner, 10^4-10^5 per quarter; vendor-level series use Mesa's
``DataCollector`` (:mod:`sim.model`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import agents as ag
from sim.customers import DIRECT, INFLUENCED, MARKETPLACE, OPPORTUNITY, SOURCED
from sim.incentives import PAYOUT_COMPONENTS
from sim.tiers import RAG

__all__ = ["QuarterFlows", "Recorder", "quarterly_table", "partner_table", "vendor_table"]

PARTNER_COLUMNS = ("state", "revenue_sourced", "revenue_influenced", "pipeline", "payout",
                   "effort_share", "profit", "alignment", "customers", "certified", "mdf_spend")
# Scorecard columns of partners.parquet, in the order of TierBook.score's rows.
SCORE_COLUMNS = ("score", "score_reach", "score_alignment", "score_performance")


@dataclass(frozen=True)
class QuarterFlows:
    """Everything that happened in one quarter: the records of its phases, in order."""

    recruitment: object  # sim.recruitment.Recruitment
    onboarding: object  # sim.enablement.Onboarding
    effort: object  # sim.effort.Effort
    renewals: object  # sim.sales.Renewals
    closes: tuple  # sim.sales.Closed, before and after the new opportunities
    mdf: object  # sim.incentives.MdfSpend
    opened: object  # sim.sales.Opened
    revenue: object  # sim.revenue.Revenue
    payouts: object  # sim.incentives.Payouts
    activity: object  # sim.activity.Activity
    review: object  # sim.tiers.Review
    handover: object  # sim.sales.Handover


class Recorder:
    """Stores every quarter's row and partner rows.

    Args:
        partners: the partner population (its ids, types and two-tier parents label the rows).
        tier_names: the vendor's tier names, entry tier first.
        quarters: the run's horizon (rows are preallocated).
    """

    def __init__(self, partners: ag.PartnerPopulation, tier_names: list[str], quarters: int):
        n = partners.size
        self.partners = partners
        self.tier_names = tier_names
        self.rows: list[dict] = []
        self.vendor_series: list[dict] = []  # the vendor's levers (sim.strategies) and switching customers
        self.partner_data = {
            "state": np.zeros((quarters, n), dtype=np.int8),
            "certified": np.zeros((quarters, n), dtype=bool),
            **{col: np.zeros((quarters, n)) for col in PARTNER_COLUMNS if col not in ("state", "certified")},
        }
        self.tier_data = np.zeros((quarters, n), dtype=np.int16)
        self.rag_data = np.zeros((quarters, n), dtype=np.int8)
        self.score_data = np.zeros((len(SCORE_COLUMNS), quarters, n))

    def record(self, t: int, flows: QuarterFlows, customers, vendor) -> None:
        """Store quarter ``t``'s row and partner rows from its records and the end-of-quarter state."""
        c = customers
        # The vendor's paying customers and open opportunities (ids, ascending); nothing has moved a customer
        # into or out of either since revenue was recognised.
        paying = flows.revenue.paying
        if paying is None:
            paying = np.flatnonzero(c.active_mask(vendor.index))
        pipeline = np.flatnonzero((c.state == OPPORTUNITY) & c.of_vendor(vendor.index))
        self.rows.append(self._quarter_row(t, flows, c, vendor, paying, pipeline))
        self.vendor_series.append({"customers_switched_out": int(flows.renewals.switched.size),
                                   "margin_scale": vendor.program.margin_scale,
                                   "mdf_accrual": vendor.program.mdf_accrual, "price": vendor.price})
        self._store_partners(t, flows, c, vendor, paying, pipeline)

    # ------------------------------------------------------------------ rows
    @staticmethod
    def _deal_counts(flows: QuarterFlows, c) -> dict:
        """New customers, lost opportunities and their value, customer by customer channel."""
        won_value, new_partner = 0.0, 0
        for closed in flows.closes:
            won_value += float(c.contract_value[closed.won].sum())
            new_partner += int((c.channel[closed.won] != DIRECT).sum())
        renewed, churned = flows.renewals.renewed, flows.renewals.churned
        churned_sourced = int((c.channel[churned] == SOURCED).sum())
        opps = flows.opened.opportunities
        return {
            "new_customers": sum(closed.won.size for closed in flows.closes),
            "lost": sum(closed.lost.size for closed in flows.closes),
            "won_value": won_value,
            "new_customers_partner": new_partner,
            "renewals": renewed.size,
            "churned": churned.size,
            "churned_partner_sourced": churned_sourced,
            "renewals_due_partner_sourced": churned_sourced + int((c.channel[renewed] == SOURCED).sum()),
            "opened": opps.ids.size,
            # seed 002 early-stage metric: "Number of Proofs of Concept (POCs) initiated ... through partners"
            "pocs": int(np.count_nonzero((opps.channel == SOURCED) | (opps.channel == INFLUENCED))),
        }

    def _quarter_row(self, t: int, flows: QuarterFlows, c, vendor, paying: np.ndarray, pipeline: np.ndarray) -> dict:
        p = self.partners
        counts = c.counts(vendor.index)
        deals = self._deal_counts(flows, c)
        by_channel = flows.revenue.by_channel
        revenue = float(by_channel.sum())
        parts = flows.payouts.parts.sum(axis=1)
        payouts = float(parts.sum())
        mdf = float(flows.mdf.spend.sum())
        double_bubble = flows.payouts.double_bubble_spend
        enablement = flows.recruitment.cascade_enablement_spend + flows.onboarding.spend + double_bubble
        program_cost = payouts + mdf + enablement
        ecosystem = float(by_channel[[SOURCED, INFLUENCED, MARKETPLACE]].sum())
        new, closed = deals["new_customers"], deals["new_customers"] + deals["lost"]
        in_program = p.in_states(*ag.PARTNERED_STATES)
        by_state = np.bincount(p.state, minlength=len(ag.STATES))
        partnered = int(by_state[list(ag.PARTNERED_STATES)].sum())
        active = int(by_state[ag.ACTIVE])
        row = {
            "quarter": t,
            "revenue": revenue,
            "revenue_direct": float(by_channel[DIRECT]),
            "revenue_partner_sourced": float(by_channel[SOURCED]),
            "revenue_partner_influenced": float(by_channel[INFLUENCED]),
            "revenue_marketplace": float(by_channel[MARKETPLACE]),
            "arr": float(c.contract_value[paying].sum()),  # by ids: the values the mask gives, sooner
            "customers": int(counts[2]),
            "new_customers": new,
            "new_customers_partner": deals["new_customers_partner"],
            "churned_customers": deals["churned"],
            "renewals": deals["renewals"],
            "prospects": int(counts[0]),
            "customers_in_pipeline": int(counts[1]),
            "customers_churned_total": int(counts[3]),
            "partners_recruited": flows.recruitment.recruited,
            "partners_active": active,
            "partners_partnered": partnered,
            "activation_rate": active / partnered if partnered else 0.0,
            "opportunities": deals["opened"],
            "pipeline": float(c.opportunity_value[pipeline].sum()),
            "pocs": deals["pocs"],
            "win_rate": new / closed if closed else np.nan,
            "avg_deal_size": deals["won_value"] / new if new else np.nan,
            "partner_payouts": payouts,
            **{f"payout_{name}": float(parts[i]) for i, name in enumerate(PAYOUT_COMPONENTS)},
            "mdf_spend": mdf,
            "mdf_unspent": float(vendor.program.mdf_balance.sum()),
            "enablement_spend": enablement,
            "double_bubble_spend": double_bubble,
            "program_cost": program_cost,
            "partner_roi": ecosystem / program_cost if program_cost > 0 else np.nan,
            "ecosystem_contribution": ecosystem / revenue if revenue > 0 else 0.0,
            "conflicts": flows.opened.conflicts.disputes,
            "overlapping_claims": flows.opened.conflicts.claims,
            "churned_partner_sourced": deals["churned_partner_sourced"],
            "renewals_due_partner_sourced": deals["renewals_due_partner_sourced"],
            "partners_exited": int(flows.review.exited.size),
            "customers_handed_over": int(flows.handover.customers.size),
            "vendor_net_revenue": revenue - payouts,
            "stage": vendor.stage,
            "product_readiness": vendor.readiness,
            "routes_active": vendor.routes_active,
            "route_quality": vendor.route_quality,
        }
        for i, state in enumerate(ag.STATES):
            row[f"partners_{state}"] = int(by_state[i])
        for name, count in zip(self.tier_names, vendor.tiers.counts(in_program), strict=True):
            row[f"tier_{name}"] = int(count)
        rag = vendor.tiers.rag[in_program]
        for i, colour in enumerate(RAG):
            row[f"partners_{colour}"] = int((rag == i).sum())
        return row

    def _store_partners(self, t: int, flows: QuarterFlows, c, vendor, paying: np.ndarray,
                        pipeline: np.ndarray) -> None:
        p = self.partners
        q = t - 1
        in_pipeline = pipeline[c.partner[pipeline] >= 0]
        served = paying[c.partner[paying] >= 0]
        payout = flows.payouts.per_partner
        d = self.partner_data
        d["state"][q] = p.state
        d["certified"][q] = p.certified
        d["revenue_sourced"][q] = flows.revenue.partner_revenue[0]
        d["revenue_influenced"][q] = flows.revenue.partner_revenue[1]
        d["pipeline"][q] = np.bincount(c.partner[in_pipeline], weights=c.opportunity_value[in_pipeline],
                                       minlength=p.size)
        d["payout"][q] = payout
        d["effort_share"][q] = p.effort_share
        d["profit"][q] = payout + flows.revenue.services_revenue
        d["alignment"][q] = p.alignment
        d["customers"][q] = np.bincount(c.partner[served], minlength=p.size)
        d["mdf_spend"][q] = flows.mdf.spend
        self.tier_data[q] = vendor.tiers.tier
        self.rag_data[q] = vendor.tiers.rag
        self.score_data[:, q] = vendor.tiers.score

    # ------------------------------------------------------------------ tables
    def quarterly_frame(self) -> pd.DataFrame:
        """One row per quarter."""
        return pd.DataFrame(self.rows)

    def partner_frame(self) -> pd.DataFrame:
        """One row per (quarter, partner), in the contract's columns."""
        p = self.partners
        quarters = len(self.rows)
        n = p.size
        d = {k: v[:quarters].ravel() for k, v in self.partner_data.items()}
        code = d.pop("state")
        state = np.array(ag.STATES, dtype=object)[code]
        partnered = np.isin(code, ag.PARTNERED_STATES)
        tier = np.array(self.tier_names, dtype=object)[self.tier_data[:quarters].ravel()]
        rag = np.array(RAG + (None,), dtype=object)[self.rag_data[:quarters].ravel()]  # -1 (not scored): missing
        scores = {col: np.where(partnered, self.score_data[i, :quarters].ravel(), np.nan)
                  for i, col in enumerate(SCORE_COLUMNS)}
        frame = pd.DataFrame({
            "quarter": np.repeat(np.arange(1, quarters + 1), n),
            "partner_id": np.tile(np.arange(n), quarters),
            "partner_type": np.tile(p.type_names, quarters),
            "state": state,
            "tier": np.where(partnered, tier, None),
            **scores,
            "rag": np.where(partnered, rag, None),
            **d,
            "parent_id": pd.array(np.tile(np.where(p.parent >= 0, p.parent, -1), quarters), dtype="Int64"),
        })
        frame.loc[frame["parent_id"] < 0, "parent_id"] = pd.NA
        if p.roster_id is not None:  # the company's own id of each partner of its roster (sim/roster.py)
            frame.insert(2, "roster_id", np.tile(p.roster_id, quarters))
        frame["customers"] = frame["customers"].astype(np.int64)
        return frame


# --------------------------------------------------------------------------- several vendors
VENDOR_COLUMNS = ("customers", "new_customers", "churned_customers", "revenue", "revenue_partner_sourced",
                  "program_cost", "partners_partnered")


def quarterly_table(recorders: dict[str, Recorder]) -> pd.DataFrame:
    """The quarterly table: one vendor's rows as they are, several vendors' in long form with a ``vendor`` column."""
    if len(recorders) == 1:
        return next(iter(recorders.values())).quarterly_frame()
    frame = pd.concat([r.quarterly_frame().assign(vendor=name) for name, r in recorders.items()], ignore_index=True)
    frame = frame.sort_values(["quarter", "vendor"], kind="stable")
    return frame[["quarter", "vendor", *[c for c in frame if c not in ("quarter", "vendor")]]].reset_index(drop=True)


def partner_table(recorders: dict[str, Recorder]) -> pd.DataFrame:
    """The partners table: one row per (quarter, partner), and per vendor when there are several."""
    if len(recorders) == 1:
        return next(iter(recorders.values())).partner_frame()
    frames = [r.partner_frame().assign(vendor=name) for name, r in recorders.items()]
    frame = pd.concat(frames, ignore_index=True).sort_values(["quarter", "partner_id", "vendor"], kind="stable")
    columns = ["quarter", "partner_id", "vendor", *[c for c in frame if c not in ("quarter", "partner_id", "vendor")]]
    return frame[columns].reset_index(drop=True)


def vendor_table(recorders: dict[str, Recorder]) -> pd.DataFrame:
    """One row per (quarter, vendor): its customers and market share, flows, partners and share of partner effort.

    ``market_share`` is the vendor's share of all startups' paying customers;
    ``effort_share`` its share of all partners' selling capacity (effort share x
    sellers, summed over partners, over all partners' sellers);
    ``customers_switched_out`` renewing customers it lost to another vendor;
    ``margin_scale``, ``mdf_accrual`` and ``price`` are its levers that quarter
    (:mod:`sim.strategies`).
    """
    rows = []
    for name, r in recorders.items():
        quarterly = r.quarterly_frame()
        sellers = r.partners.sellers
        quarters = len(r.rows)
        effort = r.partner_data["effort_share"][:quarters] @ sellers / max(sellers.sum(), 1e-12)
        rows.append(quarterly[["quarter", *VENDOR_COLUMNS]].rename(columns={"partners_partnered": "partners_carrying"})
                    .assign(vendor=name, effort_share=effort, **pd.DataFrame(r.vendor_series)))
    table = pd.concat(rows, ignore_index=True)
    total = table.groupby("quarter")["customers"].transform("sum")
    table.insert(3, "market_share", np.where(total > 0, table["customers"] / total.where(total > 0, 1), 0.0))
    return table[["quarter", "vendor", *[c for c in table if c not in ("quarter", "vendor")]]]
