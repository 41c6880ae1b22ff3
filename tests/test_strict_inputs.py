"""Values that used to pass validation and then crash or give nonsense are refused up front (exit 2)."""

from pathlib import Path

import pytest
import yaml

import sim.limits
from sim.cli import main
from sim.experiments import designs
from sim.experiments.sweep_spec import load_sweep, read_sweep

TINY = {"name": "tiny", "simulation": {"quarters": 2, "replications": 1}, "market": {"customers": 300}}


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, tmp_path: Path, *args, expected: list[str]) -> None:
    """``ecosim ARGS`` exits 2 with every expected fragment, no traceback, and writes nothing."""
    before = sorted(tmp_path.rglob("*"))
    code, _, err = run_cli(capsys, *args)
    assert code == 2, err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err and "internal error" not in err
    assert sorted(tmp_path.rglob("*")) == before


SCENARIO_CASES = {
    "infinite money": ("name: x\nmarket:\n  segments:\n    smb: {annual_contract_value: .inf}\n",
                       ["market.segments.smb.annual_contract_value", "inf", "finite number"]),
    "infinite cost": ("name: x\nprogram:\n  incentives:\n    mdf: {cost_per_opportunity: .inf}\n",
                      ["program.incentives.mdf.cost_per_opportunity", "finite number"]),
    "nan rate": ("name: x\nmarket:\n  adoption: {innovation: .nan}\n", ["market.adoption.innovation", "finite number"]),
    "nan money": ("name: x\nprogram:\n  incentives:\n    milestones: {first_win: .nan}\n",
                  ["program.incentives.milestones.first_win", "finite number"]),
    "huge float seed": ("name: x\nsimulation: {seed: 1.0e+38}\n",
                        ["simulation.seed", "from 0 to 2**63-1 (9223372036854775807)"]),
    "seed past int64": ("name: x\nsimulation: {seed: 9223372036854775808}\n", ["simulation.seed", "2**63-1"]),
    "trillion partners": ("name: x\npartners:\n  var: {count: 1000000000000}\n",
                          ["partners.var.count", "less than or equal to 1000000"]),
    "too many customers": ("name: x\nmarket: {customers: 1000000000}\n",
                           ["market.customers", "less than or equal to 100000000"]),
    "true replications": ("name: x\nsimulation: {replications: true}\n",
                          ["simulation.replications", "a number is expected here, not true/false"]),
    "false quarters": ("name: x\nsimulation: {quarters: false}\n", ["simulation.quarters", "not true/false"]),
    "true margin": ("name: x\npartners:\n  var: {margin: true}\n", ["partners.var.margin", "not true/false"]),
    "true in a mapping of shares": ("name: x\nvendor:\n  direct_coverage: {smb: true}\n",
                                    ["vendor.direct_coverage", "not true/false"]),
    "duplicate top-level key": ("name: x\nmarket: {customers: 300}\nsimulation: {quarters: 2}\nmarket: {churn: false}\n",
                                ["duplicate key 'market': first at line 2, again at line 4"]),
    "duplicate nested key": ("name: x\npartners:\n  var:\n    count: 4\n    margin: 0.2\n    count: 9\n",
                             ["duplicate key 'count': first at line 4, again at line 6"]),
}


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=list(SCENARIO_CASES))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_values_are_refused_before_anything_is_written(tmp_path, capsys, monkeypatch, case, command):
    monkeypatch.chdir(tmp_path)
    text, expected = SCENARIO_CASES[case]
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    refused(capsys, tmp_path, command, path, expected=expected)


@pytest.mark.parametrize("args, expected", [
    (["--seed", str(2**63)], ["simulation.seed", "2**63-1"]),
    (["--set", "simulation.replications=true"], ["--set simulation.replications", "not true/false"]),
    (["--set", "market.segments.smb.win_rate=.nan"], ["market.segments.smb.win_rate", "finite number"]),
    (["--set", "market.segments={smb: {share: 1}, smb: {share: 0.5}}"], ["duplicate key 'smb'"]),
], ids=["seed", "true replications", "nan", "duplicate key"])
def test_bad_command_line_values_are_refused(tmp_path, capsys, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(TINY))
    refused(capsys, tmp_path, "run", path, *args, expected=expected)


def test_a_run_that_cannot_fit_in_memory_is_refused_with_its_size(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.limits, "available_bytes", lambda: 2**30)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({**TINY, "market": {"customers": 5_000_000}}))
    refused(capsys, tmp_path, "run", path, expected=[
        "scenario 'tiny': needs about", "GiB of memory (5,000,000 customers", "but 1.0 GiB is available"])


def test_the_memory_estimate_grows_with_each_driver():
    small = {**TINY, "partners": {"var": {"count": 20}}}
    base = sim.limits.run_bytes(load(small)).bytes
    for change in ({"market": {"customers": 3000}}, {"simulation": {"quarters": 20, "replications": 1}},
                   {"partners": {"var": {"count": 2000}}}, {"simulation": {"quarters": 2, "replications": 5}},
                   {"market": {"customers": 300, "word_of_mouth": {"mean_degree": 100}}}):
        assert sim.limits.run_bytes(load({**small, **change})).bytes > base, change


def load(content):
    from sim.scenario import load_scenario

    return load_scenario(content)


def test_a_directory_given_as_a_file_says_so(tmp_path, capsys):
    refused(capsys, tmp_path, "run", tmp_path, expected=[f"{tmp_path}: is a directory, expected a YAML scenario file"])


def test_a_directory_given_as_a_compare_scenario_says_so(tmp_path, capsys):
    (tmp_path / "scenarios").mkdir()
    experiment = {"kind": "compare", "name": "c", "scenario": "scenarios", "replications": 2,
                  "arms": [{"name": "a"}, {"name": "b"}], "metrics": ["revenue"]}
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(experiment))
    refused(capsys, tmp_path, "compare", path, "--out", tmp_path / "out",
            expected=["scenario = 'scenarios'", "is a directory, expected a scenario YAML file"])


SWEEP = {"kind": "sweep", "name": "s", "scenario": TINY, "parameters": {"vendor.partner_managers": [1, 2]},
         "replications": 1}

SWEEP_CASES = {
    "true replications": ({"replications": True}, ["replications", "not true/false"]),
    "seed past int64": ({"seed": 2**64}, ["seed", "2**63-1"]),
    "design seed past int64": ({"design": {"method": "random", "samples": 2, "seed": 2**70},
                                "parameters": {"vendor.partner_managers": {"low": 1, "high": 3}}},
                               ["design.seed", "2**63-1"]),
    "true samples": ({"design": {"method": "random", "samples": True},
                      "parameters": {"vendor.partner_managers": {"low": 1, "high": 3}}},
                     ["design.samples", "not true/false"]),
}


@pytest.mark.parametrize("case", SWEEP_CASES, ids=list(SWEEP_CASES))
def test_bad_sweep_values_are_refused(tmp_path, capsys, case):
    change, expected = SWEEP_CASES[case]
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({**SWEEP, **change}))
    refused(capsys, tmp_path, "sweep", path, "--executor", "serial", "--out", tmp_path / "out", expected=expected)


def test_duplicate_keys_in_a_sweep_file_name_both_lines(tmp_path, capsys):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(SWEEP, sort_keys=False) + "replications: 3\n")
    refused(capsys, tmp_path, "sweep", path, "--dry-run", expected=["duplicate key 'replications'", "again at line"])


# ------------------------------------------------------------------ bounded sweeps
HUGE = {**SWEEP, "parameters": {key: list(range(1, 101)) for key in (
    "partners.var.sellers", "partners.var.accounts_per_seller", "vendor.partner_managers",
    "vendor.onboardings_per_manager")}}


def test_a_design_beyond_the_limit_is_refused_with_its_size_before_any_point_is_built(tmp_path, capsys, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the design was built")

    monkeypatch.setattr(designs, "design_points", never)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(HUGE))
    refused(capsys, tmp_path, "sweep", path, "--executor", "serial", "--out", tmp_path / "out",
            expected=["grid design has 100,000,000 points, more than the limit of 100,000", "--max-points"])
    refused(capsys, tmp_path, "sweep", path, "--dry-run", expected=["100,000,000 points"])


def test_dry_run_prints_the_size_without_building_the_design(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(designs, "design_points", lambda *a, **k: pytest.fail("the design was built"))
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(HUGE))
    code, out, _ = run_cli(capsys, "sweep", path, "--dry-run", "--max-points", 10**9)
    assert code == 0 and "100,000,000 points x 1 replications = 100,000,000 runs" in out


def test_a_raised_limit_lets_a_large_design_run(tmp_path):
    content = {**SWEEP, "parameters": {"vendor.partner_managers": [1, 2, 3]}}
    with pytest.raises(sim.errors.ScenarioError, match="3 points, more than the limit of 2"):
        load_sweep(content, max_points=2)
    assert len(load_sweep(content, max_points=3).points) == 3


@pytest.mark.parametrize("design, parameters", [
    ({"method": "grid"}, {"a": [1, 2, 3], "b": [1, 2]}),
    ({"method": "random", "samples": 5}, {"a": {"low": 0, "high": 1}}),
    ({"method": "lhs", "samples": 7}, {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}),
    ({"method": "sobol", "samples": 8}, {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}),
    ({"method": "sobol", "samples": 4, "second_order": True}, {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1},
                                                               "c": {"choices": [1, 2]}}),
    ({"method": "morris", "samples": 3}, {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}}),
])
def test_the_size_computed_up_front_is_the_size_built(design, parameters):
    method = design["method"]
    parsed = {k: designs.parse_parameter(v, method) for k, v in parameters.items()}
    built = designs.design_points(parsed, method, design.get("samples"), 1, second_order=design.get("second_order",
                                                                                                     False))
    assert designs.design_size(parsed, method, design.get("samples"),
                               second_order=design.get("second_order", False)) == len(built.values)


def test_cases_multiply_the_size():
    head = read_sweep({**SWEEP, "cases": {"a": {}, "b": {}, "c": {}}})
    assert head.size == 6
