"""Plots and the HTML report, drawn from a small real run's files."""

import html
import io
import json
import re

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import yaml
from browser import chromium_page
from conftest import small

import sim
from sim import plots
from sim.cli import main
from sim.plots.style import RAG_COLORS
from sim.report import PLOTS_DIR, REPORT_NAME, build_report, detect_kind, read_run, run_figures


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small run with every partner type (two-tier resellers included), written to disk."""
    scenario = small("report", simulation={"quarters": 8, "replications": 3, "seed": 11},
                     partners={"distributor": {"count": 2, "initial": 2}})
    return sim.run_scenario(scenario, out=tmp_path_factory.mktemp("run") / "r", progress=False).path


@pytest.fixture(scope="module")
def tables(run_dir):
    return read_run(run_dir)


def pixels(figure) -> np.ndarray:
    """Render a figure to PNG and read it back as an RGB(A) array."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(io.BytesIO(buffer.getvalue()), format="png")


def color_share(image: np.ndarray, hex_color: str, tolerance: float = 0.02) -> float:
    """Share of the image's pixels in ``hex_color`` (a legend swatch alone is well under 0.5%)."""
    rgb = np.array([int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return float((np.abs(image[..., :3] - rgb).max(axis=-1) < tolerance).mean())


PLOTS = {
    "revenue_by_source": lambda t: plots.revenue_by_source(t.quarterly),
    "arr_and_customers": lambda t: plots.arr_and_customers(t.quarterly),
    "customer_flows": lambda t: plots.customer_flows(t.quarterly),
    "partner_funnel": lambda t: plots.partner_funnel(t.quarterly),
    "tiers_and_rag": lambda t: plots.tiers_and_rag(t.quarterly, t.partners),
    "flywheel": lambda t: plots.flywheel(t.quarterly),
    "revenue_concentration": lambda t: plots.revenue_concentration(t.partners),
    "scorecard_heatmap": lambda t: plots.scorecard_heatmap(t.partners),
    "network_picture": lambda t: plots.network_picture(t.partners),
}


@pytest.mark.parametrize("name", PLOTS)
def test_each_plot_draws_a_non_empty_image(tables, name):
    image = pixels(PLOTS[name](tables))
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05, "the image is (nearly) one colour"


def test_run_figures_cover_every_plot_of_the_issue(tables):
    names = [spec.name for spec in run_figures(tables)]
    assert names == ["revenue_by_source", "arr_and_customers", "customer_flows", "partner_funnel",
                     "tiers_and_rag", "flywheel", "revenue_concentration", "scorecard_heatmap", "network"]


def test_revenue_plot_stacks_the_four_sources_and_labels_quarters_and_currency(tables):
    fig = plots.revenue_by_source(tables.quarterly)
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["direct", "partner-sourced", "partner-influenced", "marketplace", "total revenue"]
    assert all(re.fullmatch(r"Q\d+", t.get_text()) for t in ax.get_xticklabels() if t.get_text())
    assert any(t.get_text().startswith("$") for t in ax.get_yticklabels())
    assert "mean of 3 replications" in ax.get_title()


def test_scorecard_plots_show_ratings_once_partners_are_scored(tables):
    """Today's runs may carry no scores (NaN, empty RAG); once scored, the colours appear."""
    unscored = tables.partners.assign(score=np.nan, rag="")
    assert color_share(pixels(plots.scorecard_heatmap(unscored)), RAG_COLORS["red"]) < 0.005
    in_program = ~tables.partners["state"].isin(["prospect", "churned"])
    scored = tables.partners.assign(
        score=np.where(in_program, tables.partners["partner_id"] % 100, np.nan),
        rag=np.where(in_program, np.array(["green", "amber", "red"])[tables.partners["partner_id"] % 3], ""))
    heatmap = pixels(plots.scorecard_heatmap(scored))
    mix = pixels(plots.tiers_and_rag(tables.quarterly, scored))
    for color in RAG_COLORS.values():
        assert color_share(heatmap, color) > 0.02 and color_share(mix, color) > 0.02


def test_plots_draw_a_live_models_tables_without_replication_column(tables):
    one = tables.quarterly[tables.quarterly["replication"] == 0].drop(columns="replication")
    fig = plots.revenue_by_source(one)
    assert "one replication" in fig.axes[0].get_title()


def test_lorenz_curve_is_the_diagonal_for_equal_revenue_and_bounded():
    grid = np.linspace(0, 1, 11)
    assert np.allclose(plots.lorenz_curve(np.full(7, 3.0), grid), grid, atol=1 / 7)
    curve = plots.lorenz_curve(np.array([1.0, 2.0, 3.0, 50.0]), grid)
    assert curve[0] == 0 and curve[-1] == pytest.approx(1) and (np.diff(curve) >= 0).all() and (curve <= grid).all()


def test_network_graph_aggregates_customers_and_hangs_resellers_off_distributors(tables):
    p = tables.partners
    last = p[(p["replication"] == 0) & (p["quarter"] == p["quarter"].max())]
    in_program = last[last["state"].isin(["onboarding", "enabled", "certified", "active", "dormant"])]
    graph = plots.graph_at_quarter(p)
    partners = [n for n, d in graph.nodes(data=True) if d["kind"] == "partner"]
    assert len(partners) == len(in_program)
    served = sum(d["count"] for _, d in graph.nodes(data=True) if d["kind"] == "customers")
    assert served == in_program["customers"].sum()
    two_tier = in_program[in_program["parent_id"].notna()]
    assert not two_tier.empty, "the small scenario should have two-tier resellers by its last quarter"
    for row in two_tier.itertuples():
        assert graph.edges[f"partner:{row.parent_id}", f"partner:{row.partner_id}"]["kind"] == "two_tier"


def test_report_has_every_section_every_plot_and_no_external_url(run_dir, tables):
    report = build_report(run_dir)
    page = report.read_text()
    for section in ("what-was-run", "headline", "plots", "manifest"):
        assert f'id="{section}"' in page
    specs = run_figures(tables)
    for spec in specs:
        assert f'id="fig-{spec.name}"' in page and html.escape(spec.caption) in page
        assert (run_dir / PLOTS_DIR / f"{spec.name}.png").stat().st_size > 5_000
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(specs) and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http" not in page and "<link" not in page and "<script" not in page
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["scenario_sha256"] in page and "partners: reseller" in page
    assert "revenue (Q8)" in page and "partner-led revenue &gt; 50% of revenue" in page


def test_report_images_all_load_in_headless_chromium(run_dir):
    report = build_report(run_dir)
    with chromium_page() as page:
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(report.as_uri())
        page.get_by_text("Headline numbers").first.wait_for()
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(images) == 9 and all(done and width > 100 for done, width in images)
    assert all(url.startswith(("file:", "data:")) for url in requests)


def test_cli_report_and_run_with_report(tmp_path, run_dir, capsys):
    assert main(["report", str(run_dir), "--quarter", "3"]) == 0
    assert str(run_dir / REPORT_NAME) in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 2
    assert "no results found" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--quarter", "99"]) == 2
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(small("tiny", simulation={"quarters": 4, "replications": 2})))
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--report"]) == 0
    assert f"Report: {tmp_path / 'out' / REPORT_NAME}" in capsys.readouterr().out
    assert detect_kind(tmp_path / "out") == "run"


def test_report_reads_the_partners_table_it_needs(tables):
    """The run files carry every column the figures read."""
    assert isinstance(tables.partners, pd.DataFrame)
    needed = {"replication", "quarter", "partner_id", "partner_type", "state", "score", "rag", "revenue_sourced",
              "revenue_influenced", "customers", "parent_id"}
    assert needed <= set(tables.partners.columns)
