"""Per-customer outcomes should not depend on the market's size when capacities scale with it.

The baseline is run at several multiples of its size with the market, every partner
count and the partner managers scaled together; per-customer outcomes at the horizon
(revenue per potential customer, partners per 1,000 customers, adopted share, revenue
per paying customer) should stay roughly where they are.
"""

from __future__ import annotations

import pandas as pd
from core import (
    FAILS,
    HOLDS,
    WEAK,
    Section,
    Settings,
    Verdict,
    final,
    interval,
    money,
    new_figure,
    number,
    percent,
    progress,
    save_figure,
    scenario_path,
    table,
    with_interval,
)

import sim

TITLE = "Per-customer outcomes across sizes"
HOLDS_WITHIN, WEAK_WITHIN = 0.10, 0.25  # largest relative deviation from ×1 for holds / weak
METRICS = {  # name: (how it is shown, what it is)
    "revenue per potential customer": (money, "quarterly revenue / market size, last quarter"),
    "partners per 1,000 customers": (lambda v: number(v, 2), "partners partnered / market size × 1,000"),
    "adopted share": (percent, "paying customers / market size"),
    "revenue per paying customer": (money, "quarterly revenue / paying customers"),
}


def scaled(factor: int) -> dict:
    """Baseline overrides at ``factor`` times its size: market, partner counts and partner managers."""
    scenario = sim.load_scenario(scenario_path("baseline"))
    overrides = {"market.customers": scenario.market.customers * factor,
                 "vendor.partner_managers": scenario.vendor.partner_managers * factor}
    for name, ptype in scenario.partners.by_type().items():
        if ptype.count:
            overrides[f"partners.{name}.count"] = ptype.count * factor
            overrides[f"partners.{name}.initial"] = ptype.initial * factor
    return overrides


def outcomes(quarterly: pd.DataFrame, customers: int) -> pd.DataFrame:
    """Per replication, the per-customer outcomes at the horizon."""
    revenue, paying = final(quarterly, "revenue"), final(quarterly, "customers")
    return pd.DataFrame({
        "revenue per potential customer": revenue / customers,
        "partners per 1,000 customers": final(quarterly, "partners_partnered") / customers * 1000,
        "adopted share": paying / customers,
        "revenue per paying customer": revenue / paying.where(paying > 0),
    })


def _status(deviation: float) -> str:
    return HOLDS if deviation <= HOLDS_WITHIN else WEAK if deviation <= WEAK_WITHIN else FAILS


def size_section(settings: Settings) -> Section:
    """The size-invariance section of the report."""
    section = Section(TITLE)
    by_size = {}
    for factor in settings.size_factors:
        overrides = scaled(factor)
        result = sim.run_scenario(scenario_path("baseline"), overrides, replications=settings.size_replications,
                                  quarters=settings.size_quarters, write=False, progress=False)
        by_size[factor] = outcomes(result.quarterly, overrides["market.customers"])
        progress(f"sizes: ×{factor} ({overrides['market.customers']:,} customers)")
    first = settings.size_factors[0]
    deviation = {m: max(abs(by_size[f][m].mean() / by_size[first][m].mean() - 1) for f in settings.size_factors)
                 for m in METRICS}
    section.add(
        f"`scenarios/baseline.yaml` at {', '.join(f'×{f}' for f in settings.size_factors)} its size "
        f"({settings.size_replications} replications each): `market.customers`, every `partners.<type>.count` "
        "and `vendor.partner_managers` scaled together; values at the horizon (mean [95% interval]).",
        table(["outcome", *[f"×{f}" for f in settings.size_factors], f"largest deviation from ×{first}", "what"],
              [[m, *[with_interval(interval(by_size[f][m]), show) for f in settings.size_factors],
                percent(deviation[m]), what] for m, (show, what) in METRICS.items()]))
    fig, axes = new_figure(9.0, 2.4, panels=len(METRICS))
    for ax, metric in zip(axes, METRICS, strict=True):
        stats = [interval(by_size[f][metric]) for f in settings.size_factors]
        ax.errorbar(settings.size_factors, [s[0] for s in stats], yerr=[[s[0] - s[1] for s in stats],
                                                                        [s[2] - s[0] for s in stats]], fmt="o-")
        ax.set(xscale="log", title=metric, xlabel="size multiple")
        ax.title.set_fontsize(8)
        ax.set_xticks(settings.size_factors, [f"×{f}" for f in settings.size_factors])
        ax.set_ylim(bottom=0)
    section.add(save_figure(fig, settings, "sizes", "Per-customer outcomes at each size (mean, 95% interval)."))
    for metric in METRICS:
        section.judge(Verdict(f"{metric} is size-invariant", _status(deviation[metric]),
                              f"at most {percent(deviation[metric])} from ×{first} (holds within "
                              f"{percent(HOLDS_WITHIN, 0)}, weak within {percent(WEAK_WITHIN, 0)})."))
    return section
