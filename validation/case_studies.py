"""The playbook's three case studies (seed 002), and what their partner counts respond to.

Each case study scenario is run as shipped; then its recruitable pool, its capacity
levers (the vendor's partner managers; for distribution-led also the distributors'
reseller-recruiting capacity) and the offer to the partners it recruits most (their
margin) are halved and doubled. Seed 002 makes the team's capacity the bottleneck, so
the count may follow it; it is an outcome rather than a setting restated when it also
follows what prospects accept: the offer decides how much of the capacity fills, and a
bigger pool changes little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from core import (
    FAILS,
    HOLDS,
    WEAK,
    Section,
    Settings,
    Verdict,
    at_quarter,
    band,
    final,
    interval,
    new_figure,
    number,
    percent,
    progress,
    run,
    save_figure,
    scenario_path,
    scenario_value,
    table,
    with_interval,
)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, NullLocator

TITLE = "Case studies"
QUARTERS = (4, 8, 12)
MULTIPLIERS = (0.5, 1.0, 2.0)
SENSITIVITY_QUARTER = 8
POOL_RATIO_LIMIT = 1.3  # doubling the pool changes the quarter-8 count by less than this (design target)
PROPORTIONAL = 0.9  # a lever with an elasticity at least this is restated by the count
OFFER_RESPONSE = 0.25  # the count follows acceptance when its elasticity to the offer is at least this


@dataclass(frozen=True)
class Case:
    """A case study: its scenario, the story's partner-count target and its levers."""

    scenario: str
    story: str  # what seed 002 says happened
    target_quarter: int | None  # the quarter of the story's partner count
    target: tuple[float, float] | None  # the band the count should fall in then
    pool: str | None  # partner type whose count is the recruitable pool
    levers: tuple[str, ...]  # capacity settings (scenario key paths)
    offer: str  # the margin offered to the type the case recruits most (scenario key path)


CASES = (
    Case("distribution_led", "case study 1: from zero to \"over 300 partners\" in about two years through 2-4 "
         "distributors", 8, (240, 360), "reseller",
         ("vendor.partner_managers", "partners.distributor.resellers_recruited_per_quarter"),
         "partners.reseller.margin"),
    Case("si_led", "case study 2: \"within a year, they had onboarded around 50 partners\"", 4, (40, 60),
         "regional_si", ("vendor.partner_managers",), "partners.regional_si.margin"),
    Case("hybrid_marketplace", "case study 3: SIs, GSIs, resellers and a cloud marketplace in parallel; the "
         "partner network expands rapidly", None, None, None, ("vendor.partner_managers",),
         "partners.reseller.margin"),
)


def _partner_share(quarterly: pd.DataFrame) -> pd.DataFrame:
    """Quarterly rows with the partner share of new customers."""
    return quarterly.assign(partner_share=quarterly["new_customers_partner"]
                            / quarterly["new_customers"].where(quarterly["new_customers"] > 0))


def _story(section: Section, case: Case, settings: Settings) -> pd.DataFrame:
    """Run the case as shipped; table of its quarters; verdict on the story's count."""
    q = _partner_share(run(scenario_path(case.scenario), settings).quarterly)
    rows = [[f"Q{t}", with_interval(interval(at_quarter(q, "partners_partnered", t)), number),
             with_interval(interval(at_quarter(q, "ecosystem_contribution", t)), percent),
             with_interval(interval(at_quarter(q, "partner_share", t)), percent)] for t in QUARTERS]
    section.add(f"### `{case.scenario}`: {case.story}",
                table(["quarter", "partners partnered", "ecosystem contribution", "partner share of new customers"],
                      rows))
    if case.target is not None:
        count = interval(at_quarter(q, "partners_partnered", case.target_quarter))[0]
        low, high = case.target
        section.judge(Verdict(f"{case.scenario} tells its story", HOLDS if low <= count <= high else FAILS,
                              f"{number(count)} partners at Q{case.target_quarter} (story band {low:.0f}-{high:.0f})."))
    else:
        section.judge(_hybrid_verdict(q))
    return q


def _hybrid_verdict(q: pd.DataFrame) -> Verdict:
    """The hybrid story: revenue from every route at once and a network that keeps growing."""
    routes = {c: final(q, c).mean() for c in ("revenue_partner_sourced", "revenue_partner_influenced",
                                              "revenue_marketplace")}
    counts = [at_quarter(q, "partners_partnered", t).mean() for t in QUARTERS]
    growing = all(a < b for a, b in zip(counts, counts[1:], strict=False))
    ok = growing and all(v > 0 for v in routes.values())
    shares = ", ".join(f"{c.removeprefix('revenue_')} {percent(v / final(q, 'revenue').mean())}"
                       for c, v in routes.items())
    return Verdict("hybrid_marketplace tells its story", HOLDS if ok else FAILS,
                   f"last-quarter revenue shares: {shares}; partners "
                   f"{' → '.join(number(c) for c in counts)} at {', '.join(f'Q{t}' for t in QUARTERS)}.")


def _scan(case: Case, key: str, settings: Settings) -> dict[float, pd.DataFrame]:
    """The case with ``key`` scaled by each multiplier (counts stay whole numbers): quarterly tables."""
    base = scenario_value(case.scenario, key)
    value = (lambda m: base * m) if isinstance(base, float) else (lambda m: max(1, round(base * m)))
    return {m: run(scenario_path(case.scenario), settings, {key: value(m)},
                   replications=settings.sensitivity_replications).quarterly for m in MULTIPLIERS}


def _elasticity(counts: dict[float, float]) -> float:
    """D log(count) / d log(multiplier), from the smallest to the largest multiplier."""
    low, high = min(counts), max(counts)
    return float(np.log(counts[high] / counts[low]) / np.log(high / low))


def _sensitivity(section: Section, case: Case, settings: Settings) -> dict[str, dict[float, float]]:
    """Halve and double the pool and each lever; table and verdicts."""
    keys = ([f"partners.{case.pool}.count"] if case.pool else []) + list(case.levers) + [case.offer]
    rows, counts = [], {}
    for key in keys:
        scan = _scan(case, key, settings)
        counts[key] = {m: at_quarter(q, "partners_partnered", SENSITIVITY_QUARTER).mean() for m, q in scan.items()}
        eco = {m: final(q, "ecosystem_contribution").mean() for m, q in scan.items()}
        shipped = scenario_value(case.scenario, key)
        rows.append([f"`{key}` ({f'{shipped:g}' if isinstance(shipped, float) else number(shipped)})",
                     *[f"{number(counts[key][m])} ({percent(eco[m], 0)})" for m in MULTIPLIERS],
                     number(counts[key][2.0] / counts[key][1.0], 2), number(_elasticity(counts[key]), 2)])
        progress(f"case studies: {case.scenario} {key}")
    section.add(f"Sensitivity ({settings.sensitivity_replications} replications a point): partners partnered at "
                f"Q{SENSITIVITY_QUARTER} (ecosystem contribution in the last quarter) with the setting halved, "
                "as shipped and doubled; the elasticity is d log(count) / d log(setting) from ×0.5 to ×2.",
                table(["setting (as shipped)", "×0.5", "×1", "×2", "×2 / ×1", "elasticity"], rows))
    if case.pool:
        pool = counts[keys[0]]
        ratio = pool[2.0] / pool[1.0]
        section.judge(Verdict(f"{case.scenario}: doubling the pool changes the count by less than "
                              f"{POOL_RATIO_LIMIT}×", HOLDS if ratio < POOL_RATIO_LIMIT else FAILS,
                              f"×{ratio:.2f} at Q{SENSITIVITY_QUARTER} (elasticity {_elasticity(pool):.2f})."))
    section.judge(_outcome_verdict(case, counts))
    return counts


def _outcome_verdict(case: Case, counts: dict[str, dict[float, float]]) -> Verdict:
    """Holds when the count follows the offer (acceptance) as well as any capacity; weak when only capacity."""
    elastic = {key: _elasticity(counts[key]) for key in case.levers}
    offer = _elasticity(counts[case.offer])
    restated = [f"`{k}` ({e:.2f})" for k, e in elastic.items() if e >= PROPORTIONAL]
    capacity = (f"it is proportional to {', '.join(restated)}, the team's capacity (seed 002's bottleneck)"
                if restated else
                f"capacity elasticities {', '.join(f'`{k}` {e:.2f}' for k, e in elastic.items())}")
    accepted = offer >= OFFER_RESPONSE or not restated
    return Verdict(f"{case.scenario}: the count is an outcome of acceptance and capacity, not a setting restated",
                   HOLDS if accepted else WEAK,
                   f"at Q{SENSITIVITY_QUARTER} {capacity}; the offer `{case.offer}` moves it with elasticity "
                   f"{offer:.2f}" + (", so prospects' acceptance decides how much of the capacity fills."
                                     if offer >= OFFER_RESPONSE else
                                     f" (below {OFFER_RESPONSE}): the curve restates the capacity."))


def _short(key: str) -> str:
    """A setting's short label: the partner type of a pool count, else the key's last part."""
    parts = key.split(".")
    if parts[-1] in ("count", "margin"):
        return f"{parts[-2]} {'pool' if parts[-1] == 'count' else 'margin'}"
    return parts[-1]


def _figures(section: Section, settings: Settings, stories: dict[str, pd.DataFrame],
             scans: dict[str, dict[str, dict[float, float]]]) -> None:
    """Partner counts over time per case; Q8 counts against each multiplier."""
    fig, axes = new_figure(10.0, 2.6, panels=2)
    for name, q in stories.items():
        counts = q.pivot(index="quarter", columns="replication", values="partners_partnered")
        band(axes[0], counts.index, counts, name)
    axes[0].set(xlabel="quarter", ylabel="partners partnered")
    axes[0].legend(fontsize=7)
    for name, levers in scans.items():
        for key, counts in levers.items():
            axes[1].plot(MULTIPLIERS, [counts[m] for m in MULTIPLIERS], marker="o", label=f"{name}: {_short(key)}")
    axes[1].set(xscale="log", yscale="log", xlabel="setting multiplier", ylabel=f"partners at Q{SENSITIVITY_QUARTER}")
    axes[1].xaxis.set_minor_locator(NullLocator())
    axes[1].yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes[1].yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axes[1].yaxis.set_minor_formatter(NullFormatter())
    axes[1].set_xticks(MULTIPLIERS, [f"×{m:g}" for m in MULTIPLIERS])
    axes[1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    section.add(save_figure(fig, settings, "case_studies", "Left: partners partnered per case study (mean, 95% "
                                                           "band). Right: the Q8 count when the pool, a capacity "
                                                           "setting or the offer is halved or doubled (log-log: "
                                                           "slope 1 is one-for-one)."))


def case_studies_section(settings: Settings) -> Section:
    """The case-studies section of the report."""
    section = Section(TITLE)
    section.add(f"Each case study scenario as shipped, {settings.replications} replications (mean [95% interval]). "
                "Ecosystem contribution: partner-sourced, influenced and marketplace revenue over revenue; partner "
                "share of new customers: `new_customers_partner / new_customers`.")
    stories, scans = {}, {}
    for case in CASES:
        stories[case.scenario] = _story(section, case, settings)
        scans[case.scenario] = _sensitivity(section, case, settings)
    _figures(section, settings, stories, scans)
    return section
