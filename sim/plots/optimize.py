"""Figures of an optimisation (``ecosim optimize``), drawn from ``trials.parquet``.

``trials.parquet`` has one row per trial: ``trial``, ``state``, every lever by key path,
every objective and constraint metric (mean over the trial's replications),
``feasible`` and ``best``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.formatting import metric_kind
from sim.plots.style import currency_axis, new_figure, no_data

__all__ = ["optimization_history", "pareto_front", "lever_effects", "FEASIBLE", "INFEASIBLE", "BEST"]

FEASIBLE, INFEASIBLE, BEST, BASE = "#4c72b0", "#dd8452", "#c44e52", "#333333"
MAX_LEVERS = 8


def _money(ax, metric: str, axis: str = "y") -> None:
    if metric_kind(metric) == "money":
        currency_axis(ax, axis)


def optimization_history(trials: pd.DataFrame, objective: str, maximize: bool, base: float | None = None):
    """Each trial's objective in the order run, the best feasible value so far, and the base design.

    Args:
        trials: the trials table.
        objective: the objective's column.
        maximize: whether more is better.
        base: the base design's value on the same draws (a dashed line), if known.
    """
    fig, (ax,) = new_figure(width=10, height=4.5)
    done = trials[trials["state"] == "complete"]
    if done.empty:
        no_data(ax, "No trial completed.")
        return fig
    ok, bad = done[done["feasible"]], done[~done["feasible"]]
    ax.scatter(ok["trial"], ok[objective], s=18, color=FEASIBLE, label="feasible trial")
    if not bad.empty:
        ax.scatter(bad["trial"], bad[objective], s=22, marker="x", color=INFEASIBLE, label="violates a constraint")
    if not ok.empty:
        values = ok.set_index("trial")[objective]
        running = values.cummax() if maximize else values.cummin()
        ax.step(running.index, running.to_numpy(), where="post", color=BEST, lw=2, label="best so far")
        best = trials[trials["best"]]
        ax.scatter(best["trial"], best[objective], s=140, marker="*", color=BEST, zorder=3, label="best design")
    if base is not None and np.isfinite(base):
        ax.axhline(base, color=BASE, ls="--", lw=1, label="base design")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective.replace("_", " "))
    _money(ax, objective)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(f"{objective.replace('_', ' ')}: {'higher' if maximize else 'lower'} is better")
    return fig


def pareto_front(trials: pd.DataFrame, x: str, y: str, base: tuple[float, float] | None = None):
    """Two objectives of every complete trial, with the feasible Pareto front joined up.

    Args:
        trials: the trials table (``best`` marks the front).
        x: the first objective's column.
        y: the second objective's column.
        base: the base design's two values on the same draws, if known.
    """
    fig, (ax,) = new_figure(width=8, height=6)
    done = trials[trials["state"] == "complete"]
    if done.empty:
        no_data(ax, "No trial completed.")
        return fig
    ok, bad = done[done["feasible"] & ~done["best"]], done[~done["feasible"]]
    front = done[done["best"]].sort_values(x)
    ax.scatter(ok[x], ok[y], s=18, color="#9db4d6", label="feasible trial")
    if not bad.empty:
        ax.scatter(bad[x], bad[y], s=22, marker="x", color=INFEASIBLE, label="violates a constraint")
    if not front.empty:
        ax.plot(front[x], front[y], "-o", color=BEST, ms=6, lw=1.5, label="Pareto front")
        for row in front.to_dict(orient="records"):
            ax.annotate(str(row["trial"]), (row[x], row[y]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    if base is not None and all(np.isfinite(base)):
        ax.scatter([base[0]], [base[1]], s=90, marker="D", color=BASE, label="base design", zorder=3)
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    _money(ax, x, "x")
    _money(ax, y)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def lever_effects(trials: pd.DataFrame, levers: list[str], objective: str):
    """The objective of every complete trial against each lever (the best design starred).

    Numeric levers on a numeric axis, choices as categories; at most eight levers.
    """
    shown = levers[:MAX_LEVERS]
    ncols = min(len(shown), 3) or 1
    nrows = max(1, -(-len(shown) // ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=4.0 * ncols + 1, height=3.0 * nrows + 0.8, sharey=True)
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    done = trials[trials["state"] == "complete"]
    for ax, lever in zip(axes, shown, strict=False):
        if done.empty:
            no_data(ax, "No trial completed.")
            continue
        values = done[lever]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if not numeric:
            levels = sorted(values.astype(str).unique())
            values = values.astype(str).map({v: i for i, v in enumerate(levels)})
            ax.set_xticks(range(len(levels)), levels, fontsize=8, rotation=20)
        colors = np.where(done["feasible"], FEASIBLE, INFEASIBLE)
        ax.scatter(values, done[objective], s=14, c=colors, alpha=0.8)
        best = done["best"].to_numpy()
        ax.scatter(values[best], done.loc[best, objective], s=120, marker="*", color=BEST, zorder=3)
        ax.set_xlabel(lever, fontsize=8)
        ax.grid(True, alpha=0.3)
        _money(ax, objective)
    axes[0].set_ylabel(objective.replace("_", " "))
    fig.suptitle(f"{objective.replace('_', ' ')} against each lever (blue: feasible, orange: violates a constraint, "
                 "star: best)")
    return fig
