"""Stylised facts of partner programs in the baseline: activation and revenue concentration.

* Activation (seed 002 names it a growth-stage metric: "how many onboarded partners
  are actively driving activity"): partner programs report 20-40% of onboarded
  partners active; the model's ``activation_rate`` is active over partnered partners.
* Concentration: the top 20% of partners bring 70-90% of partner-sourced revenue, over
  all partners and within one recruitment cohort of one type, where recruitment timing
  and the type mix cannot explain it. Both are measured on the partners recruited at
  least two years before the horizon: a partner recruited in the run's last year is
  still onboarding or looking for its first deal, and counting it as a partner
  without revenue would measure the recruitment schedule, not concentration. The
  report shows every partner as well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from core import (
    FAILS,
    HOLDS,
    WEAK,
    Section,
    Settings,
    Verdict,
    band,
    interval,
    new_figure,
    percent,
    progress,
    run,
    save_figure,
    scenario_path,
    table,
    top_share,
    with_interval,
)

TITLE = "Stylised facts"
ACTIVATION_FROM = 8
ACTIVATION_BAND = (0.20, 0.40)
CONCENTRATION_BAND = (0.70, 0.90)
MIN_COHORT = 8  # partners in a cohort for its top 20% to be more than one or two partners
QUARTERS_PER_COHORT = 4  # a cohort is a recruitment year
SETTLED_QUARTERS = 8  # a cohort is measured once its last recruit has had two years to sell


def partner_revenue(partners: pd.DataFrame) -> pd.DataFrame:
    """Every partner that joined: its type, recruitment cohort and partner-sourced revenue over the run.

    The cohort is the year of a partner's first quarter outside the prospect state.
    """
    joined = partners[partners["state"] != "prospect"].groupby(["replication", "partner_id"])["quarter"].min()
    revenue = partners.groupby(["replication", "partner_id", "partner_type"])["revenue_sourced"].sum()
    frame = revenue.reset_index().merge(joined.rename("joined").reset_index(), on=["replication", "partner_id"])
    return frame.assign(cohort=(frame["joined"] - 1) // QUARTERS_PER_COHORT + 1)


def _in_band(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _activation(section: Section, settings: Settings, quarterly: pd.DataFrame) -> None:
    """Activation rate from quarter 8 on against its band."""
    rates = quarterly.pivot(index="quarter", columns="replication", values="activation_rate")
    later = rates.loc[rates.index >= ACTIVATION_FROM]
    means = later.mean(axis=1)
    inside = means.between(*ACTIVATION_BAND)
    overall = interval(later.mean(axis=0))
    section.add(
        f"Baseline (`scenarios/baseline.yaml`), {settings.replications} replications. `activation_rate` = partners "
        f"active / partners partnered, from quarter {ACTIVATION_FROM} on (target band "
        f"{percent(ACTIVATION_BAND[0], 0)}-{percent(ACTIVATION_BAND[1], 0)}).",
        table(["quarters", "mean over the quarters [95% interval]", "lowest quarter mean", "highest quarter mean",
               "quarters in band"],
              [[f"{ACTIVATION_FROM}-{rates.index.max()}", with_interval(overall, percent), percent(means.min()),
                percent(means.max()), f"{int(inside.sum())} of {inside.size}"]]))
    fig, axes = new_figure(4.5, 2.6)
    band(axes[0], rates.index, rates, "activation rate")
    axes[0].axhspan(*ACTIVATION_BAND, color="green", alpha=0.1, label="target band")
    axes[0].set(xlabel="quarter", ylabel="active / partnered", ylim=(0, 1))
    axes[0].legend(fontsize=7)
    section.add(save_figure(fig, settings, "activation", "Baseline activation rate (mean, 95% band) and the "
                                                         "target band."))
    status = HOLDS if inside.all() else (WEAK if _in_band(overall[0], ACTIVATION_BAND) else FAILS)
    section.judge(Verdict("activation rate in 20-40% from quarter 8", status,
                          f"{percent(overall[0])} on average, quarterly means {percent(means.min())}-"
                          f"{percent(means.max())}; {int(inside.sum())} of {inside.size} quarters in the band."))


def _cohort_shares(revenue: pd.DataFrame) -> pd.DataFrame:
    """Top-20% share and share of partners with a sale, per cohort of one type with enough partners."""
    rows = []
    for (rep, ptype, cohort), group in revenue.groupby(["replication", "partner_type", "cohort"]):
        values = group["revenue_sourced"]
        if len(values) >= MIN_COHORT and values.sum() > 0:
            rows.append({"replication": rep, "partner_type": ptype, "cohort": cohort, "partners": len(values),
                         "top_share": top_share(values), "selling": float((values > 0).mean())})
    return pd.DataFrame(rows)


def _lorenz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of partners (largest first) against their cumulative share of revenue."""
    x = np.sort(values)[::-1]
    return np.arange(x.size + 1) / x.size, np.concatenate([[0.0], np.cumsum(x) / x.sum()])


def _per_replication(revenue: pd.DataFrame, column: str = "revenue_sourced") -> pd.Series:
    """The top-20% share of ``column`` in each replication."""
    return revenue.groupby("replication")[column].apply(top_share)


def _overall_rows(revenue: pd.DataFrame, settled: pd.DataFrame) -> tuple[list[list[str]], dict]:
    """Top-20% shares over all partners, over settled ones, per type, and from type and cohort alone."""
    def row(label: str, frame: pd.DataFrame, column: str = "revenue_sourced") -> list[str]:
        shares = _per_replication(frame, column)
        selling = frame.groupby("replication")["revenue_sourced"].apply(lambda v: float((v > 0).mean()))
        return [label, with_interval(interval(shares), percent), with_interval(interval(selling), percent)]

    group_mean = settled.groupby(["replication", "partner_type", "cohort"])["revenue_sourced"].transform("mean")
    rows = [row("every partner that joined", revenue), row("partners of settled cohorts", settled)]
    rows += [row(f"settled `{t}` only", g) for t, g in settled.groupby("partner_type")]
    rows.append(row("settled, each partner given its type-and-cohort mean", settled.assign(mean=group_mean),
                    "mean"))
    summary = {"overall": interval(_per_replication(settled)),
               "every": _per_replication(revenue).mean(),
               "mix_only": _per_replication(settled.assign(mean=group_mean), "mean").mean(),
               "types": {t: _per_replication(g).mean() for t, g in settled.groupby("partner_type")}}
    return rows, summary


def _overall_verdict(summary: dict) -> Verdict:
    """Holds in the band; weak when the 95% interval reaches it; the reason in the table's figures."""
    mean, low, high = summary["overall"]
    status = (HOLDS if _in_band(mean, CONCENTRATION_BAND) else
              WEAK if low <= CONCENTRATION_BAND[1] and high >= CONCENTRATION_BAND[0] else FAILS)
    types = summary["types"].values()
    return Verdict("top 20% bring 70-90% overall", status,
                   f"{percent(mean)} [{percent(low)}, {percent(high)}] over settled partners, "
                   f"{percent(summary['every'])} over every partner that joined (last year's recruits have no "
                   f"revenue yet). Within one type {percent(min(types))}-{percent(max(types))}; with each partner "
                   f"given its type-and-cohort mean, {percent(summary['mix_only'])}: the spread within a type "
                   "carries the concentration, and the within-cohort band below needs that spread.")


def _concentration(section: Section, settings: Settings, partners: pd.DataFrame) -> None:
    """Top-20% shares over all partners and within cohorts of one type."""
    revenue = partner_revenue(partners)
    horizon = int(partners["quarter"].max())
    settled = revenue[revenue["cohort"] * QUARTERS_PER_COHORT <= horizon - SETTLED_QUARTERS]
    every_cohort, cohorts = _cohort_shares(revenue), _cohort_shares(settled)
    if cohorts.empty:
        section.judge(Verdict("top 20% bring 70-90% within a cohort of one type", FAILS,
                              f"no settled cohort of one type has {MIN_COHORT} partners and a sale."))
        return
    q1, median, q3 = np.percentile(cohorts["top_share"], [25, 50, 75])
    in_band = cohorts["top_share"].between(*CONCENTRATION_BAND)
    overall_rows, summary = _overall_rows(revenue, settled)
    section.add(
        "Partner-sourced revenue of every partner that joined, summed over the run. A cohort is one partner type's "
        f"recruits of one year (first quarter outside `prospect`), kept when it has at least {MIN_COHORT} partners; "
        f"it is *settled* when its last recruit has had {SETTLED_QUARTERS} quarters to sell (here: recruited by "
        f"quarter {horizon - SETTLED_QUARTERS}). The verdicts are on settled partners.",
        table(["population", "top 20% share", "partners with a sale"], overall_rows),
        table(["cohorts of one type", "cohorts", "median top 20% share (quartiles)", "in 70-90%",
               "median partners with a sale"],
              [[label, str(len(c)), f"{percent(c['top_share'].median())} ({percent(c['top_share'].quantile(.25))}-"
                                    f"{percent(c['top_share'].quantile(.75))})",
                str(int(c["top_share"].between(*CONCENTRATION_BAND).sum())), percent(c["selling"].median())]
               for label, c in [("settled", cohorts), ("every cohort", every_cohort)]]
              + [[f"settled `{t}`", str(len(g)), percent(g["top_share"].median()),
                  str(int(g["top_share"].between(*CONCENTRATION_BAND).sum())), percent(g["selling"].median())]
                 for t, g in cohorts.groupby("partner_type")]))
    fig, axes = new_figure(8.0, 2.8, panels=2)
    for rep in settled["replication"].unique()[:5]:
        axes[0].plot(*_lorenz(settled.loc[settled["replication"] == rep, "revenue_sourced"].to_numpy()),
                     color="C0", alpha=0.6)
    axes[0].axvline(0.2, color="grey", linestyle=":")
    axes[0].axhspan(*CONCENTRATION_BAND, xmin=0.15, xmax=0.25, color="green", alpha=0.2)
    axes[0].set(xlabel="share of partners (largest first)", ylabel="share of partner-sourced revenue",
                title="settled partners (5 replications)")
    axes[1].hist(cohorts["top_share"], bins=np.linspace(0.2, 1.0, 17), color="C1")
    axes[1].axvspan(*CONCENTRATION_BAND, color="green", alpha=0.1)
    axes[1].set(xlabel="top 20% share within a cohort", ylabel="cohorts", title="settled cohorts of one type")
    section.add(save_figure(fig, settings, "concentration", "Left: concentration curves of partner-sourced revenue "
                                                            "of settled partners (target: 70-90% at 20%). Right: "
                                                            "top-20% shares of settled single-type recruitment "
                                                            "cohorts, target band shaded."))
    section.judge(_overall_verdict(summary))
    status = (HOLDS if _in_band(median, CONCENTRATION_BAND) and in_band.mean() >= 0.5 else
              WEAK if _in_band(median, CONCENTRATION_BAND) else FAILS)
    section.judge(Verdict("top 20% bring 70-90% within a cohort of one type", status,
                          f"median {percent(median)} (quartiles {percent(q1)}-{percent(q3)}) over {len(cohorts)} "
                          f"settled cohorts, {percent(in_band.mean(), 0)} of them in the band; "
                          f"{percent(cohorts['selling'].median(), 0)} of a cohort's partners make a sale (median)."))


def stylised_facts_section(settings: Settings) -> Section:
    """The stylised-facts section of the report."""
    section = Section(TITLE)
    result = run(scenario_path("baseline"), settings)
    progress("stylised facts: baseline")
    _activation(section, settings, result.quarterly)
    _concentration(section, settings, result.partners)
    return section
