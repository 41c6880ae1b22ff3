"""The printed account of an exploration: each design's robustness, and when the chosen design fails."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.formatting import format_value, metric_kind

__all__ = ["format_exploration", "box_lines"]


def _value(manifest: dict, value: float) -> str:
    outcome = manifest["outcome"]
    return format_value(value, metric_kind(outcome["label"], "ratio" if outcome.get("ratio") else None, (value,)))


def _bound(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) and math.isfinite(value) else str(value)


def box_lines(found: dict) -> list[str]:
    """The discovery's answer: how often the design fails, and the box of conditions (manifest entry)."""
    share = found["failures"] / found["futures"] if found["futures"] else math.nan
    lines = [f"Scenario discovery (PRIM) for {found['design']}"
             + (" (the best on average)" if found["chosen_as"] == "best_on_average" else "")
             + f": it fails ({found['rule']}) in {found['failures']} of {found['futures']} futures ({share:.0%})."]
    if "note" in found:
        return [*lines, f"  No box: {found['note']}."]
    lines.append(f"  It fails mostly when (coverage {found['coverage']:.0%}: the share of its failures in this box; "
                 f"density {found['density']:.0%}: the share of futures in this box where it fails; "
                 f"{found['restricted']} parameter(s) restricted):")
    limits = found["limits"]
    width = max(len(row["parameter"]) for row in limits) if limits else 0
    for row in limits:
        sampled = f"[{_bound(row['range_low'])}, {_bound(row['range_high'])}]"
        if isinstance(row["low"], str):
            lines.append(f"    {row['parameter']:<{width}}  is {row['low']}  (of {row['range_low']})")
        else:
            lines.append(f"    {row['parameter']:<{width}}  in [{_bound(row['low'])}, {_bound(row['high'])}]  "
                         f"(sampled {sampled})")
    return lines


def format_exploration(manifest: dict, robustness: pd.DataFrame, path: Path | None) -> str:
    """A readable account of a finished exploration.

    Args:
        manifest: the exploration's manifest.
        robustness: one row per design.
        path: the result directory, when written.
    """
    outcome = manifest["outcome"]
    higher = outcome["direction"] == "higher"
    lines = [f"{manifest['name']}: {len(robustness)} designs x {manifest['futures']} futures x "
             f"{manifest['replications']} replication(s) on common random numbers (Latin hypercube over "
             f"{len(manifest['uncertainties'])} uncertain parameters, seed {manifest['futures_seed']})",
             f"Outcome: {outcome['label']} ({outcome['direction']} is better); regret: the shortfall from the best "
             "design in the same future"]
    header = ("design", "mean", "p10", "p90", "regret mean", "regret p90", "regret max", "best in")
    rows = [header] + [(r["design"], *(_value(manifest, r[c]) for c in ("mean", "p10", "p90", "regret_mean",
                                                                          "regret_p90", "regret_max")),
                        f"{r['best_share']:.0%}") for r in robustness.to_dict(orient="records")]
    width = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines += ["  " + "  ".join(f"{cell:<{width[0]}}" if i == 0 else f"{cell:>{width[i]}}"
                               for i, cell in enumerate(row)) for row in rows]
    lines.append(f"Best on average: {manifest['best_on_average']} ({'highest' if higher else 'lowest'} mean); "
                 f"smallest worst-case regret: {manifest['least_worst_regret']}.")
    failed = robustness["failed_runs"].sum()
    if failed:
        lines.append(f"{int(failed)} run(s) failed; their futures are left out of those designs' figures.")
    if manifest.get("discovery"):
        lines += box_lines(manifest["discovery"])
    if path is not None:
        lines.append(f"Every design in every future: {Path(path) / 'outcomes.parquet'}")
    return "\n".join(lines)
