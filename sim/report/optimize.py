"""The report of an optimisation directory (``ecosim optimize``): the study, the best design(s), figures."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.levers import base_value
from sim.experiments.optimize_report import format_optimization, format_outcome
from sim.plots.optimize import lever_effects, optimization_history, pareto_front
from sim.report.page import Figurespec, Page, table

__all__ = ["optimization_page"]


def _base_means(manifest: dict) -> dict[str, float]:
    outcomes = (manifest.get("base") or {}).get("outcomes", {})
    return {k: float(np.mean(v)) for k, v in outcomes.items() if k != "replication"}


def _what(m: dict) -> str:
    s = m["sampler"]
    rows = [["optimisation", m["name"]], ["question", m.get("question") or "(none)"],
            ["experiment file", m.get("experiment", "")],
            ["trials", f"{m['trials']['complete']} complete, {m['trials']['failed']} failed of "
                       f"{m['trials']['requested']} requested"],
            ["replications per trial (common random numbers)", str(m["replications_per_trial"])],
            ["sampler", f"optuna {s['algorithm']}, batches of {s['batch']} trials, seed {m['seed']}"],
            ["seeds", m.get("seeds", "")]]
    levers = table(["lever (key path)", "range", "base value"],
                   [[p, r, str(base_value(m["scenario"], p))] for p, r in m["levers"].items()])
    goals = table(["objective", "better"], [[o["label"], o["direction"]] for o in m["objectives"]])
    bounds = table(["constraint"], [[c["describe"]] for c in m["constraints"]]) if m["constraints"] else \
        "<p>No constraints.</p>"
    return (table(None, rows) + "<h3>Levers</h3>" + levers + "<h3>Objectives</h3>" + goals + "<h3>Constraints</h3>"
            + bounds)


def _headline(m: dict, trials: pd.DataFrame, best: pd.DataFrame, base: pd.DataFrame) -> str:
    text = format_optimization(m, trials, best, base, None)
    summary = f"<pre>{html.escape(text)}</pre>"
    if best.empty:
        return summary
    metrics = {e["label"]: e for e in [*m["objectives"], *m["constraints"]]}
    rows = [[str(r["trial"]), *(format_outcome(e, r[k]) for k, e in metrics.items()),
             *(str(r[p]) for p in m["levers"])] for r in best.to_dict(orient="records")]
    files = ("best_scenario.yaml and compare_best.yaml" if len(m["objectives"]) == 1 else
             "pareto/trial_N.yaml and compare_pareto.yaml")
    return (summary + "<h3>Best design(s)</h3>" + table(["trial", *metrics, *m["levers"]], rows)
            + f"<p>Ready to run: {html.escape(files)} in this directory (<code>ecosim compare "
              "compare_*.yaml</code> confirms the pick against the base on fresh draws).</p>")


def optimization_page(path: Path) -> Page:
    """The report page of an optimisation (``ecosim optimize``)."""
    m = json.loads((path / "manifest.json").read_text())
    trials = pd.read_parquet(path / "trials.parquet")
    best = trials[trials["best"]].set_index("trial").loc[m["best"]].reset_index()
    base = pd.DataFrame((m.get("base") or {}).get("outcomes", {}))
    means = _base_means(m)
    objectives = [o["label"] for o in m["objectives"]]
    levers = list(m["levers"])
    if len(objectives) == 1:
        maximize = m["objectives"][0]["direction"] == "higher"
        trace = Figurespec("history", "Optimisation history",
                           "Each trial's objective (mean over its replications) in the order the trials ran, the best "
                           "value so far among designs that meet the constraints, and the base design on the same "
                           "random draws.",
                           lambda: optimization_history(trials, objectives[0], maximize, means.get(objectives[0])))
    else:
        pair = (means.get(objectives[0], np.nan), means.get(objectives[1], np.nan))
        trace = Figurespec("pareto", "Pareto front",
                           "The first two objectives of every trial; red: the designs no feasible trial beats on "
                           "every objective (the trade-off a planner chooses from), numbered by trial; the diamond "
                           "is the base design.",
                           lambda: pareto_front(trials, objectives[0], objectives[1], pair))
    effects = Figurespec("levers", "The objective against each lever",
                         "Every complete trial's first objective against each lever's value: where the good designs "
                         "sit in the space.", lambda: lever_effects(trials, levers, objectives[0]))
    subtitle = (f"{len(trials)} trials of {len(levers)} lever(s); "
                + ("best design" if len(objectives) == 1 else f"Pareto front of {len(objectives)} objectives") + ".")
    return Page(f"ecosim optimisation: {m['name']}", subtitle,
                [("what-was-run", "What was run", _what(m)),
                 ("headline", "Headline numbers", _headline(m, trials, best, base))], [trace, effects], m)
