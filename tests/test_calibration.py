"""ecosim calibrate: it recovers the parameters a history was generated with, resumes, and writes its results."""

import importlib.util
import json
import signal
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import ROOT

import sim
from sim.experiments import calibrate, load_calibration
from sim.report import detect_kind

EXAMPLE = ROOT / "scenarios" / "history"


def example_truth() -> dict:
    """The values make_history.py generated the shipped history with."""
    spec = importlib.util.spec_from_file_location("make_history", EXAMPLE / "make_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TRUTH


def example_spec(population: int, generations: int) -> dict:
    """The shipped calibration file with a smaller budget."""
    spec = yaml.safe_load((EXAMPLE / "calibration.yaml").read_text())
    return {**spec, "budget": {"population": population, "generations": generations}, "fit_draws": 6}


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration") / "company"
    return calibrate(EXAMPLE / "company.yaml", EXAMPLE / "history.csv", example_spec(60, 3), out=out, workers=2,
                     progress=False, notify=lambda line: None)


def test_calibration_recovers_the_parameters_the_history_was_made_with(recovered):
    summary = recovered.summary.set_index("parameter")
    truth = example_truth()
    assert set(summary.index) == set(truth)
    for key, value in truth.items():
        row = summary.loc[key]
        assert row["q05"] <= value <= row["q95"], f"{key} = {value} outside its 90% interval [{row.q05}, {row.q95}]"
        assert row["q95"] - row["q05"] < row["prior_q95"] - row["prior_q05"], f"{key}: no narrower than its prior"
        assert row["narrowing"] < 1


def test_calibration_directory_holds_posterior_fit_and_a_runnable_calibrated_scenario(recovered):
    out = recovered.path
    assert detect_kind(out) == "calibration"
    assert {p.name for p in out.iterdir()} >= {"posterior.parquet", "posterior_summary.csv", "correlations.csv",
                                               "generations.csv", "fit.parquet", "history.csv", "calibrated.yaml",
                                               "roster.csv", "abc.db", "manifest.json", "report.html", "plots"}
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert len(posterior) == 60 and posterior["weight"].sum() == pytest.approx(1.0)
    assert set(posterior["vendor.partner_managers"]) <= set(range(1, 7))  # an integer parameter stays whole
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == [0, 1, 2]
    assert (generations["accepted"] == 60).all() and (generations["acceptance_rate"] <= 1).all()
    fit = pd.read_parquet(out / "fit.parquet")
    assert fit.groupby("draw")["quarter"].max().eq(16).all() and fit["draw"].nunique() == 6  # the whole horizon
    correlations = pd.read_csv(out / "correlations.csv", index_col="parameter")
    assert (correlations.to_numpy().diagonal() == pytest.approx(1.0))
    calibrated = sim.load_scenario(out / "calibrated.yaml")  # runnable as is, its roster beside it
    medians = recovered.summary.set_index("parameter")["median"]
    assert calibrated.market.adoption.innovation == pytest.approx(medians["market.adoption.innovation"])
    assert calibrated.vendor.partner_managers == round(medians["vendor.partner_managers"])
    assert calibrated.partners.roster is not None and len(calibrated.partners.roster.partners) == 10
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibration" and manifest["calibrated"]["vendor.partner_managers"] == \
        calibrated.vendor.partner_managers
    page = (out / "report.html").read_text()
    assert "Posterior" in page and "Fit to the history" in page and "Posterior of partners.var.reach" in page
    assert (out / "plots" / "calibration_fit.png").stat().st_size > 0


def short_history(tmp_path, quarters: int = 6):
    lines = (EXAMPLE / "history.csv").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("quarter,"))
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines[: header + 1 + quarters]) + "\n")
    return path


def test_an_interrupted_calibration_resumes_to_the_posterior_of_an_uninterrupted_one(tmp_path):
    history = short_history(tmp_path, quarters=4)
    spec = tmp_path / "calibration.yaml"
    spec.write_text(yaml.safe_dump(example_spec(10, 3)))
    whole = calibrate(EXAMPLE / "company.yaml", history, spec, out=tmp_path / "whole", workers=2, progress=False,
                      notify=lambda line: None)
    out = tmp_path / "interrupted"
    command = [sys.executable, "-m", "sim", "calibrate", str(EXAMPLE / "company.yaml"), "--history", str(history),
               "--spec", str(spec), "--out", str(out)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)  # Ctrl-C during the second generation
    _, err = proc.communicate(timeout=300)
    assert first.startswith("generation 0: epsilon ") and "accepted of" in first and first.rstrip().endswith(" s")
    assert proc.returncode == 130 and "--resume" in err
    assert not out.exists() and (tmp_path / ".interrupted.partial" / "abc.db").is_file()
    resumed = calibrate(EXAMPLE / "company.yaml", history, spec, out=out, resume=True, progress=False,
                        notify=lambda line: None)
    pd.testing.assert_frame_equal(resumed.posterior, whole.posterior)
    pd.testing.assert_frame_equal(resumed.summary, whole.summary)
    pd.testing.assert_frame_equal(resumed.fit, whole.fit)
    assert resumed.calibrated == whole.calibrated
    assert [s["status"] for s in resumed.manifest["sessions"]] == ["interrupted", "complete"]
    assert not (tmp_path / ".interrupted.partial").exists()


def test_a_different_seed_gives_a_different_posterior(tmp_path):
    history = short_history(tmp_path, quarters=4)
    spec = example_spec(10, 1)
    first = calibrate(EXAMPLE / "company.yaml", history, spec, write=False, progress=False, notify=lambda line: None)
    again = calibrate(EXAMPLE / "company.yaml", history, spec, write=False, progress=False, notify=lambda line: None)
    other = calibrate(EXAMPLE / "company.yaml", history, {**spec, "seed": spec["seed"] + 1}, write=False,
                      progress=False, notify=lambda line: None)
    pd.testing.assert_frame_equal(first.posterior, again.posterior)
    assert not first.posterior.equals(other.posterior)
    assert first.path is None


def test_a_wall_time_budget_starts_no_new_generation(tmp_path):
    lines = []
    spec = {**example_spec(10, 1), "budget": {"population": 10, "wall_time_minutes": 1e-4}}
    result = calibrate(EXAMPLE / "company.yaml", short_history(tmp_path, 4), spec, write=False, progress=False,
                       notify=lines.append)
    assert len(result.generations) == 1
    assert lines[0].startswith("generation 0:") and lines[-1].startswith("wall time of 0.0001 minutes reached")


def test_a_calibration_on_a_dask_cluster_matches_one_in_this_process(tmp_path):
    distributed = pytest.importorskip("distributed")
    history = short_history(tmp_path, quarters=4)
    spec = example_spec(10, 2)
    here = calibrate(EXAMPLE / "company.yaml", history, spec, write=False, progress=False, notify=lambda line: None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        there = calibrate(EXAMPLE / "company.yaml", history, spec, scheduler=cluster.scheduler_address,
                          write=False, progress=False, notify=lambda line: None)
    pd.testing.assert_frame_equal(here.posterior, there.posterior)
    assert there.manifest["sessions"][0]["executor"] == "dask"


def test_a_calibration_is_pyabcs_own_abc_smc_run_generation_by_generation(tmp_path):
    """Each generation starts from the history as pyabc resumes a run, and still the run is pyabc's uninterrupted one."""
    import pyabc

    from sim.experiments import calibration_abc as abc_parts
    from sim.experiments.executors import open_executor
    from sim.experiments.posterior import posterior_frame

    history = short_history(tmp_path, quarters=4)
    spec = example_spec(10, 3)
    ours = calibrate(EXAMPLE / "company.yaml", history, spec, write=False, progress=False, notify=lambda line: None)
    calibration = load_calibration(EXAMPLE / "company.yaml", history, spec)
    with open_executor("serial") as info:
        sampler = abc_parts.SeededSampler(info, calibration.file.seed, tmp_path, progress=False)
        abc = pyabc.ABCSMC(abc_parts.Simulator.of(calibration), abc_parts.prior_distribution(calibration.parameters),
                           abc_parts.distance(calibration), population_size=10, sampler=sampler)
        abc.new(f"sqlite:///{tmp_path / 'pyabc.db'}", abc_parts.observed_statistics(calibration))
        pyabc_run = abc.run(max_nr_populations=3)
    pd.testing.assert_frame_equal(ours.posterior, posterior_frame(pyabc_run, calibration.parameters))
