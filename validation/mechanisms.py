"""Every mechanism's direction as a paired effect with its 95% interval.

Each mechanism is an experiment of two arms run by :func:`sim.compare` on common
random numbers (every arm runs replication ``r`` on the same seed): a reference arm and
a treatment arm that changes one design choice. For each effect the sources claim a
direction; the verdict compares the paired 95% interval with it: *holds* when the
whole interval lies on the claimed side, *weak* when the mean does but the interval
includes zero, *does not hold* when the mean lies on the other side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from core import (
    FAILS,
    HOLDS,
    WEAK,
    Section,
    Settings,
    Verdict,
    money,
    new_figure,
    number,
    percent,
    progress,
    save_figure,
    scenario_path,
    scenario_value,
    table,
)

import sim

TITLE = "Mechanisms"
SEED = 2026
PARTNER_CHURN = {"name": "partner_sourced_churn", "ratio": ["churned_partner_sourced", "renewals_due_partner_sourced"]}
REVENUE_PER_PARTNER = {"name": "partner_sourced_revenue_per_partner_quarter",
                       "ratio": ["revenue_partner_sourced", "partners_partnered"]}
VERDICT_MEANING = {HOLDS: "the interval lies on the side the sources claim",
                   WEAK: "the mean agrees with the sources, the interval includes zero",
                   FAILS: "the effect points the other way"}
UNITS = {"revenue_partner_sourced": "money", "program_cost": "money", "partner_sourced_churn": "share",
         "partner_sourced_revenue_per_partner_quarter": "money"}  # every other metric is a count


@dataclass(frozen=True)
class Effect:
    """A metric the sources say the treatment moves, and which way (+1 up, -1 down)."""

    metric: str | dict  # a compare metric: a quarterly column or {name, ratio}
    sign: int

    @property
    def name(self) -> str:
        """The metric's name."""
        return self.metric if isinstance(self.metric, str) else self.metric["name"]


@dataclass(frozen=True)
class Mechanism:
    """A two-arm experiment: reference, treatment, the claimed effects and their source."""

    key: str
    change: str  # what the treatment changes, for people
    source: str  # the seed file (or published model) and its claim
    reference: dict  # compare arm
    treatment: dict  # compare arm
    effects: tuple[Effect, ...]
    scenario: str = "baseline"
    shared: dict = field(default_factory=dict)  # settings of both arms
    if_not_holding: str = ""  # what in the model explains an effect that does not hold as claimed


def _stringent_tiers() -> list[dict]:
    """The ``tiered_margin`` preset's tiers and benefits, with high thresholds and certification required."""
    tiers = sim.load_scenario(scenario_path("baseline"), {"program.preset": "tiered_margin"}).resolved()
    tiers = tiers["program"]["tiers"]
    return [tiers[0]] + [{**t, "min_score": 0.8 + 0.05 * i, "requires_certification": True}
                         for i, t in enumerate(tiers[1:])]


def _without_retention_effect() -> dict:
    """Settings that take the services retention effect from every partner type the baseline has."""
    types = sim.load_scenario(scenario_path("baseline")).partners.by_type()
    return {f"partners.{t}.retention_effect": 0.0 for t, cfg in types.items() if cfg.count > 0}


def mechanisms() -> tuple[Mechanism, ...]:
    """The mechanisms the report checks, each with its claimed direction and source."""
    imitation = scenario_value("baseline", "market.adoption.imitation")
    managers = scenario_value("baseline", "vendor.partner_managers")
    return (
        Mechanism("margin", "margins ×1.25", 'seed 002: partners "are in the business of maximizing their own '
                  'profitability"', {"name": "usual_margin"},
                  {"name": "higher_margin", "set": {"program.incentives.margin_scale": 1.25}},
                  (Effect("revenue_partner_sourced", +1), Effect("new_customers_partner", +1))),
        Mechanism("registration_bonus", "registration bonus with 2-quarter protection",
                  'seed 002: "transparency in opportunity registration ... prevent[s] small issues from escalating '
                  'into relationship-damaging disputes"', {"name": "no_registration"},
                  {"name": "registration", "set": {"program.incentives.registration_bonus":
                                                   {"bonus": 0.05, "protection_quarters": 2}}},
                  (Effect("conflicts", -1),)),
        Mechanism("deal_registration_rule", "direct_preferred instead of partner_preferred",
                  'seed 002: internal teams "resist collaborating with partners- viewing them as competitors"; a '
                  "rule that gives contested deals to the direct team leaves partners fewer",
                  {"name": "partner_preferred", "set": {"program.deal_registration": "partner_preferred"}},
                  {"name": "direct_preferred", "set": {"program.deal_registration": "direct_preferred"}},
                  (Effect("revenue_partner_sourced", -1),)),
        Mechanism("payout_timing", "first-year pay on booking instead of spread over 8 quarters",
                  'seed 001: "avoiding front-loaded incentives that distort behavior"',
                  {"name": "spread", "set": {"program.incentives.payout_timing": "spread",
                                             "program.incentives.spread_quarters": 8}},
                  {"name": "on_booking", "set": {"program.incentives.payout_timing": "on_booking"}},
                  (Effect(PARTNER_CHURN, +1),)),
        Mechanism("retention_rebate", "5% rebate on renewals", 'seed 002: "Rebates linked to customer retention or '
                  'renewals"; "If retention is key, reward renewals"', {"name": "no_rebate"},
                  {"name": "rebate", "set": {"program.incentives.retention_rebate": {"rate": 0.05}}},
                  (Effect(PARTNER_CHURN, -1),)),
        Mechanism("mdf", "MDF accrual of 3% of partner revenue", 'seed 002: "MDF (Market Development Funds) for '
                  'co-marketing or events"; partners bring "their own marketing muscle"', {"name": "no_mdf"},
                  {"name": "mdf", "set": {"program.incentives.mdf": {"accrual": 0.03}}},
                  (Effect("revenue_partner_sourced", +1),)),
        Mechanism("tiers", "tiered_margin preset instead of flat_margin", 'seed 000: "a tiered incentive structure '
                  'tied to these metrics"; seed 001: "tiered programs that reward momentum"',
                  {"name": "flat_margin", "preset": "flat_margin"},
                  {"name": "tiered_margin", "preset": "tiered_margin"},
                  (Effect("revenue_partner_sourced", +1),)),
        Mechanism("stringent_tiers", "tier thresholds 0.80-0.90 with certification, instead of tiered_margin's",
                  'seed 002: "overly stringent requirements ... deters partners who might otherwise engage"',
                  {"name": "tiered_margin", "preset": "tiered_margin"},
                  {"name": "stringent", "preset": "tiered_margin", "set": {"program.tiers": _stringent_tiers()}},
                  (Effect("partners_partnered", -1),)),
        Mechanism("double_bubble", "direct reps paid 8% on partner deals in their accounts",
                  'seed 002: "Will there be a double bubble (where both teams earn on the same deal)? ... How do '
                  'you avoid internal friction"', {"name": "no_double_bubble"},
                  {"name": "double_bubble", "set": {"program.incentives.double_bubble": {"commission": 0.08}}},
                  (Effect("conflicts", -1), Effect("program_cost", +1))),
        Mechanism("partner_managers", f"partner managers {managers} → {2 * managers}", 'seed 002: "Under-resourced '
                  'teams ... can unintentionally become a bottleneck"', {"name": "as_shipped"},
                  {"name": "more_managers", "set": {"vendor.partner_managers": 2 * managers}},
                  (Effect("partners_partnered", +1),)),
        Mechanism("word_of_mouth", f"imitation q {imitation} → {2 * imitation:g}", 'Bass (1969) imitation; seed 002 '
                  'foreword: "buyers trust networks over ads"', {"name": "as_shipped"},
                  {"name": "more_imitation", "set": {"market.adoption.imitation": 2 * imitation}},
                  (Effect("customers", +1),)),
        Mechanism("services_retention", "services retention effect as shipped instead of none",
                  'seed 002: services wraps "increase stickiness and long-term revenue"',
                  {"name": "no_retention_effect", "set": _without_retention_effect()}, {"name": "as_shipped"},
                  (Effect(PARTNER_CHURN, -1),)),
        Mechanism("routes", "route capacity 1 instead of 2.5 for the baseline's two routes", 'seed 002: motions '
                  '"spread too thin ... dilute focus"; "don\'t pursue more than two to three ecosystem motions"',
                  {"name": "as_shipped"}, {"name": "thin", "set": {"vendor.route_capacity": 1.0}},
                  (Effect("revenue_partner_sourced", -1),)),
        Mechanism("non_monetary", "non-monetary rewards (alignment +0.1)", 'seed 003: "Non-monetary rewards ... can '
                  'create powerful alignment effects"', {"name": "none"},
                  {"name": "non_monetary", "set": {"program.incentives.non_monetary": {"alignment_boost": 0.1}}},
                  (Effect("revenue_partner_sourced", +1),)),
        Mechanism("stage_gates", "stage gates on, for a vendor starting at stage 1", 'seed 002 PMI: "Avoid '
                  'premature scaling of partner programs"; a premature launch "often leads to frustration"',
                  {"name": "gates_off", "set": {"vendor.enforce_stage_gates": False}},
                  {"name": "gates_on", "set": {"vendor.enforce_stage_gates": True}},
                  (Effect(REVENUE_PER_PARTNER, +1),), shared={"vendor.age_quarters": 0, "vendor.stage": 1},
                  if_not_holding="gates keep a stage-1 vendor from recruiting regional SIs until it reaches stage 2 "
                                 "(sim/partner_types.py), and SIs sell the largest deals (seed 002: $100K-$1M+), so "
                                 "per-partner revenue falls when they join later. Recruiting early costs nothing "
                                 "lasting in the model: a partner that loses deals while the product is immature "
                                 "learns a lower win rate and recovers it with later wins. The frustration of a "
                                 "premature launch that erodes trust is not represented, so the model cannot show "
                                 "the gates' benefit; read them as a constraint on who is recruited, not as a gain"),
    )


def experiment(mechanism: Mechanism, settings: Settings, seed: int) -> dict:
    """The mechanism as an inline ``sim.compare`` experiment."""
    return {"kind": "compare", "name": mechanism.key, "scenario": str(scenario_path(mechanism.scenario)),
            "set": settings.overrides(mechanism.shared), "replications": settings.replications, "seed": seed,
            "metrics": [e.metric for e in mechanism.effects], "arms": [mechanism.reference, mechanism.treatment]}


def run_mechanism(mechanism: Mechanism, settings: Settings, seed: int = SEED) -> sim.Comparison:
    """Run the mechanism's two arms on common random numbers."""
    return sim.compare(experiment(mechanism, settings, seed), write=False, progress=False)


def direction(sign: int, mean: float, low: float, high: float) -> str:
    """Holds when the interval lies on the claimed side, weak when only the mean does, else does not hold."""
    if sign * low > 0 and sign * high > 0:
        return HOLDS
    return WEAK if sign * mean > 0 else FAILS


def _signed(value: float, unit: str) -> str:
    shown = {"money": money, "share": lambda v: f"{100 * v:.2f} pp"}.get(unit, lambda v: number(v, 1))(value)
    return shown if value < 0 or not np.isfinite(value) else f"+{shown}"


def _rows(mechanism: Mechanism, comparison: pd.DataFrame, number_: int) -> list[dict]:
    """One row per effect: the paired difference, its interval, the relative change and the verdict."""
    rows = []
    for effect in mechanism.effects:
        r = comparison.loc[comparison["metric"] == effect.name].iloc[0]
        unit = UNITS.get(effect.name, "count")
        scale = abs(r["baseline_mean"]) if r["baseline_mean"] else np.nan
        rows.append({"number": number_, "mechanism": mechanism, "effect": effect, "unit": unit,
                     "difference": f"{_signed(r['mean_difference'], unit)} [{_signed(r['ci_low'], unit)}, "
                                   f"{_signed(r['ci_high'], unit)}]",
                     "relative": (r["mean_difference"] / scale, r["ci_low"] / scale, r["ci_high"] / scale),
                     "verdict": direction(effect.sign, r["mean_difference"], r["ci_low"], r["ci_high"])})
    return rows


def _scenario_label(mechanism: Mechanism) -> str:
    """The scenario both arms run, with the settings they share."""
    shared = "".join(f", `{k}: {v}`" for k, v in mechanism.shared.items())
    return f"`{mechanism.scenario}`{shared}"


def _forest(section: Section, settings: Settings, rows: list[dict]) -> None:
    """Relative effects with their intervals, coloured by verdict."""
    fig, axes = new_figure(6.5, 0.28 * len(rows) + 0.9)
    ax = axes[0]
    colours = {HOLDS: "tab:green", WEAK: "tab:orange", FAILS: "tab:red"}
    for y, row in enumerate(reversed(rows)):
        mean, low, high = (100 * v for v in row["relative"])
        ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt="o", color=colours[row["verdict"]], ms=4)
        ax.text(1.01, y, "↑" if row["effect"].sign > 0 else "↓", transform=ax.get_yaxis_transform(), va="center")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [f"{r['number']}. {r['mechanism'].key}: {r['effect'].name}"
                                     for r in reversed(rows)], fontsize=7)
    ax.set_xlabel("paired effect, % of the reference mean")
    section.add(save_figure(fig, settings, "mechanisms", "Each mechanism's paired effect relative to the reference "
                                                         "arm; arrows: the direction the sources claim; green "
                                                         "holds, orange weak, red does not hold."))


def mechanisms_section(settings: Settings) -> tuple[Section, dict[str, sim.Comparison]]:
    """The mechanisms section, and each mechanism's comparison (for the common-random-numbers section)."""
    section = Section(TITLE)
    results, rows, checked = {}, [], mechanisms()
    for i, mechanism in enumerate(checked, start=1):
        results[mechanism.key] = run_mechanism(mechanism, settings)
        rows += _rows(mechanism, results[mechanism.key].comparison, i)
        progress(f"mechanisms: {mechanism.key}")
    section.add(
        f"Paired experiments with `sim.compare` on `scenarios/<scenario>.yaml`, {settings.replications} "
        f"replications on common random numbers (seed {SEED}); flows are run totals, stocks the last quarter, "
        "ratios the ratio of run totals. Claimed: the direction the sources give; the effect is treatment minus "
        "reference (mean [95% interval]).",
        table(["#", "mechanism (treatment vs reference)", "scenario", "metric", "claimed", "effect [95% interval]",
               "relative", "verdict"],
              [[str(r["number"]), r["mechanism"].change, _scenario_label(r["mechanism"]), f"`{r['effect'].name}`",
                "up" if r["effect"].sign > 0 else "down", r["difference"], percent(r["relative"][0]), r["verdict"]]
               for r in rows]),
        "Sources of the claimed directions:\n\n" + "\n".join(
            f"{i}. **{m.key}** — {m.source}." for i, m in enumerate(checked, start=1)))
    explained = {r["mechanism"].key: r["mechanism"] for r in rows
                 if r["verdict"] != HOLDS and r["mechanism"].if_not_holding}
    if explained:
        section.add("Why an effect does not hold as claimed:\n\n" + "\n".join(
            f"* **{key}** — {m.if_not_holding}." for key, m in explained.items()))
    _forest(section, settings, rows)
    for status, meaning in VERDICT_MEANING.items():
        named = [f"{r['number']}. {r['mechanism'].key} (`{r['effect'].name}` {percent(r['relative'][0])})"
                 for r in rows if r["verdict"] == status]
        if named:
            section.judge(Verdict(f"{len(named)} of {len(rows)} effects: {meaning}", status, "; ".join(named) + "."))
    return section, results
