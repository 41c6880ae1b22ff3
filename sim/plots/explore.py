"""Figures of an exploration (``ecosim explore``), drawn from ``outcomes.parquet`` and the discovery files.

``outcomes.parquet`` has one row per (design, future): ``design``, ``future``, every
uncertain parameter, every outcome and ``regret``; ``discovery_trajectory.csv`` holds
PRIM's peeling trajectory (``coverage``, ``density``, ``mass``, ``res_dim``,
``selected``) and ``discovery_box.csv`` the chosen box's limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from sim.formatting import metric_kind
from sim.plots.style import currency_axis, new_figure, no_data

__all__ = ["regret_by_design", "prim_tradeoff", "failure_map"]

FAIL, HOLD = "#c44e52", "#9db4d6"


def regret_by_design(outcomes: pd.DataFrame, outcome: str, designs: list[str]):
    """Per design, the spread of its outcome and of its regret over the futures (box plots, means as diamonds)."""
    fig, axes = new_figure(ncols=2, width=max(10.0, 1.6 * len(designs) + 4), height=4.8)
    if outcomes.empty:
        no_data(axes[0], "No outcomes.")
        return fig
    for ax, column, title in ((axes[0], outcome, outcome.replace("_", " ")),
                              (axes[1], "regret", "regret: shortfall from the best design in the same future")):
        data = [outcomes.loc[outcomes["design"] == d, column].dropna().to_numpy() for d in designs]
        ax.boxplot(data, whis=(10, 90), showfliers=False, medianprops={"color": "#333333"})
        ax.scatter(range(1, len(designs) + 1), [np.mean(v) if len(v) else np.nan for v in data], marker="D",
                   color=FAIL, zorder=3, label="mean")
        ax.set_xticks(range(1, len(designs) + 1), designs, rotation=20, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
        if metric_kind(outcome) == "money":
            currency_axis(ax)
    axes[1].legend(fontsize=8, loc="upper left")
    fig.suptitle("Each design over the futures: boxes span the 25th-75th percentiles, whiskers the 10th-90th")
    return fig


def prim_tradeoff(trajectory: pd.DataFrame):
    """PRIM's peeling trajectory: each candidate box's coverage against its density, the chosen one circled."""
    fig, (ax,) = new_figure(width=7, height=5)
    if trajectory.empty:
        no_data(ax, "No trajectory.")
        return fig
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=24)
    fig.colorbar(points, ax=ax, label="parameters restricted")
    chosen = trajectory[trajectory["selected"].astype(bool)]
    ax.scatter(chosen["coverage"], chosen["density"], s=220, facecolors="none", edgecolors=FAIL, lw=2,
               label="reported box")
    ax.set_xlabel("coverage: share of the failures inside the box")
    ax.set_ylabel("density: share of the box's futures that fail")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def failure_map(futures: pd.DataFrame, fails: np.ndarray, limits: pd.DataFrame, title: str = ""):
    """The futures over the box's first two restricted parameters, failures in red, the box drawn.

    With one restricted parameter the futures are spread over it and the second-most
    variable parameter; choices are placed at their category's index.
    """
    fig, (ax,) = new_figure(width=7, height=5.5)
    shown = list(limits["parameter"])[:2]
    others = [c for c in futures.columns if c not in shown]
    shown += others[:2 - len(shown)]
    if len(shown) < 2:
        no_data(ax, "Fewer than two uncertain parameters to draw.")
        return fig
    x, y = (_axis_values(futures[c]) for c in shown)
    ax.scatter(x[~fails], y[~fails], s=14, color=HOLD, label="holds")
    ax.scatter(x[fails], y[fails], s=18, color=FAIL, label="fails")
    box = limits.set_index("parameter")
    corners = []
    for column, values in zip(shown, (x, y), strict=True):
        numeric = column in box.index and not isinstance(box.at[column, "low"], str)
        corners.append((float(box.at[column, "low"]), float(box.at[column, "high"])) if numeric
                       else (float(np.nanmin(values)), float(np.nanmax(values))))
    (x0, x1), (y0, y1) = corners
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ls="--", color="#333333", label="PRIM box"))
    ax.set_xlabel(shown[0])
    ax.set_ylabel(shown[1])
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    ax.set_title(title, fontsize=10)
    return fig


def _axis_values(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    levels = sorted(values.astype(str).unique())
    return values.astype(str).map({v: i for i, v in enumerate(levels)}).to_numpy(dtype=float)
