"""The report of a comparison directory (``ecosim compare``): arms, paired differences, figures."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from sim import plots
from sim.formatting import comparison_cells
from sim.report.page import Figurespec, Page, flatten, table

__all__ = ["comparison_page"]


def _comparison_row(r) -> list[str]:
    """One row of the headline table: an arm against the reference arm on one metric."""
    cells = comparison_cells(r)
    return [r.metric, f"{r.arm} vs {r.baseline}", cells["baseline"], cells["arm"], cells["difference"],
            cells["interval"], cells["change"], r.verdict]


def comparison_page(path: Path) -> Page:
    """The report page of an incentive comparison (``ecosim compare``)."""
    comparison = pd.read_csv(path / "comparison.csv")
    manifest_file = path / "experiment.json"
    m = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    arms = [a["name"] for a in m.get("arms", [])] or list(dict.fromkeys(
        [*comparison.get("baseline", pd.Series(dtype=str)), *comparison.get("arm", pd.Series(dtype=str))]))
    runs = {arm: pd.read_parquet(path / arm / "quarterly.parquet") for arm in arms
            if (path / arm / "quarterly.parquet").exists()}
    metrics = list(dict.fromkeys(comparison["metric"])) if not comparison.empty else []
    series = [metric for metric in metrics if runs and all(metric in q for q in runs.values())]
    series += [metric for metric in ("revenue", "arr", "partners_active", "program_cost") if metric not in series]
    what = table(None, [
        ["experiment", m.get("experiment", path.name)],
        ["question", m.get("question") or "(none)"],
        ["experiment file", str(m.get("source", ""))],
        ["replications (paired, common random numbers)", str(m.get("replications", ""))],
        ["seed", str(m.get("seed", ""))],
        ["quarters", ", ".join(f"{a}: {q}" for a, q in m.get("quarters", {}).items())],
    ]) + "<h3>Arms</h3>" + table(["arm", "settings"], [
        [a["name"], "; ".join(f"{k}={v}" for k, v in flatten({k: v for k, v in a.items() if k != "name"}) if v
                              not in ("None", "{}"))] for a in m.get("arms", [])])
    rows = [_comparison_row(r) for r in comparison.itertuples()]
    headline = table(["metric", "arm", "baseline mean", "arm mean", "difference", "95% interval", "relative",
                       "verdict"], rows)
    headline += ("<p>Each arm's own run directory (plots and report: <code>ecosim report DIR/ARM</code>): "
                 + ", ".join(html.escape(a) for a in runs) + ".</p>")
    figures = [
        Figurespec("forest", "Paired differences (forest plot)",
                   "Each arm's mean difference from the baseline arm per metric, relative to the baseline's mean, "
                   "with its paired 95% interval (arms ran on the same random draws). Green: the interval excludes "
                   "zero and the arm is better; red: worse; grey: no clear difference.",
                   lambda: plots.forest_plot(comparison)),
        Figurespec("arms_over_time", "Arms over time",
                   "The compared metrics per quarter for every arm: mean across replications with its 95% band.",
                   lambda: plots.arm_timeseries(runs, series)),
    ]
    subtitle = f"{len(arms)} arms compared with '{arms[0] if arms else ''}' on common random numbers."
    return Page(f"ecosim comparison: {m.get('experiment', path.name)}", subtitle,
                [("what-was-run", "What was run", what), ("headline", "Headline numbers", headline)], figures, m)
