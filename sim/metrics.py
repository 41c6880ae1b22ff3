"""Metrics over the tidy result tables: plain functions over pandas frames.

Each function takes the tables a run writes (``quarterly``: one row per replication
and quarter; ``partners``: one row per replication, quarter and partner) and returns
a number, a Series or a frame. Nothing here runs the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit

__all__ = [
    "KEY_METRICS",
    "FLOW_METRICS",
    "mean_interval",
    "summarise",
    "flywheel_quarter",
    "add_derived",
]

# The metrics a strategist reads first (printed after every run).
KEY_METRICS = (
    "revenue", "arr", "customers", "new_customers", "churned_customers", "revenue_partner_sourced",
    "revenue_partner_influenced", "revenue_marketplace", "ecosystem_contribution", "partners_partnered",
    "partners_active", "activation_rate", "win_rate", "avg_deal_size", "conflicts", "program_cost",
    "partner_roi", "vendor_net_revenue",
)

# Flows whose total over the run is meaningful (summed per replication in the summary).
FLOW_METRICS = (
    "revenue", "revenue_direct", "revenue_partner_sourced", "revenue_partner_influenced",
    "revenue_marketplace", "new_customers", "churned_customers", "partners_recruited", "pocs",
    "conflicts", "partner_payouts", "mdf_spend", "enablement_spend", "program_cost", "vendor_net_revenue",
    "payout_margin", "payout_referral", "payout_deal_registration", "payout_bonus", "payout_rebate",
    "double_bubble_spend", "churned_partner_sourced", "renewals_due_partner_sourced", "partners_exited",
)


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval of independent replications.

    Examples:
        >>> mean_interval([1.0, 2.0, 3.0])
        (2.0, -0.484..., 4.484...)
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if x.size < 2:
        return (mean, mean, mean)
    # stdtrit is the Student-t quantile that scipy.stats.t.ppf computes, without importing scipy.stats
    half = float(stdtrit(x.size - 1, 0.5 + confidence / 2) * x.std(ddof=1) / np.sqrt(x.size))
    return (mean, mean - half, mean + half)


def flywheel_quarter(quarterly: pd.DataFrame, threshold: float = 0.5) -> pd.Series:
    """First quarter, per replication, when partner-led revenue exceeds ``threshold`` of revenue.

    Partner-led is partner-sourced plus influenced: the self-sustaining ecosystem of seed
    002's "mature ecosystem flywheel". NaN where it never happens.
    """
    share = (quarterly["revenue_partner_sourced"] + quarterly["revenue_partner_influenced"]) / \
        quarterly["revenue"].where(quarterly["revenue"] > 0)
    crossed = quarterly.assign(_crossed=share > threshold)
    first = crossed[crossed["_crossed"]].groupby("replication")["quarter"].min()
    return first.reindex(sorted(quarterly["replication"].unique())).astype(float)


def add_derived(quarterly: pd.DataFrame) -> pd.DataFrame:
    """Add the flywheel loop measures (DESIGN.md: "measure the loop").

    New customers per active partner, and new partners per new customer.
    """
    q = quarterly.copy()
    q["new_customers_per_active_partner"] = q["new_customers"] / q["partners_active"].where(
        q["partners_active"] > 0)
    q["new_partners_per_new_customer"] = q["partners_recruited"] / q["new_customers"].where(
        q["new_customers"] > 0)
    return q


def summarise(quarterly: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per metric: final-quarter mean and interval across replications, plus run totals.

    Returns a frame with columns ``metric``, ``statistic`` (``final_quarter`` or
    ``total``), ``mean``, ``ci_low``, ``ci_high``, ``replications``; with several
    vendors (a ``vendor`` column), one block per vendor with a ``vendor`` column.
    """
    if "vendor" in quarterly:
        blocks = [summarise(rows.drop(columns="vendor"), confidence).assign(vendor=name)
                  for name, rows in quarterly.groupby("vendor", sort=True)]
        summary = pd.concat(blocks, ignore_index=True)
        return summary[["vendor", *[c for c in summary if c != "vendor"]]]
    last = quarterly[quarterly["quarter"] == quarterly["quarter"].max()]
    rows = []
    numeric = [c for c in quarterly.columns
               if c not in ("replication", "quarter", "seed") and pd.api.types.is_numeric_dtype(quarterly[c])]
    for metric in numeric:
        mean, low, high = mean_interval(last[metric], confidence)
        rows.append(("final_quarter", metric, mean, low, high, int(last[metric].notna().sum())))
    totals = quarterly.groupby("replication")[[m for m in FLOW_METRICS if m in quarterly]].sum()
    for metric in totals.columns:
        mean, low, high = mean_interval(totals[metric], confidence)
        rows.append(("total", metric, mean, low, high, len(totals)))
    flywheel = flywheel_quarter(quarterly)
    mean, low, high = mean_interval(flywheel, confidence)
    rows.append(("first_quarter", "flywheel_quarter", mean, low, high, int(flywheel.notna().sum())))
    return pd.DataFrame(rows, columns=["statistic", "metric", "mean", "ci_low", "ci_high", "replications"])
