"""Vendor strategies: how a startup moves its levers against the other startups.

A startup has three levers that move during a run: the scale of every margin and fee
it pays partners (``margin_scale``), the share of partner revenue it accrues to MDF
(``mdf_accrual``) and its price relative to its list contract values (``price``).
At the start of each quarter, before anything else happens, each startup applies its
scheduled changes (``vendors[].changes``: shocks to study) and then its strategy
(``vendors[].strategy``). Strategies read only what a vendor could observe: the
other startups' levers ``lag_quarters`` ago, and its own last quarter's records.

* ``static`` — never moves (the reference).
* ``match`` — takes the highest margin and MDF accrual among the startups as they were
  ``lag_quarters`` ago (seed 002: partners "maximise their own profitability" and
  move effort to the better offer, so a rival's higher margin is matched or partners
  are lost; the lag is the time to notice and re-paper the program).
* ``undercut`` — prices ``step`` below the cheapest startup as it was ``lag_quarters``
  ago, buying customers with price (customers weigh price in their choice of vendor,
  ``market.price_elasticity``).
* ``budget`` — keeps program cost (payouts, MDF, enablement) within ``budget_share`` of
  its revenue: over budget it scales its margins down in proportion (at most halving
  them in a quarter), under 80% of it, it moves them back a tenth of the way to the
  program's own (assumption: a finance-led program).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Levers", "levers_of", "move"]


@dataclass(frozen=True)
class Levers:
    """A startup's moving levers in one quarter."""

    margin_scale: float
    mdf_accrual: float
    price: float


def levers_of(vendor) -> Levers:
    """The levers a vendor has now."""
    return Levers(vendor.program.margin_scale, vendor.program.mdf_accrual, vendor.price)


def _set(vendor, levers: Levers) -> None:
    vendor.program.set_levers(levers.margin_scale, levers.mdf_accrual)
    vendor.price = levers.price


def _scheduled(vendor, t: int, levers: Levers) -> Levers:
    """The vendor's scheduled changes that take effect in quarter ``t``."""
    for change in vendor.changes or ():
        if change.quarter == t:
            levers = replace(levers, **{k: v for k, v in (("margin_scale", change.margin_scale),
                                                          ("mdf_accrual", change.mdf_accrual),
                                                          ("price", change.price)) if v is not None})
    return levers


def _observed(history: list[dict[str, Levers]], t: int, lag: int, others: list[str]) -> list[Levers]:
    """The other startups' levers as they were ``lag`` quarters before quarter ``t`` (none before the start)."""
    index = t - 1 - lag
    return [history[index][name] for name in others] if 0 <= index < len(history) else []


def _budget(vendor, levers: Levers, last) -> Levers:
    """Scale margins to keep last quarter's program cost within the budget share of revenue."""
    if last is None:
        return levers
    revenue = last.revenue.total
    cost = (float(last.payouts.parts.sum()) + float(last.mdf.spend.sum()) + last.payouts.double_bubble_spend
            + last.recruitment.cascade_enablement_spend + last.onboarding.spend)
    budget = vendor.strategy.budget_share * revenue
    own = vendor.program_spec.incentives.margin_scale
    if cost > budget and cost > 0:
        return replace(levers, margin_scale=levers.margin_scale * max(0.5, budget / cost))
    if cost < 0.8 * budget:
        return replace(levers, margin_scale=levers.margin_scale + 0.1 * (own - levers.margin_scale))
    return levers


def move(startups: list, t: int, history: list[dict[str, Levers]], last: dict) -> dict[str, Levers]:
    """Every startup applies its scheduled changes and its strategy for quarter ``t``.

    Args:
        startups: the startups (:class:`sim.vendors.VendorAgent`).
        t: the quarter about to run.
        history: each past quarter's levers by vendor name (quarter 1 first).
        last: each vendor's last quarter's records (:class:`sim.recorder.QuarterFlows`), by name.

    Returns:
        The levers of every startup for quarter ``t``, by name.
    """
    decided = {}
    for vendor in startups:
        levers = _scheduled(vendor, t, levers_of(vendor))
        strategy = vendor.strategy
        kind = "static" if strategy is None else strategy.kind
        others = [v.name for v in startups if v is not vendor]
        seen = _observed(history, t, strategy.lag_quarters, others) if kind in ("match", "undercut") else []
        if kind == "match" and seen:
            levers = replace(levers, margin_scale=max(levers.margin_scale, *(s.margin_scale for s in seen)),
                             mdf_accrual=max(levers.mdf_accrual, *(s.mdf_accrual for s in seen))
                             if vendor.program.config.mdf is not None else levers.mdf_accrual)
        elif kind == "undercut" and seen:
            levers = replace(levers, price=min(levers.price, min(s.price for s in seen) * (1.0 - strategy.step)))
        elif kind == "budget":
            levers = _budget(vendor, levers, last.get(vendor.name))
        decided[vendor.name] = levers
    for vendor in startups:
        _set(vendor, decided[vendor.name])
    return decided
