"""Figures of a calibration, drawn from its result directory's tables.

* :func:`calibration_fit`: each KPI of the history as points over the band the
  posterior draws span (``fit.parquet``: one simulated run per draw over the whole
  horizon), so the fit and the projection beyond the history show at once;
* :func:`posterior_marginal`: one parameter's weighted posterior against its prior's
  90% interval, with the posterior median and 90% interval;
* :func:`calibration_progress`: epsilon and acceptance rate by generation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from sim.formatting import metric_kind
from sim.plots.style import currency_axis, new_figure, quarter_axis, share_axis

__all__ = ["calibration_fit", "posterior_marginal", "calibration_progress"]

BAND = (0.05, 0.95)
FIT_COLOR, OBSERVED_COLOR, PRIOR_COLOR = "#4c72b0", "#111111", "#bbbbbb"


def calibration_fit(fit: pd.DataFrame, observed: pd.DataFrame, fitted: list[str]):
    """Observed KPIs as points over the 90% band (and median) of the posterior draws, quarter by quarter.

    Args:
        fit: one row per (``draw``, ``quarter``) with the KPIs simulated.
        observed: the history: indexed by quarter, one column per KPI, NaN in the gaps.
        fitted: the KPIs the calibration fitted (the others are shown, marked not fitted).
    """
    kpis = list(observed.columns)
    ncols = min(3, len(kpis))
    nrows = -(-len(kpis) // ncols)
    fig, axes = new_figure(ncols=ncols, nrows=nrows, width=4.2 * ncols, height=3.2 * nrows + 0.6)
    last = observed.index.max()
    for ax, kpi in zip(axes, kpis, strict=False):
        by_quarter = fit.groupby("quarter")[kpi]
        low, mid, high = (by_quarter.quantile(q) for q in (BAND[0], 0.5, BAND[1]))
        ax.fill_between(mid.index, low, high, color=FIT_COLOR, alpha=0.25, lw=0, label="posterior draws, 90%")
        ax.plot(mid.index, mid, color=FIT_COLOR, lw=1.8, label="posterior draws, median")
        seen = observed[kpi].dropna()
        ax.scatter(seen.index, seen, color=OBSERVED_COLOR, s=16, zorder=3, label="observed")
        ax.axvline(last + 0.5, color="#777777", lw=0.8, ls="--")
        ax.set_title(kpi.replace("_", " ") + ("" if kpi in fitted else " (not fitted)"), fontsize=10)
        kind = metric_kind(kpi)
        if kind == "money":
            currency_axis(ax)
        elif kind == "share":
            share_axis(ax)
        quarter_axis(ax, label=False)
    for ax in axes[len(kpis):]:
        ax.set_axis_off()
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Fit: the history (points, to Q{last}) and {fit['draw'].nunique()} posterior draws (band)")
    return fig


def posterior_marginal(posterior: pd.DataFrame, summary: pd.Series, integer: bool = False, log: bool = False):
    """One parameter's weighted posterior histogram against its prior's 90% interval.

    Args:
        posterior: the particles (``weight`` and the parameter's column).
        summary: the parameter's row of ``posterior_summary.csv``.
        integer: a whole-number parameter (one bar per value).
        log: a log-uniform parameter (a logarithmic axis, bins even on it).
    """
    key = summary["parameter"]
    x = posterior[key].to_numpy(dtype=float)
    fig, (ax,) = new_figure(width=6.0, height=3.4)
    ax.axvspan(summary["prior_q05"], summary["prior_q95"], color=PRIOR_COLOR, alpha=0.35,
               label=f"prior 90%: {summary['prior']}")
    if integer:
        bins = np.arange(np.floor(x.min()) - 0.5, np.ceil(x.max()) + 1.0)
    elif x.max() <= x.min():
        bins = 10
    else:
        bins = np.geomspace(x.min(), x.max(), 31) if log else np.linspace(x.min(), x.max(), 31)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.hist(x, bins=bins, weights=posterior["weight"], color=FIT_COLOR, alpha=0.75, label="posterior (weighted)")
    ax.axvline(summary["median"], color=OBSERVED_COLOR, lw=1.8, label=f"median {summary['median']:.4g}")
    for q in ("q05", "q95"):
        ax.axvline(summary[q], color=OBSERVED_COLOR, lw=1, ls="--")
    ax.set_xlabel(key)
    ax.set_ylabel("posterior probability per bin")
    ax.set_title(f"{key}: median {summary['median']:.4g}, 90% [{summary['q05']:.4g}, {summary['q95']:.4g}]",
                 fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.3)
    return fig


def calibration_progress(generations: pd.DataFrame):
    """Epsilon (the acceptance threshold) and the acceptance rate of each generation."""
    fig, axes = new_figure(ncols=2, width=9.0, height=3.2)
    axes[0].plot(generations["generation"], generations["epsilon"], marker="o", color=FIT_COLOR)
    axes[0].set_title("epsilon (in each generation's own distance scale)", fontsize=10)
    axes[1].plot(generations["generation"], generations["acceptance_rate"], marker="o", color="#dd8452")
    axes[1].set_title("acceptance rate", fontsize=10)
    share_axis(axes[1])
    for ax in axes:
        ax.set_xlabel("generation")
        ax.set_xticks(generations["generation"])
        ax.grid(True, alpha=0.3)
    return fig
