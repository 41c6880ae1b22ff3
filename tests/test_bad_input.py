"""Bad input gets one clear message naming file, key path, value and what is allowed; exit 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


GOOD = "name: ok\nsimulation: {quarters: 2, replications: 1}\nmarket: {customers: 200}\n"

BAD_CASES = {
    "misspelt key": ("name: x\nmarket:\n  custmers: 100\n", ["market.custmers", "Did you mean 'market.customers'"]),
    "misspelt partner field": ("name: x\npartners:\n  var: {margn: 0.2}\n", ["partners.var.margn", "partners.var.margin"]),
    "unknown partner type": ("name: x\npartners:\n  resseller: {count: 3}\n", ["partners.resseller", "partners.reseller"]),
    "wrong type": ("name: x\nmarket: {customers: many}\n", ["market.customers", "'many'", "integer"]),
    "out of range": ("name: x\npartners:\n  var: {margin: 1.5}\n", ["partners.var.margin", "1.5", "less than or equal to 1"]),
    "negative count": ("name: x\npartners:\n  gsi: {count: -3}\n", ["partners.gsi.count", "-3", "greater than or equal to 0"]),
    "shares not summing to 1": (
        "name: x\nmarket:\n  segments:\n    smb: {share: 0.5}\n    enterprise: {share: 0.2}\n",
        ["market", "share", "must sum to 1"]),
    "initial above count": ("name: x\npartners:\n  var: {count: 2, initial: 5}\n", ["partners.var", "initial"]),
    "bad enum": ("name: x\nmarket:\n  word_of_mouth: {graph: mesh}\n", ["market.word_of_mouth.graph", "'mesh'", "small_world"]),
    "yaml syntax": ("name: x\nmarket: {customers: 100\n", ["YAML syntax error", "line"]),
    "object tag": ("name: !!python/object/apply:os.system ['echo hi']\n", ["YAML tag not allowed"]),
    "not a mapping": ("- just\n- a list\n", ["expected a mapping"]),
    "missing name": ("market: {customers: 100}\n", ["missing required key 'name'"]),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_scenario_is_refused(tmp_path, capsys, case, command):
    text, expected = BAD_CASES[case]
    path = write(tmp_path, text)
    out_dir = tmp_path / "out"
    extra = ["--out", out_dir] if command == "run" else []
    code, out, err = run_cli(capsys, command, path, *extra)
    assert code == 2
    assert str(path) in err or "--set" in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err
    assert not out_dir.exists()


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml: file not found" in err


def test_unknown_set_path_is_refused(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    code, _, err = run_cli(capsys, "run", path, "--set", "partners.var.margine=0.3", "--out", tmp_path / "o")
    assert code == 2
    assert "--set partners.var.margine" in err and "partners.var.margin" in err
    assert not (tmp_path / "o").exists()


def test_bad_set_value_is_refused(tmp_path, capsys):
    path = write(tmp_path, GOOD)
    code, _, err = run_cli(capsys, "validate", path, "--set", "simulation.quarters=-4")
    assert code == 2 and "--set simulation.quarters" in err and "-4" in err


def test_set_without_equals_is_refused(tmp_path, capsys):
    code, _, err = run_cli(capsys, "validate", write(tmp_path, GOOD), "--set", "market.customers")
    assert code == 2 and "expected key.path=value" in err


def test_bad_argument_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2


def test_nonempty_out_dir_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli(capsys, "run", write(tmp_path, GOOD), "--out", out)
    assert code == 2 and "not empty" in err
    assert (out / "keep.txt").read_text() == "mine"


def test_fewer_than_one_worker_is_refused(tmp_path, capsys):
    code, _, err = run_cli(capsys, "run", write(tmp_path, GOOD), "--workers", 0, "--out", tmp_path / "out")
    assert code == 2 and "--workers 0: must be at least 1" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "scenario.yaml"]


def test_interrupted_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    import sim.runner

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner.pd.DataFrame, "to_parquet", interrupted)
    code, _, err = run_cli(capsys, "run", write(tmp_path, GOOD), "--out", tmp_path / "out")
    assert code == 130 and "no partial results" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "scenario.yaml"]


def test_valid_scenario_validates(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "validate", write(tmp_path, GOOD))
    assert code == 0 and "valid scenario 'ok'" in out


def test_schema_is_json_schema(capsys):
    code, out, _ = run_cli(capsys, "schema")
    schema = json.loads(out)
    assert code == 0
    assert {"simulation", "market", "partners", "program"} <= set(schema["properties"])


def test_module_entry_point_help():
    proc = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "run" in proc.stdout and "validate" in proc.stdout
