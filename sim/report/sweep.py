"""The report of a sweep directory (``ecosim sweep``): design, influential parameters, figures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim import plots
from sim.formatting import format_metric
from sim.plots.sweep import notes
from sim.report.page import Figurespec, Page, table

__all__ = ["sweep_page"]


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
    what = table(None, [
        ["sweep", m.get("name", path.name)],
        ["description", m.get("description") or "(none)"],
        ["design", f"{design.get('method', '?')} ({m.get('points', '?')} points, {m.get('runs', '?')} runs, "
                   f"{m.get('runs_failed', 0)} failed)"],
        ["seeds", str(m.get("seeds", ""))],
        ["ecosim version / git commit", f"{m.get('ecosim_version')} / {m.get('git_commit') or 'unknown'}"],
    ]) + "<h3>Parameters</h3>" + table(["parameter", "values"], [[k, v] for k, v in m.get("parameters", {}).items()])
    if m.get("cases"):
        what += "<h3>Cases</h3>" + table(["case", "settings"], [[k, json.dumps(v)] for k, v in m["cases"].items()])
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
        parts.append(table(["metric", "most influential parameter", f"{score} (95%)"], rows))
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
    parts.append(table(["metric", "highest point mean", "lowest point mean"], rows))
    return "".join(parts)
