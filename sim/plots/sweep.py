"""Figures of a parameter sweep, drawn from ``points.csv`` and ``sensitivity.csv``.

``points.csv`` has one row per (point, metric) with the point's parameter values,
``mean``, ``ci_low`` and ``ci_high``; ``sensitivity.csv`` has Sobol' (``S1``, ``ST``
and their ``_conf`` half-widths) or Morris (``mu_star``, ``mu_star_conf``,
``sigma``) indices per metric and parameter, or a ``note`` saying why a metric has
none.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.formatting import format_metric, metric_kind, money
from sim.plots.style import new_figure, no_data

__all__ = ["sensitivity_indices", "grid_heatmap", "response", "notes"]

MAX_PANELS = 6


def _panels(count: int, width: float = 11, height: float = 3.2):
    ncols = 2 if count > 1 else 1
    nrows = max(1, -(-count // ncols))
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=width, height=height * nrows + 0.8)
    for ax in axes[count:]:
        ax.set_axis_off()
    return fig, axes


def sensitivity_indices(indices: pd.DataFrame, title: str = ""):
    """Per metric, each parameter's sensitivity indices with their 95% intervals.

    Sobol' sweeps show first-order (S1) and total (ST) indices; Morris sweeps show
    mu* (mean absolute elementary effect) and sigma (spread: interactions).
    """
    metrics = list(dict.fromkeys(indices["metric"]))[:MAX_PANELS]
    sobol = "S1" in indices
    fig, axes = _panels(len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        rows = indices[indices["metric"] == metric]
        note = notes(rows).iloc[0]
        ax.set_title(metric.replace("_", " "), fontsize=10)
        if note:
            no_data(ax, note)
            continue
        y = np.arange(len(rows))
        pairs = (("S1", "first order S1", "#4c72b0"), ("ST", "total ST", "#dd8452")) if sobol else \
            (("mu_star", "mu* (mean |effect|)", "#4c72b0"), ("sigma", "sigma (interactions)", "#dd8452"))
        for k, (column, label, color) in enumerate(pairs):
            conf = rows.get(f"{column}_conf")
            ax.barh(y + (k - 0.5) * 0.38, rows[column], height=0.36, color=color, label=label,
                    xerr=None if conf is None else conf.fillna(0), error_kw={"lw": 1, "capsize": 2})
        ax.set_yticks(y, rows["parameter"], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", lw=0.8)
        ax.grid(True, axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    kind = "Sobol' indices" if sobol else "Morris elementary effects"
    fig.suptitle(f"{kind}{title}, bars: 95% intervals")
    return fig


def notes(indices: pd.DataFrame) -> pd.Series:
    """The ``note`` of each indices row as text ("" where there is none; CSV reads it as NaN)."""
    if "note" not in indices:
        return pd.Series("", index=indices.index)
    return indices["note"].map(lambda v: v if isinstance(v, str) else "")


def _levels(values: pd.Series) -> list:
    return sorted(values.dropna().unique().tolist(), key=lambda v: (isinstance(v, str), v))


def grid_heatmap(points: pd.DataFrame, x: str, y: str, title: str = ""):
    """A two-parameter grid: the mean of each metric at every (x, y) cell, annotated."""
    metrics = list(dict.fromkeys(points["metric"]))[:MAX_PANELS]
    fig, axes = _panels(len(metrics), height=3.6)
    xs, ys = _levels(points[x]), _levels(points[y])
    for ax, metric in zip(axes, metrics, strict=False):
        cells = points[points["metric"] == metric].pivot_table(index=y, columns=x, values="mean", aggfunc="mean")
        cells = cells.reindex(index=ys, columns=xs)
        values = cells.to_numpy(dtype=float)
        image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower")
        bar = fig.colorbar(image, ax=ax, shrink=0.85)
        if metric_kind(metric) == "money":
            bar.ax.yaxis.set_major_formatter(money)
        if values.size <= 64 and np.isfinite(values).any():
            low, high = np.nanmin(values), np.nanmax(values)
            for (i, j), value in np.ndenumerate(values):
                if np.isfinite(value):
                    bright = high > low and (value - low) / (high - low) > 0.6
                    ax.text(j, i, format_metric(metric, value), ha="center", va="center",
                            fontsize=8, color="black" if bright else "white")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=8)
        ax.set_xlabel(x, fontsize=8)
        ax.set_ylabel(y, fontsize=8)
        ax.set_title(metric.replace("_", " "), fontsize=10)
    fig.suptitle(f"Mean across replications over the {x} x {y} grid{title}")
    return fig


def response(points: pd.DataFrame, parameters: list[str], title: str = ""):
    """Each metric's point means against each numeric parameter, with 95% intervals."""
    numeric = [p for p in parameters if pd.api.types.is_numeric_dtype(points[p])][:3]
    metrics = list(dict.fromkeys(points["metric"]))[:4]
    fig, axes = new_figure(ncols=max(1, len(numeric)), nrows=len(metrics), width=3.8 * max(1, len(numeric)) + 1,
                           height=2.6 * len(metrics) + 0.8)
    axes = axes.reshape(len(metrics), max(1, len(numeric)))
    if not numeric:
        for row in axes:
            no_data(row[0], "No numeric parameter to plot against.")
        return fig
    for i, metric in enumerate(metrics):
        rows = points[points["metric"] == metric].sort_values(numeric[0])
        for j, parameter in enumerate(numeric):
            ax = axes[i, j]
            rows = rows.sort_values(parameter)
            ax.errorbar(rows[parameter], rows["mean"], yerr=[rows["mean"] - rows["ci_low"],
                                                             rows["ci_high"] - rows["mean"]],
                        fmt="o", ms=3, lw=0.8, color="#4c72b0", ecolor="#9db4d6")
            ax.grid(True, alpha=0.3)
            if i == len(metrics) - 1:
                ax.set_xlabel(parameter, fontsize=8)
            if j == 0:
                ax.set_ylabel(metric.replace("_", " "), fontsize=8)
    fig.suptitle(f"Point means and 95% intervals against each parameter{title}")
    return fig
