"""Reports: every figure of a result directory, as PNGs and one self-contained HTML page.

``build_report(directory)`` looks at what the directory holds and draws what exists:

* a **run** (``manifest.json`` + ``quarterly.parquet`` + ``partners.parquet``):
  what was run, a headline table, the run figures of :mod:`sim.plots` and the manifest;
* a **comparison** (``comparison.csv`` + ``experiment.json`` + one run directory per
  arm): the question and arms, the paired differences, a forest plot and the arms'
  time series overlaid;
* a **sweep** (``sweep.parquet`` + ``points.csv``, and ``sensitivity.csv`` for
  Sobol'/Morris designs): the design, the most influential parameters, sensitivity
  indices, a heatmap of two-parameter grids and each metric against each parameter.

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
from sim.errors import ScenarioError
from sim.formatting import comparison_cells, format_metric
from sim.metrics import KEY_METRICS
from sim.plots.sweep import notes

__all__ = ["Figurespec", "Page", "RunTables", "build_report", "comparison_page", "detect_kind", "read_run",
           "run_figures", "run_page", "sweep_page"]

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
    """Say what a result directory holds: ``"run"``, ``"comparison"`` or ``"sweep"``.

    Raises:
        ScenarioError: the directory does not exist or holds no results ecosim knows.
    """
    path = Path(directory)
    if not path.is_dir():
        raise ScenarioError(f"{path}: not a directory; expected a run, comparison or sweep directory")
    if all((path / f).exists() for f in ("manifest.json", "quarterly.parquet", "partners.parquet")):
        return "run"
    if (path / "comparison.csv").exists():
        return "comparison"
    if (path / "sweep.parquet").exists() and (path / "points.csv").exists():
        return "sweep"
    raise ScenarioError(f"{path}: no results found; expected a run directory (manifest.json, quarterly.parquet, "
                        "partners.parquet), a comparison (comparison.csv) or a sweep (sweep.parquet, points.csv)")


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


def _table(header: list[str] | None, rows: list[list[str]]) -> str:
    """An HTML table of escaped text; ``header=None`` for a key-value table."""
    head = "" if header is None else \
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _flatten(data, prefix: str = "") -> list[tuple[str, str]]:
    """Dotted key paths and values of nested scenario data (lists of named items by name)."""
    if isinstance(data, dict):
        return [pair for key, value in data.items() for pair in _flatten(value, f"{prefix}{key}.")]
    if isinstance(data, list) and all(isinstance(v, dict) and "name" in v for v in data):
        return [(prefix.rstrip("."), ", ".join(v["name"] for v in data))]
    return [(prefix.rstrip("."), json.dumps(data) if isinstance(data, (list, dict)) else str(data))]


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
    rows += [[f"program.{key}", value] for key, value in _flatten(program) if value != "None"]
    return rows


def _run_sections(run: RunTables) -> list[tuple[str, str, str]]:
    """(id, heading, HTML) of the run report's text sections."""
    m = run.manifest
    scenario = m.get("scenario", {})
    what = _table(None, [
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


def _html(title: str, subtitle: str, sections: list[tuple[str, str, str]],
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


@dataclass
class Page:
    """Everything one report page shows."""

    title: str
    subtitle: str
    sections: list[tuple[str, str, str]]
    figures: list[Figurespec]
    manifest: dict


def run_page(path: Path, quarter: int | None = None) -> Page:
    """The report page of a run directory."""
    run = read_run(path)
    m = run.manifest
    subtitle = (f"{m.get('replications')} replications x {m.get('quarters')} quarters, seed {m.get('seed')}; "
                f"figures show the mean across replications with a shaded 95% interval.")
    return Page(f"ecosim report: {m.get('scenario_name', path.name)}", subtitle, _run_sections(run),
                run_figures(run, quarter), m)


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
    what = _table(None, [
        ["experiment", m.get("experiment", path.name)],
        ["question", m.get("question") or "(none)"],
        ["experiment file", str(m.get("source", ""))],
        ["replications (paired, common random numbers)", str(m.get("replications", ""))],
        ["seed", str(m.get("seed", ""))],
        ["quarters", ", ".join(f"{a}: {q}" for a, q in m.get("quarters", {}).items())],
    ]) + "<h3>Arms</h3>" + _table(["arm", "settings"], [
        [a["name"], "; ".join(f"{k}={v}" for k, v in _flatten({k: v for k, v in a.items() if k != "name"}) if v
                              not in ("None", "{}"))] for a in m.get("arms", [])])
    rows = [_comparison_row(r) for r in comparison.itertuples()]
    headline = _table(["metric", "arm", "baseline mean", "arm mean", "difference", "95% interval", "relative",
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


def sweep_page(path: Path) -> Page:
    """The report page of a parameter sweep (``ecosim sweep``)."""
    points = pd.read_csv(path / "points.csv")
    m = json.loads((path / "manifest.json").read_text()) if (path / "manifest.json").exists() else {}
    sens_file = path / "sensitivity.csv"
    indices = pd.read_csv(sens_file) if sens_file.exists() else None
    parameters = [p for p in m.get("parameters", {}) if p in points] or \
        [c for c in points.columns if "." in c]
    varying = [p for p in parameters if points[p].nunique() > 1]
    design = m.get("design", {})
    cases = list(dict.fromkeys(points["case"])) if "case" in points else [None]
    what = _table(None, [
        ["sweep", m.get("name", path.name)],
        ["description", m.get("description") or "(none)"],
        ["design", f"{design.get('method', '?')} ({m.get('points', '?')} points, {m.get('runs', '?')} runs, "
                   f"{m.get('runs_failed', 0)} failed)"],
        ["seeds", str(m.get("seeds", ""))],
        ["ecosim version / git commit", f"{m.get('ecosim_version')} / {m.get('git_commit') or 'unknown'}"],
    ]) + "<h3>Parameters</h3>" + _table(["parameter", "values"], [[k, v] for k, v in m.get("parameters", {}).items()])
    if m.get("cases"):
        what += "<h3>Cases</h3>" + _table(["case", "settings"], [[k, json.dumps(v)] for k, v in m["cases"].items()])
    figures = []
    for case in cases:
        label = "" if case is None else f" (case {case})"
        suffix = "" if case is None else f"_{_slug(case)}"
        at = points if case is None else points[points["case"] == case]
        if indices is not None:
            ix = indices if case is None or "case" not in indices else indices[indices["case"] == case]
            figures.append(Figurespec(f"sensitivity{suffix}", f"Sensitivity indices{label}",
                                      "How much of each metric's variance each parameter explains: first-order "
                                      "(alone) and total (with interactions) Sobol' indices, or Morris mu* and "
                                      "sigma, with 95% intervals.",
                                      lambda ix=ix, label=label: plots.sensitivity_indices(ix, label)))
        if design.get("method") == "grid" and len(varying) == 2:
            figures.append(Figurespec(f"grid_heatmap{suffix}", f"Grid heatmap{label}",
                                      f"The mean of each metric at every combination of {varying[0]} and "
                                      f"{varying[1]}.",
                                      lambda at=at, label=label: plots.grid_heatmap(at, varying[0], varying[1], label)))
        elif varying:
            figures.append(Figurespec(f"response{suffix}", f"Metrics against parameters{label}",
                                      "Each design point's mean with its 95% interval across replications, "
                                      "against each parameter.",
                                      lambda at=at, label=label: plots.response(at, varying, label)))
    subtitle = f"{design.get('method', '')} design over {len(parameters)} parameter(s)."
    return Page(f"ecosim sweep: {m.get('name', path.name)}", subtitle,
                [("what-was-run", "What was run", what),
                 ("headline", "Headline numbers", _sweep_headline(points, indices, parameters))], figures, m)


def _point(row: pd.Series, parameters: list[str]) -> str:
    return ", ".join(f"{p}={row[p]}" for p in parameters)


def _slug(text) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(text))


def _sweep_headline(points: pd.DataFrame, indices: pd.DataFrame | None, parameters: list[str]) -> str:
    """The most influential parameter per metric (sensitivity) and each metric's best and worst point."""
    parts = []
    if indices is not None:
        score = "ST" if "ST" in indices else "mu_star"
        usable = indices[notes(indices) == ""]
        keys = [k for k in ("case", "metric") if k in usable]
        rows = []
        for key, group in usable.groupby(keys, sort=False):
            top = group.sort_values(score, ascending=False).iloc[0]
            rows.append([" / ".join(map(str, key if isinstance(key, tuple) else (key,))), top["parameter"],
                         f"{top[score]:.2f} ± {top.get(f'{score}_conf', float('nan')):.2f}"])
        parts.append(_table(["metric", "most influential parameter", f"{score} (95%)"], rows))
    rows = []
    keys = [k for k in ("case",) if k in points]
    for key, group in points.groupby([*keys, "metric"], sort=False):
        group = group.dropna(subset=["mean"])
        if group.empty:
            continue
        metric = key[-1] if isinstance(key, tuple) else key
        low, high = group.loc[group["mean"].idxmin()], group.loc[group["mean"].idxmax()]
        rows.append([" / ".join(map(str, key if isinstance(key, tuple) else (key,))),
                     f"{format_metric(metric, high['mean'])} at {_point(high, parameters)}",
                     f"{format_metric(metric, low['mean'])} at {_point(low, parameters)}"])
    parts.append(_table(["metric", "highest point mean", "lowest point mean"], rows))
    return "".join(parts)


def build_report(directory: str | Path, quarter: int | None = None) -> Path:
    """Draw every figure a result directory supports and write ``plots/*.png`` and ``report.html``.

    Args:
        directory: a run, comparison or sweep directory.
        quarter: the quarter of a run's network picture (default: the last).

    Returns:
        The path of ``report.html``.
    """
    path = Path(directory)
    kind = detect_kind(path)
    if quarter is not None and kind != "run":
        raise ScenarioError(f"--quarter applies to run directories; {path} holds a {kind}")
    page = run_page(path, quarter) if kind == "run" else comparison_page(path) if kind == "comparison" \
        else sweep_page(path)
    out = path / PLOTS_DIR
    out.mkdir(exist_ok=True)
    drawn = []
    for spec in page.figures:
        png = _png(spec.draw())
        (out / f"{spec.name}.png").write_bytes(png)
        drawn.append((spec, png))
    report = path / REPORT_NAME
    report.write_text(_html(page.title, page.subtitle, page.sections, drawn, page.manifest), encoding="utf-8")
    return report
