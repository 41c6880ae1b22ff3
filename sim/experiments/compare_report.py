"""The table ``ecosim compare`` prints: each arm against the first, metric by metric.

Numbers are formatted as in report.html (:func:`sim.formatting.comparison_cells`).
"""

from __future__ import annotations

import pandas as pd

from sim.formatting import comparison_cells

__all__ = ["format_comparison"]

STATISTIC_NAMES = {"final": "final quarter", "total": "run total", "mean": "quarterly mean", "ratio": "ratio of totals"}


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
