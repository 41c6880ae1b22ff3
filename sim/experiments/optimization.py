"""Optimising incentive designs (``ecosim optimize``) with optuna, on ecosim's executors.

``optimize("experiments/X.yaml")`` loads the file (:mod:`sim.experiments.optimize_spec`)
and runs an optuna study: TPE for one objective, NSGA-II for several, the constraints
set on each trial (``Trial.set_constraint``, which optuna's samplers and ``best_trial``
/ ``best_trials`` read). Trials are asked in batches (``sampler.batch``) and each
batch's replications run in parallel on an executor (:mod:`sim.experiments.evaluation`);
a trial is told as soon as its replications are in.

Reproducible anywhere: every trial runs replication ``r`` on the same seed
(common random numbers), and the sampler that proposes trial ``n`` is seeded from
``SeedSequence(seed, spawn_key=(SAMPLER_STREAM, n))``, so what it proposes depends only on the
trials before its batch, never on the executor, the workers or the order runs finish.

Resumable: the study lives in SQLite (``study.db``) in a work directory beside the
destination, ``<parent>/.<name>.partial/``; an interrupted study resumes with
``resume=True``, re-running only the trials that were not finished, and ends with exactly
the trials asked for. The result directory appears complete, in one rename, with
(:mod:`sim.experiments.optimize_outputs`) the trials, the best design or Pareto front,
ready scenario and compare files, the manifest and report.html.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim.common import RESULTS_ROOT, result_stem, write_json
from sim.errors import ExperimentIncomplete, ScenarioError
from sim.experiments.evaluation import Evaluation, evaluate_designs
from sim.experiments.executors import choose_executor, open_executor
from sim.experiments.optimize_report import format_optimization
from sim.experiments.optimize_spec import OptimizeSpec, load_optimization
from sim.experiments.outcomes import label
from sim.experiments.store import SweepStore, work_dir
from sim.formatting import format_metric
from sim.scenario import apply_overrides, validate_scenario

__all__ = ["OptimizationResult", "OptimizationIncomplete", "OptimizationInterrupted", "optimize", "SAMPLER_STREAM"]

PLAN, STUDY = "plan.json", "study.db"
SAMPLER_STREAM = 0x6F7074  # keeps the samplers' seeds apart from the replications' (spawn_key=(r,))


class OptimizationIncomplete(ExperimentIncomplete):
    """Some trials were lost to the infrastructure (a worker died); the finished ones are kept."""


class OptimizationInterrupted(KeyboardInterrupt):
    """The study was interrupted (Ctrl-C); finished trials are kept for ``--resume``."""


@dataclass
class OptimizationResult:
    """The tables of a study and, when written, where they are.

    Attributes:
        trials: one row per trial: ``trial``, ``state``, every lever (by key path), every
            objective and constraint metric (mean over replications), ``violation`` (how far
            outside the constraints, 0 when met), ``feasible``, ``best`` and ``error``.
        runs: one row per (trial, replication) with every metric.
        best: the best trial's row (one objective) or the Pareto front (several); empty
            when no trial met the constraints.
        base: one row per replication of the base design on the same seeds.
        manifest: what ran: the file, sampler, seeds, sessions and times.
        path: the result directory, when written.
    """

    trials: pd.DataFrame
    runs: pd.DataFrame
    best: pd.DataFrame
    base: pd.DataFrame
    manifest: dict
    path: Path | None = field(default=None)

    def report(self) -> str:
        """A readable account: the study's size, the best design(s) against the base, or why there is none."""
        return format_optimization(self.manifest, self.trials, self.best, self.base, self.path)


def _optuna():
    """optuna, imported on first use (the ``optimize`` extra)."""
    try:
        import optuna
    except ImportError:
        raise ScenarioError("ecosim optimize needs optuna: pip install 'ecosim[optimize]'") from None
    return optuna


def sampler_seed(seed: int, trial: int) -> int:
    """The seed of the sampler that proposes trial ``trial``.

    Examples:
        >>> sampler_seed(7, 0) == sampler_seed(7, 0) != sampler_seed(7, 1)
        True
    """
    return int(np.random.SeedSequence(seed, spawn_key=(SAMPLER_STREAM, trial)).generate_state(1)[0])


def _sampler(optuna, spec: OptimizeSpec, trial: int):
    settings, seed = spec.file.sampler, sampler_seed(spec.seed, trial)
    if len(spec.objectives) == 1:
        return optuna.samplers.TPESampler(n_startup_trials=settings.startup_trials, seed=seed)
    return optuna.samplers.NSGAIISampler(population_size=settings.population, seed=seed)


def _distributions(optuna, spec: OptimizeSpec) -> dict:
    """One optuna distribution per lever."""
    d = optuna.distributions
    out = {}
    for path, lever in spec.levers.items():
        if hasattr(lever, "values"):
            out[path] = d.CategoricalDistribution(list(lever.values))
        elif lever.integer:
            out[path] = d.IntDistribution(int(lever.low), int(lever.high), log=lever.log)
        else:
            out[path] = d.FloatDistribution(lever.low, lever.high, log=lever.log)
    return out


# ---------------------------------------------------------------------------------------------- workspace
@dataclass
class _Workspace:
    """Where a study keeps its plan and SQLite storage until it is complete (nowhere, in memory)."""

    plan: dict
    target: Path | None = None

    @property
    def work(self) -> Path | None:
        return None if self.target is None else work_dir(self.target)

    @property
    def storage(self) -> str | None:
        return None if self.work is None else f"sqlite:///{(self.work / STUDY).resolve()}"

    def save(self) -> None:
        if self.work is not None:
            write_json(self.work / PLAN, self.plan)

    def discard(self) -> None:
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)

    @classmethod
    def open(cls, spec: OptimizeSpec, out, resume: bool, write: bool, started: datetime) -> _Workspace:
        plan = {"kind": "optimize", "name": spec.name, "experiment": spec.label, "fingerprint": spec.fingerprint(),
                "trials": spec.file.trials, "sessions": [], "base": None}
        if not write:
            if resume:
                raise ScenarioError("--resume needs a written study (write=True)")
            return cls(plan)
        if not resume:
            target = Path(out) if out is not None else \
                RESULTS_ROOT / spec.name / result_stem(started, plan["fingerprint"])
            return cls._create(target, plan)
        target = Path(out) if out is not None else SweepStore.find_interrupted(RESULTS_ROOT / spec.name,
                                                                                          plan["fingerprint"])
        if target is None:
            raise ScenarioError(f"--resume: no interrupted study of this file under {RESULTS_ROOT / spec.name}/ "
                                "(give --out DIR if it was written elsewhere)")
        space = cls(plan, target)
        if target.exists() and any(target.iterdir()):
            raise ScenarioError(f"{target}: this study is already complete")
        if not (space.work / PLAN).is_file():
            raise ScenarioError(f"--resume: no interrupted study at {space.work}")
        saved = json.loads((space.work / PLAN).read_text())
        if saved.get("fingerprint") != plan["fingerprint"]:
            raise ScenarioError(f"--resume: the interrupted study in {space.work} was started from a different file "
                                "or scenario; run without --resume, or give a new --out")
        space.plan = saved
        return space

    @classmethod
    def _create(cls, target: Path, plan: dict) -> _Workspace:
        space = cls(plan, target)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise ScenarioError(f"--out {target}: exists and is not empty; choose a new directory")
        if space.work.exists():
            raise ScenarioError(f"{space.work}: an interrupted study is already there; rerun with --resume to "
                                "finish it, or delete that directory to start over")
        space.work.mkdir(parents=True)
        space.save()
        return space


# ---------------------------------------------------------------------------------------------- the study
class _Teller:
    """Tells the study each evaluated trial, and keeps the progress bar's best value."""

    def __init__(self, optuna, study, spec: OptimizeSpec, bar):
        self.optuna, self.study, self.spec, self.bar = optuna, study, spec, bar
        self.trials: dict = {}  # trial number -> the asked trial, until it is told
        self.best: float | None = None
        self.feasible = 0
        for frozen in study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE]):
            self._note(frozen)

    def __call__(self, evaluation: Evaluation) -> None:
        trial = self.trials.pop(evaluation.key)
        fail = self.optuna.trial.TrialState.FAIL
        if evaluation.error is not None:
            trial.set_user_attr("error", evaluation.error)
            self.study.tell(trial, state=fail)
        else:
            means = evaluation.means()
            undefined = [k for k, v in means.items() if not np.isfinite(v)]
            trial.set_user_attr("outcomes", evaluation.outcomes.to_dict(orient="list"))
            if undefined:
                trial.set_user_attr("error", f"undefined (a ratio with a zero denominator?): {', '.join(undefined)}")
                self.study.tell(trial, state=fail)
            else:
                for constraint in self.spec.constraints:
                    sides = [s for s in ("min", "max") if getattr(constraint, s) is not None]
                    for side, value in zip(sides, constraint.violations(means[label(constraint)]), strict=True):
                        trial.set_constraint(f"{label(constraint)} {side}", value)
                self._note(self.study.tell(trial, [means[label(m)] for m in self.spec.objectives]))
        self.bar.update(1)

    def _note(self, frozen) -> None:
        """Count a finished trial towards the bar's feasible count and best value."""
        if any(v > 0 for v in frozen.constraints.values()):
            return
        self.feasible += 1
        if len(self.spec.objectives) == 1:
            better = max if self.spec.directions()[0] == "maximize" else min
            self.best = frozen.value if self.best is None else better(self.best, frozen.value)
            self.bar.set_postfix_str(f"best {format_metric(label(self.spec.objectives[0]), self.best)}",
                                     refresh=False)
        else:
            self.bar.set_postfix_str(f"{self.feasible} feasible", refresh=False)


def _next_batch(optuna, study, spec: OptimizeSpec, distributions: dict) -> list:
    """The trials to run next: unfinished ones of an interrupted batch, or a new batch.

    A batch is trial numbers ``[k * batch, (k + 1) * batch)``; it is asked in full before
    any of it runs, so each trial is proposed from the same study state wherever and
    however often the study was interrupted.
    """
    batch, total = spec.file.sampler.batch, spec.file.trials
    asked = len(study.get_trials(deepcopy=False))
    if asked < total and (asked % batch or not _running(optuna, study)):
        for number in range(asked, min(total, asked - asked % batch + batch)):
            study.sampler = _sampler(optuna, spec, number)
            study.ask(distributions)
    # A trial asked by an interrupted session is reopened by its storage id (optuna's Trial(study, trial_id)).
    return [optuna.trial.Trial(study, t._trial_id) for t in _running(optuna, study)]


def _running(optuna, study) -> list:
    return study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.RUNNING])


def _run_study(optuna, study, spec: OptimizeSpec, info, bar) -> list[tuple[int, str]]:
    """Ask, run and tell batches until the budget is spent; return lost trials."""
    distributions = _distributions(optuna, spec)
    teller = _Teller(optuna, study, spec, bar)
    notify = partial(bar.write, file=sys.stderr)
    while pending := _next_batch(optuna, study, spec, distributions):
        designs = {}
        for trial in pending:
            teller.trials[trial.number] = trial
            try:
                overrides = spec.overrides(trial.params)
                validate_scenario(apply_overrides(spec.base, overrides), f"trial {trial.number}")
            except ScenarioError as exc:
                teller(Evaluation(trial.number, None, str(exc)))
                continue
            designs[trial.number] = overrides
        lost = evaluate_designs(designs, base=spec.base, seed=spec.seed, replications=spec.file.replications,
                                outcomes=spec.outcomes, info=info, on_design=teller, notify=notify)
        if lost:
            return lost
    return []


def _evaluate_base(spec: OptimizeSpec, info) -> dict:
    """The base design's outcomes per replication on the study's seeds (for reference)."""
    found: list[Evaluation] = []
    lost = evaluate_designs({0: {}}, base=spec.base, seed=spec.seed, replications=spec.file.replications,
                            outcomes=spec.outcomes, info=info, on_design=found.append)
    if lost:
        raise OptimizationIncomplete(f"the base design's runs did not finish ({lost[0][1]})")
    evaluation = found[0]
    if evaluation.error is not None:
        return {"error": evaluation.error}
    return {"outcomes": evaluation.outcomes.to_dict(orient="list")}


def optimize(
    experiment: str | Path | dict,
    *,
    executor: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    write: bool = True,
    progress: bool | None = None,
) -> OptimizationResult:
    """Run an optimisation file's study and return its tables (and, by default, write its directory).

    Args:
        experiment: an optimisation file path, or the same content as a dict.
        executor: ``serial``, ``processes`` (default) or ``dask`` (default when
            ``scheduler`` is given).
        scheduler: a Dask scheduler address; without it ``dask`` starts a LocalCluster.
        workers: processes or local Dask workers (default: the machine's cores).
        out: the result directory (default ``results/<name>/<UTC time>-<hash>``).
        resume: finish an interrupted study (the one at ``out``, or the newest
            interrupted one of this file under ``results/<name>/``).
        write: write the result directory; ``False`` only returns the tables.
        progress: show a progress bar with the best value so far (default: only on a terminal).

    Returns:
        The :class:`OptimizationResult`.

    Raises:
        ScenarioError: bad file, scenario or arguments (before anything runs).
        OptimizationIncomplete: trials were lost to a failed worker; rerun with ``resume=True``.
        OptimizationInterrupted: interrupted; finished trials are kept for ``resume=True``.
    """
    spec = load_optimization(experiment)
    optuna = _optuna()
    kind = choose_executor(executor, workers, scheduler)
    started = datetime.now(timezone.utc)
    space = _Workspace.open(spec, out, resume, write, started)
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    clock = time.perf_counter()
    session = {"started_utc": started.isoformat(), "executor": kind}
    try:
        study = optuna.create_study(storage=space.storage, study_name=spec.name, directions=spec.directions(),
                                    load_if_exists=True)
        finished = len(study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE,
                                                                optuna.trial.TrialState.FAIL]))
        session["trials_before"] = finished
        bar = tqdm(total=spec.file.trials, initial=finished, desc=spec.name, unit="trial",
                   disable=None if progress is None else not progress)
        try:
            with open_executor(kind, workers, scheduler) as info:
                session.update(workers=info.workers, scheduler=info.address)
                if space.plan["base"] is None:
                    space.plan["base"] = _evaluate_base(spec, info)
                    space.save()
                lost = _run_study(optuna, study, spec, info, bar)
        finally:
            bar.close()
    except KeyboardInterrupt:
        _close_session(space, session, clock, "interrupted")
        raise OptimizationInterrupted(f"interrupted{_kept(space)}") from None
    except Exception:
        if not resume and not space.plan["sessions"] and space.plan["base"] is None:
            space.discard()
        raise
    finally:
        optuna.logging.set_verbosity(verbosity)
    _close_session(space, session, clock, "incomplete" if lost else "complete")
    if lost:
        raise OptimizationIncomplete(f"{len(lost)} trial(s) did not finish ({lost[0][1]}){_kept(space)}")
    from sim.experiments.optimize_outputs import assemble

    return assemble(spec, study, space)


def _kept(space: _Workspace) -> str:
    """Where the finished trials of a stopped study are (nothing is kept for an in-memory study)."""
    if space.work is None:
        return ""
    return f": finished trials are kept in {space.work}; rerun with --resume to finish"


def _close_session(space: _Workspace, session: dict, clock: float, status: str) -> None:
    session.update(finished_utc=datetime.now(timezone.utc).isoformat(),
                   wall_seconds=round(time.perf_counter() - clock, 3), status=status)
    space.plan["sessions"].append(session)
    space.save()
