"""Figures of one run, drawn from its tables (``quarterly`` and ``partners``).

Every function takes the tidy frames a run writes and returns a
:class:`matplotlib.figure.Figure`. Time series show the mean across replications
with a shaded 95% Student-t interval; a frame without a ``replication`` column (a
live model's table) is drawn as one replication. Columns that another part of the
model has not filled yet (scores, RAG, tiers) give a note in the panel, not an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from sim.metrics import add_derived, flywheel_quarter, mean_interval
from sim.plots.style import (
    RAG_COLORS,
    SOURCE_COLORS,
    STATE_COLORS,
    currency_axis,
    new_figure,
    no_data,
    plot_band,
    quarter_axis,
    share_axis,
    with_replication,
)

__all__ = [
    "revenue_by_source",
    "arr_and_customers",
    "customer_flows",
    "partner_funnel",
    "tiers_and_rag",
    "flywheel",
    "revenue_concentration",
    "lorenz_curve",
    "scorecard_heatmap",
]

POOL_STATES = ("prospect", "churned")
PROGRAM_STATES = ("onboarding", "enabled", "certified", "active", "dormant")
SCORED_STATES = PROGRAM_STATES


def _subtitle(frame: pd.DataFrame) -> str:
    n = frame["replication"].nunique()
    return f"mean of {n} replications, shaded: 95% interval" if n > 1 else "one replication"


def revenue_by_source(quarterly: pd.DataFrame):
    """Revenue per quarter stacked by source, with total revenue's 95% band."""
    q = with_replication(quarterly)
    fig, (ax,) = new_figure()
    means = q.groupby("quarter")[list(SOURCE_COLORS)].mean()
    ax.stackplot(means.index, means.T.to_numpy(), colors=[c for c, _ in SOURCE_COLORS.values()],
                 labels=[label for _, label in SOURCE_COLORS.values()], alpha=0.85)
    plot_band(ax, q, "revenue", "total revenue", "#222222", ls="--", lw=1.2)
    ax.set_title(f"Revenue by source per quarter ({_subtitle(q)})")
    ax.set_ylabel("revenue recognised in the quarter")
    currency_axis(ax)
    quarter_axis(ax)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def arr_and_customers(quarterly: pd.DataFrame):
    """ARR and the active customer count over quarters."""
    q = with_replication(quarterly)
    fig, (left, right) = new_figure(ncols=2, width=10)
    plot_band(left, q, "arr", "ARR", "#4c72b0")
    left.set_title("Annual recurring revenue (end of quarter)")
    left.set_ylabel("ARR")
    currency_axis(left)
    plot_band(right, q, "customers", "active customers", "#55a868")
    right.set_title("Active customers (installed base)")
    right.set_ylabel("customers")
    for ax in (left, right):
        quarter_axis(ax)
        ax.set_ylim(bottom=0)
    fig.suptitle(f"Growth ({_subtitle(q)})")
    return fig


def customer_flows(quarterly: pd.DataFrame):
    """New and churned customers per quarter."""
    q = with_replication(quarterly)
    fig, (ax,) = new_figure()
    plot_band(ax, q, "new_customers", "new customers", "#2e7d32")
    plot_band(ax, q, "churned_customers", "churned customers", "#c62828")
    ax.set_title(f"New vs churned customers per quarter ({_subtitle(q)})")
    ax.set_ylabel("customers per quarter")
    ax.set_ylim(bottom=0)
    quarter_axis(ax)
    ax.legend(loc="upper left")
    return fig


def partner_funnel(quarterly: pd.DataFrame):
    """Partners in each lifecycle state: the recruitable pool and the program."""
    q = with_replication(quarterly)
    fig, (pool, program) = new_figure(ncols=2, width=11)
    for ax, states in ((pool, POOL_STATES), (program, PROGRAM_STATES)):
        for state in states:
            if f"partners_{state}" in q:
                plot_band(ax, q, f"partners_{state}", state, STATE_COLORS[state])
        quarter_axis(ax)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("partners")
        ax.legend(loc="upper left", fontsize=9)
    pool.set_title("Not in the program: prospects and churned")
    program.set_title("In the program, by lifecycle state")
    fig.suptitle(f"Partner funnel ({_subtitle(q)})")
    return fig


def _rag_shares(partners: pd.DataFrame) -> pd.DataFrame:
    """Per replication and quarter, the share of scored partners that are green/amber/red."""
    scored = partners[partners["rag"].isin(list(RAG_COLORS))]
    counts = scored.groupby(["replication", "quarter", "rag"]).size().unstack("rag", fill_value=0)
    counts = counts.reindex(columns=list(RAG_COLORS), fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0)


def tiers_and_rag(quarterly: pd.DataFrame, partners: pd.DataFrame):
    """Partners per tier over quarters, and the mix of scorecard ratings (RAG)."""
    q = with_replication(quarterly)
    p = with_replication(partners)
    fig, (tiers, rag) = new_figure(ncols=2, width=11)
    tier_columns = [c for c in q.columns if c.startswith("tier_")]
    colors = ["#6a51a3", "#2171b5", "#238b45", "#d94801", "#cb181d", "#525252"]
    for i, column in enumerate(tier_columns):
        plot_band(tiers, q, column, column.removeprefix("tier_"), colors[i % len(colors)])
    if tier_columns:
        tiers.set_ylabel("partners")
        tiers.set_ylim(bottom=0)
        tiers.legend(loc="upper left", fontsize=9, title="tier")
        quarter_axis(tiers)
    else:
        no_data(tiers, "No tier counts recorded in this run.")
    tiers.set_title("Partners per tier")
    shares = _rag_shares(p)
    if shares.empty:
        no_data(rag, "No scorecard ratings recorded in this run\n(the partners table's rag column is empty).")
    else:
        mean = shares.groupby("quarter").mean()
        rag.stackplot(mean.index, mean.T.to_numpy(), colors=list(RAG_COLORS.values()),
                      labels=list(RAG_COLORS))
        rag.set_ylim(0, 1)
        rag.set_ylabel("share of scored partners")
        share_axis(rag)
        quarter_axis(rag)
        rag.legend(loc="upper left", fontsize=9)
    rag.set_title("Scorecard rating mix (RAG)")
    fig.suptitle(f"Tiers and scorecards ({_subtitle(q)})")
    return fig


def flywheel(quarterly: pd.DataFrame):
    """The flywheel loop and the quarter it takes over.

    Installed base, active partners, new customers per active partner, and the
    share of revenue that is partner-sourced or influenced, with the quarter it first
    passes half of revenue.
    """
    q = add_derived(with_replication(quarterly))
    q["partner_led_share"] = (q["revenue_partner_sourced"] + q["revenue_partner_influenced"]) / \
        q["revenue"].where(q["revenue"] > 0)
    fig, axes = new_figure(ncols=2, nrows=2, width=11, height=7, sharex=True)
    panels = (("customers", "installed base (active customers)", "#55a868"),
              ("partners_active", "active partners", "#2e7d32"),
              ("new_customers_per_active_partner", "new customers per active partner", "#dd8452"),
              ("partner_led_share", "partner-sourced + influenced share of revenue", "#4c72b0"))
    first = flywheel_quarter(q)
    reached = first.dropna()
    for ax, (column, title, color) in zip(axes, panels, strict=True):
        if q[column].notna().any():
            plot_band(ax, q, column, title, color)
        else:
            no_data(ax, f"No {title} yet (no active partners).")
        ax.set_title(title, fontsize=10)
        quarter_axis(ax, label=ax in axes[2:])
        if not reached.empty:
            ax.axvline(reached.mean(), color="#c62828", ls=":", lw=1.5)
    share = axes[3]
    share.axhline(0.5, color="#555555", ls="--", lw=1)
    share.set_ylim(0, 1)
    share_axis(share)
    n = q["replication"].nunique()
    if reached.empty:
        verdict = f"partner-led revenue never passed 50% of revenue (0/{n} replications)"
    else:
        mean, low, high = mean_interval(reached)
        interval = f" [Q{low:.1f}, Q{high:.1f}]" if reached.size > 1 else ""
        verdict = (f"partner-led revenue passed 50% of revenue at Q{mean:.1f}{interval} on average "
                   f"({reached.size}/{n} replications; dotted line)")
    fig.suptitle(f"Flywheel: {verdict}", fontsize=11)
    return fig


def lorenz_curve(revenue: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Lorenz curve of ``revenue`` evaluated at population shares ``grid``.

    Partners are ordered from the smallest to the largest; the value at ``x`` is the
    share of all revenue earned by the bottom ``x`` of partners.

    Examples:
        >>> import numpy as np
        >>> lorenz_curve(np.array([0.0, 0.0, 0.0, 10.0]), np.array([0.0, 0.75, 1.0])).tolist()
        [0.0, 0.0, 1.0]
    """
    values = np.sort(np.asarray(revenue, dtype=float))
    cumulative = np.concatenate([[0.0], np.cumsum(values)]) / values.sum()
    population = np.linspace(0.0, 1.0, values.size + 1)
    return np.interp(grid, population, cumulative)


def _partner_revenue_totals(partners: pd.DataFrame) -> dict[int, np.ndarray]:
    """Per replication, each recruited partner's revenue (sourced + influenced) over the run."""
    p = with_replication(partners)
    recruited = p[p["state"] != "prospect"][["replication", "partner_id"]].drop_duplicates()
    revenue = p.assign(_rev=p["revenue_sourced"] + p["revenue_influenced"]).groupby(
        ["replication", "partner_id"])["_rev"].sum()
    totals = revenue.reindex(pd.MultiIndex.from_frame(recruited), fill_value=0.0)
    return {rep: group.to_numpy() for rep, group in totals.groupby(level="replication")
            if group.sum() > 0}


def revenue_concentration(partners: pd.DataFrame):
    """Lorenz curve of partner revenue across recruited partners and the top 20%'s share."""
    totals = _partner_revenue_totals(partners)
    fig, (ax,) = new_figure(width=6.5, height=5.5)
    ax.set_title("Partner revenue concentration (Lorenz curve)")
    if not totals:
        no_data(ax, "No partner-sourced or influenced revenue in this run.")
        return fig
    grid = np.linspace(0.0, 1.0, 101)
    curves = np.array([lorenz_curve(values, grid) for values in totals.values()])
    top20 = 1.0 - curves[:, 80]
    mean = curves.mean(axis=0)
    ax.fill_between(grid, curves.min(axis=0), curves.max(axis=0), color="#dd8452", alpha=0.2, lw=0,
                    label="range across replications" if len(curves) > 1 else None)
    ax.plot(grid, mean, color="#dd8452", lw=2, label="mean Lorenz curve")
    ax.plot([0, 1], [0, 1], color="#555555", ls="--", lw=1, label="equal revenue")
    ax.axvline(0.8, color="#999999", ls=":", lw=1)
    share, low, high = mean_interval(top20)
    interval = f" (95% interval {low:.0%}-{high:.0%})" if len(top20) > 1 else ""
    ax.annotate(f"top 20% of partners earn {share:.0%}\nof partner revenue{interval}",
                xy=(0.8, mean[80]), xytext=(0.05, 0.75), textcoords="axes fraction", fontsize=9,
                arrowprops=dict(arrowstyle="->", color="#555555"))
    ax.set_xlabel("share of recruited partners (smallest to largest)")
    ax.set_ylabel("share of partner revenue")
    share_axis(ax)
    ax.xaxis.set_major_formatter(ax.yaxis.get_major_formatter())
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    return fig


def _top_partners(p: pd.DataFrame, top: int) -> pd.Index:
    """The ``top`` partners by final score, or by revenue when nobody is scored."""
    last = p[p["quarter"] == p["quarter"].max()].set_index("partner_id")
    if last["score"].notna().any():
        return last["score"].dropna().sort_values(ascending=False).index[:top]
    revenue = p.assign(_rev=p["revenue_sourced"] + p["revenue_influenced"]).groupby("partner_id")["_rev"].sum()
    recruited = p.loc[p["state"] != "prospect", "partner_id"].unique()
    return revenue.reindex(recruited).sort_values(ascending=False).index[:top]


def scorecard_heatmap(partners: pd.DataFrame, replication: int | None = None, top: int = 20):
    """Top partners' scorecard by quarter, coloured by RAG rating (one replication)."""
    p = with_replication(partners)
    replication = int(p["replication"].min()) if replication is None else replication
    p = p[p["replication"] == replication]
    fig, (ax,) = new_figure(width=11, height=max(3.0, 0.3 * top + 1.5))
    ids = _top_partners(p, top)
    if len(ids) == 0:
        no_data(ax, "No partner was recruited in this run.")
        ax.set_title("Scorecards of the top partners")
        return fig
    quarters = np.sort(p["quarter"].unique())
    rows = p[p["partner_id"].isin(ids)].set_index(["partner_id", "quarter"])
    palette = ["#ffffff", "#d9d9d9", *RAG_COLORS.values()]
    rating = rows["rag"].map({"green": 2, "amber": 3, "red": 4}).fillna(1)
    code = rating.where(rows["state"].isin(SCORED_STATES), 0).astype(int)
    grid = code.unstack("quarter").reindex(index=ids, columns=quarters).fillna(0).to_numpy(dtype=int)
    ax.imshow(grid, cmap=ListedColormap(palette), vmin=0, vmax=len(palette) - 1, aspect="auto",
              interpolation="nearest")
    scores = rows["score"].unstack("quarter").reindex(index=ids, columns=quarters)
    if len(quarters) <= 24 and scores.notna().any().any():
        for (i, j), value in np.ndenumerate(scores.to_numpy()):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.0f}" if value > 1.5 else f"{value:.2f}", ha="center", va="center",
                        fontsize=7, color="white" if grid[i, j] in (2, 4) else "black")
    types = p.drop_duplicates("partner_id").set_index("partner_id")["partner_type"]
    ax.set_yticks(range(len(ids)), [f"{types[pid]} #{pid}" for pid in ids], fontsize=8)
    step = max(1, len(quarters) // 12)
    ax.set_xticks(range(0, len(quarters), step), [f"Q{quarters[j]}" for j in range(0, len(quarters), step)])
    ax.set_xlabel("quarter")
    ranked = "final score" if p["score"].notna().any() else "revenue (no scores recorded yet)"
    ax.set_title(f"Scorecards of the top {len(ids)} partners by {ranked}, replication {replication}")
    handles = [Patch(color=RAG_COLORS[r], label=r) for r in RAG_COLORS]
    handles += [Patch(facecolor=palette[1], label="in program, not rated"),
                Patch(facecolor="#ffffff", edgecolor="#999999", label="not in program")]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8)
    return fig
