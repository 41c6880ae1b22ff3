"""Reports: every figure of a result directory, as PNGs and one self-contained HTML page.

``build_report(directory)`` looks at what the directory holds and draws what exists:

* a **run** (``manifest.json`` + ``quarterly.parquet`` + ``partners.parquet``):
  what was run, a headline table, the run figures of :mod:`sim.plots` and the manifest.

The page embeds its images as base64 data, loads nothing from the network and opens
offline; the PNGs are also written under ``plots/``. Nothing here runs the model.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim import plots
from sim.cli import CURRENCY_METRICS, SHARE_METRICS
from sim.errors import ScenarioError
from sim.metrics import KEY_METRICS
from sim.plots.style import money

__all__ = ["Figurespec", "RunTables", "build_report", "detect_kind", "read_run", "run_figures"]

REPORT_NAME = "report.html"
PLOTS_DIR = "plots"
DPI = 100


@dataclass
class RunTables:
    """The files of a run directory, read back."""

    manifest: dict
    quarterly: pd.DataFrame
    partners: pd.DataFrame
    summary: pd.DataFrame


@dataclass
class Figurespec:
    """One figure of a report: file stem, heading, caption and how to draw it."""

    name: str
    title: str
    caption: str
    draw: Callable[[], Figure]


def detect_kind(directory: str | Path) -> str:
    """Say what a result directory holds: ``"run"``.

    Raises:
        ScenarioError: the directory does not exist or holds no results ecosim knows.
    """
    path = Path(directory)
    if not path.is_dir():
        raise ScenarioError(f"{path}: not a directory; expected a run directory (with manifest.json)")
    if all((path / f).exists() for f in ("manifest.json", "quarterly.parquet", "partners.parquet")):
        return "run"
    raise ScenarioError(f"{path}: no results found; expected a run directory (manifest.json, "
                        "quarterly.parquet, partners.parquet)")


def read_run(directory: str | Path) -> RunTables:
    """Read a run directory's manifest and tables."""
    path = Path(directory)
    summary = pd.read_csv(path / "summary.csv") if (path / "summary.csv").exists() else pd.DataFrame()
    return RunTables(json.loads((path / "manifest.json").read_text()), pd.read_parquet(path / "quarterly.parquet"),
                     pd.read_parquet(path / "partners.parquet"), summary)


def run_figures(run: RunTables, quarter: int | None = None) -> list[Figurespec]:
    """The figures of a run report, in reading order."""
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


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _format(metric: str, value: float) -> str:
    if pd.isna(value):
        return "n/a"
    if metric in CURRENCY_METRICS or metric.startswith("revenue") or metric.endswith(("_spend", "_payouts")):
        return money(value)
    if metric in SHARE_METRICS:
        return f"{value:.1%}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    """Dotted key paths and values of nested scenario data (lists of named items by name)."""
    if isinstance(data, dict):
        return [pair for key, value in data.items() for pair in _flatten(value, f"{prefix}{key}.")]
    if isinstance(data, list) and all(isinstance(v, dict) and "name" in v for v in data):
        return [(prefix.rstrip("."), ", ".join(v["name"] for v in data))]
    return [(prefix.rstrip("."), json.dumps(data) if isinstance(data, (list, dict)) else str(data))]


def key_parameters(scenario: dict) -> list[list[str]]:
    """The scenario settings a reader needs first: market, vendor, partner types in play, program."""
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
    rows += [[f"program.{key}", value] for key, value in _flatten(scenario.get("program", {}))]
    return rows


def _run_sections(run: RunTables) -> list[tuple[str, str, str]]:
    """(id, heading, HTML) of the run report's text sections."""
    m = run.manifest
    scenario = m.get("scenario", {})
    what = _table(["", ""], [
        ["scenario", m.get("scenario_name", "")],
        ["description", scenario.get("description", "").strip() or "(none)"],
        ["replications x quarters", f"{m.get('replications')} x {m.get('quarters')}"],
        ["seed", str(m.get("seed"))],
        ["ecosim version / git commit", f"{m.get('ecosim_version')} / {m.get('git_commit') or 'unknown'}"],
        ["started (UTC) / wall time", f"{m.get('started_utc')} / {m.get('wall_seconds')} s"],
        ["scenario sha256", str(m.get("scenario_sha256"))],
    ]) + "<h3>Key parameters</h3>" + _table(["setting", "value"], key_parameters(scenario))
    return [("what-was-run", "What was run", what), ("headline", "Headline numbers", _headline(run))]


def _headline(run: RunTables) -> str:
    s = run.summary
    if s.empty:
        return "<p>No summary.csv in this run directory.</p>"
    rows = []
    final = s[s["statistic"] == "final_quarter"].set_index("metric")
    quarters = run.manifest.get("quarters")
    for metric in KEY_METRICS:
        if metric in final.index:
            r = final.loc[metric]
            rows.append([f"{metric.replace('_', ' ')} (Q{quarters})", _format(metric, r["mean"]),
                         f"{_format(metric, r['ci_low'])} to {_format(metric, r['ci_high'])}"])
    totals = s[s["statistic"] == "total"].set_index("metric")
    for metric in ("revenue", "revenue_partner_sourced", "revenue_partner_influenced", "program_cost"):
        if metric in totals.index:
            r = totals.loc[metric]
            rows.append([f"{metric.replace('_', ' ')} (run total)", _format(metric, r["mean"]),
                         f"{_format(metric, r['ci_low'])} to {_format(metric, r['ci_high'])}"])
    fly = s[s["metric"] == "flywheel_quarter"]
    if not fly.empty:
        r = fly.iloc[0]
        reached = int(r["replications"])
        mean = f"Q{r['mean']:.1f}" if reached else "not reached"
        interval = f"Q{r['ci_low']:.1f} to Q{r['ci_high']:.1f}" if reached > 1 else ""
        rows.append([f"partner-led revenue > 50% of revenue, first quarter ({reached}/"
                     f"{run.manifest.get('replications')} replications)", mean, interval])
    return _table(["metric", "mean", "95% interval across replications"], rows)


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1150px; padding: 1rem 2rem 3rem; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .sub { color: #555; margin-top: 0; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.8rem; text-align: left; vertical-align: top; }
td:nth-child(n+2) { font-variant-numeric: tabular-nums; }
figure { margin: 1.5rem 0 2.5rem; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.95rem; max-width: 60rem; }
pre { background: #f6f8fa; padding: 1rem; overflow-x: auto; font-size: 0.8rem; }
"""


def _page(title: str, subtitle: str, sections: list[tuple[str, str, str]],
          figures: list[tuple[Figurespec, bytes]], manifest: dict) -> str:
    nav = [(sid, heading) for sid, heading, _ in sections] + [("plots", "Plots"), ("manifest", "Manifest")]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p class=\"sub\">{html.escape(subtitle)}</p>",
        "<nav>" + "".join(f'<a href="#{sid}">{html.escape(h)}</a>' for sid, h in nav) + "</nav>",
    ]
    for sid, heading, body in sections:
        parts.append(f'<section id="{sid}"><h2>{html.escape(heading)}</h2>{body}</section>')
    parts.append('<section id="plots"><h2>Plots</h2>')
    for spec, png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure id="fig-{spec.name}"><h3>{html.escape(spec.title)}</h3>'
                     f'<img src="data:image/png;base64,{data}" alt="{html.escape(spec.title)}">'
                     f"<figcaption>{html.escape(spec.caption)}</figcaption></figure>")
    parts.append("</section>")
    parts.append('<section id="manifest"><h2>Manifest</h2><details><summary>manifest.json</summary>'
                 f"<pre>{html.escape(json.dumps(manifest, indent=2, default=str))}</pre></details></section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def build_report(directory: str | Path, quarter: int | None = None) -> Path:
    """Draw every figure a result directory supports and write ``plots/*.png`` and ``report.html``.

    Args:
        directory: a run directory.
        quarter: the quarter of the network picture (default: the last).

    Returns:
        The path of ``report.html``.
    """
    path = Path(directory)
    detect_kind(path)
    run = read_run(path)
    m = run.manifest
    figures = []
    out = path / PLOTS_DIR
    out.mkdir(exist_ok=True)
    for spec in run_figures(run, quarter):
        figure = spec.draw()
        png = _png(figure)
        (out / f"{spec.name}.png").write_bytes(png)
        figures.append((spec, png))
    title = f"ecosim report: {m.get('scenario_name', path.name)}"
    subtitle = (f"{m.get('replications')} replications x {m.get('quarters')} quarters, seed {m.get('seed')}; "
                f"figures show the mean across replications with a shaded 95% interval.")
    page = _page(title, subtitle, _run_sections(run), figures, m)
    report = path / REPORT_NAME
    report.write_text(page, encoding="utf-8")
    return report
