"""The report of a comparison directory (``ecosim compare``): arms, a summary, paired differences, figures.

The arms are incentive designs on one scenario or whole strategies (scenario files);
either way the page shows what was run, a plain-language summary written from the
comparison's tables (:func:`sim.experiments.compare_report.summary_paragraph`), the
paired differences, the arms' curves overlaid (revenue by route, partners in the
program, ecosystem contribution and the flywheel, the compared metrics) and each arm's
partner network in the last quarter.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from sim import plots
from sim.experiments.compare_report import summary_paragraph
from sim.experiments.compare_spec import MetricSpec
from sim.experiments.comparison import leaders
from sim.formatting import comparison_cells
from sim.metrics import flywheel_quarter
from sim.report.page import Figurespec, Page, flatten, table

__all__ = ["comparison_page"]

ROUTES = ["revenue_direct", "revenue_partner_sourced", "revenue_partner_influenced", "revenue_marketplace"]


def _comparison_row(r) -> list[str]:
    """One row of the headline table: an arm against the reference arm on one metric."""
    cells = comparison_cells(r)
    return [r.metric, f"{r.arm} vs {r.baseline}", cells["baseline"], cells["arm"], cells["difference"],
            cells["interval"], cells["change"], r.verdict]


def _arm_settings(arm: dict) -> str:
    """An arm's own settings in one line; an inline scenario is named, not spelt out."""
    own = {k: v for k, v in arm.items() if k != "name"}
    if isinstance(own.get("scenario"), dict):
        own["scenario"] = f"inline scenario {own['scenario'].get('name', '')}".strip()
    return "; ".join(f"{k}={v}" for k, v in flatten(own) if v not in ("None", "{}"))


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
    ]) + "<h3>Arms</h3>" + table(["arm", "scenario", "settings"], [
        [a["name"], m.get("scenarios", {}).get(a["name"], ""), _arm_settings(a)] for a in m.get("arms", [])])
    summary = _summary(path, m, runs)
    rows = [_comparison_row(r) for r in comparison.itertuples()]
    headline = table(["metric", "arm", "baseline mean", "arm mean", "difference", "95% interval", "relative",
                       "verdict"], rows)
    headline += ("<p>Each arm's own run directory (plots and report: <code>ecosim report DIR/ARM</code>): "
                 + ", ".join(html.escape(a) for a in runs) + ".</p>")
    figures = [
        Figurespec("forest", "Paired differences (forest plot)",
                   "Each arm's mean difference from the baseline arm per metric, relative to the baseline's mean, "
                   "with its paired 95% interval (arms ran on the same seeds). Green: the interval excludes "
                   "zero and the arm is better; red: worse; grey: no clear difference.",
                   lambda: plots.forest_plot(comparison)),
        *_strategy_figures(runs),
        Figurespec("arms_over_time", "Arms over time",
                   "The compared metrics per quarter for every arm: mean across replications with its 95% band.",
                   lambda: plots.arm_timeseries(runs, series)),
        *_network_figures(path, runs),
    ]
    subtitle = f"{len(arms)} arms compared with '{arms[0] if arms else ''}' on common random numbers."
    return Page(f"ecosim comparison: {m.get('experiment', path.name)}", subtitle,
                [("what-was-run", "What was run", what), ("summary", "Summary", summary),
                 ("headline", "Headline numbers", headline)], figures, m)


def _summary(path: Path, manifest: dict, runs: dict[str, pd.DataFrame]) -> str:
    """The plain-language paragraph, written from values.csv, the manifest and the arms' runs."""
    values_file = path / "values.csv"
    if not values_file.exists() or "metrics" not in manifest:
        return "<p>No values.csv and experiment.json in this comparison directory.</p>"
    metrics = [MetricSpec.model_validate(metric) for metric in manifest["metrics"]]
    flywheel = {arm: flywheel_quarter(q) for arm, q in runs.items()}
    text = summary_paragraph(manifest, leaders(pd.read_csv(values_file), metrics), flywheel)
    return f"<p>{html.escape(text)}</p>"


def _strategy_figures(runs: dict[str, pd.DataFrame]) -> list[Figurespec]:
    """The arms' curves overlaid: revenue by route, partners in the program, ecosystem contribution and flywheel."""
    band = "mean across replications with its 95% band, one colour per arm"
    return [
        Figurespec("revenue_by_route", "Revenue by route",
                   f"Revenue recognised each quarter by the route that brought the customer in: direct, "
                   f"partner-sourced, partner-influenced (co-sold) and marketplace; {band}.",
                   lambda: plots.arm_timeseries(runs, ROUTES, "Revenue by route (mean, shaded: 95% interval)")),
        Figurespec("partners_in_program", "Partners in the program",
                   f"Partners in the program (onboarding to dormant) and active partners (an opportunity of their "
                   f"own in the quarter); {band}.",
                   lambda: plots.arm_timeseries(runs, ["partners_partnered", "partners_active"],
                                                "Partners in the program (mean, shaded: 95% interval)")),
        Figurespec("ecosystem_and_flywheel", "Ecosystem contribution and the flywheel",
                   f"Left: the share of revenue through partners and marketplaces; {band}. Right: the first "
                   "quarter when partner-sourced plus influenced revenue exceeds half of revenue (the flywheel), "
                   "mean and 95% interval over the replications that reach it, and how many do.",
                   lambda: plots.flywheel_by_arm(runs)),
    ]


def _network_figures(path: Path, runs: dict[str, pd.DataFrame]) -> list[Figurespec]:
    """Each arm's partner network in its last quarter (first replication)."""
    figures = []
    for arm, quarterly in runs.items():
        last = int(quarterly["quarter"].max())
        figures.append(Figurespec(
            f"network_{arm}", f"Partner network of {arm} at Q{last}",
            "Vendor, partners in the program (coloured by type, sized by the quarter's revenue; resellers beside "
            "their distributor) and the customers each partner serves, one square per partner. First replication.",
            lambda arm=arm, last=last: plots.network_picture(_first_replication(path / arm), quarter=last)))
    return figures


def _first_replication(run: Path) -> pd.DataFrame:
    """An arm's partners table, first replication only."""
    partners = pd.read_parquet(run / "partners.parquet")
    return partners[partners["replication"] == partners["replication"].min()]
