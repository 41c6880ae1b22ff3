"""The report of an exploration directory (``ecosim explore``): robustness, regret and scenario discovery."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from sim.experiments.explore_report import box_lines, format_exploration
from sim.plots.explore import failure_map, prim_tradeoff, regret_by_design
from sim.report.page import Figurespec, Page, table

__all__ = ["exploration_page"]


def _what(m: dict) -> str:
    rows = [["exploration", m["name"]], ["question", m.get("question") or "(none)"],
            ["experiment file", m.get("experiment", "")],
            ["futures", f"{m['futures']}: {m['futures_design']}, seed {m['futures_seed']}"],
            ["replications per design and future (common random numbers)", str(m["replications"])],
            ["outcome", f"{m['outcome']['label']} ({m['outcome']['direction']} is better)"],
            ["runs", f"{m.get('runs')} ({m.get('runs_failed') or 0} failed)"]]
    designs = table(["design", "settings"], [[name, "; ".join(f"{k}={v}" for k, v in settings.items()) or
                                              "(the base scenario)"] for name, settings in m["designs"].items()])
    uncertain = table(["uncertain parameter", "range"], [[k, v] for k, v in m["uncertainties"].items()])
    return table(None, rows) + "<h3>Designs</h3>" + designs + "<h3>Uncertainties</h3>" + uncertain


def exploration_page(path: Path) -> Page:
    """The report page of an exploration (``ecosim explore``)."""
    m = json.loads((path / "manifest.json").read_text())
    outcomes = pd.read_parquet(path / "outcomes.parquet")
    robust = pd.read_csv(path / "robustness.csv")
    designs = list(m["designs"])
    outcome = m["outcome"]["label"]
    headline = f"<pre>{html.escape(format_exploration(m, robust, None))}</pre>"
    figures = [Figurespec("regret", "Outcome and regret by design",
                          f"Each design's {outcome} over the futures, and its regret: how far it falls short of the "
                          "best design in the same future. A robust design has a high floor and little regret.",
                          lambda: regret_by_design(outcomes, outcome, designs))]
    found = m.get("discovery") or {}
    sections = [("what-was-run", "What was run", _what(m)), ("headline", "Headline numbers", headline)]
    if (path / "discovery_box.csv").exists():
        limits = pd.read_csv(path / "discovery_box.csv")
        trajectory = pd.read_csv(path / "discovery_trajectory.csv")
        rows = outcomes[(outcomes["design"] == found["design"]) & outcomes[found["metric"]].notna()]
        values = rows[found["metric"]]
        fails = values < found["below"] if found["below"] is not None else values > found["above"]
        futures = rows[[c for c in outcomes.columns if c in m["uncertainties"]]]
        figures += [
            Figurespec("discovery_map", f"When {found['design']} fails",
                       "Every future over the box's first two parameters; red: the design fails there. The dashed "
                       "box is PRIM's: the conditions under which failures concentrate.",
                       lambda: failure_map(futures, fails.to_numpy(), limits, found["rule"])),
            Figurespec("discovery_tradeoff", "PRIM's coverage-density trade-off",
                       "Each box along PRIM's peeling trajectory: smaller boxes are denser in failures but hold "
                       "fewer of them. The circled box is the one reported.", lambda: prim_tradeoff(trajectory))]
    if found:
        sections.append(("discovery", "Scenario discovery", f"<pre>{html.escape(chr(10).join(box_lines(found)))}"
                                                            "</pre>"))
    subtitle = f"{len(designs)} designs in {m['futures']} plausible futures, on common random numbers."
    return Page(f"ecosim exploration: {m['name']}", subtitle, sections, figures, m)

