"""Calibrating a scenario to a company's own history: ``ecosim calibrate`` and :func:`calibrate`.

``calibrate(SCENARIO, HISTORY, SPEC)`` loads and checks the three files
(:mod:`sim.experiments.calibration_spec`, :mod:`sim.experiments.history`), then runs
ABC-SMC with pyabc one generation at a time (:mod:`sim.experiments.calibration_abc`:
priors, simulator, adaptive distance, seeding), printing each generation's epsilon,
acceptance rate and time. pyabc's SQLite history lives in a work directory beside the
destination (``<parent>/.<name>.partial/abc.db``), so an interrupted calibration
resumes (``resume=True``, ``--resume``) after its last finished generation and ends
with the same posterior as an uninterrupted one. When the budget is spent, posterior
draws are simulated over the scenario's whole horizon and the result directory appears,
complete, in one rename:

* ``posterior.parquet``: the last generation's particles: ``particle``, one column per
  parameter (by key path, in scenario units), ``weight`` (summing to 1), ``distance``;
* ``posterior_summary.csv``: per parameter its prior and the prior's 90% interval, the
  posterior median, 90% interval (``q05``, ``q95``), mean, sd and ``narrowing``;
* ``correlations.csv``: the parameters' weighted pairwise correlations;
* ``generations.csv``: per generation epsilon, accepted particles, evaluations,
  acceptance rate, effective sample size and seconds;
* ``fit.parquet``: one row per (``draw``, ``quarter``): the history's KPIs simulated
  with ``fit_draws`` posterior draws over the scenario's horizon;
* ``history.csv``: the history fitted, as given;
* ``calibrated.yaml``: the scenario as written with the posterior medians filled in,
  runnable as is (checked before it is written; a roster it names is copied beside it);
* ``abc.db``: pyabc's history (``pyabc.History("sqlite:///abc.db")``);
* ``manifest.json``, and ``report.html`` with ``plots/``.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyabc
import yaml

from sim.common import (
    RESULTS_ROOT,
    atomic_directory,
    claim_directory,
    package_version,
    result_stem,
    staging_dir,
    write_json,
)
from sim.errors import ScenarioError
from sim.experiments.calibration_abc import SeededSampler, run_generation
from sim.experiments.calibration_spec import Calibration, load_calibration
from sim.experiments.executors import check_executor, open_executor
from sim.experiments.posterior import correlations, draw_particles, generations_frame, posterior_frame, summarise
from sim.experiments.store import SweepStore
from sim.formatting import compact
from sim.runner import build_manifest, run_replication
from sim.scenario import Scenario, apply_overrides, load_scenario

__all__ = ["CalibrationResult", "CalibrationInterrupted", "calibrate"]

DATABASE = "abc.db"
PLAN = "plan.json"


class CalibrationInterrupted(KeyboardInterrupt):
    """The calibration was interrupted (Ctrl-C); its finished generations are kept for ``resume``."""


@dataclass
class CalibrationResult:
    """What a calibration found and, when written, where it is."""

    posterior: pd.DataFrame
    summary: pd.DataFrame
    correlations: pd.DataFrame
    generations: pd.DataFrame
    fit: pd.DataFrame
    calibrated: dict
    manifest: dict
    path: Path | None = None

    def report(self) -> str:
        """A readable account: the run's size and each parameter's median and 90% interval against its prior."""
        m = self.manifest
        lines = [f"{m['name']}: {len(self.summary)} parameter(s) fitted to {m['history']} ({len(m['kpis'])} KPIs, "
                 f"{m['history_quarters']} quarters), {len(self.generations)} generations, "
                 f"{int(self.generations['evaluations'].sum()):,} evaluations ({m['wall_seconds']:.1f} s)",
                 f"  {'parameter':<36}{'median':>12}   {'90% interval':<26}{'prior 90% interval':<26}narrowing"]
        for row in self.summary.itertuples():
            interval = f"[{compact(row.q05)}, {compact(row.q95)}]"
            prior = f"[{compact(row.prior_q05)}, {compact(row.prior_q95)}]"
            lines.append(f"  {row.parameter:<36}{compact(row.median):>12}   {interval:<26}{prior:<26}"
                         f"{row.narrowing:.2f}")
        return "\n".join(lines)


def calibrate(
    scenario: str | Path | dict,
    history: str | Path,
    spec: str | Path | dict,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    write: bool = True,
    progress: bool | None = None,
    notify=print,
) -> CalibrationResult:
    """Fit a scenario's parameters to a company's quarterly history with ABC-SMC.

    Args:
        scenario: the scenario file (or dict) to calibrate.
        history: the CSV of observed KPIs (:mod:`sim.experiments.history`).
        spec: the calibration file (or dict; :mod:`sim.experiments.calibration_spec`).
        out: the result directory (default ``results/<name>/<UTC time>-<hash>``).
        workers: local processes evaluating particles (default 1: this process).
        scheduler: a Dask scheduler address to evaluate on (instead of ``workers``).
        resume: continue an interrupted calibration (the one at ``out``, or the newest
            interrupted one of the same files under ``results/<name>/``).
        write: write the result directory; ``False`` only returns the tables.
        progress: show a progress bar within generations (default: only on a terminal).
        notify: called with one line per finished generation (default: ``print``).

    Returns:
        The :class:`CalibrationResult`; the result does not depend on ``workers`` or
        ``scheduler``, only on the files and the seed.

    Raises:
        ScenarioError: bad files or arguments, before anything runs.
        CalibrationInterrupted: interrupted; finished generations are kept for ``resume``.
    """
    calibration = load_calibration(scenario, history, spec)
    kind = "dask" if scheduler else "processes" if (workers or 1) > 1 else "serial"
    check_executor(kind, workers, scheduler)
    started = datetime.now(timezone.utc)
    fingerprint = calibration.fingerprint()
    target, work = _open_work(calibration, fingerprint, out, resume, write, started)
    plan = json.loads((work / PLAN).read_text())
    session = {"started_utc": started.isoformat(), "executor": kind}
    clock = time.perf_counter()
    try:
        with open_executor(kind, workers, scheduler) as info:
            session.update(workers=info.workers, scheduler=info.address)
            sampler = SeededSampler(info, calibration.file.seed, work, progress)
            abc_history = _run(calibration, f"sqlite:///{work / DATABASE}", sampler, notify)
            posterior = posterior_frame(abc_history, calibration.parameters)
            fit = _simulate_fit(calibration, posterior, info.executor)
    except BaseException as exc:
        kept = write and _generations_done(work / DATABASE) > 0
        if kept:
            _close_session(work, plan, session, clock, "interrupted")
        else:
            shutil.rmtree(work if write else work.parent, ignore_errors=True)
        if isinstance(exc, KeyboardInterrupt):
            raise CalibrationInterrupted("interrupted: " + (f"finished generations are kept in {work}; rerun with "
                                                            "--resume to continue" if kept else
                                                            "no generation had finished, nothing was kept")) from None
        raise
    _close_session(work, plan, session, clock, "complete")
    result = _assemble(calibration, abc_history, posterior, fit, plan, started, fingerprint)
    if write:
        result.path = _finish(calibration, result, target, work)
    else:
        shutil.rmtree(work.parent, ignore_errors=True)
    return result


def _open_work(calibration: Calibration, fingerprint: str, out, resume: bool, write: bool,
               started: datetime) -> tuple[Path, Path]:
    """The destination and its work directory: claimed anew (:func:`sim.common.claim_directory`), or reopened."""
    if resume:
        if not write:
            raise ScenarioError("--resume needs a written calibration (write=True)")
        target = Path(out) if out is not None else \
            SweepStore.find_interrupted(RESULTS_ROOT / calibration.name, fingerprint)
        if target is None:
            raise ScenarioError(f"--resume: no interrupted run of this calibration under "
                                f"{RESULTS_ROOT / calibration.name}/ (give --out DIR if it was written elsewhere)")
        work = staging_dir(target)
        if target.exists() and any(target.iterdir()):
            raise ScenarioError(f"{target}: this calibration is already complete")
        if not (work / PLAN).is_file():
            raise ScenarioError(f"--resume: no interrupted calibration at {work}")
        if json.loads((work / PLAN).read_text()).get("fingerprint") != fingerprint:
            raise ScenarioError(f"--resume: the calibration in {work} was started from a different scenario, "
                                "history or calibration file; run without --resume, or give a new --out")
        return target, work
    if not write:
        target = claim_directory(Path(tempfile.mkdtemp(prefix="ecosim-calibration-")) / calibration.name)
    elif out is not None:
        if staging_dir(Path(out)).exists():
            raise ScenarioError(f"{staging_dir(Path(out))}: an interrupted calibration is already there; rerun with "
                                "--resume to finish it, or delete that directory to start over")
        target = claim_directory(Path(out))
    else:
        target = claim_directory(RESULTS_ROOT / calibration.name / result_stem(started, fingerprint), unique=True)
    work = staging_dir(target)
    write_json(work / PLAN, {"name": calibration.name, "fingerprint": fingerprint, "sessions": []})
    return target, work


def _generations_done(database: Path) -> int:
    """Generations stored in the history; a history without a finished generation is started over."""
    if not database.exists():
        return 0
    last = pyabc.History(f"sqlite:///{database}", _id=1).max_t  # None before pyabc's prior sample
    done = 0 if last is None else last + 1
    if done == 0:
        database.unlink()
    return done


def _run(calibration: Calibration, database: str, sampler: SeededSampler, notify) -> pyabc.History:
    """Run generations until the budget is spent; report each; return the history."""
    budget = calibration.file.budget
    done = _generations_done(Path(database.removeprefix("sqlite:///")))
    limit = budget.generations or math.inf
    while done < limit:
        if done and budget.wall_time_minutes is not None:
            spent = pyabc.History(database, _id=1).get_all_populations()["wall_time"].sum()
            if spent >= 60 * budget.wall_time_minutes:
                notify(f"wall time of {budget.wall_time_minutes:g} minutes reached after {done} generations")
                break
        run_generation(calibration, database, sampler, done)
        row = pyabc.History(database, _id=1).get_all_populations().iloc[-1]
        notify(f"generation {done}: epsilon {row['epsilon']:.4g}, {int(row['particles'])} accepted of "
               f"{int(row['samples'])} evaluations ({row['particles'] / row['samples']:.0%}), "
               f"{row['wall_time']:.1f} s")
        done += 1
    return pyabc.History(database, _id=1)


def _close_session(work: Path, plan: dict, session: dict, clock: float, status: str) -> None:
    session.update(finished_utc=datetime.now(timezone.utc).isoformat(),
                   wall_seconds=round(time.perf_counter() - clock, 3), status=status)
    plan["sessions"].append(session)
    write_json(work / PLAN, plan)


def _simulate_draw(base: dict, task: tuple[int, dict, int]) -> pd.DataFrame:
    """One posterior draw simulated over the whole horizon (one replication)."""
    draw, values, seed = task
    quarterly, _ = run_replication(Scenario.model_validate(apply_overrides(base, {**values, "simulation.seed": seed})),
                                   0)
    return quarterly.assign(draw=draw)


def _simulate_fit(calibration: Calibration, posterior: pd.DataFrame, executor) -> pd.DataFrame:
    """``fit_draws`` posterior draws simulated over the scenario's horizon: the bands of the fit plot.

    Draw ``d`` takes a particle by weight (:func:`sim.experiments.posterior.draw_particles`)
    and runs with root seed ``SeedSequence(seed, spawn_key=(2, d))``.
    """
    seed = calibration.file.seed
    picks = draw_particles(posterior, calibration.file.fit_draws, seed)
    base = apply_overrides(calibration.scenario.resolved(), {"simulation.replications": 1})
    tasks = []
    for d, particle in enumerate(picks):
        values = {k: calibration.parameters[k].value(posterior.at[particle, k]) for k in calibration.parameters}
        root = np.random.SeedSequence(seed, spawn_key=(2, d)).generate_state(1, np.uint64)[0] >> np.uint64(1)
        tasks.append((d, values, int(root)))
    frames = list(executor.map(partial(_simulate_draw, base), tasks))
    columns = ["draw", "quarter", *calibration.history.frame.columns]
    fit = pd.concat(frames, ignore_index=True)[columns]
    return fit.assign(particle=picks[fit["draw"].to_numpy()])


def _assemble(calibration: Calibration, abc_history: pyabc.History, posterior: pd.DataFrame, fit: pd.DataFrame,
              plan: dict, started: datetime, fingerprint: str) -> CalibrationResult:
    summary = summarise(posterior, calibration.parameters)
    medians = {row.parameter: calibration.parameters[row.parameter].value(row.median) for row in summary.itertuples()}
    calibrated = apply_overrides(calibration.scenario_data, medians)
    generations = generations_frame(abc_history)
    wall = sum(s["wall_seconds"] for s in plan["sessions"])
    manifest = build_manifest(calibration.scenario, started, wall)
    f = calibration.file
    manifest.update({
        "kind": "calibration",
        "name": calibration.name,
        "description": f.description,
        "calibration": calibration.label,
        "calibration_spec": f.model_dump(mode="json"),
        "fingerprint": fingerprint,
        "history": str(calibration.history.path),
        "history_sha256": hashlib.sha256(calibration.history.path.read_bytes()).hexdigest(),
        "history_quarters": calibration.history.last_quarter,
        "parameters": {k: p.describe() for k, p in calibration.parameters.items()},
        "kpis": calibration.kpis,
        "method": "ABC-SMC (pyabc): adaptive p=1 distance scaled per KPI and quarter, median epsilon",
        "generations": len(generations),
        "evaluations": int(generations["evaluations"].sum()),
        "seeds": "evaluation k of generation t: SeedSequence(seed, spawn_key=(0, t + 1, k)), spawned into numpy's "
                 "global seed for pyabc's draws and the scenario's root seed; fit draw d: particle from "
                 "SeedSequence(seed, spawn_key=(1,)), root seed from SeedSequence(seed, spawn_key=(2, d))",
        "calibrated": medians,
        "sessions": plan["sessions"],
        "command": sys.argv,
        "started_utc": plan["sessions"][0]["started_utc"],
    })
    manifest["packages"].update({name: package_version(name) for name in ("pyabc", "pyarrow")})
    return CalibrationResult(posterior, summary, correlations(posterior, calibration.parameters), generations, fit,
                             calibrated, manifest)


def _calibrated_yaml(calibration: Calibration, result: CalibrationResult, folder: Path) -> str:
    """``calibrated.yaml``'s text; a roster file it names is copied into ``folder`` and named by its copy."""
    data = result.calibrated
    roster = data.get("partners", {}).get("roster") if isinstance(data.get("partners"), dict) else None
    if isinstance(roster, dict) and roster.get("file") and not roster.get("partners"):
        source = calibration.scenario_folder / roster["file"]
        shutil.copyfile(source, folder / source.name)
        roster["file"] = source.name
    medians = ", ".join(f"{k} = {v:g}" for k, v in result.manifest["calibrated"].items())
    header = (f"# {calibration.scenario.name}, calibrated by ecosim calibrate ({result.manifest['name']}) to "
              f"{calibration.history.path.name}:\n# posterior medians {medians}.\n"
              "# Their 90% intervals are in posterior_summary.csv beside this file.\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _finish(calibration: Calibration, result: CalibrationResult, target: Path, work: Path) -> Path:
    """Write the result directory into the work directory, check calibrated.yaml, draw the report, rename."""
    from sim.report import build_report

    with atomic_directory(target, staging=work / "final") as final:
        result.posterior.to_parquet(final / "posterior.parquet", index=False)
        result.summary.to_csv(final / "posterior_summary.csv", index=False)
        result.correlations.to_csv(final / "correlations.csv")
        result.generations.to_csv(final / "generations.csv", index=False)
        result.fit.to_parquet(final / "fit.parquet", index=False)
        shutil.copyfile(calibration.history.path, final / "history.csv")
        (final / "calibrated.yaml").write_text(_calibrated_yaml(calibration, result, final), encoding="utf-8")
        load_scenario(final / "calibrated.yaml")  # runnable as is
        shutil.copyfile(work / DATABASE, final / DATABASE)
        result.manifest["outputs"] = sorted(p.name for p in final.iterdir()) + ["manifest.json", "plots",
                                                                                "report.html"]
        write_json(final / "manifest.json", result.manifest)
        build_report(final)
    shutil.rmtree(work, ignore_errors=True)
    return target
