"""Optimising incentive designs: the optimiser finds what a grid finds, resumes exactly, respects constraints."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import OptimizationInterrupted, evaluation, load_experiment, optimization, optimize, tasks
from sim.experiments.optimize_spec import load_optimization

TINY = {"name": "tiny", "simulation": {"quarters": 8}, "market": {"customers": 500},
        "vendor": {"stage": 2, "partner_managers": 2},
        "partners": {"var": {"count": 20, "initial": 2}, "reseller": {"count": 20}, "regional_si": {"count": 5}}}

SPACE = {"partners.var.margin": {"low": 0.02, "high": 0.5},
         "vendor.partner_managers": {"low": 0, "high": 8, "integer": True}}
NET = {"name": "vendor_net_revenue", "statistic": "total"}
BUDGET = {"name": "cost_share", "ratio": ["program_cost", "revenue"], "max": 0.15}

STUDY = {"kind": "optimize", "name": "tiny_study", "scenario": TINY,
         "space": {**SPACE, "program.incentives.payout_timing": {"choices": ["on_booking", "on_collection", "spread"]}},
         "objectives": [NET], "constraints": [BUDGET], "replications": 2, "trials": 12, "seed": 3,
         "sampler": {"batch": 4, "startup_trials": 6}}


def write(tmp_path: Path, content: dict, name: str = "study.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> sim.experiments.OptimizationResult:
    """The small constrained study, run uninterrupted in this process."""
    out = tmp_path_factory.mktemp("reference") / "out"
    return optimize(STUDY, executor="serial", out=out, progress=False)


def test_the_optimiser_comes_within_two_percent_of_a_fine_grid_with_a_quarter_of_its_runs():
    # 2,000 customers: with fewer, common random numbers leave the landscape so rugged that the grid's best is a
    # lucky spike a quarter of its budget need not find (500 customers: 5.8% short on seed 5)
    market = {**TINY, "market": {"customers": 2000}}
    margins = np.round(np.linspace(0.02, 0.5, 11), 3).tolist()
    grid = sim.sweep({"kind": "sweep", "name": "tiny_grid", "scenario": market,
                      "parameters": {"partners.var.margin": margins, "vendor.partner_managers": list(range(9))},
                      "replications": 2, "seed": 3, "metrics": {"final": [], "total": ["vendor_net_revenue"],
                                                                 "flywheel": False}},
                     executor="processes", workers=2, write=False, progress=False)
    values = grid.runs.groupby("point_id")["total_vendor_net_revenue"].mean()
    assert len(values) == 99 and values.min() < 0.85 * values.max()  # a poor design is far from the best
    budget = len(values) // 4
    study = optimize({**STUDY, "name": "tiny_vs_grid", "scenario": market, "space": SPACE, "constraints": [],
                      "trials": budget, "sampler": {"batch": 4, "startup_trials": 8}}, executor="processes",
                     workers=2, write=False, progress=False)
    assert len(study.trials) == budget and len(study.runs) == budget * 2
    best = study.best.iloc[0]
    print(f"grid best {values.max():.0f} over {len(values)} points; optimiser best {best['total_vendor_net_revenue']:.0f} "
          f"in {budget} trials ({best['total_vendor_net_revenue'] / values.max() - 1:+.2%})")
    assert best["total_vendor_net_revenue"] >= 0.98 * values.max()
    # the same seeds as the grid: a design's value is what ecosim run gives on them
    rerun = sim.run_scenario(market, {"partners.var.margin": best["partners.var.margin"],
                                      "vendor.partner_managers": int(best["vendor.partner_managers"])},
                             replications=2, seed=3, write=False, progress=False)
    assert rerun.quarterly.groupby("replication")["vendor_net_revenue"].sum().mean() == \
        pytest.approx(best["total_vendor_net_revenue"])


def test_a_study_writes_its_tables_best_design_and_a_compare_file_that_runs(reference):
    path = reference.path
    assert sorted(p.name for p in path.iterdir()) == [
        "base_scenario.yaml", "best.csv", "best_scenario.yaml", "compare_best.yaml", "manifest.json", "plots",
        "report.html", "runs.parquet", "study.db", "trials.parquet"]
    assert not list(path.parent.glob(".*.partial"))
    trials = pd.read_parquet(path / "trials.parquet")
    assert list(trials["trial"]) == list(range(12)) and set(trials["state"]) == {"complete"}
    assert list(trials.columns[2:5]) == list(STUDY["space"])
    runs = pd.read_parquet(path / "runs.parquet")
    means = runs.groupby("trial")[["total_vendor_net_revenue", "cost_share"]].mean()
    pd.testing.assert_frame_equal(means, trials.set_index("trial")[means.columns], check_exact=False)
    best = trials[trials["best"]].iloc[0]
    assert best["total_vendor_net_revenue"] == trials.loc[trials["feasible"], "total_vendor_net_revenue"].max()

    scenario = sim.load_scenario(path / "best_scenario.yaml")
    assert scenario.partners.var.margin == pytest.approx(best["partners.var.margin"])
    assert scenario.program.incentives.payout_timing == best["program.incentives.payout_timing"]
    compare_file = yaml.safe_load((path / "compare_best.yaml").read_text())
    assert [(m["name"], m["better"]) for m in compare_file["metrics"]] == [("vendor_net_revenue", "higher"),
                                                                           ("cost_share", "lower")]
    assert compare_file["seed"] != STUDY["seed"]  # confirmed on draws the study did not choose on
    confirm = sim.compare(path / "compare_best.yaml", replications=2, write=False, progress=False)
    arms = confirm.values.pivot_table(index=["metric", "replication"], columns="arm", values="value")
    assert list(load_experiment(path / "compare_best.yaml").scenarios) == ["base", f"trial_{best['trial']}"]
    assert (arms.loc["vendor_net_revenue"][f"trial_{best['trial']}"] != arms.loc["vendor_net_revenue"]["base"]).all()

    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["kind"] == "optimize" and manifest["best"] == [best["trial"]]
    assert manifest["trials"] == {"requested": 12, "complete": 12, "failed": 0, "feasible": int(trials["feasible"].sum())}
    page = (path / "report.html").read_text()
    assert "Best design: trial" in page and 'id="fig-history"' in page and 'id="fig-levers"' in page
    assert "Best design: trial" in reference.report() and "ecosim compare" in reference.report()


def test_no_reported_best_violates_the_constraints(reference):
    trials = reference.trials
    done = trials[trials["state"] == "complete"]
    assert (done["cost_share"] > 0.15).any()  # the budget binds in this space ...
    assert done.loc[done["total_vendor_net_revenue"].idxmax(), "cost_share"] > 0.15  # ... and changes the answer
    assert (reference.best["cost_share"] <= 0.15).all() and (trials.loc[trials["feasible"], "cost_share"] <= 0.15).all()

    front = optimize({**STUDY, "name": "tiny_front", "objectives": [NET, {"name": "program_cost"}],
                      "sampler": {"batch": 4, "population": 4}}, executor="serial", write=False, progress=False)
    assert len(front.best) >= 2 and (front.best["cost_share"] <= 0.15).all()
    assert front.best["total_vendor_net_revenue"].is_monotonic_increasing
    assert front.best["total_program_cost"].is_monotonic_increasing  # a trade-off: more revenue costs more


def test_a_constraint_no_design_meets_is_reported_at_the_end(tmp_path, capsys):
    impossible = {**STUDY, "name": "tiny_impossible", "trials": 4,
                  "constraints": [BUDGET, {"name": "partners_active", "statistic": "final", "min": 10_000}]}
    assert main(["optimize", str(write(tmp_path, impossible)), "--executor", "serial", "--out",
                 str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert ("No design met the constraints (cost_share <= 0.15; final_partners_active >= 10000) in 4 complete "
            "trials") in printed
    assert "The closest was trial" in printed
    assert not (tmp_path / "out" / "best_scenario.yaml").exists() and (tmp_path / "out" / "trials.parquet").exists()
    assert "No design met the constraints" in (tmp_path / "out" / "report.html").read_text()


def _interrupt_after(monkeypatch, tasks_done: int) -> list:
    """Make the executor raise KeyboardInterrupt once ``tasks_done`` tasks have run; return the runs that ran."""
    ran = []

    def task(t):
        if tasks_done is not None and len(ran) == tasks_done:
            raise KeyboardInterrupt
        ran.append(t)
        return tasks.run_task(t)

    monkeypatch.setattr(evaluation, "run_task", task)
    return ran


def test_an_interrupted_study_resumes_to_exactly_the_uninterrupted_trials(reference, tmp_path, monkeypatch):
    path = write(tmp_path, STUDY)
    _interrupt_after(monkeypatch, 5)  # the base design (2 tasks), batch 0 (2 tasks) and half of batch 1
    with pytest.raises(OptimizationInterrupted, match="rerun with --resume"):
        optimize(path, executor="serial", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and (tmp_path / ".out.partial" / "study.db").is_file()

    with pytest.raises(ScenarioError, match="different file"):
        optimize(write(tmp_path, {**STUDY, "trials": 13}, "changed.yaml"), out=tmp_path / "out", resume=True)
    with pytest.raises(ScenarioError, match="interrupted study is already there"):
        optimize(path, executor="serial", out=tmp_path / "out")

    ran = _interrupt_after(monkeypatch, None)
    result = optimize(path, executor="serial", out=tmp_path / "out", resume=True, progress=False)
    resumed = [(run.point_id, run.replication) for task in ran for run in task.runs]
    assert sorted(resumed) == [(trial, r) for trial in range(6, 12) for r in range(2)]  # nothing finished ran again
    assert list(result.trials["trial"]) == list(range(12))
    pd.testing.assert_frame_equal(result.trials, reference.trials)
    pd.testing.assert_frame_equal(result.best, reference.best)
    assert [s["status"] for s in result.manifest["sessions"]] == ["interrupted", "complete"]
    with pytest.raises(ScenarioError, match="already complete"):
        optimize(path, out=tmp_path / "out", resume=True)


def test_ctrl_c_on_the_command_line_keeps_the_study_for_resume(tmp_path, capsys, monkeypatch):
    path = write(tmp_path, {**STUDY, "trials": 4})
    _interrupt_after(monkeypatch, 1)
    assert main(["optimize", str(path), "--executor", "serial", "--out", str(tmp_path / "out")]) == 130
    error = capsys.readouterr().err
    assert "finished trials are kept in" in error and "rerun with --resume" in error and "(stopped by SIGINT)" in error
    _interrupt_after(monkeypatch, None)
    assert main(["optimize", str(path), "--executor", "serial", "--out", str(tmp_path / "out"), "--resume"]) == 0
    assert "4 of 4 trials complete" in capsys.readouterr().out


def test_resume_finds_the_interrupted_study_under_results(tmp_path, monkeypatch):
    monkeypatch.setattr(optimization, "RESULTS_ROOT", tmp_path / "results")
    small = {**STUDY, "trials": 4}
    _interrupt_after(monkeypatch, 3)  # the base design and half of the only batch
    with pytest.raises(OptimizationInterrupted):
        optimize(small, executor="serial", progress=False)
    _interrupt_after(monkeypatch, None)
    result = optimize(small, executor="serial", resume=True, progress=False)
    assert result.path.parent == tmp_path / "results" / "tiny_study" and len(result.trials) == 4
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]


def test_the_same_seed_gives_the_same_trials_on_every_executor(reference):
    again = optimize(STUDY, executor="processes", workers=2, write=False, progress=False)
    pd.testing.assert_frame_equal(again.trials, reference.trials)
    other = optimize({**STUDY, "seed": 4}, executor="serial", write=False, progress=False)
    assert not np.allclose(other.trials["partners.var.margin"], reference.trials["partners.var.margin"])


@pytest.mark.parametrize("change, message", [
    ({"space": {"partners.var.margn": {"low": 0.1, "high": 0.3}}}, "Did you mean 'partners.var.margin'"),
    ({"space": {}}, "space: nothing to vary"),
    ({"space": {"partners.var.margin": {"low": 0.3, "high": 0.1}}}, "high (0.1) must be greater than low (0.3)"),
    ({"space": {"partners.var.margin": {"low": 0.1, "high": 3.0}}}, "space.partners.var.margin = 3.0"),
    ({"space": {"partners.var.margin": [0.1, 0.2]}}, "a list is a sweep's grid axis"),
    ({"space": {"program.tiers.gold.min_score": {"low": 0.5, "high": 0.7}}}, "has no 'gold' there"),
    ({"objectives": [{"name": "vendor_net_revenu"}]}, "unknown metric 'vendor_net_revenu'. Did you mean"),
    ({"constraints": [{**BUDGET, "ratio": ["program_cost", "revenu"]}]}, "unknown metric 'revenu'"),
    ({"constraints": [{**BUDGET, "min": 0.2}]}, "no design can satisfy it"),
    ({"trials": 0}, "trials = 0"),
], ids=["unknown-key", "empty-space", "reversed-bounds", "out-of-range", "grid-axis", "unknown-tier",
        "unknown-objective", "unknown-constraint-metric", "empty-constraint", "zero-trials"])
def test_bad_optimisation_files_are_refused_before_anything_is_written(tmp_path, capsys, change, message):
    path = write(tmp_path, {**STUDY, **change})
    assert main(["optimize", str(path), "--executor", "serial", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert message in error and error.startswith("ecosim: error: ") and "Traceback" not in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.yaml"]


TWO = {"name": "tiny_two", "simulation": {"quarters": 6}, "market": {"customers": 500},
       "partners": {"var": {"count": 20}, "reseller": {"count": 20}, "regional_si": {"count": 5}},
       "vendors": [{"name": "ours", "stage": 2, "partner_managers": 2, "initial_partners": {"var": 2}},
                   {"name": "rival", "stage": 2, "partner_managers": 2, "initial_partners": {"var": 2}}]}
HEAD_TO_HEAD = {"kind": "optimize", "name": "tiny_two", "scenario": TWO,
                "space": {"vendors.ours.partner_managers": {"low": 0, "high": 6, "integer": True},
                          "vendors.ours.program.incentives.mdf.accrual": {"low": 0.0, "high": 0.08}},
                "objectives": [{"name": "vendor_net_revenue@ours", "statistic": "total"}],
                "constraints": [{"name": "flywheel_quarter@ours", "max": 6}], "replications": 2, "trials": 6,
                "seed": 1, "sampler": {"batch": 3, "startup_trials": 3}}


def test_with_several_startups_levers_and_metrics_name_the_startup():
    study = optimize(HEAD_TO_HEAD, executor="serial", write=False, progress=False)
    trial = study.trials.iloc[-1]
    design = {"vendors.ours.partner_managers": int(trial["vendors.ours.partner_managers"]),
              "vendors.ours.program.incentives.mdf.accrual": float(trial["vendors.ours.program.incentives.mdf.accrual"])}
    spec = load_optimization(HEAD_TO_HEAD)
    rerun = sim.run_scenario(spec.scenario_data(design), replications=2, seed=1, write=False, progress=False)
    ours = rerun.quarterly[rerun.quarterly["vendor"] == "ours"]
    assert ours.groupby("replication")["vendor_net_revenue"].sum().mean() == \
        pytest.approx(trial["total_vendor_net_revenue@ours"])
    assert rerun.scenario.vendors[0].partner_managers == design["vendors.ours.partner_managers"]
    assert rerun.scenario.vendors[1].partner_managers == 2  # the rival is left as it was
    with pytest.raises(ScenarioError, match="with several startups, say whose rows it reads"):
        load_optimization({**HEAD_TO_HEAD, "objectives": ["vendor_net_revenue"]})
    with pytest.raises(ScenarioError, match="the scenario has one startup; leave out '@ours'"):
        load_optimization({**STUDY, "objectives": ["vendor_net_revenue@ours"]})


def test_tier_thresholds_are_levers_by_tier_name():
    spec = load_optimization({**STUDY, "set": {"program.preset": "tiered_margin"},
                              "space": {"program.tiers.gold.min_score": {"low": 0.55, "high": 0.65}}})
    tiers = spec.overrides({"program.tiers.gold.min_score": 0.62})["program.tiers"]
    assert [(t["name"], t["min_score"]) for t in tiers] == [("registered", 0.0), ("silver", 0.5), ("gold", 0.62),
                                                            ("platinum", 0.7)]


SHIPPED = sorted(path for path in (Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml")
                 if yaml.safe_load(path.read_text()).get("kind") == "optimize")


def test_the_shipped_optimisations_run_end_to_end_when_shrunk(tmp_path, capsys):
    assert {p.stem for p in SHIPPED} == {"optimize_reseller_program", "optimize_growth_vs_cost"}
    for path in SHIPPED:
        data = yaml.safe_load(path.read_text())
        assert data["question"] and len(data["space"]) >= 6 and data["trials"] >= 60
        data.update(scenario=str((path.parent / data["scenario"]).resolve()), trials=2, replications=1, quarters=2,
                    set={"market.customers": 300}, sampler={"batch": 2, "population": 2})
        assert main(["optimize", str(write(tmp_path, data, path.name)), "--executor", "serial", "--out",
                     str(tmp_path / path.stem)]) == 0
        assert "2 of 2 trials complete" in capsys.readouterr().out
