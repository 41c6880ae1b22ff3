"""Bad calibration input (history, calibration file, arguments): one message naming where and why, exit 2, nothing written."""

import pytest
import yaml
from conftest import ROOT

from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import load_calibration

EXAMPLE = ROOT / "scenarios" / "history"
HISTORY = "quarter,customers,partners_partnered\n1,20,15\n2,60,\n3,120,30\n"
SPEC = {
    "kind": "calibration",
    "parameters": {"market.adoption.innovation": {"prior": "log_uniform", "low": 0.001, "high": 0.03},
                   "vendor.partner_managers": {"prior": "uniform", "low": 1, "high": 5, "integer": True}},
    "kpis": {"customers": 1, "partners_partnered": 2},
    "budget": {"population": 20, "generations": 2},
    "seed": 3,
}


def run(tmp_path, capsys, history: str = HISTORY, spec: dict | str = None, *extra):
    (tmp_path / "history.csv").write_text(history)
    spec_file = tmp_path / "calibration.yaml"
    spec_file.write_text(spec if isinstance(spec, str) else yaml.safe_dump(spec or SPEC, sort_keys=False))
    out = tmp_path / "out"
    try:
        code = main(["calibrate", str(EXAMPLE / "company.yaml"), "--history", str(tmp_path / "history.csv"),
                     "--spec", str(spec_file), "--out", str(out), *extra])
    except SystemExit as exc:  # argparse refuses bad arguments itself
        code = exc.code
    err = capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".out*")), "nothing may be written"
    return code, err


def with_parameters(**parameters) -> dict:
    return {**SPEC, "parameters": {**SPEC["parameters"], **parameters}}


BAD_HISTORIES = {
    "unknown KPI column": ("quarter,customers,partner_revenue\n1,20,5\n",
                           ["history.csv: unknown column 'partner_revenue'", "Known columns", "customers",
                            "revenue_partner_sourced"]),
    "misspelt KPI column": ("quarter,custmers\n1,20\n", ["unknown column 'custmers'", "Did you mean 'customers'?"]),
    "no quarter column": ("customers\n20\n", ["history.csv", "no 'quarter' column"]),
    "non-numeric value": ("quarter,customers\n1,20\n2,lots\n", ["history.csv: line 3, column customers", "'lots'",
                                                               "not a number"]),
    "negative value": ("quarter,customers\n1,20\n2,-4\n", ["history.csv: line 3, column customers", "'-4'",
                                                          "negative"]),
    "quarters not increasing": ("quarter,customers\n1,20\n3,40\n2,30\n",
                                ["history.csv: line 4, column quarter", "quarter 2 comes after quarter 3",
                                 "increase"]),
    "duplicated quarter": ("quarter,customers\n1,20\n2,40\n2,41\n", ["history.csv: line 4, column quarter",
                                                                     "quarter 2 repeats quarter 2"]),
    "quarter not whole": ("quarter,customers\n1.5,20\n", ["history.csv: line 2, column quarter", "'1.5'",
                                                         "whole numbers from 1"]),
    "longer than the scenario": ("quarter,customers\n1,20\n17,900\n",
                                 ["history.csv: line 3, column quarter", "quarter 17", "16 quarters",
                                  "may not be longer"]),
    "a column without values": ("quarter,customers,partners_active\n1,20,\n2,40,\n",
                                ["history.csv", "column 'partners_active' has no values"]),
    "repeated column": ("quarter,customers,customers\n1,20,21\n", ["history.csv: line 1", "'customers' appears twice"]),
    "no rows": ("quarter,customers\n", ["history.csv", "no quarters"]),
}


@pytest.mark.parametrize("case", BAD_HISTORIES, ids=list(BAD_HISTORIES))
def test_bad_history_is_refused(tmp_path, capsys, case):
    history, expected = BAD_HISTORIES[case]
    spec = {k: v for k, v in SPEC.items() if k != "kpis"}
    code, err = run(tmp_path, capsys, history, spec)
    assert code == 2
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err


BAD_SPECS = {
    "prior bounds reversed": (with_parameters(**{"market.adoption.imitation": {"prior": "uniform", "low": 0.4,
                                                                               "high": 0.1}}),
                              ["calibration.yaml", "parameters.market.adoption.imitation", "prior bounds reversed",
                               "low (0.4) must be below high (0.1)"]),
    "equal bounds": (with_parameters(**{"market.adoption.imitation": {"prior": "uniform", "low": 0.2, "high": 0.2}}),
                     ["parameters.market.adoption.imitation", "low (0.2) must be below high (0.2)"]),
    "unknown parameter path": (with_parameters(**{"market.adoption.imitaton": {"prior": "uniform", "low": 0,
                                                                               "high": 0.3}}),
                               ["calibration.yaml: parameters.market.adoption.imitaton",
                                "Did you mean 'market.adoption.imitation'?"]),
    "a section, not a number": (with_parameters(**{"market.adoption": {"prior": "uniform", "low": 0, "high": 1}}),
                                ["parameters.market.adoption", "a section"]),
    "a text value": (with_parameters(**{"program.deal_registration": {"prior": "uniform", "low": 0, "high": 1}}),
                     ["parameters.program.deal_registration", "'first_registered'", "not a number"]),
    "a simulation key": (with_parameters(**{"simulation.seed": {"prior": "uniform", "low": 0, "high": 9,
                                                                "integer": True}}),
                         ["parameters.simulation.seed", "the calibration's own"]),
    "a whole number without integer": (with_parameters(**{"vendor.partner_managers": {"prior": "uniform", "low": 1,
                                                                                     "high": 5}}),
                                       ["parameters.vendor.partner_managers", "add integer: true"]),
    "prior beyond what the scenario allows": (with_parameters(**{"partners.var.margin": {"prior": "uniform",
                                                                                         "low": 0.1, "high": 1.5}}),
                                              ["parameters.partners.var.margin", "uniform(0.1, 1.5) reaches 1.5",
                                               "less than or equal to 1", "narrow the prior"]),
    "unbounded normal beyond the scenario": (with_parameters(**{"partners.var.reach": {"prior": "normal", "mean": 0.05,
                                                                                       "sd": 0.03}}),
                                             ["parameters.partners.var.reach", "normal(0.05, 0.03) reaches -0.13"]),
    "normal without sd": (with_parameters(**{"partners.var.reach": {"prior": "normal", "mean": 0.05}}),
                          ["parameters.partners.var.reach", "a normal prior needs mean and sd"]),
    "log-uniform from zero": (with_parameters(**{"market.adoption.innovation": {"prior": "log_uniform", "low": 0,
                                                                                "high": 0.03}}),
                              ["parameters.market.adoption.innovation", "log_uniform prior needs low > 0"]),
    "unknown prior": (with_parameters(**{"market.adoption.innovation": {"prior": "beta", "low": 0, "high": 1}}),
                      ["parameters.market.adoption.innovation.prior", "'beta'", "'uniform'"]),
    "KPI not in the history": ({**SPEC, "kpis": {"customers": 1, "revenue": 1}},
                               ["calibration.yaml: kpis.revenue", "not a column of", "customers, partners_partnered"]),
    "weight not positive": ({**SPEC, "kpis": {"customers": 0}}, ["kpis.customers = 0", "must be above 0"]),
    "no budget end": ({**SPEC, "budget": {"population": 20}}, ["budget", "generations and/or wall_time_minutes"]),
    "too small a population": ({**SPEC, "budget": {"population": 2, "generations": 1}},
                               ["budget.population = 2", "greater than or equal to 10"]),
    "misspelt key": ({**SPEC, "replicatons": 2}, ["unknown key 'replicatons'", "Did you mean 'replications'?"]),
    "no parameters": ({**SPEC, "parameters": {}}, ["parameters", "at least 1 item"]),
}


@pytest.mark.parametrize("case", BAD_SPECS, ids=list(BAD_SPECS))
def test_bad_calibration_file_is_refused(tmp_path, capsys, case):
    spec, expected = BAD_SPECS[case]
    code, err = run(tmp_path, capsys, HISTORY, spec)
    assert code == 2
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err


def test_a_parameter_given_twice_is_refused(tmp_path, capsys):
    text = yaml.safe_dump(SPEC, sort_keys=False).replace(
        "  vendor.partner_managers:", "  market.adoption.innovation:\n    prior: uniform\n    low: 0.01\n"
                                      "    high: 0.02\n  vendor.partner_managers:")
    code, err = run(tmp_path, capsys, HISTORY, text)
    assert code == 2
    assert "calibration.yaml: duplicate key 'market.adoption.innovation'" in err and "again at line 7" in err


@pytest.mark.parametrize(("args", "expected"), [
    (["--workers", "0"], "--workers 0: must be at least 1"),
    (["--workers", "2", "--scheduler", "tcp://x:1"], "not allowed with argument"),
    (["--resume"], "no interrupted calibration"),
])
def test_bad_arguments_are_refused(tmp_path, capsys, args, expected):
    code, err = run(tmp_path, capsys, HISTORY, SPEC, *args)
    assert code == 2
    assert expected in err


def test_a_scenario_of_several_startups_is_refused(tmp_path):
    (tmp_path / "h.csv").write_text(HISTORY)
    with pytest.raises(ScenarioError, match="several startups"):
        load_calibration(ROOT / "scenarios" / "two_startups.yaml", tmp_path / "h.csv", SPEC)


def test_a_good_calibration_loads_with_its_defaults(tmp_path):
    (tmp_path / "h.csv").write_text(HISTORY)
    spec = {k: v for k, v in SPEC.items() if k != "kpis"}
    calibration = load_calibration(EXAMPLE / "company.yaml", tmp_path / "h.csv", spec)
    assert calibration.kpis == {"customers": 1.0, "partners_partnered": 1.0}  # every history column, weight 1
    assert calibration.name == "company_calibration" and calibration.file.replications == 1
    assert list(calibration.history.observed("partners_partnered").index) == [1, 3]  # the gap is left out


def test_a_combination_of_values_the_scenario_refuses_is_named(tmp_path):
    from sim.experiments.calibration_abc import SIMULATION_SEED, Simulator

    (tmp_path / "h.csv").write_text(HISTORY)
    spec = with_parameters(**{"partners.behavior.poor_fit_share": {"prior": "uniform", "low": 0.05, "high": 0.33},
                              "partners.behavior.poor_fit_churn": {"prior": "uniform", "low": 1, "high": 3.3}})
    simulator = Simulator.of(load_calibration(EXAMPLE / "company.yaml", tmp_path / "h.csv", spec))
    particle = {"log(market.adoption.innovation)": -5.0, "vendor.partner_managers": 2.2,
                "partners.behavior.poor_fit_share": 0.33, "partners.behavior.poor_fit_churn": 3.3}
    token = SIMULATION_SEED.set(1)
    try:
        with pytest.raises(ScenarioError, match="poor_fit_share x poor_fit_churn must be at most 1"):
            simulator(particle)
        assert set(simulator({**particle, "partners.behavior.poor_fit_churn": 2.0})) == set(SPEC["kpis"])
    finally:
        SIMULATION_SEED.reset(token)


def test_a_result_directory_that_holds_something_is_refused(tmp_path, capsys):
    (tmp_path / "history.csv").write_text(HISTORY)
    (tmp_path / "calibration.yaml").write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code = main(["calibrate", str(EXAMPLE / "company.yaml"), "--history", str(tmp_path / "history.csv"),
                 "--spec", str(tmp_path / "calibration.yaml"), "--out", str(out)])
    assert code == 2 and "directory exists and is not empty" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and not (tmp_path / ".out.partial").exists()
