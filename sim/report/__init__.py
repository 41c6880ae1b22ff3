"""Reports: every figure of a result directory, as PNGs and one self-contained HTML page.

``build_report(directory)`` looks at what the directory holds and draws what exists:

* a **run** (``manifest.json`` + ``quarterly.parquet`` + ``partners.parquet``):
  what was run, a headline table, the run figures of :mod:`sim.plots` and the manifest;
* a **comparison** (``comparison.csv`` + ``experiment.json`` + one run directory per
  arm): the question and arms, the paired differences, a forest plot and the arms'
  time series overlaid;
* a **sweep** (``sweep.parquet`` + ``points.csv``, and ``sensitivity.csv`` for
  Sobol'/Morris designs): the design, the most influential parameters, sensitivity
  indices, a heatmap of two-parameter grids and each metric against each parameter;
* an **optimisation** (``trials.parquet`` + ``manifest.json``): the study, the best design
  or Pareto front against the base, the optimisation history or front, each lever's effect;
* an **exploration** (``outcomes.parquet`` + ``robustness.csv``): each design's outcome and
  regret over the futures and, with scenario discovery, when the chosen design fails.
* a **calibration** (``posterior.parquet`` + ``calibrated.yaml``): what was fitted to
  which history, each parameter's posterior against its prior, the generations, the
  posterior correlations, the fit to the history and a posterior plot per parameter.

The page embeds its images as base64 data, loads nothing from the network and opens
offline; the PNGs are also written under ``plots/``. Nothing here runs the model.
"""

from __future__ import annotations

from pathlib import Path

from sim.errors import ScenarioError
from sim.report.calibration import calibration_page
from sim.report.compare import comparison_page
from sim.report.explore import exploration_page
from sim.report.optimize import optimization_page
from sim.report.page import Figurespec, Page, png, render
from sim.report.run import RunTables, read_run, run_figures, run_page
from sim.report.sweep import sweep_page

__all__ = ["Figurespec", "Page", "RunTables", "build_report", "calibration_page", "comparison_page", "detect_kind",
           "exploration_page", "optimization_page", "read_run", "run_figures", "run_page", "sweep_page"]

REPORT_NAME = "report.html"
PLOTS_DIR = "plots"


def detect_kind(directory: str | Path) -> str:
    """Say what a result directory holds: a run, comparison, sweep, optimization, exploration or calibration.

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
    if (path / "trials.parquet").exists() and (path / "manifest.json").exists():
        return "optimization"
    if (path / "outcomes.parquet").exists() and (path / "robustness.csv").exists():
        return "exploration"
    if (path / "posterior.parquet").exists() and (path / "calibrated.yaml").exists():
        return "calibration"
    raise ScenarioError(f"{path}: no results found; expected a run directory (manifest.json, quarterly.parquet, "
                        "partners.parquet), a comparison (comparison.csv), a sweep (sweep.parquet, points.csv), an "
                        "optimisation (trials.parquet, manifest.json), an exploration (outcomes.parquet, "
                        "robustness.csv) or a calibration (posterior.parquet, calibrated.yaml)")


def build_report(directory: str | Path, quarter: int | None = None) -> Path:
    """Draw every figure a result directory supports and write ``plots/*.png`` and ``report.html``.

    Args:
        directory: a run, comparison, sweep, optimisation or exploration directory.
        quarter: the quarter of a run's network picture (default: the last).

    Returns:
        The path of ``report.html``.
    """
    path = Path(directory)
    kind = detect_kind(path)
    if quarter is not None and kind != "run":
        raise ScenarioError(f"--quarter applies to run directories; {path} holds a {kind}")
    pages = {"comparison": comparison_page, "sweep": sweep_page, "optimization": optimization_page,
             "exploration": exploration_page, "calibration": calibration_page}
    page = run_page(path, quarter) if kind == "run" else pages[kind](path)
    out = path / PLOTS_DIR
    out.mkdir(exist_ok=True)
    drawn = []
    for spec in page.figures:
        image = png(spec.draw())
        (out / f"{spec.name}.png").write_bytes(image)
        drawn.append((spec, image))
    report = path / REPORT_NAME
    report.write_text(render(page, drawn), encoding="utf-8")
    return report
