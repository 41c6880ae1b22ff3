"""Figures of a comparison (incentive designs or whole strategies), from ``comparison.csv`` and the arms' runs.

``comparison.csv`` holds, per metric and arm, the paired mean difference from the
first arm (the baseline) with its 95% interval; each arm's run directory holds its
``quarterly.parquet``. The arms' curves are overlaid, one colour per arm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim.formatting import metric_kind
from sim.metrics import flywheel_quarter, mean_interval
from sim.plots.style import currency_axis, new_figure, no_data, plot_band, quarter_axis, share_axis

__all__ = ["forest_plot", "arm_timeseries", "flywheel_by_arm", "ARM_COLORS", "VERDICT_COLORS"]

ARM_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828", "no clear difference": "#757575"}


def forest_plot(comparison: pd.DataFrame):
    """Forest plot: each arm's paired difference from the baseline arm, per metric.

    Differences and their 95% intervals are shown relative to the baseline's mean, so
    metrics of different units share one axis; colour says better, worse or unclear.
    """
    c = comparison.copy()
    metrics = list(dict.fromkeys(c["metric"]))
    arms = list(dict.fromkeys(c["arm"]))
    fig, (ax,) = new_figure(width=10, height=max(3.0, 0.45 * len(metrics) * len(arms) + 1.8))
    if c.empty:
        no_data(ax, "comparison.csv has no rows.")
        return fig
    base = c["baseline_mean"].abs().where(c["baseline_mean"] != 0)
    c["rel"], c["rel_low"], c["rel_high"] = (c[col] / base for col in ("mean_difference", "ci_low", "ci_high"))
    offsets = np.linspace(-0.25, 0.25, len(arms)) if len(arms) > 1 else np.zeros(1)
    markers = "osD^v<>p"
    for a, arm in enumerate(arms):
        rows = c[c["arm"] == arm].set_index("metric").reindex(metrics)
        y = np.arange(len(metrics)) + offsets[a]
        for yi, row in zip(y, rows.itertuples(), strict=True):
            if not np.isfinite(row.rel):
                continue
            color = VERDICT_COLORS.get(row.verdict, "#757575")
            ax.plot([row.rel_low, row.rel_high], [yi, yi], color=color, lw=2)
            ax.plot(row.rel, yi, marker=markers[a % len(markers)], color=color, ms=7, ls="")
    ax.axvline(0, color="#333333", lw=1)
    ax.set_yticks(range(len(metrics)), [f"{m} ({c.loc[c['metric'] == m, 'statistic'].iloc[0]})" for m in metrics])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:+.0%}")
    ax.set_xlabel(f"difference from the baseline arm '{c['baseline'].iloc[0]}', relative to its mean "
                  "(paired, 95% interval)")
    ax.grid(True, axis="x", alpha=0.3)
    handles = [Line2D([], [], color=color, lw=2, label=verdict) for verdict, color in VERDICT_COLORS.items()]
    handles += [Line2D([], [], marker=markers[a % len(markers)], color="#333333", ls="", label=f"arm: {arm}")
                for a, arm in enumerate(arms)]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8)
    ax.set_title(f"Paired differences from '{c['baseline'].iloc[0]}' (n = {int(c['n'].max())} replications)")
    return fig


def arm_timeseries(quarterly_by_arm: dict[str, pd.DataFrame], metrics: list[str],
                   title: str = "Arms over time (mean across replications, shaded: 95% interval)"):
    """Each arm's mean and 95% band over quarters, overlaid, one panel per metric (at most six)."""
    shown = [m for m in metrics if all(m in q for q in quarterly_by_arm.values())][:6]
    ncols = 2 if len(shown) > 1 else 1
    nrows = max(1, -(-len(shown) // ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=11, height=3.3 * nrows + 0.8)
    if not shown:
        no_data(axes[0], "The arms' runs have none of the compared metrics per quarter.")
        return fig
    for ax, metric in zip(axes, shown, strict=False):
        for i, (arm, q) in enumerate(quarterly_by_arm.items()):
            plot_band(ax, q, metric, arm, ARM_COLORS[i % len(ARM_COLORS)])
        ax.set_title(metric.replace("_", " "), fontsize=10)
        if metric_kind(metric) == "money":
            currency_axis(ax)
        elif metric_kind(metric) == "share":
            share_axis(ax)
        quarter_axis(ax)
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(title)
    return fig


def flywheel_by_arm(quarterly_by_arm: dict[str, pd.DataFrame]):
    """Ecosystem contribution over quarters per arm, and the quarter each arm's flywheel turns.

    Left: the share of revenue through partners and marketplaces, mean and 95% band.
    Right: per arm, the mean first quarter when partner-sourced plus influenced revenue
    exceeds half of revenue, with its 95% interval over the replications that reach it,
    and how many of them do.
    """
    fig, (left, right) = new_figure(ncols=2, width=11, height=4.2)
    horizon = max(int(q["quarter"].max()) for q in quarterly_by_arm.values())
    for i, (arm, q) in enumerate(quarterly_by_arm.items()):
        plot_band(left, q, "ecosystem_contribution", arm, ARM_COLORS[i % len(ARM_COLORS)])
    left.set_title("ecosystem contribution (share of revenue)", fontsize=10)
    share_axis(left)
    quarter_axis(left)
    left.legend(fontsize=8, loc="upper left")
    for i, q in enumerate(quarterly_by_arm.values()):
        quarters = flywheel_quarter(q)
        reached = int(quarters.notna().sum())
        color = ARM_COLORS[i % len(ARM_COLORS)]
        if reached:
            mean, low, high = mean_interval(quarters)
            right.plot([low, high], [i, i], color=color, lw=2)
            right.plot(mean, i, marker="o", color=color, ms=8, ls="")
        right.annotate(f"{reached}/{len(quarters)} reach it", (horizon + 0.4, i), va="center", fontsize=8)
    right.set_yticks(range(len(quarterly_by_arm)), list(quarterly_by_arm))
    right.set_ylim(len(quarterly_by_arm) - 0.5, -0.5)
    right.update_datalim([(1, 0), (horizon, 0)])  # ticks for every quarter of the run, reached or not
    quarter_axis(right, label=False)
    right.set_xlim(0.5, horizon + 0.4 + max(2.5, 0.25 * horizon))
    right.set_xlabel("first quarter with partner-led revenue > 50% (mean, 95% CI)")
    right.set_title("when the flywheel turns", fontsize=10)
    fig.suptitle("Ecosystem contribution and the flywheel")
    return fig
