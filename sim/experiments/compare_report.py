"""What ``ecosim compare`` prints: each arm against the first, metric by metric, and a summary.

The table's numbers are formatted as in report.html (:func:`sim.formatting.comparison_cells`);
the summary paragraph (:func:`summary_paragraph`), which report.html shows too, is written
from the comparison's own tables: which arm leads on which metric and whether the lead is
clear, when the flywheel turns for each arm, and how far the arms share their random draws.
"""

from __future__ import annotations

import pandas as pd

from sim.formatting import comparison_cells, format_value, metric_kind

__all__ = ["format_comparison", "summary_paragraph", "metric_label"]

STATISTIC_NAMES = {"final": "final quarter", "total": "run total", "mean": "quarterly mean", "ratio": "ratio of totals"}
# Plain names of the quarterly columns a strategist compares first; others read as their column name.
PLAIN_NAMES = {
    "revenue": "revenue", "revenue_direct": "direct revenue", "revenue_partner_sourced": "partner-sourced revenue",
    "revenue_partner_influenced": "partner-influenced revenue", "revenue_marketplace": "marketplace revenue",
    "arr": "ARR", "customers": "paying customers", "partners_partnered": "partners in the program",
    "partners_active": "active partners", "ecosystem_contribution": "ecosystem contribution",
    "program_cost": "program cost", "vendor_net_revenue": "net revenue after partner payouts",
    "conflicts": "channel conflicts", "partner_payouts": "partner payouts", "new_customers": "new customers",
    "churned_customers": "churned customers"}
FLYWHEEL = "the flywheel (partner-sourced plus influenced revenue above half of revenue)"


def format_comparison(manifest: dict, table: pd.DataFrame) -> str:
    """A planner-readable table: per arm vs. the first, each metric's difference and verdict.

    Args:
        manifest: the comparison's manifest (``experiment.json``).
        table: the comparison (``comparison.csv``).
    """
    m = manifest
    quarters = sorted(set(m["quarters"].values()))
    lines = [f"{m['experiment']}: {m['question']}" if m["question"] else m["experiment"],
             f"{m['replications']} paired replications x {'/'.join(map(str, quarters))} quarters, seed {m['seed']} "
             "(common random numbers); 95% intervals of the paired differences"]
    for arm, rows in table.groupby("arm", sort=False):
        baseline = rows["baseline"].iloc[0]
        labels = [f"{r.metric} ({STATISTIC_NAMES[r.statistic]})" for r in rows.itertuples()]
        w_label, w_base, w_arm = max(map(len, labels + ["metric"])), max(12, len(baseline)), max(12, len(arm))
        lines += ["", f"{arm} vs {baseline}",
                  f"  {'metric':<{w_label}}  {baseline:>{w_base}}  {arm:>{w_arm}}  "
                  f"{'difference [95% interval]':<38}{'change':>8}  verdict"]
        for label, row in zip(labels, rows.itertuples(), strict=True):
            cells = comparison_cells(row)
            diff = f"{cells['difference']} {cells['interval']}"
            lines.append(f"  {label:<{w_label}}  {cells['baseline']:>{w_base}}  {cells['arm']:>{w_arm}}  "
                         f"{diff:<38}{cells['change']:>8}  {row.verdict}")
        for verdict, words in (("better", f"{arm} is better on"), ("worse", f"{arm} is worse on"),
                               ("no clear difference", "no clear difference (interval includes 0)")):
            names = rows.loc[rows["verdict"] == verdict, "metric"].tolist()
            if names:
                lines.append(f"  {words}: {', '.join(names)}")
    return "\n".join(lines)


def metric_label(metric: str, statistic: str, horizon: int) -> str:
    """A metric in words: its plain name and how it was reduced (``ARR at Q12``, ``revenue over the run``).

    Examples:
        >>> metric_label("arr", "final", 12), metric_label("revenue_partner_sourced", "total", 12)
        ('ARR at Q12', 'partner-sourced revenue over the run')
    """
    name = PLAIN_NAMES.get(metric, metric.replace("_", " "))
    return name + {"final": f" at Q{horizon}", "total": " over the run", "mean": " per quarter on average",
                   "ratio": ""}[statistic]


def _listing(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _leads(leaders: pd.DataFrame, horizon: int) -> list[str]:
    """Sentences: each arm's clear leads, then the metrics too close to call."""
    sentences = []
    for leader, rows in leaders[leaders["clear"]].groupby("leader", sort=False):
        items = []
        for r in rows.itertuples():
            kind = metric_kind(r.metric, r.statistic, (r.leader_mean, r.runner_up_mean))
            lower = "; lower is better" if r.better == "lower" else ""
            items.append(f"{metric_label(r.metric, r.statistic, horizon)} ({format_value(r.leader_mean, kind)} "
                         f"against {format_value(r.runner_up_mean, kind)} for {r.runner_up}{lower})")
        sentences.append(f"{leader} leads on {_listing(items)}.")
    close = leaders[~leaders["clear"]]
    if not close.empty:
        items = [f"{metric_label(r.metric, r.statistic, horizon)} ({r.leader} and {r.runner_up})"
                 for r in close.itertuples()]
        sentences.append(f"Too close to call, the paired 95% interval of the difference between the best two "
                         f"including zero: {_listing(items)}.")
    return sentences


def _flywheel(flywheel: dict[str, pd.Series], horizon: int) -> str:
    """When the flywheel turns for each arm, earliest first, from each replication's first quarter."""
    reached, never = [], []
    for arm, quarters in flywheel.items():
        hits = quarters.dropna()
        if hits.empty:
            never.append(arm)
        else:
            reached.append((float(hits.mean()), arm, len(hits), len(quarters)))
    if not reached:
        return f"{FLYWHEEL[0].upper()}{FLYWHEEL[1:]} turns for no arm within {horizon} quarters."
    turns = [f"{arm} (Q{mean:.1f} on average, in {hits} of {n} replications)"
             for mean, arm, hits, n in sorted(reached)]
    sentence = f"{FLYWHEEL[0].upper()}{FLYWHEEL[1:]} turns first for {turns[0]}"
    sentence += f", then {_listing(turns[1:])}" if len(turns) > 1 else ""
    if never:
        sentence += f"; it does not turn within {horizon} quarters for {_listing(never)}"
    return sentence + "."


def _pairing(world: dict[str, dict]) -> str:
    """How far the arms share their random draws, from the settings of the initial state they differ on."""
    if not world:
        return ("The arms share their market and partner pools, so in each replication they meet the same "
                "customers and partners with the same random numbers: the intervals are of paired differences.")
    sections = list(dict.fromkeys(".".join(key.split(".")[:2]) for key in world))
    named = _listing(sections[:4] + ([f"{len(sections) - 4} more"] if len(sections) > 4 else []))
    return (f"The arms differ in the settings their initial state is drawn from ({named}), so each replication "
            "builds a different market and partner pool from the same seed: replications are paired by seed "
            "only, and the intervals, though valid, are no narrower than for independent runs.")


def summary_paragraph(manifest: dict, leaders: pd.DataFrame, flywheel: dict[str, pd.Series]) -> str:
    """A plain-language paragraph: which arm wins on what, when the flywheel turns, what is paired.

    Args:
        manifest: the comparison's manifest (``experiment.json``).
        leaders: the best arm per metric and its lead over the runner-up
            (:func:`sim.experiments.comparison.leaders`).
        flywheel: per arm, the first quarter of each replication when partner-led
            revenue exceeds half of revenue (NaN where it never does;
            :func:`sim.metrics.flywheel_quarter`).
    """
    horizon = max(manifest["quarters"].values())
    reps = manifest["replications"]
    arms = [a["name"] for a in manifest["arms"]]
    head = f"Comparing {_listing(arms)} over {horizon} quarters and {reps} replications on common seeds:"
    body = _leads(leaders, horizon) if not leaders.empty else ["no metric has values for two arms."]
    flywheel = {arm: flywheel[arm] for arm in arms if arm in flywheel}
    tail = [_flywheel(flywheel, horizon)] if flywheel else []
    return " ".join([head, *body, *tail, _pairing(manifest.get("world_differences", {}))])
