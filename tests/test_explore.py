"""Robust designs: every design in every future on common random numbers, regret, and PRIM scenario discovery."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import SweepInterrupted, explore, optimize, parameter_sweep, tasks
from sim.experiments.discovery import prim_box

TINY = {"name": "tiny", "simulation": {"quarters": 6}, "market": {"customers": 400},
        "vendor": {"stage": 2, "partner_managers": 2},
        "partners": {"var": {"count": 20, "initial": 2}, "reseller": {"count": 20}, "regional_si": {"count": 5}}}

EXPLORATION = {
    "kind": "explore", "name": "tiny_explore", "scenario": TINY,
    "designs": [{"name": "current"}, {"name": "same_again"}, {"name": "tiered", "preset": "tiered_margin"},
                {"name": "lean", "set": {"vendor.partner_managers": 1}}],
    "uncertainties": {"market.adoption.imitation": {"low": 0.03, "high": 0.2},
                      "rivals.count": {"low": 0, "high": 5, "integer": True},
                      "market.segments.smb.annual_churn": {"low": 0.1, "high": 0.4}},
    "futures": 20, "futures_seed": 1, "seed": 2,
    "outcome": {"name": "vendor_net_revenue", "statistic": "total"}, "metrics": ["arr", "flywheel_quarter"],
    "discovery": {"design": "current", "below": 1.6e6}}


def write(tmp_path: Path, content: dict, name: str = "explore.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> sim.experiments.ExplorationResult:
    """The tiny exploration, run uninterrupted in this process."""
    return explore(EXPLORATION, executor="serial", out=tmp_path_factory.mktemp("reference") / "out", progress=False)


def test_prim_finds_the_box_of_a_planted_rule():
    rng = np.random.default_rng(7)
    futures = pd.DataFrame({"adoption": rng.uniform(0.03, 0.2, 400), "churn": rng.uniform(0.1, 0.4, 400),
                            "rivals": rng.integers(0, 6, 400), "acceptance": rng.uniform(-2, 0, 400),
                            "timing": rng.choice(["on_booking", "on_collection", "spread"], 400)})
    fails = ((futures["adoption"] < 0.08) & (futures["churn"] > 0.3)).to_numpy()  # fails exactly there
    box = prim_box(futures, fails, min_density=0.9)
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == {"adoption", "churn"}
    assert limits.at["adoption", "high"] == pytest.approx(0.08, abs=0.01) and limits.at["adoption", "low"] < 0.035
    assert limits.at["churn", "low"] == pytest.approx(0.3, abs=0.015) and limits.at["churn", "high"] > 0.39
    assert box.stats["coverage"] > 0.9 and box.stats["density"] >= 0.9 and box.stats["restricted"] == 2
    assert box.trajectory["selected"].sum() == 1
    with pytest.raises(ValueError, match="nothing to tell apart"):
        prim_box(futures, np.zeros(400, dtype=bool))


def test_every_design_runs_in_every_future_on_common_random_numbers(reference):
    outcomes = reference.outcomes
    assert len(outcomes) == 4 * 20 and list(outcomes["design"].unique()) == ["current", "same_again", "tiered", "lean"]
    assert list(outcomes.columns) == ["design", "future", "market.adoption.imitation", "rivals.count",
                                      "market.segments.smb.annual_churn", "total_vendor_net_revenue", "final_arr",
                                      "flywheel_quarter", "regret", "failed_runs"]
    wide = outcomes.pivot(index="future", columns="design", values="total_vendor_net_revenue")
    pd.testing.assert_series_equal(wide["current"], wide["same_again"], check_names=False)  # the same design: 0
    assert (wide["lean"] != wide["current"]).any()
    assert (outcomes["regret"] >= 0).all() and (outcomes.groupby("future")["regret"].min() == 0).all()
    assert outcomes.groupby("future")[list(EXPLORATION["uncertainties"])].nunique().eq(1).all().all()
    assert outcomes["rivals.count"].between(0, 5).all() and outcomes["rivals.count"].nunique() == 6  # a hypercube

    row = outcomes[(outcomes["design"] == "lean") & (outcomes["future"] == 3)].iloc[0]
    rerun = sim.run_scenario(sim.load_scenario(TINY).resolved(), {"vendor.partner_managers": 1, **{k: row[k].item() for k in
                                                                      EXPLORATION["uncertainties"]}},
                             replications=1, seed=2, write=False, progress=False)
    assert rerun.quarterly["vendor_net_revenue"].sum() == pytest.approx(row["total_vendor_net_revenue"])


def test_robustness_is_the_mean_percentiles_and_regret_of_each_design(reference):
    table = reference.robustness.set_index("design")
    outcomes = reference.outcomes
    current = outcomes.loc[outcomes["design"] == "current"]
    assert table.at["current", "mean"] == pytest.approx(current["total_vendor_net_revenue"].mean())
    assert table.at["current", "p10"] == pytest.approx(current["total_vendor_net_revenue"].quantile(0.1))
    assert table.at["current", "regret_max"] == pytest.approx(current["regret"].max())
    assert table["best_share"].sum() >= 1
    best = reference.manifest["best_on_average"]
    assert table.at[best, "mean"] == table["mean"].max()
    assert "Best on average: " + best in reference.report()


def test_an_exploration_writes_its_tables_discovery_and_report(reference):
    path = reference.path
    assert sorted(p.name for p in path.iterdir()) == [
        "discovery_box.csv", "discovery_trajectory.csv", "manifest.json", "outcomes.parquet", "plots", "report.html",
        "robustness.csv", "sweep"]
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]
    found = json.loads((path / "manifest.json").read_text())["discovery"]
    current = reference.outcomes[reference.outcomes["design"] == "current"]
    assert found["failures"] == int((current["total_vendor_net_revenue"] < 1.6e6).sum())
    assert 0 < found["failures"] < 20 and found["coverage"] > 0 and found["limits"]
    page = (path / "report.html").read_text()
    assert 'id="fig-regret"' in page and 'id="fig-discovery_map"' in page and "Scenario discovery" in page
    assert "It fails mostly when" in reference.report()


def test_an_interrupted_exploration_resumes_to_the_same_outcomes(reference, tmp_path, monkeypatch):
    path = write(tmp_path, EXPLORATION)
    ran = []

    def task(t):
        if len(ran) == 2:
            raise KeyboardInterrupt
        ran.append(t)
        return tasks.run_task(t)

    monkeypatch.setattr(parameter_sweep, "run_task", task)
    with pytest.raises(SweepInterrupted, match="rerun with --resume"):
        explore(path, executor="serial", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    monkeypatch.undo()
    resumed = explore(path, executor="serial", out=tmp_path / "out", resume=True, progress=False)
    pd.testing.assert_frame_equal(resumed.outcomes, reference.outcomes)
    pd.testing.assert_frame_equal(resumed.robustness, reference.robustness)


def test_the_designs_of_an_optimisation_result_can_be_explored(tmp_path):
    study = optimize({"kind": "optimize", "name": "tiny_front", "scenario": TINY,
                      "space": {"partners.var.margin": {"low": 0.05, "high": 0.4}},
                      "objectives": [{"name": "vendor_net_revenue"}, {"name": "program_cost"}], "replications": 1,
                      "trials": 4, "seed": 1, "sampler": {"batch": 4, "population": 4}},
                     executor="serial", out=tmp_path / "study", progress=False)
    result = explore({**EXPLORATION, "designs": [{"name": "current"}], "designs_from": str(tmp_path / "study"),
                      "futures": 3, "discovery": None}, executor="serial", write=False, progress=False)
    front = [f"trial_{n}" for n in study.best["trial"]]
    assert list(result.robustness["design"]) == ["current", *front]
    margins = dict(zip(front, study.best["partners.var.margin"], strict=True))
    assert result.manifest["designs"] == {"current": {}, **{k: {"partners.var.margin": v} for k, v in margins.items()}}


@pytest.mark.parametrize("change, message", [
    ({"futures": 0}, "futures = 0"),
    ({"uncertainties": {}}, "uncertainties: nothing to vary"),
    ({"uncertainties": {"market.adoption.imitaton": {"low": 0.03, "high": 0.2}}}, "Did you mean"),
    ({"uncertainties": {"rivals.count": {"low": 5, "high": 1, "integer": True}}}, "must be greater than low"),
    ({"designs": [{"name": "current"}]}, "at least two designs"),
    ({"designs": [{"name": "a"}, {"name": "b", "set": {"rivals.count": 2}}]}, "design 'b' sets rivals.count"),
    ({"outcome": "net_revenue"}, "unknown metric 'net_revenue'"),
    ({"discovery": {"design": "nope", "below": 1}}, "discovery.design = 'nope'"),
    ({"discovery": {"below": 1, "above": 2}}, "one of them"),
    ({"designs": [{"name": "a"}, {"name": "b", "scenario": "other.yaml"}]}, "name a scenario of their own"),
], ids=["zero-futures", "no-uncertainties", "unknown-key", "reversed-bounds", "one-design", "design-sets-uncertainty",
        "unknown-outcome", "unknown-discovery-design", "two-targets", "whole-scenario-design"])
def test_bad_exploration_files_are_refused_before_anything_is_written(tmp_path, capsys, change, message):
    path = write(tmp_path, {**EXPLORATION, **change})
    assert main(["explore", str(path), "--executor", "serial", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert message in error and error.startswith("ecosim: error: ") and "Traceback" not in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explore.yaml"]


def test_discovery_without_the_ema_workbench_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ema_workbench" else
                        real(name, *a))
    assert main(["explore", str(write(tmp_path, EXPLORATION)), "--out", str(tmp_path / "out")]) == 2
    assert "pip install 'ecosim[explore]'" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="ecosim\\[explore\\]"):
        explore({**EXPLORATION}, write=False)


def test_the_shipped_exploration_runs_end_to_end_when_shrunk(tmp_path, capsys):
    path = Path(__file__).resolve().parents[1] / "experiments" / "robust_program.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["kind"] == "explore" and len(data["designs"]) == 5 and data["futures"] == 200
    data.update(scenario=str((path.parent / data["scenario"]).resolve()), futures=3, quarters=2,
                set={"market.customers": 300})
    assert main(["explore", str(write(tmp_path, data)), "--executor", "serial", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "5 designs x 3 futures" in printed and "Scenario discovery (PRIM) for" in printed


def test_with_several_startups_designs_and_outcomes_name_the_startup():
    two = {"name": "tiny_two", "simulation": {"quarters": 6}, "market": {"customers": 500},
           "partners": {"var": {"count": 20}, "reseller": {"count": 20}, "regional_si": {"count": 5}},
           "vendors": [{"name": "ours", "stage": 2, "partner_managers": 2, "initial_partners": {"var": 2}},
                       {"name": "rival", "stage": 2, "partner_managers": 2, "initial_partners": {"var": 2}}]}
    head_to_head = {"kind": "explore", "name": "tiny_two", "scenario": two,
                    "designs": [{"name": "current"}, {"name": "lean", "set": {"vendors.ours.partner_managers": 0}}],
                    "uncertainties": {"market.adoption.imitation": {"low": 0.03, "high": 0.2}}, "futures": 3,
                    "seed": 2, "outcome": {"name": "vendor_net_revenue@ours", "statistic": "total"},
                    "metrics": ["vendor_net_revenue@rival", "flywheel_quarter@ours"]}
    result = explore(head_to_head, executor="serial", write=False, progress=False)
    row = result.outcomes[(result.outcomes["design"] == "lean") & (result.outcomes["future"] == 1)].iloc[0]
    rerun = sim.run_scenario(sim.load_scenario(two).resolved() | {"vendors": result.manifest["designs"]["lean"]["vendors"]},
                             {"market.adoption.imitation": row["market.adoption.imitation"]}, replications=1, seed=2,
                             write=False, progress=False)
    totals = rerun.quarterly.groupby("vendor")["vendor_net_revenue"].sum()
    assert totals["ours"] == pytest.approx(row["total_vendor_net_revenue@ours"])
    assert totals["rival"] == pytest.approx(row["total_vendor_net_revenue@rival"])
    with pytest.raises(ScenarioError, match="an uncertainty is a plain key path"):
        explore({**head_to_head, "uncertainties": {"vendors.rival.partner_managers": {"low": 1, "high": 4,
                                                                                      "integer": True}}},
                write=False)
