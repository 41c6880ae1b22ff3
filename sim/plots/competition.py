"""Figures of competition between startups, from the ``vendors`` and ``partners`` tables of a run."""

from __future__ import annotations

import pandas as pd

from sim.plots.style import currency_axis, new_figure, plot_band, quarter_axis, share_axis, with_replication

__all__ = ["market_share", "vendor_growth", "partner_overlap"]

COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def _each_vendor(vendors: pd.DataFrame):
    for i, (name, rows) in enumerate(with_replication(vendors).groupby("vendor", sort=True)):
        yield name, rows, COLORS[i % len(COLORS)]


def market_share(vendors: pd.DataFrame):
    """Each startup's share of paying customers and of partners' selling capacity, with 95% bands."""
    fig, (left, right) = new_figure(ncols=2, width=10)
    for name, rows, color in _each_vendor(vendors):
        plot_band(left, rows, "market_share", name, color)
        plot_band(right, rows, "effort_share", name, color)
    left.set_title("Market share (paying customers)")
    right.set_title("Share of partners' selling capacity")
    for ax in (left, right):
        quarter_axis(ax)
        share_axis(ax)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", fontsize=9)
    fig.suptitle("Startups head to head")
    return fig


def vendor_growth(vendors: pd.DataFrame):
    """Each startup's quarterly revenue and the partners carrying it, with 95% bands."""
    fig, (left, right) = new_figure(ncols=2, width=10)
    for name, rows, color in _each_vendor(vendors):
        plot_band(left, rows, "revenue", name, color)
        plot_band(right, rows, "partners_carrying", name, color)
    left.set_title("Revenue per quarter")
    currency_axis(left)
    right.set_title("Partners carrying the startup")
    for ax in (left, right):
        quarter_axis(ax)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", fontsize=9)
    return fig


def partner_overlap(partners: pd.DataFrame):
    """How many startups each partner in a program carries, per quarter (first replication)."""
    carrying = partners[partners["state"].isin(["onboarding", "enabled", "certified", "active", "dormant"])]
    if "replication" in carrying:
        carrying = carrying[carrying["replication"] == carrying["replication"].min()]
    first = carrying
    per_partner = first.groupby(["quarter", "partner_id"])["vendor"].nunique()
    table = per_partner.groupby(level="quarter").value_counts().unstack(fill_value=0).sort_index(axis=1)
    fig, (ax,) = new_figure()
    bottom = None
    for i, carried in enumerate(table.columns):
        ax.bar(table.index, table[carried], bottom=bottom, color=COLORS[i % len(COLORS)],
               label=f"{carried} startup{'s' if carried > 1 else ''}")
        bottom = table[carried] if bottom is None else bottom + table[carried]
    ax.set_title("Partners by the number of startups they carry (first replication)")
    ax.set_ylabel("partners")
    quarter_axis(ax)
    ax.legend(loc="upper left", fontsize=9)
    return fig
