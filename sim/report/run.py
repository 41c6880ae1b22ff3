"""The report of a run directory: what was run, the headline numbers and the run figures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim import plots
from sim.errors import ScenarioError
from sim.formatting import format_metric
from sim.metrics import KEY_METRICS
from sim.report.page import Figurespec, Page, flatten, table

__all__ = ["RunTables", "read_run", "run_figures", "key_parameters", "run_page"]


@dataclass
class RunTables:
    """The files of a run directory, read back."""

    manifest: dict
    quarterly: pd.DataFrame
    partners: pd.DataFrame
    summary: pd.DataFrame
    vendors: pd.DataFrame | None = None  # several startups: one row per (replication, quarter, vendor)


def read_run(directory: str | Path) -> RunTables:
    """Read a run directory's manifest and tables."""
    path = Path(directory)
    summary = pd.read_csv(path / "summary.csv") if (path / "summary.csv").exists() else pd.DataFrame()
    vendors = pd.read_parquet(path / "vendors.parquet") if (path / "vendors.parquet").exists() else None
    return RunTables(json.loads((path / "manifest.json").read_text()), pd.read_parquet(path / "quarterly.parquet"),
                     pd.read_parquet(path / "partners.parquet"), summary, vendors)


def competition_figures(run: RunTables) -> list[Figurespec]:
    """The figures of a run with several startups: market share, growth and shared partners."""
    v, p = run.vendors, run.partners
    return [
        Figurespec("market_share", "Market share and partner effort",
                   "Each startup's share of the startups' paying customers and its share of all partners' "
                   "selling capacity, mean across replications with a shaded 95% interval. Neither is an "
                   "input: both emerge from partners' and customers' choices.",
                   lambda: plots.market_share(v)),
        Figurespec("vendor_growth", "Revenue and partners per startup",
                   "Each startup's revenue per quarter and the partners in its program.",
                   lambda: plots.vendor_growth(v)),
        Figurespec("partner_overlap", "Shared partners",
                   "Partners in a program by how many startups they carry at once (first replication).",
                   lambda: plots.partner_overlap(p)),
    ]


def run_figures(run: RunTables, quarter: int | None = None) -> list[Figurespec]:
    """The figures of a run report, in reading order (with several startups, the competition's)."""
    if run.vendors is not None:
        return competition_figures(run)
    q, p = run.quarterly, run.partners
    last = int(q["quarter"].max())
    at = last if quarter is None else quarter
    if not 1 <= at <= last:
        raise ScenarioError(f"--quarter {quarter}: the run has quarters 1 to {last}")
    return [
        Figurespec("revenue_by_source", "Revenue by source",
                   "Revenue recognised each quarter, stacked by the channel that brought the customer in: "
                   "direct, partner-sourced, partner-influenced (co-sold) and marketplace. The dashed line is "
                   "total revenue with its 95% interval across replications.",
                   lambda: plots.revenue_by_source(q)),
        Figurespec("arr_and_customers", "ARR and active customers",
                   "Annual recurring revenue and the number of paying customers at the end of each quarter.",
                   lambda: plots.arr_and_customers(q)),
        Figurespec("customer_flows", "New and churned customers",
                   "Customers won and customers lost at renewal in each quarter.",
                   lambda: plots.customer_flows(q)),
        Figurespec("partner_funnel", "Partner funnel",
                   "Partners in each lifecycle state: prospects not yet recruited and partners who left "
                   "(left), and partners in the program from onboarding to active or dormant (right).",
                   lambda: plots.partner_funnel(q)),
        Figurespec("tiers_and_rag", "Tiers and scorecard ratings",
                   "Partners per program tier, and the share of scored partners rated green, amber or red "
                   "at each quarterly review.",
                   lambda: plots.tiers_and_rag(q, p)),
        Figurespec("flywheel", "Flywheel",
                   "The loop of installed base, active partners and new customers per active partner; the "
                   "dotted line marks the average quarter when partner-sourced plus influenced revenue first "
                   "exceeded half of revenue.",
                   lambda: plots.flywheel(q)),
        Figurespec("revenue_concentration", "Partner revenue concentration",
                   "Lorenz curve of the revenue each recruited partner sourced or influenced over the run: "
                   "the further below the diagonal, the more a few partners carry the channel.",
                   lambda: plots.revenue_concentration(p)),
        Figurespec("scorecard_heatmap", "Scorecards of the top partners",
                   "The top partners of the first replication by quarter, coloured by their scorecard "
                   "rating (green, amber, red); grey cells are partners in the program without a rating.",
                   lambda: plots.scorecard_heatmap(p)),
        Figurespec("network", f"Ecosystem network at Q{at}",
                   "Vendor, partners in the program (coloured by type, sized by the quarter's revenue; "
                   "resellers beside their distributor) and the customers each partner serves, aggregated "
                   "into one square per partner. First replication.",
                   lambda: plots.network_picture(p, quarter=at)),
    ]


def key_parameters(scenario: dict) -> list[list[str]]:
    """The settings a reader needs first (the manifest section has every one).

    Market, vendor, the partner types in play and the program components switched on.
    """
    market, vendor = scenario.get("market", {}), scenario.get("vendor", {})
    adoption = market.get("adoption", {})
    rows = [["customers in the market", f"{market.get('customers', 'n/a'):,}"],
            ["adoption p (innovation) / q (imitation) per quarter",
             f"{adoption.get('innovation')} / {adoption.get('imitation')}"],
            ["word-of-mouth graph", str(market.get("word_of_mouth", {}).get("graph"))],
            ["vendor stage / partner managers", f"{vendor.get('stage')} / {vendor.get('partner_managers')}"],
            ["rival vendors", str(scenario.get("rivals", {}).get("count"))]]
    for ptype, spec in scenario.get("partners", {}).items():
        if isinstance(spec, dict) and spec.get("count"):
            rows.append([f"partners: {ptype}", f"{spec['count']} in the market ({spec.get('initial', 0)} at "
                                               f"start), {spec.get('commercial_model')} margin "
                                               f"{spec.get('margin', 0):.0%}"])
    program = {k: v for k, v in scenario.get("program", {}).items() if k != "scorecard"}
    rows += [[f"program.{key}", value] for key, value in flatten(program) if value != "None"]
    return rows


def _run_sections(run: RunTables) -> list[tuple[str, str, str]]:
    """(id, heading, HTML) of the run report's text sections."""
    m = run.manifest
    scenario = m.get("scenario", {})
    what = table(None, [
        ["scenario", m.get("scenario_name", "")],
        ["description", scenario.get("description", "").strip() or "(none)"],
        ["replications x quarters", f"{m.get('replications')} x {m.get('quarters')}"],
        ["seed", str(m.get("seed"))],
        ["ecosim version / git commit", f"{m.get('ecosim_version')} / {m.get('git_commit') or 'unknown'}"],
        ["started (UTC) / wall time", f"{m.get('started_utc')} / {m.get('wall_seconds')} s"],
        ["scenario sha256", str(m.get("scenario_sha256"))],
    ]) + "<h3>Key parameters</h3>" + table(["setting", "value"], key_parameters(scenario))
    return [("what-was-run", "What was run", what), ("headline", "Headline numbers", _headline(run))]


def _headline(run: RunTables) -> str:
    s = run.summary
    if s.empty:
        return "<p>No summary.csv in this run directory.</p>"
    if "vendor" in s:
        return "".join(f"<h3>{vendor}</h3>" + _headline_table(run, rows.drop(columns="vendor"))
                       for vendor, rows in s.groupby("vendor", sort=True))
    return _headline_table(run, s)


def _headline_table(run: RunTables, s: pd.DataFrame) -> str:
    rows = []
    final = s[s["statistic"] == "final_quarter"].set_index("metric")
    quarters = run.manifest.get("quarters")
    for metric in KEY_METRICS:
        if metric in final.index:
            r = final.loc[metric]
            rows.append([f"{metric.replace('_', ' ')} (Q{quarters})", format_metric(metric, r["mean"]),
                         f"{format_metric(metric, r['ci_low'])} to {format_metric(metric, r['ci_high'])}"])
    totals = s[s["statistic"] == "total"].set_index("metric")
    for metric in ("revenue", "revenue_partner_sourced", "revenue_partner_influenced", "program_cost"):
        if metric in totals.index:
            r = totals.loc[metric]
            rows.append([f"{metric.replace('_', ' ')} (run total)", format_metric(metric, r["mean"]),
                         f"{format_metric(metric, r['ci_low'])} to {format_metric(metric, r['ci_high'])}"])
    fly = s[s["metric"] == "flywheel_quarter"]
    if not fly.empty:
        r = fly.iloc[0]
        reached = int(r["replications"])
        mean = f"Q{r['mean']:.1f}" if reached else "not reached"
        interval = f"Q{r['ci_low']:.1f} to Q{r['ci_high']:.1f}" if reached > 1 else ""
        rows.append([f"partner-led revenue > 50% of revenue, first quarter ({reached}/"
                     f"{run.manifest.get('replications')} replications)", mean, interval])
    return table(["metric", "mean", "95% interval across replications"], rows)


def run_page(path: Path, quarter: int | None = None) -> Page:
    """The report page of a run directory."""
    run = read_run(path)
    m = run.manifest
    subtitle = (f"{m.get('replications')} replications x {m.get('quarters')} quarters, seed {m.get('seed')}; "
                f"figures show the mean across replications with a shaded 95% interval.")
    return Page(f"ecosim report: {m.get('scenario_name', path.name)}", subtitle, _run_sections(run),
                run_figures(run, quarter), m)
