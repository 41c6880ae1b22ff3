"""Experiments over the model: comparisons, sweeps and the executors they run on.

Every experiment runs replications of scenarios with ecosim's seeding (replication
``r`` of a scenario with root seed ``s`` draws from ``SeedSequence(s, spawn_key=(r,))``,
:func:`sim.runner.replication_rng`) on one of the executors of
:mod:`sim.experiments.executors`, so its results do not depend on where it ran::

    from sim.experiments import calibrate, compare, sweep
    comparison = compare("experiments/tiered_vs_flat.yaml")      # a Comparison
    tables = sweep("experiments/sobol_flywheel.yaml", executor="dask")   # a SweepResult
    fitted = calibrate("scenarios/history/company.yaml", "scenarios/history/history.csv",
                       "scenarios/history/calibration.yaml", workers=2)   # a CalibrationResult (needs pyabc)

Modules: ``comparison`` with ``compare_spec`` and ``compare_report`` (paired
comparisons of designs); ``parameter_sweep`` with ``sweep_spec``, ``designs``,
``tasks``, ``store``, ``sensitivity`` and ``sweep_report`` (sweeps); ``optimization``
with ``optimize_spec``, ``levers``, ``outcomes``, ``evaluation``, ``optimize_outputs``
and ``optimize_report`` (optuna studies of incentive designs); ``exploration`` with
``explore_spec``, ``discovery`` and ``explore_report`` (designs across plausible
futures: regret and PRIM scenario discovery); ``calibration`` with ``calibration_spec``,
``history``, ``calibration_abc`` and ``posterior`` (fitting a scenario to a company's
history with ABC-SMC, pyabc); ``probe`` (the
metrics a run records); ``executors`` (where runs execute).

The names below are imported when first used: :mod:`sim.runner` runs replications on
these executors while the experiments build on the runner, so an eager import here
would make the outcome depend on which of the two was imported first.
"""

from importlib import import_module

_API = {
    "Comparison": "comparison", "compare": "comparison", "load_experiment": "compare_spec",
    "SweepResult": "parameter_sweep", "SweepIncomplete": "parameter_sweep", "SweepInterrupted": "parameter_sweep",
    "sweep": "parameter_sweep", "load_sweep": "sweep_spec",
    "EXECUTORS": "executors", "open_executor": "executors",
    "OptimizationResult": "optimization", "OptimizationIncomplete": "optimization",
    "OptimizationInterrupted": "optimization", "optimize": "optimization", "load_optimization": "optimize_spec",
    "ExplorationResult": "exploration", "explore": "exploration", "load_exploration": "explore_spec",
    "CalibrationResult": "calibration", "CalibrationInterrupted": "calibration", "calibrate": "calibration",
    "load_calibration": "calibration_spec",
}

__all__ = sorted(_API)


def __getattr__(name: str):
    """Import a public name from its module on first use."""
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_API[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
