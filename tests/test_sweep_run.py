"""Running sweeps: executors agree, failures are isolated, interrupted sweeps resume exactly."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.cli import main
from sim.errors import ScenarioError
from sim.experiments import SweepIncomplete, SweepInterrupted, parameter_sweep, tasks
from sim.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]

TINY = {"name": "tiny", "simulation": {"quarters": 4}, "market": {"customers": 500},
        "vendor": {"stage": 2, "partner_managers": 2},
        "partners": {"var": {"count": 20, "initial": 2}, "reseller": {"count": 20}, "regional_si": {"count": 5}}}

GRID = {"kind": "sweep", "name": "tiny_grid", "scenario": TINY,
        "parameters": {"vendor.partner_managers": [1, 3], "partners.var.ramp_quarters": [0, 2],
                       "program.deal_registration": "partner_preferred"},
        "cases": {"narrow": {"partners.regional_si.count": 0}, "wide": {}},
        "replications": 3, "seed": 11,
        "metrics": {"final": ["revenue", "partners_active"], "total": ["new_customers"],
                    "timeseries": ["revenue", "ecosystem_contribution"]}}


def write(tmp_path: Path, content: dict, name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def table(directory: Path, name: str = "sweep.parquet") -> pd.DataFrame:
    return pd.read_parquet(directory / name).sort_values("run_id", ignore_index=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The tiny grid sweep, run uninterrupted in this process."""
    out = tmp_path_factory.mktemp("reference") / "out"
    sim.sweep(GRID, executor="serial", out=out, progress=False)
    return out


def test_the_result_directory_holds_every_table_and_nothing_partial(reference):
    assert sorted(p.name for p in reference.iterdir()) == ["manifest.json", "points.csv", "sweep.parquet",
                                                           "timeseries.parquet"]
    assert not list(reference.parent.glob(".*.partial"))
    runs = table(reference)
    assert len(runs) == 2 * 4 * 3 and list(runs["run_id"]) == list(range(24))
    assert list(runs.columns[:7]) == ["run_id", "point_id", "case", "replication", "seed", "vendor.partner_managers",
                                      "partners.var.ramp_quarters"]
    assert "program.deal_registration" not in runs  # constants are not columns; they are in the manifest
    assert {"final_revenue", "final_partners_active", "total_new_customers", "flywheel_quarter"} <= set(runs)
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    series = table(reference, "timeseries.parquet")
    assert len(series) == 24 * 4 and set(series["quarter"]) == {1, 2, 3, 4}
    last = series[series["quarter"] == 4].set_index("run_id")["revenue"]
    pd.testing.assert_series_equal(last, runs.set_index("run_id")["final_revenue"], check_names=False)
    points = pd.read_csv(reference / "points.csv")
    assert len(points) == 8 * 4 and set(points.columns) >= {"case", "metric", "mean", "ci_low", "ci_high", "n"}
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert (manifest["points"], manifest["runs"], manifest["runs_failed"]) == (8, 24, 0)
    assert manifest["constants"] == {"program.deal_registration": "partner_preferred"}
    assert manifest["scenario"]["program"]["deal_registration"] == "partner_preferred"


def test_cases_and_parameters_change_the_runs(reference):
    runs = table(reference)
    by_case = runs.groupby("case")["final_revenue"].mean()
    assert by_case["narrow"] != by_case["wide"]
    assert runs.groupby("vendor.partner_managers")["final_partners_active"].mean().is_monotonic_increasing


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_gives_the_same_tables(reference, tmp_path, executor):
    sim.sweep(GRID, executor=executor, workers=2, batch_size=5, out=tmp_path / "out", progress=False)
    pd.testing.assert_frame_equal(table(tmp_path / "out"), table(reference))
    pd.testing.assert_frame_equal(table(tmp_path / "out", "timeseries.parquet"),
                                  table(reference, "timeseries.parquet"))


def test_a_run_is_reproduced_by_ecosim_run_with_its_seed_and_replication(reference):
    runs = table(reference)
    for common in (True, False):
        content = {**GRID, "common_random_numbers": common}
        result = sim.sweep(content, executor="serial", write=False, progress=False) if not common else None
        frame = runs if common else result.runs
        assert (frame["seed"].nunique() == 1) is common
        row = frame[(frame["case"] == "narrow") & (frame["vendor.partner_managers"] == 3)].iloc[4]
        overrides = {"partners.regional_si.count": 0, "vendor.partner_managers": 3,
                     "partners.var.ramp_quarters": int(row["partners.var.ramp_quarters"]),
                     "program.deal_registration": "partner_preferred"}
        run = run_scenario(TINY, overrides, seed=int(row["seed"]), replications=int(row["replication"]) + 1,
                           write=False)
        last = run.quarterly[run.quarterly["quarter"] == 4].set_index("replication")
        assert last.loc[row["replication"], "revenue"] == row["final_revenue"]


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    real = tasks.run_replication

    def flaky(scenario, replication):
        if scenario.vendor.partner_managers == 3 and replication == 1:
            raise ZeroDivisionError("no partners to divide by")
        return real(scenario, replication)

    monkeypatch.setattr(tasks, "run_replication", flaky)
    result = sim.sweep(GRID, executor="serial", out=tmp_path / "out", progress=False)
    runs = table(tmp_path / "out")
    failed = runs[runs["status"] == "failed"]
    assert len(failed) == 4 and (failed["replication"] == 1).all()
    assert (failed["vendor.partner_managers"] == 3).all() and failed["final_revenue"].isna().all()
    assert set(failed["error"]) == {"ZeroDivisionError: no partners to divide by"}
    assert (runs.drop(failed.index)["status"] == "ok").all() and len(runs) == 24
    assert result.manifest["failures"] == [{"error": "ZeroDivisionError: no partners to divide by", "runs": 4}]
    points = result.points[result.points["metric"] == "final_revenue"]
    assert set(points.loc[points["vendor.partner_managers"] == 3, "failed"]) == {1}
    assert set(points.loc[points["vendor.partner_managers"] == 3, "n"]) == {2}
    assert "4 of 24 runs failed" in result.report()


def _interrupt_after(monkeypatch, tasks_done: int, error: type[BaseException]):
    """Make the executor raise ``error`` once ``tasks_done`` tasks have run."""
    real, calls = parameter_sweep.run_task, []

    def task(t):
        if len(calls) == tasks_done:
            raise error("stopped here")
        calls.append(t)
        return real(t)

    monkeypatch.setattr(parameter_sweep, "run_task", task)


def test_ctrl_c_keeps_finished_tasks_and_resume_runs_only_the_rest(reference, tmp_path, monkeypatch):
    path = write(tmp_path, GRID)
    _interrupt_after(monkeypatch, 3, KeyboardInterrupt)
    with pytest.raises(SweepInterrupted, match="9 of 24 runs are kept"):
        sim.sweep(path, executor="serial", batch_size=3, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and (tmp_path / ".out.partial" / "ledger.jsonl").is_file()
    monkeypatch.undo()

    changed = write(tmp_path, {**GRID, "replications": 4}, "changed.yaml")
    with pytest.raises(ScenarioError, match="different sweep file"):
        sim.sweep(changed, executor="serial", out=tmp_path / "out", resume=True)
    with pytest.raises(ScenarioError, match="interrupted sweep is already there"):
        sim.sweep(path, executor="serial", out=tmp_path / "out")

    result = sim.sweep(path, executor="processes", workers=2, out=tmp_path / "out", resume=True, progress=False)
    pd.testing.assert_frame_equal(table(tmp_path / "out"), table(reference))
    pd.testing.assert_frame_equal(table(tmp_path / "out", "timeseries.parquet"),
                                  table(reference, "timeseries.parquet"))
    sessions = result.manifest["sessions"]
    assert [(s["status"], s["runs_done"]) for s in sessions] == [("interrupted", 9), ("complete", 15)]
    with pytest.raises(ScenarioError, match="already complete"):
        sim.sweep(path, executor="serial", out=tmp_path / "out", resume=True)


def test_runs_lost_to_a_dead_worker_are_reported_and_resumed(reference, tmp_path, monkeypatch):
    monkeypatch.setattr(parameter_sweep, "RESULTS_ROOT", tmp_path / "results")
    _interrupt_after(monkeypatch, 2, OSError)  # e.g. a worker's connection dropped
    with pytest.raises(SweepIncomplete, match=r"runs did not finish \(OSError: stopped here\).*--resume"):
        sim.sweep(GRID, executor="serial", batch_size=4, progress=False)
    monkeypatch.setattr(parameter_sweep, "run_task", tasks.run_task)
    result = sim.sweep(GRID, executor="serial", resume=True, progress=False)  # found without --out
    assert result.path.parent == tmp_path / "results" / "tiny_grid"
    pd.testing.assert_frame_equal(table(result.path), table(reference))


# Run in a fresh interpreter: ecosim sweep, which sends itself ``sig`` as soon as its third task is on
# disk, so the sweep always stops at the same point of its work.
STOP_AFTER_THIRD_TASK = """
import os, signal, sys
from sim.cli import main
from sim.experiments.store import SweepStore

save = SweepStore.save

def save_then_stop(self, *args, **kwargs):
    save(self, *args, **kwargs)
    if len(self.entries) == 3:
        os.kill(os.getpid(), signal.{sig})

SweepStore.save = save_then_stop
sys.exit(main({argv!r}))
"""


@pytest.mark.parametrize("sig, executor", [("SIGKILL", "serial"), ("SIGINT", "serial"), ("SIGINT", "processes")],
                         ids=["killed", "ctrl-c", "ctrl-c-processes"])
def test_a_stopped_sweep_process_resumes_to_exactly_the_uninterrupted_rows(reference, tmp_path, sig, executor):
    path = write(tmp_path, GRID)
    argv = ["sweep", str(path), "--executor", executor, "--batch-size", "1", "--out", str(tmp_path / "out")]
    process = subprocess.run([sys.executable, "-c", STOP_AFTER_THIRD_TASK.format(sig=sig, argv=argv)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == (-signal.SIGKILL if sig == "SIGKILL" else 130), process.stderr
    if sig == "SIGINT":
        assert "rerun with --resume" in process.stderr
    if executor == "processes":  # the workers did not get the signal: their running tasks are saved
        assert "interrupted: saving" in process.stderr
    assert not (tmp_path / "out").exists()
    kept = len((tmp_path / ".out.partial" / "ledger.jsonl").read_text().splitlines())
    assert kept == 3 if executor == "serial" else 3 < kept < 24

    resumed = sim.sweep(path, executor="serial", out=tmp_path / "out", resume=True, progress=False)
    assert resumed.manifest["sessions"][-1]["runs_done"] == 24 - kept
    pd.testing.assert_frame_equal(table(tmp_path / "out"), table(reference))
    pd.testing.assert_frame_equal(table(tmp_path / "out", "timeseries.parquet"), table(reference, "timeseries.parquet"))


@pytest.mark.parametrize("method, samples, points, title, columns", [
    ("sobol", 8, 8 * 5, "Sobol' indices", ["S1", "S1_conf", "ST", "ST_conf"]),
    ("morris", 4, 4 * 4, "Morris elementary effects", ["mu", "mu_star", "mu_star_conf", "sigma"]),
    ("lhs", 6, 6, "mean and 95% interval per point", None),
])
def test_sampled_sweeps_from_the_command_line(tmp_path, capsys, method, samples, points, title, columns):
    content = {"kind": "sweep", "name": f"tiny_{method}", "scenario": TINY,
               "parameters": {"vendor.partner_managers": {"low": 1, "high": 4, "integer": True},
                              "market.adoption.imitation": {"low": 0.05, "high": 0.4},
                              "program.deal_registration": {"choices": ["first_registered", "partner_preferred"]}},
               "design": {"method": method, "samples": samples, "seed": 2}, "replications": 1, "seed": 4,
               "metrics": {"final": ["revenue", "mdf_spend"]}}
    assert main(["sweep", str(write(tmp_path, content)), "--executor", "serial", "--out", str(tmp_path / "out")]) == 0
    assert f"final_revenue: {title}" in capsys.readouterr().out
    runs = table(tmp_path / "out")
    assert len(runs) == points and runs["vendor.partner_managers"].between(1, 4).all()
    assert set(runs["program.deal_registration"]) == {"first_registered", "partner_preferred"}
    if columns is None:
        assert not (tmp_path / "out" / "sensitivity.csv").exists()
        return
    indices = pd.read_csv(tmp_path / "out" / "sensitivity.csv", keep_default_na=False)
    assert list(indices.columns) == ["metric", "parameter", *columns, "note"]
    revenue = indices[indices["metric"] == "final_revenue"]
    assert len(revenue) == 3 and (revenue["note"] == "").all()
    assert set(indices.loc[indices["metric"] == "final_mdf_spend", "note"]) == {
        "the metric does not vary across points"}
