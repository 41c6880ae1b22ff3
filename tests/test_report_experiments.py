"""Comparison and sweep reports, drawn from small real ``compare`` and ``sweep`` results."""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from test_report import pixels

from sim import plots
from sim.cli import main
from sim.experiments import sweep
from sim.experiments.compare_report import format_comparison
from sim.formatting import comparison_cells
from sim.report import PLOTS_DIR, build_report, detect_kind

TINY = {"name": "tiny", "simulation": {"quarters": 4}, "market": {"customers": 800},
        "vendor": {"stage": 2, "partner_managers": 2},
        "partners": {"var": {"count": 20, "initial": 3}, "reseller": {"count": 20}, "regional_si": {"count": 5}}}


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory):
    """A two-arm comparison run by ``ecosim compare --report``."""
    experiment = {"kind": "compare", "name": "tiny_compare", "question": "Does a bigger margin pay?",
                  "scenario": TINY, "replications": 3, "seed": 2,
                  "metrics": ["revenue", "partners_active",
                              {"name": "churn_rate", "ratio": ["churned_customers", "customers"], "better": "lower"}],
                  "arms": [{"name": "base", "set": {}},
                           {"name": "bigger_margin", "set": {"program.incentives.margin_scale": 1.5}}]}
    root = tmp_path_factory.mktemp("compare")
    (root / "tiny.yaml").write_text(yaml.safe_dump(experiment, sort_keys=False))
    assert main(["compare", str(root / "tiny.yaml"), "--out", str(root / "c"), "--report"]) == 0
    assert (root / "c" / "report.html").exists()
    return root / "c"


@pytest.fixture(scope="module")
def sweep_dirs(tmp_path_factory):
    """A 2 x 2 grid sweep (by ``ecosim sweep --report``) and a small Sobol' sweep."""
    grid = {"kind": "sweep", "name": "tiny_grid", "scenario": TINY, "replications": 2, "seed": 3,
            "parameters": {"vendor.partner_managers": [1, 3], "market.adoption.imitation": [0.05, 0.2]},
            "metrics": {"final": ["revenue", "partners_active"]}}
    sobol = {"kind": "sweep", "name": "tiny_sobol", "scenario": TINY, "replications": 1, "seed": 4,
             "parameters": {"vendor.partner_managers": {"low": 1, "high": 4, "integer": True},
                            "partners.var.margin": {"low": 0.1, "high": 0.3}},
             "design": {"method": "sobol", "samples": 8, "seed": 2}, "metrics": {"final": ["revenue"]}}
    root = tmp_path_factory.mktemp("sweeps")
    (root / "grid.yaml").write_text(yaml.safe_dump(grid, sort_keys=False))
    assert main(["sweep", str(root / "grid.yaml"), "--executor", "serial", "--out", str(root / "grid"),
                 "--report"]) == 0
    assert (root / "grid" / "report.html").exists()
    return {"grid": root / "grid", "sobol": sweep(sobol, executor="serial", out=root / "sobol", progress=False).path}


def figure_ids(page: str) -> list[str]:
    return re.findall(r'<figure id="fig-([^"]+)"', page)


def test_comparison_report_has_forest_plot_arms_and_paired_rows(comparison_dir, capsys):
    assert detect_kind(comparison_dir) == "comparison"
    assert main(["report", str(comparison_dir)]) == 0
    page = (comparison_dir / "report.html").read_text()
    assert figure_ids(page) == ["forest", "revenue_by_route", "partners_in_program", "ecosystem_and_flywheel",
                                "arms_over_time", "network_base", "network_bigger_margin"]
    assert "Does a bigger margin pay?" in page and "bigger_margin vs base" in page
    comparison = pd.read_csv(comparison_dir / "comparison.csv")
    assert page.count("bigger_margin vs base") == len(comparison) == 3
    assert "http" not in page and all(s.startswith("data:image/png") for s in re.findall(r'src="([^"]*)"', page))
    assert (comparison_dir / PLOTS_DIR / "forest.png").stat().st_size > 5_000
    assert main(["report", str(comparison_dir), "--quarter", "2"]) == 2


def test_the_terminal_and_the_report_print_a_comparison_alike(comparison_dir):
    comparison = pd.read_csv(comparison_dir / "comparison.csv")
    manifest = json.loads((comparison_dir / "experiment.json").read_text())
    text = format_comparison(manifest, comparison)
    page = html.unescape((comparison_dir / "report.html").read_text())
    for row in comparison.itertuples():
        cells = comparison_cells(row)
        assert f"{cells['baseline']}  " in text and f"{cells['difference']} {cells['interval']}" in text
        assert f"<td>{cells['baseline']}</td><td>{cells['arm']}</td><td>{cells['difference']}</td>" \
               f"<td>{cells['interval']}</td><td>{cells['change']}</td>" in page


def test_comparison_plots_draw_non_empty_images(comparison_dir):
    comparison = pd.read_csv(comparison_dir / "comparison.csv")
    runs = {arm: pd.read_parquet(comparison_dir / arm / "quarterly.parquet") for arm in ("base", "bigger_margin")}
    for figure in (plots.forest_plot(comparison), plots.arm_timeseries(runs, ["revenue", "partners_active"])):
        assert pixels(figure)[..., :3].std() > 0.05
    forest = plots.forest_plot(comparison).axes[0]
    labels = [t.get_text() for t in forest.get_yticklabels()]
    assert labels == ["revenue (total)", "partners_active (final)", "churn_rate (ratio)"]


def test_grid_sweep_report_has_a_heatmap_and_sobol_sweep_its_indices(sweep_dirs):
    grid = build_report(sweep_dirs["grid"]).read_text()
    assert figure_ids(grid) == ["grid_heatmap"]
    assert "highest point mean" in grid
    sobol = build_report(sweep_dirs["sobol"]).read_text()
    assert figure_ids(sobol) == ["sensitivity", "response"]
    assert "most influential parameter" in sobol
    for page in (grid, sobol):
        assert "http" not in page


def test_sweep_plots_draw_non_empty_images(sweep_dirs):
    points = pd.read_csv(sweep_dirs["grid"] / "points.csv")
    heatmap = plots.grid_heatmap(points, "vendor.partner_managers", "market.adoption.imitation")
    cells = heatmap.axes[0].images[0].get_array()
    assert cells.shape == (2, 2) and np.isfinite(cells).all()
    indices = pd.read_csv(sweep_dirs["sobol"] / "sensitivity.csv")
    sobol_points = pd.read_csv(sweep_dirs["sobol"] / "points.csv")
    for figure in (heatmap, plots.sensitivity_indices(indices),
                   plots.response(sobol_points, ["vendor.partner_managers", "partners.var.margin"])):
        assert pixels(figure)[..., :3].std() > 0.05
