"""Shared look of every figure: currency and quarter axes, mean lines with 95% bands.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot), so
drawing needs no display, holds no global state and works from threads (the
interactive page draws from a worker thread).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from scipy.special import stdtrit

from sim.formatting import money

__all__ = [
    "PARTNER_TYPE_COLORS",
    "RAG_COLORS",
    "SOURCE_COLORS",
    "STATE_COLORS",
    "new_figure",
    "currency_axis",
    "share_axis",
    "quarter_axis",
    "quarter_bands",
    "plot_band",
    "no_data",
    "with_replication",
]

# Revenue sources in stacking order, with the colour each has in every figure.
SOURCE_COLORS = {
    "revenue_direct": ("#4c72b0", "direct"),
    "revenue_partner_sourced": ("#dd8452", "partner-sourced"),
    "revenue_partner_influenced": ("#55a868", "partner-influenced"),
    "revenue_marketplace": ("#8172b3", "marketplace"),
}

STATE_COLORS = {
    "prospect": "#9e9e9e",
    "onboarding": "#64b5f6",
    "enabled": "#1e88e5",
    "certified": "#3949ab",
    "active": "#2e7d32",
    "dormant": "#f9a825",
    "churned": "#c62828",
}

PARTNER_TYPE_COLORS = {
    "distributor": "#8c564b",
    "reseller": "#e377c2",
    "var": "#1f77b4",
    "regional_si": "#2ca02c",
    "gsi": "#006d2c",
    "msp": "#ff7f0e",
    "marketplace": "#9467bd",
    "influencer": "#17becf",
}

RAG_COLORS = {"green": "#2e7d32", "amber": "#f9a825", "red": "#c62828"}


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 8.0, height: float = 4.5,
               **kwargs) -> tuple[Figure, np.ndarray]:
    """Return a figure and its axes as a flat array (always an array, even for one)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes.ravel()


def currency_axis(ax: Axes, axis: str = "y") -> None:
    """Label an axis's ticks as currency (``$1.2M``)."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(money))


def share_axis(ax: Axes) -> None:
    """Label the y axis as percentages of a 0-1 share."""
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0%}"))


def quarter_axis(ax: Axes, label: bool = True) -> None:
    """Put quarters on the x axis, labelled ``Q1`` .. ``Qn`` (at most about ten ticks, from Q1).

    Call it after drawing, so the axis knows which quarters it shows.
    """
    low, high = ax.dataLim.intervalx
    if np.isfinite(low) and np.isfinite(high):
        first, last = max(1, int(np.ceil(low))), int(np.floor(high))
        step = max(1, int(np.ceil((last - first + 1) / 10)))
        ax.set_xticks(range(first, last + 1, step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"Q{int(round(v))}"))
    if label:
        ax.set_xlabel("quarter")
    ax.grid(True, alpha=0.3)


def with_replication(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with a ``replication`` column (0 when a live model's table has none)."""
    return frame if "replication" in frame else frame.assign(replication=0)


def quarter_bands(frame: pd.DataFrame, column: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per quarter: mean of ``column`` across replications and its Student-t interval.

    Returns a frame indexed by quarter with ``mean``, ``low`` and ``high`` (equal to
    the mean where only one replication has a value; ``low`` is cut at zero for a
    column that is never negative).
    """
    grouped = frame.groupby("quarter")[column]
    out = grouped.agg(["mean", "std", "count"])
    dof = (out["count"] - 1).clip(lower=1)
    half = stdtrit(dof, 0.5 + confidence / 2) * out["std"] / np.sqrt(out["count"])
    half = half.where(out["count"] > 1, 0.0).fillna(0.0)
    low = out["mean"] - half
    if (frame[column].dropna() >= 0).all():
        low = low.clip(lower=0.0)  # a count or an amount that cannot be negative
    return pd.DataFrame({"mean": out["mean"], "low": low, "high": out["mean"] + half})


def plot_band(ax: Axes, frame: pd.DataFrame, column: str, label: str, color: str,
              **line_kwargs) -> pd.DataFrame:
    """Draw the mean of ``column`` per quarter with its 95% band; return the bands."""
    bands = quarter_bands(frame, column)
    ax.plot(bands.index, bands["mean"], color=color, label=label, **{"lw": 2, **line_kwargs})
    ax.fill_between(bands.index, bands["low"], bands["high"], color=color, alpha=0.2, lw=0)
    return bands


def no_data(ax: Axes, message: str) -> None:
    """Leave a readable note in an empty panel instead of a blank or broken plot."""
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes,
            color="#555555", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
