"""Incentive experiments: paired comparisons on common random numbers, output contract, bad files."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import sim
from sim.cli import main
from sim.experiments import load_experiment

TINY = {"name": "tiny", "simulation": {"quarters": 8}, "market": {"customers": 1500},
        "vendor": {"stage": 2, "age_quarters": 8, "partner_managers": 2,
                   "direct_coverage": {"smb": 0.3, "mid_market": 0.6, "enterprise": 0.8}},
        "partners": {"var": {"count": 30, "initial": 8}, "reseller": {"count": 30, "initial": 6},
                     "regional_si": {"count": 8, "initial": 2}}}

EXPERIMENT = {
    "kind": "compare", "name": "tiny_experiment", "question": "Does the double bubble pay?",
    "scenario": TINY, "replications": 4, "seed": 3,
    "metrics": ["arr", "revenue", "conflicts", "program_cost",
                {"name": "partner_churn", "ratio": ["churned_partner_sourced", "renewals_due_partner_sourced"],
                 "better": "lower"}],
    "arms": [{"name": "baseline"}, {"name": "baseline_again"},
             {"name": "double_bubble", "set": {"program.incentives.double_bubble": {}}}],
}


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    return sim.compare(EXPERIMENT, out=tmp_path_factory.mktemp("compare") / "out", progress=False)


def test_an_arm_compared_with_itself_differs_by_exactly_zero(comparison):
    same = comparison.comparison[comparison.comparison["arm"] == "baseline_again"]
    assert len(same) == len(EXPERIMENT["metrics"])
    assert (same[["mean_difference", "ci_low", "ci_high"]] == 0).all().all()
    assert (same["verdict"] == "no clear difference").all()
    q = {arm: run.quarterly for arm, run in comparison.runs.items()}
    pd.testing.assert_frame_equal(q["baseline"], q["baseline_again"])


def test_paired_interval_is_the_t_interval_of_replication_differences(comparison):
    values = comparison.values.pivot_table(index=["metric", "replication"], columns="arm", values="value")
    row = comparison.comparison.set_index(["metric", "arm"]).loc[("program_cost", "double_bubble")]
    diff = values.loc["program_cost"]["double_bubble"] - values.loc["program_cost"]["baseline"]
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    assert row["n"] == 4
    assert row["mean_difference"] == pytest.approx(diff.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((diff.mean() - half, diff.mean() + half))
    assert row["relative_change"] == pytest.approx(diff.mean() / values.loc["program_cost"]["baseline"].mean())


def test_metrics_are_reduced_as_asked(comparison):
    base = comparison.runs["baseline"].quarterly
    values = comparison.values.set_index(["arm", "metric", "replication"])["value"]
    rep0 = base[base["replication"] == 0]
    assert values[("baseline", "arr", 0)] == pytest.approx(rep0["arr"].iloc[-1])  # stock: final quarter
    assert values[("baseline", "revenue", 0)] == pytest.approx(rep0["revenue"].sum())  # flow: run total
    ratio = rep0["churned_partner_sourced"].sum() / rep0["renewals_due_partner_sourced"].sum()
    assert values[("baseline", "partner_churn", 0)] == pytest.approx(ratio)


def test_result_directory_has_a_run_per_arm_and_the_comparison(comparison):
    path = comparison.path
    table = pd.read_csv(path / "comparison.csv")
    for column in ("metric", "statistic", "arm", "baseline", "n", "mean_difference", "ci_low", "ci_high",
                   "relative_change", "verdict"):
        assert column in table
    assert set(table["arm"]) == {"baseline_again", "double_bubble"} and set(table["baseline"]) == {"baseline"}
    manifest = json.loads((path / "experiment.json").read_text())
    assert manifest["seed"] == 3 and manifest["replications"] == 4 and manifest["status"] == "complete"
    for arm in ("baseline", "baseline_again", "double_bubble"):
        run = json.loads((path / arm / "manifest.json").read_text())
        assert run["seed"] == 3 and run["replications"] == 4
        assert (path / arm / "quarterly.parquet").exists() and (path / arm / "partners.parquet").exists()
    assert not list(path.parent.glob(".*partial*"))


def test_common_random_numbers_make_paired_differences_tighter(comparison):
    """Arms share each customer's draws, so replications' outcomes move together."""
    values = comparison.values.pivot_table(index=["metric", "replication"], columns="arm", values="value")
    revenue = values.loc["revenue"]
    paired = (revenue["double_bubble"] - revenue["baseline"]).std()
    independent = np.sqrt(revenue["double_bubble"].var() + revenue["baseline"].var())
    assert paired < 0.75 * independent


def test_printed_table_says_which_arm_wins(comparison):
    text = comparison.report()
    assert "Does the double bubble pay?" in text
    assert "double_bubble vs baseline" in text and "baseline_again vs baseline" in text
    assert "double_bubble is better on:" in text or "double_bubble is worse on:" in text
    assert "conflicts (run total)" in text and "95% interval" in text


def test_compare_from_the_command_line(tmp_path, capsys):
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump({**EXPERIMENT, "replications": 2}))
    assert main(["compare", str(path), "--quarters", "4", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "double_bubble vs baseline" in out and str(tmp_path / "out") in out
    assert json.loads((tmp_path / "out" / "experiment.json").read_text())["quarters"]["baseline"] == 4
    assert main(["compare", str(path), "--out", str(tmp_path / "out")]) == 2  # refuses a non-empty directory


def test_scenario_path_is_read_relative_to_the_experiment(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    (tmp_path / "experiments").mkdir()
    path = tmp_path / "experiments" / "e.yaml"
    path.write_text(yaml.safe_dump({**EXPERIMENT, "scenario": "../scenarios/tiny.yaml"}))
    experiment = load_experiment(path)
    assert experiment.scenarios["double_bubble"].program.incentives.double_bubble is not None
    assert experiment.scenarios["baseline"].market.customers == 1500


def _bad(**changes):
    return {**EXPERIMENT, **changes}


BAD_FILES = {
    "kind missing": ({k: v for k, v in EXPERIMENT.items() if k != "kind"}, ["missing required key 'kind'"]),
    "wrong kind": (_bad(kind="sweep"), ["kind", "'sweep'", "'compare'"]),
    "misspelt key": ({**EXPERIMENT, "replicatons": 3}, ["unknown key 'replicatons'", "Did you mean 'replications'"]),
    "one arm": (_bad(arms=[{"name": "alone"}]), ["arms", "at least 2"]),
    "duplicate arms": (_bad(arms=[{"name": "a"}, {"name": "a"}]), ["arm names must be unique"]),
    "unknown preset": (_bad(arms=[{"name": "a"}, {"name": "b", "preset": "tierd_margin"}]),
                       ["arms.1.preset", "'tierd_margin'", "tiered_margin"]),
    "unknown arm key": (_bad(arms=[{"name": "a"}, {"name": "b", "set": {"program.incentives.retention_rebates": {}}}]),
                        ["arm 'b'", "program.incentives.retention_rebates",
                         "Did you mean 'program.incentives.retention_rebate'"]),
    "bad arm value": (_bad(arms=[{"name": "a"}, {"name": "b", "set": {"program.incentives.margin_scale": -1}}]),
                      ["arm 'b'", "program.incentives.margin_scale", "-1", "greater than or equal to 0"]),
    "arm sets the seed": (_bad(arms=[{"name": "a"}, {"name": "b", "set": {"simulation.seed": 4}}]),
                          ["arms.b.set", "simulation.seed", "every arm shares them"]),
    "unknown metric": (_bad(metrics=["revenu"]), ["unknown metric 'revenu'", "Did you mean 'revenue'"]),
    "ratio with statistic": (_bad(metrics=[{"name": "r", "ratio": ["revenue", "arr"], "statistic": "final"}]),
                             ["metrics.0", "ratio"]),
    "one replication": (_bad(replications=1), ["replications = 1", "greater than or equal to 2"]),
    "scenario file missing": (_bad(scenario="nowhere.yaml"), ["scenario = 'nowhere.yaml'", "file not found"]),
    "bad base scenario": (_bad(scenario={**TINY, "market": {"custmers": 5}}),
                          ["scenario: unknown key 'market.custmers'", "Did you mean 'market.customers'"]),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_bad_experiment_file_exits_2_with_a_clear_message(tmp_path, capsys, case):
    content, expected = BAD_FILES[case]
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(content))
    code = main(["compare", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and str(path) in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text, fragment", [("kind: compare\narms: [\n", "YAML syntax error"),
                                            ("- a list\n", "expected a mapping"),
                                            ("kind: !!python/object/apply:os.system ['x']\n", "YAML tag not allowed")])
def test_unreadable_experiment_file_exits_2(tmp_path, capsys, text, fragment):
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    assert main(["compare", str(path)]) == 2
    assert fragment in capsys.readouterr().err


def test_missing_experiment_file_exits_2(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: file not found" in capsys.readouterr().err


SHIPPED = sorted(path for path in (Path(__file__).resolve().parents[1] / "experiments").glob("*.yaml")
                 if yaml.safe_load(path.read_text()).get("kind") == "compare")


def test_the_issue_experiments_are_shipped():
    names = {path.stem for path in SHIPPED}
    assert {"margin_vs_retention_rebate", "front_loaded_vs_spread_payouts", "tiered_vs_flat", "double_bubble",
            "deal_registration_rules"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_experiment_runs_end_to_end_from_the_command_line(tmp_path, capsys, path):
    experiment = load_experiment(path)
    assert experiment.file.question and len(experiment.scenarios) >= 2
    out = tmp_path / "out"
    assert main(["compare", str(path), "--replications", "2", "--quarters", "3", "--out", str(out)]) == 0
    assert f"vs {experiment.file.arms[0].name}" in capsys.readouterr().out
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == len(experiment.metrics) * (len(experiment.scenarios) - 1)
