"""Running a scenario: replications, seeds, and the run directory.

Replication ``i`` of a scenario with root seed ``s`` draws all of its randomness from
``numpy.random.SeedSequence(s, spawn_key=(i,))``, which is exactly the ``i``-th child of
``SeedSequence(s).spawn(n)``: a replication's numbers do not depend on how many
replications run, in which order, or in which process.

A run directory is claimed before the work starts, by creating its hidden staging
directory ``.<name>.partial`` with one atomic ``mkdir`` (:func:`sim.common.claim_directory`):
two runs started at once, in one process or several, never pick the same directory, and
a default name that is taken gets the suffix ``-2``, ``-3``, ... The tables are written
into the staging directory, which is renamed to the run directory only when complete,
so an interrupted run never leaves a result that looks whole.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sim.common import (
    RESULTS_ROOT,
    atomic_directory,
    claimed_directory,
    package_version,
    result_stem,
    write_json,
)
from sim.experiments.executors import check_executor, open_executor
from sim.formatting import format_metric
from sim.limits import check_memory, run_bytes
from sim.metrics import KEY_METRICS, summarise
from sim.model import EcosystemModel
from sim.scenario import Scenario, load_scenario, scenario_hash

__all__ = ["RunResult", "run_scenario", "run_replication", "replication_tables", "replication_rng", "write_run",
           "default_run_dir", "format_summary"]

@dataclass
class RunResult:
    """The tables of a run and, when written, where they are."""

    quarterly: pd.DataFrame
    partners: pd.DataFrame
    summary: pd.DataFrame
    manifest: dict
    path: Path | None = None
    scenario: Scenario | None = field(default=None, repr=False)
    vendors: pd.DataFrame | None = None  # with several competing startups: one row per quarter and vendor

    def report(self) -> str:
        """A readable account: the key metrics' final-quarter means and 95% intervals."""
        return format_summary(self.manifest, self.summary)


def replication_rng(seed: int, replication: int) -> np.random.Generator:
    """The random generator of one replication (child ``replication`` of ``SeedSequence(seed)``)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication,)))


def replication_tables(scenario: Scenario, replication: int,
                       observe: Callable[[EcosystemModel], None] | None = None) -> dict[str, pd.DataFrame]:
    """Run one replication and return its tables (``quarterly``, ``partners``, and ``vendors`` with several).

    Args:
        scenario: the validated scenario.
        replication: which replication (its seed is child ``replication`` of the root seed).
        observe: called with the model after every quarter (``model.steps`` is the
            quarter), to read state the tables do not keep; it must not change the model.
    """
    model = EcosystemModel(scenario, rng=replication_rng(scenario.simulation.seed, replication))
    for _ in range(scenario.simulation.quarters):
        model.step()
        if observe is not None:
            observe(model)
    tables = model.tables()
    for frame in tables.values():
        frame.insert(0, "replication", replication)
        frame.insert(1, "seed", scenario.simulation.seed)
    return tables


def run_replication(scenario: Scenario, replication: int,
                    observe: Callable[[EcosystemModel], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one replication and return its (quarterly, partners) tables; ``observe`` as in :func:`replication_tables`."""
    tables = replication_tables(scenario, replication, observe)
    return tables["quarterly"], tables["partners"]


def _resolve(source, overrides, replications, seed, quarters) -> Scenario:
    overrides = dict(overrides or {})
    for key, value in (("simulation.replications", replications), ("simulation.seed", seed),
                       ("simulation.quarters", quarters)):
        if value is not None:
            overrides[key] = value
    if isinstance(source, Scenario):
        source = source.resolved()
    return load_scenario(source, overrides)


def run_scenario(
    source: str | Path | dict | Scenario,
    overrides: dict | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    quarters: int | None = None,
    out: str | Path | None = None,
    write: bool = True,
    workers: int = 1,
    progress: bool | None = None,
) -> RunResult:
    """Validate a scenario, run its replications and (by default) write the run directory.

    Args:
        source: a scenario file path, a dict, or a validated :class:`Scenario`.
        overrides: ``{"key.path": value}`` applied before validation.
        replications: shortcut for the ``simulation.replications`` override.
        seed: shortcut for the ``simulation.seed`` override.
        quarters: shortcut for the ``simulation.quarters`` override.
        out: the run directory (default ``results/<name>/<UTC time>-<hash>``, with a suffix
            ``-2``, ``-3``, ... when another run has that name); claimed before the work starts.
        write: write the run directory; ``False`` only returns the tables.
        workers: processes to run replications in (results do not depend on it); more than
            one runs them on the ``processes`` executor of :mod:`sim.experiments.executors`.
        progress: show a progress bar (default: only on a terminal).

    Returns:
        The :class:`RunResult` with ``quarterly``, ``partners``, ``summary``, ``manifest``.

    Raises:
        ScenarioError: an invalid scenario or argument, an ``out`` that is taken, or a run
            that would not fit in the memory available (:mod:`sim.limits`); nothing is
            written then.
    """
    scenario = _resolve(source, overrides, replications, seed, quarters)
    check_executor(_executor_kind(scenario, workers), workers)
    parallel = min(workers, scenario.simulation.replications)
    check_memory(run_bytes(scenario, parallel), f"scenario '{scenario.name}'")
    started = datetime.now(timezone.utc)
    with claimed_directory(out, default_run_dir(scenario, started), write) as target:
        result = _run(scenario, started, workers, progress)
        if target is not None:
            result.path = write_run(result, target)
    return result


def _run(scenario: Scenario, started: datetime, workers: int, progress: bool | None) -> RunResult:
    """Run every replication of a validated scenario and gather the tables."""
    clock = time.perf_counter()
    n = scenario.simulation.replications
    tables = []
    with open_executor(_executor_kind(scenario, workers), workers) as info, \
            tqdm(total=n, desc=scenario.name, unit="rep", disable=_quiet(progress), leave=False) as bar:
        for table in info.executor.map(partial(replication_tables, scenario), range(n)):
            tables.append(table)
            bar.update()
    joined = {name: pd.concat([t[name] for t in tables], ignore_index=True) for name in tables[0]}
    quarterly = joined["quarterly"]
    summary = summarise(quarterly)
    manifest = build_manifest(scenario, started, time.perf_counter() - clock)
    return RunResult(quarterly, joined["partners"], summary, manifest, scenario=scenario,
                     vendors=joined.get("vendors"))


def _executor_kind(scenario: Scenario, workers: int) -> str:
    """Replications run in a process pool when there are several of them and several workers."""
    return "processes" if workers > 1 and scenario.simulation.replications > 1 else "serial"


def _quiet(progress: bool | None) -> bool | None:
    """The ``disable`` argument of tqdm: None = only on a terminal."""
    return None if progress is None else not progress


def build_manifest(scenario: Scenario, started: datetime, wall_seconds: float) -> dict:
    """Everything needed to know exactly what produced a run."""
    return {
        "scenario_name": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "seed": scenario.simulation.seed,
        "replications": scenario.simulation.replications,
        "quarters": scenario.simulation.quarters,
        "replication_seeds": "numpy.random.SeedSequence(seed, spawn_key=(replication,))",
        "ecosim_version": package_version(),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "packages": {name: package_version(name)
                     for name in ("mesa", "numpy", "scipy", "pandas", "networkx", "pydantic")},
        "command": sys.argv,
        "started_utc": started.isoformat(),
        "finished_utc": datetime.now(timezone.utc).isoformat(),
        "wall_seconds": round(wall_seconds, 3),
        "status": "complete",
        "scenario": scenario.resolved(),
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5).stdout
        return out.stdout.strip() + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def default_run_dir(scenario: Scenario, started: datetime) -> Path:
    """``results/<scenario name>/<UTC timestamp>-<short hash>`` (before a suffix makes it unique)."""
    return RESULTS_ROOT / scenario.name / result_stem(started, scenario_hash(scenario))


def write_run(result: RunResult, target: Path) -> Path:
    """Write the run directory atomically (it appears only when complete) and return its path.

    The directory should have been claimed (:func:`sim.common.claim_directory`); one
    that was not is claimed here.
    """
    target = Path(target)
    with atomic_directory(target) as tmp:
        result.quarterly.to_parquet(tmp / "quarterly.parquet", index=False)
        result.partners.to_parquet(tmp / "partners.parquet", index=False)
        if result.vendors is not None:
            result.vendors.to_parquet(tmp / "vendors.parquet", index=False)
        result.summary.to_csv(tmp / "summary.csv", index=False)
        write_json(tmp / "manifest.json", result.manifest)
    return target


def format_summary(manifest: dict, summary: pd.DataFrame) -> str:
    """A readable table: final-quarter mean and 95% interval of the key metrics, and the flywheel.

    With several startups (a ``vendor`` column), one table per startup, with its market share.
    """
    m = manifest
    header = (f"{m['scenario_name']}: {m['replications']} replications x {m['quarters']} quarters, seed {m['seed']} "
              f"({m['wall_seconds']:.1f} s)")
    if "vendor" not in summary:
        return "\n".join([header, *_summary_lines(m, summary)])
    lines = [header]
    for vendor, rows in summary.groupby("vendor", sort=True):
        lines += ["", f"{vendor}:", *_summary_lines(m, rows)]
    return "\n".join(lines)


def _summary_lines(m: dict, s: pd.DataFrame) -> list[str]:
    """The key metrics' table and the flywheel line of one summary (one vendor's)."""
    final = s[s["statistic"] == "final_quarter"].set_index("metric")
    lines = [f"Final quarter (Q{m['quarters']}), mean and 95% interval across replications:",
             f"  {'metric':<28}{'mean':>14}   {'95% interval':<28}"]
    for metric in KEY_METRICS:
        if metric in final.index:
            row = final.loc[metric]
            interval = f"[{format_metric(metric, row['ci_low'])}, {format_metric(metric, row['ci_high'])}]"
            lines.append(f"  {metric:<28}{format_metric(metric, row['mean']):>14}   {interval:<28}")
    fly = s[s["metric"] == "flywheel_quarter"].iloc[0]
    reached = int(fly["replications"])
    when = f"Q{fly['mean']:.1f} on average" if reached else "not reached"
    lines.append(f"  partner-led revenue > 50% of revenue: {when} ({reached}/{m['replications']} replications)")
    return lines
