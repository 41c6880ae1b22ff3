"""The report of a calibration directory (``ecosim calibrate``): what was fitted, the posterior, the fit."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.formatting import compact
from sim.plots.calibration import calibration_fit, calibration_progress, posterior_marginal
from sim.report.page import Figurespec, Page, table

__all__ = ["calibration_page"]


def calibration_page(path: Path) -> Page:
    """The report page of a calibration (``ecosim calibrate``)."""
    m = json.loads((path / "manifest.json").read_text())
    summary = pd.read_csv(path / "posterior_summary.csv")
    posterior = pd.read_parquet(path / "posterior.parquet")
    generations = pd.read_csv(path / "generations.csv")
    correlations = pd.read_csv(path / "correlations.csv", index_col="parameter")
    fit = pd.read_parquet(path / "fit.parquet")
    observed = pd.read_csv(path / "history.csv", comment="#", index_col="quarter", skip_blank_lines=True)
    spec = m["calibration_spec"]
    budget = spec["budget"]
    what = table(None, [
        ["calibration", f"{m['name']} ({m['calibration']})"],
        ["description", m.get("description") or "(none)"],
        ["scenario", f"{m['scenario_name']} (calibrated copy: calibrated.yaml)"],
        ["history", f"{m['history']}: quarters 1-{m['history_quarters']}, KPIs fitted (weight): "
                    + ", ".join(f"{k} ({w:g})" for k, w in m["kpis"].items())],
        ["method", m["method"]],
        ["budget", f"{budget['population']} particles per generation; generations: {budget['generations']}; "
                   f"wall time: {budget['wall_time_minutes'] or 'no limit'} minutes"],
        ["run", f"{m['generations']} generations, {m['evaluations']:,} evaluations of {spec['replications']} "
                f"replication(s), {m['wall_seconds']:.1f} s in {len(m['sessions'])} session(s)"],
        ["seeds", f"seed {spec['seed']}: {m['seeds']}"],
        ["ecosim version / git commit", f"{m.get('ecosim_version')} / {m.get('git_commit') or 'unknown'}"],
    ])
    headline = table(["parameter", "prior", "prior 90% interval", "posterior median", "posterior 90% interval",
                      "narrowing"],
                     [[r.parameter, r.prior, f"[{compact(r.prior_q05)}, {compact(r.prior_q95)}]", compact(r.median),
                       f"[{compact(r.q05)}, {compact(r.q95)}]", f"{r.narrowing:.2f}"] for r in summary.itertuples()])
    headline += ("<p>Narrowing: the posterior 90% interval's width over the prior's; the calibrated scenario "
                 "(calibrated.yaml) sets each parameter to its posterior median.</p>")
    progress = table(["generation", "epsilon", "accepted / evaluations", "acceptance rate", "effective sample size",
                      "seconds"],
                     [[str(g.generation), f"{g.epsilon:.4g}", f"{g.accepted} / {g.evaluations}",
                       f"{g.acceptance_rate:.1%}", f"{g.effective_sample_size:g}", f"{g.seconds:.1f}"]
                      for g in generations.itertuples()])
    corr = table(["", *correlations.columns],
                 [[k, *(f"{v:+.2f}" for v in row)] for k, row in correlations.iterrows()])
    priors = spec["parameters"]
    figures = [
        Figurespec("calibration_fit", "Fit to the history",
                   "Each KPI of the history (points) over the median and 90% band of runs of the calibrated model, "
                   "one run per posterior draw over the scenario's whole horizon; right of the dashed line is the "
                   "projection beyond the history.",
                   lambda: calibration_fit(fit, observed, list(m["kpis"]))),
        Figurespec("calibration_progress", "Generations",
                   "Each generation's acceptance threshold (epsilon, in that generation's scaled distance) and "
                   "acceptance rate.", lambda: calibration_progress(generations)),
    ]
    for row in summary.to_dict("records"):
        key = row["parameter"]
        figures.append(Figurespec(f"posterior_{key.replace('.', '_')}", f"Posterior of {key}",
                                  f"The weighted posterior of {key} against its prior's 90% interval (grey), "
                                  "with its median and 90% interval.",
                                  lambda row=row, prior=priors[key]: posterior_marginal(
                                      posterior, pd.Series(row), integer=prior["integer"],
                                      log=prior["prior"] == "log_uniform")))
    return Page(f"ecosim calibration: {m['name']}",
                f"{len(summary)} parameter(s) of {m['scenario_name']} fitted to {Path(m['history']).name}.",
                [("what-was-run", "What was run", what), ("headline", "Posterior", headline),
                 ("generations", "Generations", progress), ("correlations", "Posterior correlations", corr)],
                figures, m)
