"""Result directories are claimed before the work: runs started together never collide, and none is lost."""

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pandas as pd
import pytest
import yaml

import sim
import sim.runner
from sim.cli import main
from sim.experiments import parameter_sweep

TINY = {"name": "tiny", "simulation": {"quarters": 2, "replications": 1, "seed": 3}, "market": {"customers": 300},
        "partners": {"var": {"count": 5, "initial": 1}}}


class FrozenClock(datetime):
    """``datetime`` whose ``now`` is always the same instant: every run starts in the same second."""

    @classmethod
    def now(cls, tz=None):
        """2026-01-02 03:04:05 UTC, every time."""
        return datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def landed(root):
    return sorted(p for p in root.rglob("manifest.json"))


def test_runs_started_in_the_same_second_land_in_their_own_directories(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.runner, "datetime", FrozenClock)
    paths = [sim.run_scenario(TINY, progress=False).path for _ in range(3)]
    assert len(set(paths)) == 3 and all((p / "quarterly.parquet").is_file() for p in paths)
    assert [p.name for p in paths] == [paths[0].name, f"{paths[0].name}-2", f"{paths[0].name}-3"]
    assert not list((tmp_path / "results" / "tiny").glob(".*"))  # no staging directory left behind


def test_runs_from_threads_at_once_all_land(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sim.runner, "datetime", FrozenClock)
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda _: sim.run_scenario(TINY, progress=False).path, range(4)))
    assert len(set(paths)) == 4 and len(landed(tmp_path / "results")) == 4


def test_concurrent_processes_of_the_same_scenario_all_land(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    procs = [subprocess.Popen([sys.executable, "-m", "sim", "run", str(scenario)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outcomes]
    runs = landed(tmp_path / "results" / "tiny")
    assert len(runs) == 4
    frames = [pd.read_parquet(m.parent / "quarterly.parquet") for m in runs]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])


def test_sweeps_started_in_the_same_second_land_in_their_own_directories(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(parameter_sweep, "datetime", FrozenClock)
    content = {"kind": "sweep", "name": "twice", "scenario": TINY, "parameters": {"vendor.partner_managers": [1, 2]},
               "replications": 1, "metrics": {"final": ["revenue"]}}
    paths = [sim.sweep(content, executor="serial", progress=False).path for _ in range(2)]
    assert paths[1].name == f"{paths[0].name}-2" and all((p / "sweep.parquet").is_file() for p in paths)


def test_out_that_is_a_file_is_bad_input(tmp_path, capsys):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    occupied = tmp_path / "taken.txt"
    occupied.write_text("mine")
    assert main(["run", str(scenario), "--out", str(occupied)]) == 2
    err = capsys.readouterr().err
    assert f"--out {occupied}: is a file, not a directory" in err and "Traceback" not in err
    assert occupied.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["taken.txt", "tiny.yaml"]


@pytest.mark.parametrize("command", ["sweep", "compare"])
def test_out_that_is_a_file_is_bad_input_for_experiments(tmp_path, capsys, command):
    occupied = tmp_path / "taken.txt"
    occupied.write_text("mine")
    if command == "sweep":
        content = {"kind": "sweep", "name": "s", "scenario": TINY, "parameters": {"vendor.partner_managers": [1]},
                   "replications": 1}
    else:
        content = {"kind": "compare", "name": "c", "scenario": TINY, "replications": 2,
                   "arms": [{"name": "a"}, {"name": "b", "set": {"vendor.partner_managers": 3}}],
                   "metrics": ["revenue"]}
    path = tmp_path / "experiment.yaml"
    path.write_text(yaml.safe_dump(content))
    extra = ["--executor", "serial"] if command == "sweep" else []
    assert main([command, str(path), "--out", str(occupied), *extra]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    assert occupied.read_text() == "mine"


def test_a_claimed_out_directory_is_refused_to_a_second_writer(tmp_path, capsys):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    (tmp_path / ".out.partial").mkdir()  # another run is writing --out out
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 2
    assert "another process is writing there" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_file_where_the_results_folder_should_be_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    (tmp_path / "results").write_text("not a folder")
    assert main(["run", str(scenario)]) == 2
    assert "cannot create its folder results/tiny" in capsys.readouterr().err
