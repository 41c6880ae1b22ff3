"""Numbers for people: how every metric is printed, in the terminal and in report.html.

A metric is money, a share or a plain number, told from its name (:func:`metric_kind`).
Each kind has one format, with three significant digits and K, M or B for thousands,
millions and billions: ``$1.25M``, ``25.0%`` (a difference of shares in percentage
points: ``+1.7pp``), ``1.23K``. The command line, the report and the figures all format
through this module, so a number reads the same wherever it is shown.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["MONEY_WORDS", "SHARE_METRICS", "comparison_cells", "compact", "format_metric", "format_value",
           "metric_kind", "money"]

Kind = Literal["money", "share", "number"]

# A metric is money when one of these is a word of its name (revenue_partner_sourced, program_cost).
MONEY_WORDS = frozenset({"revenue", "arr", "cost", "payout", "payouts", "spend", "unspent", "pipeline"})
# Metrics that are shares of a whole (0 to 1).
SHARE_METRICS = frozenset({"ecosystem_contribution", "activation_rate", "win_rate", "route_quality",
                           "product_readiness", "market_share", "effort_share"})
# Prefixes of the sweep's kept metrics (final_revenue, total_new_customers).
REDUCTIONS = ("final_", "total_", "mean_")
UNITS = (("B", 1e9), ("M", 1e6), ("K", 1e3))


def compact(value: float) -> str:
    """A number to three significant digits, with K, M or B for thousands, millions, billions.

    Examples:
        >>> compact(1234), compact(999_999), compact(-42.0), compact(0.0123), compact(12)
        ('1.23K', '1M', '-42', '0.0123', '12')
    """
    rounded = float(f"{value:.3g}")
    for unit, size in UNITS:
        if abs(rounded) >= size:
            return f"{rounded / size:.3g}{unit}"
    return f"{rounded:.3g}"


def money(value: float, _pos=None) -> str:
    """An amount of currency: ``$1.25M``, ``$830K``, ``-$2B`` (also a matplotlib tick formatter).

    Examples:
        >>> money(1_250_000), money(830_000), money(12), money(-2e9)
        ('$1.25M', '$830K', '$12', '-$2B')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{'-' if value < 0 else ''}${compact(abs(value))}"


def metric_kind(metric: str, statistic: str | None = None, means: tuple[float, ...] = ()) -> Kind:
    """Whether a metric is ``money``, a ``share`` or a plain ``number``, from its name.

    A ratio of two run totals (``statistic == "ratio"``) is a share when its ``means``
    lie within [-1, 1] and a number otherwise, whatever its name. A startup's metric
    (``column@vendor``) is of its column's kind.

    Examples:
        >>> metric_kind("revenue_partner_sourced"), metric_kind("final_win_rate"), metric_kind("conflicts")
        ('money', 'share', 'number')
        >>> metric_kind("churn", "ratio", (0.12, 0.15)), metric_kind("partner_roi"), metric_kind("avg_deal_size")
        ('share', 'number', 'money')
        >>> metric_kind("program_cost@ours")
        'money'
    """
    metric = metric.partition("@")[0]
    if statistic == "ratio":
        return "share" if all(abs(m) <= 1 for m in means if math.isfinite(m)) else "number"
    name = metric.removeprefix(next((p for p in REDUCTIONS if metric.startswith(p)), ""))
    if name in SHARE_METRICS:
        return "share"
    if MONEY_WORDS & set(name.split("_")) or name.endswith("deal_size"):
        return "money"
    return "number"


def format_value(value: float, kind: Kind, signed: bool = False) -> str:
    """A value of a given kind; ``signed`` for a difference (``+``, and shares in points).

    Examples:
        >>> format_value(0.25, "share"), format_value(-0.017, "share", signed=True)
        ('25.0%', '-1.7pp')
        >>> format_value(1.8e6, "money", signed=True), format_value(146, "number", signed=True)
        ('+$1.8M', '+146')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if kind == "share":
        return f"{sign}{value * 100:.1f}pp" if signed else f"{value:.1%}"
    return sign + (money(value) if kind == "money" else compact(value))


def format_metric(metric: str, value: float, signed: bool = False) -> str:
    """A metric's value formatted for its kind.

    Examples:
        >>> format_metric("revenue", 2_500_000), format_metric("win_rate", 0.25), format_metric("pocs", 12)
        ('$2.5M', '25.0%', '12')
    """
    return format_value(value, metric_kind(metric), signed)


def comparison_cells(row) -> dict[str, str]:
    """The cells of one row of a comparison (``comparison.csv``), as every view prints them.

    Args:
        row: a row with ``metric``, ``statistic``, ``baseline_mean``, ``arm_mean``,
            ``mean_difference``, ``ci_low``, ``ci_high`` and ``relative_change``.

    Returns:
        ``baseline``, ``arm``, ``difference``, ``interval`` (``[low, high]``) and ``change``.
    """
    kind = metric_kind(row.metric, row.statistic, (row.baseline_mean, row.arm_mean))
    low, high = (format_value(v, kind, signed=True) for v in (row.ci_low, row.ci_high))
    change = row.relative_change
    return {"baseline": format_value(row.baseline_mean, kind), "arm": format_value(row.arm_mean, kind),
            "difference": format_value(row.mean_difference, kind, signed=True), "interval": f"[{low}, {high}]",
            "change": f"{change:+.1%}" if change is not None and math.isfinite(change) else "n/a"}
