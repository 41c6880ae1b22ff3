"""Comparing whole strategies: scenario files as arms, the summary paragraph, and what is paired."""

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from browser import chromium_page

import sim
from sim.cli import main
from sim.experiments import load_experiment
from sim.experiments.compare_report import summary_paragraph
from sim.experiments.compare_spec import MetricSpec, world_differences
from sim.experiments.comparison import leaders

ROOT = Path(__file__).resolve().parents[1]
CASE_STUDIES = [ROOT / "scenarios" / f"{name}.yaml" for name in ("distribution_led", "si_led", "hybrid_marketplace")]
TINY = {"name": "tiny", "simulation": {"quarters": 5}, "market": {"customers": 1200},
        "vendor": {"stage": 2, "age_quarters": 8, "partner_managers": 2},
        "partners": {"var": {"count": 25, "initial": 5}, "regional_si": {"count": 6, "initial": 2}}}
SECTIONS = ["What was run", "Summary", "Headline numbers", "Plots", "Manifest"]
FIGURES = ["Paired differences (forest plot)", "Revenue by route", "Partners in the program",
           "Ecosystem contribution and the flywheel", "Arms over time"]


@pytest.fixture(scope="module")
def case_studies(tmp_path_factory):
    """The three case-study scenarios compared whole by ``ecosim compare A B C --report``."""
    out = tmp_path_factory.mktemp("strategies") / "out"
    code = main(["compare", *map(str, CASE_STUDIES), "--replications", "3", "--quarters", "6", "--out", str(out),
                 "--report"])
    assert code == 0
    return out


def test_three_case_studies_give_three_arms_with_intervals(case_studies, capsys):
    table = pd.read_csv(case_studies / "comparison.csv")
    assert list(dict.fromkeys(table["arm"])) == ["si_led", "hybrid_marketplace"]
    assert set(table["baseline"]) == {"distribution_led"} and (table["n"] == 3).all()
    assert len(table) == 2 * 12  # the default strategy metrics, each arm vs the first
    revenue = table[table["metric"] == "revenue"]
    assert np.isfinite(revenue[["ci_low", "ci_high"]]).all().all() and (revenue["ci_low"] < revenue["ci_high"]).all()
    manifest = json.loads((case_studies / "experiment.json").read_text())
    assert manifest["scenarios"] == {"distribution_led": "distribution_led", "si_led": "si_led",
                                     "hybrid_marketplace": "hybrid_marketplace"}
    assert set(manifest["quarters"].values()) == {6} and "market.customers" in manifest["world_differences"]
    for arm in manifest["scenarios"]:
        run = json.loads((case_studies / arm / "manifest.json").read_text())
        assert run["scenario_name"] == arm and run["seed"] == 0 and run["quarters"] == 6


def test_strategy_report_opens_with_every_section_and_no_external_url(case_studies):
    page = (case_studies / "report.html").read_text()
    headings = [html.unescape(h) for h in re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page)]
    for heading in SECTIONS + FIGURES + [f"Partner network of {arm} at Q6"
                                         for arm in ("distribution_led", "si_led", "hybrid_marketplace")]:
        assert heading in headings, heading
    assert "http" not in page and all(s.startswith("data:image/png") for s in re.findall(r'src="([^"]*)"', page))
    summary = html.unescape(re.search(r'<section id="summary">.*?<p>(.*?)</p>', page, re.S).group(1))
    assert summary.startswith("Comparing distribution_led, si_led and hybrid_marketplace over 6 quarters")
    assert "paired by seed only" in summary
    with chromium_page() as browser:
        requests = []
        browser.on("request", lambda r: requests.append(r.url))
        browser.goto((case_studies / "report.html").as_uri())
        browser.get_by_text("Headline numbers").first.wait_for()
        images = browser.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(images) == len(FIGURES) + 3 and all(done and width > 100 for done, width in images)
    assert all(url.startswith(("file:", "data:")) for url in requests)


def test_routes_to_market_experiment_aligns_the_case_studies_on_one_horizon():
    experiment = load_experiment(ROOT / "experiments" / "routes_to_market.yaml")
    assert list(experiment.scenarios) == ["distribution_led", "si_led", "hybrid_marketplace"]
    assert {a: s.name for a, s in experiment.scenarios.items()} == {a: a for a in experiment.scenarios}
    assert {s.simulation.quarters for s in experiment.scenarios.values()} == {experiment.file.quarters}
    assert experiment.scenarios["hybrid_marketplace"].partners.marketplace.count == 1


def test_scenarios_that_share_their_world_pair_every_draw(tmp_path):
    """Two scenario files that differ only in the program: same market, same draws, exact zero for a copy."""
    files = []
    for name, program in (("plain", {}), ("plain_copy", {}), ("rebate", {"preset": "retention_rebate"})):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**TINY, "name": name, "program": program}))
        files.append(path)
    result = sim.compare(files, replications=3, metrics=["revenue", "arr"], write=False, progress=False)
    assert world_differences({a: run.scenario for a, run in result.runs.items()}) == {}
    same = result.comparison[result.comparison["arm"] == "plain_copy"]
    assert (same[["mean_difference", "ci_low", "ci_high"]] == 0).all().all()
    assert "share their market and partner pools" in result.summary()
    assert list(result.comparison["metric"].unique()) == ["revenue", "arr"]


def test_arms_may_name_a_scenario_beside_settings_on_a_base(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "wide.yaml").write_text(yaml.safe_dump({**TINY, "name": "wide",
                                                                       "market": {"customers": 2400}}))
    experiment = {"kind": "compare", "name": "mixed", "scenario": TINY, "replications": 2, "metrics": ["revenue"],
                  "set": {"vendor.partner_managers": 3},
                  "arms": [{"name": "base"}, {"name": "wide", "scenario": "../scenarios/wide.yaml",
                                              "set": {"partners.var.margin": 0.3}}]}
    (tmp_path / "experiments").mkdir()
    path = tmp_path / "experiments" / "mixed.yaml"
    path.write_text(yaml.safe_dump(experiment))
    loaded = load_experiment(path)
    wide, base = loaded.scenarios["wide"], loaded.scenarios["base"]
    assert (wide.market.customers, base.market.customers) == (2400, 1200)
    assert wide.partners.var.margin == 0.3 and wide.vendor.partner_managers == base.vendor.partner_managers == 3
    assert list(world_differences(loaded.scenarios)) == ["market.customers"]


def _values(revenue_gap: float) -> pd.DataFrame:
    """Tidy values of three arms over five replications: b earns more, c costs least but only just."""
    rows = []
    for rep, tie in enumerate((0.05, -0.06, 0.04, -0.05, 0.0)):
        noise = 0.1 * rep
        for arm, revenue, cost in (("a", 100 + noise, 10 + noise), ("b", 100 + revenue_gap + noise, 10.2 + noise),
                                   ("c", 90 + noise, 10 + noise + tie)):
            rows += [{"arm": arm, "replication": rep, "metric": "revenue", "value": revenue},
                     {"arm": arm, "replication": rep, "metric": "program_cost", "value": cost}]
    return pd.DataFrame(rows)


def test_summary_paragraph_is_written_from_the_comparison_tables():
    metrics = [MetricSpec(name="revenue"), MetricSpec(name="program_cost")]
    manifest = {"quarters": {"a": 8, "b": 8, "c": 8}, "replications": 5,
                "arms": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "world_differences": {"market.customers": {"a": 10, "b": 10, "c": 20}}}
    flywheel = {"a": pd.Series([np.nan] * 5), "b": pd.Series([6.0, 7, 7, 8, np.nan]), "c": pd.Series([4.0] * 5)}
    table = leaders(_values(revenue_gap=25), metrics)
    assert list(table["leader"]) == ["b", "c"] and list(table["runner_up"]) == ["a", "a"]
    assert list(table["clear"]) == [True, False]
    text = summary_paragraph(manifest, table, flywheel)
    assert text.startswith("Comparing a, b and c over 8 quarters and 5 replications")
    assert "b leads on revenue over the run ($125 against $100 for a)" in text
    assert "Too close to call" in text and "program cost over the run (c and a)" in text
    assert "turns first for c (Q4.0 on average, in 5 of 5 replications), then b (Q7.0 on average, in 4 of 5" in text
    assert "it does not turn within 8 quarters for a" in text and "(market.customers)" in text
    closer = summary_paragraph(manifest, leaders(_values(revenue_gap=30), metrics), flywheel)
    assert "($130 against $100 for a)" in closer


@pytest.mark.parametrize("files, fragment", [
    (["si_led"], "a scenario file; ecosim compare takes two or more scenario files"),
    (["distribution_led", "hybrid_marketplace"], "different horizons (distribution_led: 12, hybrid_marketplace: 16"),
    (["si_led", "../experiments/routes_to_market"], "an experiment file; ecosim compare takes one experiment file"),
], ids=["one scenario", "horizons differ", "scenario and experiment"])
def test_compare_refuses_what_it_cannot_compare(tmp_path, capsys, files, fragment):
    paths = [str(ROOT / "scenarios" / f"{name}.yaml") for name in files]
    assert main(["compare", *paths, "--out", str(tmp_path / "out")]) == 2
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_experiment_without_any_scenario_is_refused(tmp_path, capsys):
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"kind": "compare", "name": "e", "metrics": ["revenue"],
                                    "arms": [{"name": "a"}, {"name": "b", "scenario": TINY}]}))
    assert main(["compare", str(path)]) == 2
    assert "arms ['a'] name no scenario and the experiment has none" in capsys.readouterr().err
