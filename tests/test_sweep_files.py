"""Sweep files: what is accepted, and bad files refused with exit code 2 and a clear message."""

import copy
import importlib.util
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments.sweep_spec import load_sweep

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted(path for path in (ROOT / "experiments").glob("*.yaml")
                     if yaml.safe_load(path.read_text()).get("kind") == "sweep")

TINY = {"name": "tiny", "simulation": {"quarters": 4, "seed": 3}, "market": {"customers": 500},
        "vendor": {"stage": 2}, "partners": {"var": {"count": 20}, "reseller": {"count": 20}}}


def sweep_file(**changes) -> dict:
    """A small valid grid sweep over the tiny inline scenario, with top-level changes."""
    content = {"kind": "sweep", "name": "tiny_grid", "scenario": copy.deepcopy(TINY),
               "parameters": {"vendor.partner_managers": [1, 2], "partners.var.margin": 0.25},
               "replications": 2, "metrics": {"final": ["revenue"]}}
    content.update(changes)
    return content


def write(tmp_path: Path, content: dict, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def refused(tmp_path, capsys, content) -> str:
    """Run ``ecosim sweep --dry-run`` on ``content``; assert exit 2 and return stderr."""
    path = write(tmp_path, content)
    assert main(["sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=lambda p: p.name)
def test_shipped_sweep_files_are_valid(experiment):
    spec = load_sweep(experiment)
    assert spec.points and spec.replications >= 1


def test_a_valid_file_reports_its_size(tmp_path, capsys):
    path = write(tmp_path, sweep_file())
    assert main(["sweep", str(path), "--dry-run"]) == 0
    assert "2 points x 2 replications = 4 runs" in capsys.readouterr().out


def test_scenario_path_is_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "tiny.yaml").write_text(yaml.safe_dump(TINY))
    (tmp_path / "experiments").mkdir()
    spec = load_sweep(write(tmp_path / "experiments", sweep_file(scenario="../scenarios/tiny.yaml")))
    assert spec.base["name"] == "tiny" and spec.seed == 3  # the scenario's seed when the sweep gives none
    assert spec.base["partners"]["var"]["margin"] == 0.25  # constants go into the base


def test_constants_and_cases_reach_every_point():
    spec = load_sweep(sweep_file(cases={"lean": {"vendor.route_capacity": 1.0}, "wide": {}}))
    assert [(p.case, p.overrides) for p in spec.points] == [
        ("lean", {"vendor.route_capacity": 1.0, "vendor.partner_managers": 1}),
        ("lean", {"vendor.route_capacity": 1.0, "vendor.partner_managers": 2}),
        ("wide", {"vendor.partner_managers": 1}), ("wide", {"vendor.partner_managers": 2})]


@pytest.mark.parametrize("changes, words", [
    ({"kind": "compare"}, "kind = 'compare'"),
    ({"paramters": {}}, "unknown key 'paramters'. Did you mean 'parameters'?"),
    ({"replications": 0}, "replications = 0: Input should be greater than or equal to 1"),
    ({"scenario": "nowhere.yaml"}, "scenario = 'nowhere.yaml': file not found"),
    ({"parameters": {"vendor.partner_managers": []}}, "parameters.vendor.partner_managers = []: an empty list"),
    ({"parameters": {"vendor.partner_managers": {"low": 1, "high": 4}}}, "needs a sampled design"),
    ({"parameters": {"simulation.seed": [1, 2]}}, "set the sweep's 'seed' key instead"),
    ({"parameters": {"vendor.partner_managrs": [1, 2]}},
     "unknown key 'vendor.partner_managrs'. Did you mean 'vendor.partner_managers'?"),
    ({"parameters": {"partners.var.margin": [0.2, 1.5]}}, "partners.var.margin = 1.5: Input should be less than"),
    ({"parameters": {"partners.var.margni": 0.3}}, "Did you mean 'partners.var.margin'?"),
    ({"design": {"method": "sobol", "samples": 10}}, "power of two"),
    ({"design": {"method": "lhs"}}, "method lhs needs 'samples'"),
    ({"design": {"method": "grid", "samples": 4}}, "a grid has no 'samples'"),
    ({"design": {"method": "lhs", "samples": 4}, "parameters": {"partners.var.margin": 0.2}},
     "a lhs design needs at least one range"),
    ({"metrics": {"final": ["revenu"]}}, "unknown metric 'revenu'. Did you mean 'revenue'?"),
    ({"cases": {"a": {"vendor.partner_managers": 3}}}, "cases.a: vendor.partner_managers is set by the sweep"),
])
def test_bad_sweep_files_exit_2_naming_key_value_and_what_is_allowed(tmp_path, capsys, changes, words):
    err = refused(tmp_path, capsys, sweep_file(**changes))
    assert words in err
    assert str(tmp_path / "sweep.yaml") in err


def test_a_point_that_breaks_a_cross_field_rule_is_named(tmp_path, capsys):
    err = refused(tmp_path, capsys, sweep_file(parameters={"partners.var.initial": [0, 30]}))
    assert "(partners.var.initial=30)" in err and "cannot exceed count" in err


def test_a_combination_that_breaks_a_cross_field_rule_is_named_by_its_point(tmp_path):
    content = sweep_file(parameters={"partners.var.initial": [0, 30], "partners.var.count": [40, 20]})
    with pytest.raises(ScenarioError, match="point 3: partners.var.initial=30, partners.var.count=20.*cannot exceed"):
        load_sweep(content)


def test_yaml_errors_and_non_mappings_are_refused(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("kind: sweep\nparameters: [unclosed\n")
    assert main(["sweep", str(path)]) == 2
    assert "YAML syntax error at line" in capsys.readouterr().err
    with pytest.raises(ScenarioError, match="expected a mapping"):
        load_sweep(write(tmp_path, ["a", "list"]))


def test_bad_execution_arguments_exit_2_and_leave_nothing_behind(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, sweep_file())
    assert main(["sweep", str(path), "--executor", "serial", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "needs --executor dask" in capsys.readouterr().err
    assert main(["sweep", str(path), "--workers", "0", "--out", str(tmp_path / "out")]) == 2
    assert "--workers 0" in capsys.readouterr().err
    assert main(["sweep", str(path), "--resume", "--out", str(tmp_path / "never")]) == 2
    assert "no interrupted sweep" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.yaml"]  # no results/, no work directory


def test_a_sensitivity_design_without_salib_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "SALib" else real(name, *a))
    content = sweep_file(parameters={"partners.var.margin": {"low": 0.1, "high": 0.3}},
                         design={"method": "sobol", "samples": 4})
    err = refused(tmp_path, capsys, content)
    assert "needs SALib" in err and "pip install SALib" in err


def test_every_extra_a_message_names_exists():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    named = {m for path in (ROOT / "sim").rglob("*.py") for m in re.findall(r"ecosim\[(\w+)\]", path.read_text())}
    assert named and named <= extras, f"messages name extras that pyproject.toml lacks: {named - extras}"
