"""The printed account of a study: its size, the best design(s) against the base, or why there is none."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.levers import base_value
from sim.formatting import format_value, metric_kind

__all__ = ["format_optimization", "format_outcome", "MAX_ROWS"]

MAX_ROWS = 10


def format_outcome(entry: dict, value: float) -> str:
    """A metric's value as every view prints it (``entry``: an objective or constraint of the manifest)."""
    kind = metric_kind(entry["label"], "ratio" if entry.get("ratio") else None, (value,))
    return format_value(value, kind)


def _lever(value) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:.4g}"
    return "off" if value is None else str(value)


def _change(entry: dict, value: float, reference: float) -> str:
    """The best design's change from the base: relative, or in percentage points for a share."""
    kind = metric_kind(entry["label"], "ratio" if entry.get("ratio") else None, (value, reference))
    return format_value(value - reference, kind, signed=True) if kind == "share" else f"{value / reference - 1:+.1%}"


def _metrics(manifest: dict) -> list[dict]:
    """Objectives, then constraints on other metrics, each once (manifest entries)."""
    unique: dict[str, dict] = {}
    for entry in [*manifest["objectives"], *manifest["constraints"]]:
        unique.setdefault(entry["label"], entry)
    return list(unique.values())


def _what(entry: dict, manifest: dict) -> str:
    bounds = [c["describe"].removeprefix(entry["label"]).strip() for c in manifest["constraints"]
              if c["label"] == entry["label"]]
    goal = [f"{entry['direction']} is better"] if entry in manifest["objectives"] else []
    return ", ".join(goal + bounds)


def _single(manifest: dict, best: pd.Series, base: pd.DataFrame) -> list[str]:
    n = manifest["replications_per_trial"]
    rows = [("lever", "best", "base", "")]
    for path in manifest["levers"]:
        rows.append((path, _lever(best[path]), _lever(base_value(manifest["scenario"], path)), ""))
    rows.append(("metric", "best", "base", ""))
    for entry in _metrics(manifest):
        key = entry["label"]
        reference = float(base[key].mean()) if key in base else np.nan
        change = f"({_change(entry, best[key], reference)})" if reference and math.isfinite(reference) else ""
        rows.append((f"{key} ({_what(entry, manifest)})", format_outcome(entry, best[key]),
                     format_outcome(entry, reference), change))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return [f"Best design: trial {best['trial']} (means over {n} replications; the base design on the same draws)",
            *(f"  {a:<{width[0]}}  {b:>{width[1]}}  {c:>{width[2]}}  {d}".rstrip() for a, b, c, d in rows)]


def _front(manifest: dict, best: pd.DataFrame) -> list[str]:
    objectives = manifest["objectives"]
    lines = [f"Pareto front: {len(best)} design(s) that no other feasible trial beats on every objective "
             f"({', '.join(o['label'] + ': ' + o['direction'] + ' is better' for o in objectives)})"]
    for row in best.head(MAX_ROWS).to_dict(orient="records"):
        values = ", ".join(f"{o['label']} {format_outcome(o, row[o['label']])}" for o in objectives)
        levers = ", ".join(f"{p}={_lever(row[p])}" for p in manifest["levers"])
        lines.append(f"  trial {row['trial']:>4}: {values} | {levers}")
    if len(best) > MAX_ROWS:
        lines.append(f"  ... and {len(best) - MAX_ROWS} more in best.csv")
    return lines


def _infeasible(manifest: dict, trials: pd.DataFrame) -> list[str]:
    rules = "; ".join(c["describe"] for c in manifest["constraints"])
    complete = trials[trials["state"] == "complete"]
    if complete.empty:
        return ["No trial completed: every trial failed (see the error column of trials.parquet)."]
    closest = complete.loc[complete["violation"].idxmin()]
    values = ", ".join(f"{c['label']} {format_outcome(c, closest[c['label']])}" for c in manifest["constraints"])
    return [f"No design met the constraints ({rules}) in {len(complete)} complete trials.",
            f"The closest was trial {closest['trial']} ({values}). Loosen the constraints or change the space; "
            "every trial is in trials.parquet."]


def format_optimization(manifest: dict, trials: pd.DataFrame, best: pd.DataFrame, base: pd.DataFrame,
                        path: Path | None) -> str:
    """A readable account of a finished study.

    Args:
        manifest: the study's manifest.
        trials: one row per trial.
        best: the best trial or the Pareto front (empty when none met the constraints).
        base: the base design's outcomes per replication.
        path: the result directory, when written.
    """
    counts, sampler = manifest["trials"], manifest["sampler"]
    lines = [f"{manifest['name']}: {counts['complete']} of {counts['requested']} trials complete x "
             f"{manifest['replications_per_trial']} replications ({sampler['algorithm']}, seed {manifest['seed']}); "
             f"{counts['failed']} failed"
             + (f"; {counts['feasible']} met the constraints" if manifest["constraints"] else "")]
    if best.empty:
        lines += _infeasible(manifest, trials)
    elif len(manifest["objectives"]) == 1:
        lines += _single(manifest, best.iloc[0], base)
    else:
        lines += _front(manifest, best)
    if path is not None and not best.empty:
        which = "best" if len(manifest["objectives"]) == 1 else "pareto"
        confirm = Path(path) / f"compare_{which}.yaml"
        lines.append(f"Confirm on fresh draws with paired intervals: ecosim compare {confirm}")
    return "\n".join(lines)
