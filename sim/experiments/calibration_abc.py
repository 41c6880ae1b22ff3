"""The pyabc side of a calibration: priors, the simulator, the distance, and a reproducible sampler.

ABC-SMC (pyabc's :class:`pyabc.ABCSMC`) runs one generation at a time against a
SQLite history: :func:`run_generation` starts the history (generation 0) or loads it
and runs the next generation, pyabc's own way to continue a run. What pyabc's history
does not keep, every particle of the last generation (the rejected ones too, which
the adaptive distance scales by), the sampler keeps beside it
(``sample-<t>.pickle``), so each generation starts exactly where an uninterrupted
pyabc run would, and an uninterrupted calibration and one interrupted after any
generation and resumed make the same calls and reach the same posterior.

* Priors: uniform and normal priors are pyabc's ``RV("uniform")``, ``RV("norm")`` or
  ``RV("truncnorm")``; a log-uniform parameter is fitted as its natural logarithm with
  a uniform prior (named ``log(<key path>)`` in the history); an integer parameter is
  continuous for pyabc, widened by half a unit each side, and rounded when it is set.
* The simulator (:class:`Simulator`) runs ``replications`` replications of the
  scenario with the particle's values, up to the history's last quarter, and returns
  each KPI's mean at the observed quarters (a quarter without deals counts 0 where a
  ratio is undefined).
* The distance is pyabc's :class:`~pyabc.AdaptivePNormDistance` with p = 1: every
  (KPI, quarter) is divided by its spread (median absolute deviation) among the
  previous generation's particles (pyabc's default: accepted and rejected), and
  weighted by its KPI's weight divided by the KPI's observed quarters, so the distance
  is the sum over KPIs of weight x mean normalised deviation; a big-number KPI does not
  outweigh a small one. Epsilon is pyabc's default, the median of the last
  generation's distances.
* Seeding (:class:`SeededSampler`): evaluation ``k`` of generation ``t`` (``t = -1``
  is pyabc's calibration sample from the prior) draws from
  ``SeedSequence(seed, spawn_key=(0, t + 1, k))``, spawned in two: one seeds numpy's
  global generator for the duration of the evaluation (pyabc draws proposals from
  it, so this is unavoidable; the caller's state is restored after), the other is the
  root seed of the evaluation's scenario (replication ``r`` then draws from
  ``SeedSequence(root, spawn_key=(r,))`` as in every ecosim run). Evaluations run in
  order of ``k`` on any executor, several at a time, and a generation keeps the
  evaluations up to its ``population``-th acceptance in that order, the rule pyabc's
  own parallel samplers use against a bias toward fast evaluations; so the result does
  not depend on the executor or the number of workers.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import Sampler
from pydantic import ValidationError
from tqdm.auto import tqdm

from sim.common import atomic_file
from sim.errors import ScenarioError, format_validation_error
from sim.experiments.calibration_spec import Calibration, Prior
from sim.experiments.executors import ExecutorInfo
from sim.runner import run_replication
from sim.scenario import Scenario, apply_overrides

__all__ = ["SIMULATION_SEED", "pyabc_name", "prior_distribution", "prior_quantiles", "scenario_values",
           "Simulator", "observed_statistics", "distance", "evaluation_seeds", "evaluate", "SeededSampler",
           "run_generation"]

SIMULATION_SEED: ContextVar[int] = ContextVar("ecosim_simulation_seed")
logging.getLogger("ABC").setLevel(logging.WARNING)  # ecosim reports each generation itself


def pyabc_name(key: str, prior: Prior) -> str:
    """The parameter's name in pyabc's history: its key path, or ``log(<key path>)`` for a log-uniform prior."""
    return f"log({key})" if prior.prior == "log_uniform" else key


def _random_variable(prior: Prior) -> pyabc.RV:
    """The prior as a pyabc random variable, on the scale pyabc fits the parameter on."""
    widen = 0.5 if prior.integer else 0.0
    if prior.prior == "uniform":
        return pyabc.RV("uniform", prior.low - widen, prior.high - prior.low + 2 * widen)
    if prior.prior == "log_uniform":
        low, high = math.log(prior.low - widen), math.log(prior.high + widen)
        return pyabc.RV("uniform", low, high - low)
    if prior.low is None and prior.high is None:
        return pyabc.RV("norm", prior.mean, prior.sd)
    a = -math.inf if prior.low is None else (prior.low - widen - prior.mean) / prior.sd
    b = math.inf if prior.high is None else (prior.high + widen - prior.mean) / prior.sd
    return pyabc.RV("truncnorm", a, b, prior.mean, prior.sd)


def prior_distribution(parameters: dict[str, Prior]) -> pyabc.Distribution:
    """The joint prior (independent parameters) in pyabc's names."""
    return pyabc.Distribution(**{pyabc_name(k, p): _random_variable(p) for k, p in parameters.items()})


def _to_scenario(prior: Prior, x: float) -> float | int:
    return prior.value(math.exp(x) if prior.prior == "log_uniform" else x)


def prior_quantiles(prior: Prior, quantiles: tuple[float, ...]) -> list[float]:
    """Quantiles of the prior, in the scenario's units."""
    rv = _random_variable(prior)
    return [_to_scenario(prior, float(rv.distribution.ppf(q))) for q in quantiles]


def scenario_values(parameters: dict[str, Prior], particle: dict) -> dict[str, float | int]:
    """A particle's parameters (pyabc's names and scale) as scenario values by key path."""
    return {k: _to_scenario(p, float(particle[pyabc_name(k, p)])) for k, p in parameters.items()}


@dataclass(frozen=True)
class Simulator:
    """What one evaluation runs: the scenario with a particle's values, replicated, at the observed quarters.

    Args:
        base: the resolved scenario, its horizon cut to the history's last quarter and
            ``simulation.replications`` the calibration's replications.
        parameters: key path -> prior.
        quarters: KPI -> its observed quarters.
    """

    base: dict
    parameters: dict[str, Prior]
    quarters: dict[str, tuple[int, ...]]

    def __call__(self, particle: dict) -> dict[str, np.ndarray]:
        """Simulate the particle (seeded by :data:`SIMULATION_SEED`) and return its summary statistics.

        Raises:
            ScenarioError: the scenario refuses this combination of values (each prior's
                range alone was checked when the calibration was loaded).
        """
        values = scenario_values(self.parameters, particle)
        try:
            scenario = Scenario.model_validate(apply_overrides(self.base, {**values,
                                                                           "simulation.seed": SIMULATION_SEED.get()}))
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(exc, f"parameters {values}", Scenario, {})
                                + "\nnarrow the priors so that every combination is a valid scenario") from None
        runs = [run_replication(scenario, r)[0] for r in range(scenario.simulation.replications)]
        means = pd.concat(runs).groupby("quarter")[list(self.quarters)].mean()
        return {kpi: means.loc[list(q), kpi].fillna(0.0).to_numpy(dtype=float) for kpi, q in self.quarters.items()}

    @classmethod
    def of(cls, calibration: Calibration) -> Simulator:
        """The simulator of a loaded calibration."""
        base = apply_overrides(calibration.scenario.resolved(), {
            "simulation.quarters": calibration.history.last_quarter,
            "simulation.replications": calibration.file.replications})
        quarters = {k: tuple(int(q) for q in calibration.history.observed(k).index) for k in calibration.kpis}
        return cls(base, dict(calibration.parameters), quarters)


def observed_statistics(calibration: Calibration) -> dict[str, np.ndarray]:
    """The history's KPIs at their observed quarters, as pyabc's observed summary statistics."""
    return {k: calibration.history.observed(k).to_numpy(dtype=float) for k in calibration.kpis}


def distance(calibration: Calibration, previous=None, t: int = 0) -> pyabc.AdaptivePNormDistance:
    """Per-(KPI, quarter) scaled L1 distance; a KPI's weight is shared by its observed quarters.

    Args:
        calibration: the loaded calibration.
        previous: every particle (pyabc's ``Sample``) of generation ``t - 1``, whose
            spread scales generation ``t``; ``None`` for generation 0 (pyabc scales it by
            its sample from the prior).
        t: the generation the distance is for.
    """
    weights = {}
    for kpi, weight in calibration.kpis.items():
        n = len(calibration.history.observed(kpi))
        weights.update({f"{kpi}:{i}": weight / n for i in range(n)})
    if previous is None:
        return pyabc.AdaptivePNormDistance(p=1, fixed_weights=weights)
    fitted = pyabc.AdaptivePNormDistance(p=1, fixed_weights=weights)
    fitted.initialize(t, get_sample=lambda: previous, x_0=observed_statistics(calibration), total_sims=0)
    scales = dict(zip(fitted.sumstat.get_ids(), fitted.scale_weights[t], strict=True))
    return pyabc.AdaptivePNormDistance(p=1, fixed_weights=weights, initial_scale_weights=scales)


def evaluation_seeds(seed: int, t: int, k: int) -> tuple[np.ndarray, int]:
    """Evaluation ``k`` of generation ``t``: the seed of pyabc's draws and the scenario's root seed."""
    proposal, simulation = np.random.SeedSequence(seed, spawn_key=(0, t + 1, k)).spawn(2)
    return proposal.generate_state(4), int(simulation.generate_state(1, np.uint64)[0] >> np.uint64(1))


def evaluate(payload: bytes, seed: int, t: int, k: int):
    """Run one of pyabc's evaluations (propose, simulate, accept or reject) with its own seeds.

    Args:
        payload: pyabc's ``simulate_one`` for the generation, pickled with cloudpickle.
        seed: the calibration's root seed.
        t: the generation (-1: the calibration sample from the prior).
        k: the evaluation's index in the generation.

    Returns:
        pyabc's particle: its parameters, statistics, distance, weight and acceptance.
    """
    simulate_one = cloudpickle.loads(payload)
    proposal, simulation = evaluation_seeds(seed, t, k)
    saved = np.random.get_state()
    np.random.seed(proposal)
    token = SIMULATION_SEED.set(simulation)
    try:
        return simulate_one()
    finally:
        SIMULATION_SEED.reset(token)
        np.random.set_state(saved)


class SeededSampler(Sampler):
    """A pyabc sampler that runs evaluations on an ecosim executor, reproducibly (module docstring).

    Args:
        info: an open executor (:func:`sim.experiments.executors.open_executor`).
        seed: the calibration's root seed.
        keep: the folder each generation's every particle is kept in (``sample-<t>.pickle``,
            written before pyabc stores the generation), for the next generation's distance.
        progress: show a progress bar of each generation (``None``: only on a terminal).
    """

    def __init__(self, info: ExecutorInfo, seed: int, keep: Path, progress: bool | None = None):
        super().__init__()
        self.info = info
        self.seed = seed
        self.keep = Path(keep)
        self.progress = progress

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        """Evaluate in order of index until the first ``n`` acceptances are known; keep the evaluations up to them.

        ``max_eval``, ``all_accepted`` and ``ana_vars`` are pyabc's; ecosim sets no
        evaluation limit (a calibration ends by generations or wall time), and in pyabc's
        calibration sample every evaluation is accepted anyway.
        """
        payload = cloudpickle.dumps(simulate_one)
        limit = 1 if self.info.kind == "serial" else 2 * self.info.workers
        done: dict[int, object] = {}
        pending: dict[Future, int] = {}
        last = None
        with tqdm(total=n, desc="prior sample" if t < 0 else f"generation {t}", unit="accepted", leave=False,
                  disable=None if self.progress is None else not self.progress) as bar:
            try:
                while last is None:
                    while len(pending) < limit:
                        k = len(done) + len(pending)  # every index below is done or running
                        pending[self.info.executor.submit(evaluate, payload, self.seed, t, k)] = k
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        done[pending.pop(future)] = future.result()
                    last, accepted = _nth_acceptance(done, n)
                    bar.update(accepted - bar.n)
            finally:
                for future in pending:
                    future.cancel()
        sample = self._create_empty_sample()
        for k in range(last + 1):
            sample.append(done[k])
        self.nr_evaluations_ = last + 1
        if t >= 0:
            with atomic_file(self.keep / f"sample-{t}.pickle") as tmp:
                tmp.write_bytes(cloudpickle.dumps(sample))
            (self.keep / f"sample-{t - 2}.pickle").unlink(missing_ok=True)
        return sample

    def kept(self, t: int):
        """Every particle of generation ``t`` (pyabc's ``Sample``), as kept when it was sampled."""
        return cloudpickle.loads((self.keep / f"sample-{t}.pickle").read_bytes())


def _nth_acceptance(done: dict[int, object], n: int) -> tuple[int | None, int]:
    """The index of the ``n``-th accepted evaluation counting from 0 without gaps (None: not yet), and acceptances."""
    accepted, k = 0, 0
    while k in done:
        accepted += bool(done[k].accepted)
        if accepted == n:
            return k, accepted
        k += 1
    return None, accepted


def run_generation(calibration: Calibration, database: str, sampler: SeededSampler, generation: int) -> pyabc.History:
    """Run generation ``generation`` of a calibration against its SQLite history and return the history.

    Generation 0 starts the history (after pyabc's calibration sample from the prior);
    a later one loads it, as pyabc resumes a run, with its distance scaled by the
    previous generation's every particle (kept by the sampler).
    """
    previous = sampler.kept(generation - 1) if generation else None
    abc = pyabc.ABCSMC(Simulator.of(calibration), prior_distribution(calibration.parameters),
                       distance(calibration, previous, generation),
                       population_size=calibration.file.budget.population, sampler=sampler)
    if generation == 0:
        abc.new(database, observed_statistics(calibration))
    else:
        abc.load(database, 1)
    return abc.run(max_nr_populations=1)
