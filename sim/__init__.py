"""ecosim: an agent-based simulation of B2B partner ecosystems.

Everything the ``ecosim`` command does is one call from Python::

    import sim
    result = sim.run_scenario("scenarios/baseline.yaml", replications=5)
    result.quarterly.groupby("quarter")["revenue"].mean()
    comparison = sim.compare("experiments/tiered_vs_flat.yaml")   # arms on common random numbers
    tables = sim.sweep("experiments/sobol_flywheel.yaml")   # runs, points, sensitivity
    study = sim.optimize("experiments/optimize_reseller_program.yaml")   # trials, best design (optuna)
    robust = sim.explore("experiments/robust_program.yaml")   # designs x futures: regret, PRIM boxes

    from sim.experiments import calibrate   # fitting to a company's history needs pyabc (the calibrate extra)
    fitted = calibrate("scenarios/history/company.yaml", "scenarios/history/history.csv",
                       "scenarios/history/calibration.yaml")   # posterior, calibrated scenario, fit

The names below are imported on first use, so ``import sim`` (and the ``ecosim``
command's start) loads nothing heavy; plots and the interactive page live in their own
modules, and none of these names needs matplotlib, solara, SALib or Dask (nor optuna or
the EMA Workbench until a study or a scenario discovery runs).
"""

from importlib import import_module

_EXPORTS = {
    "Comparison": "sim.experiments", "compare": "sim.experiments",
    "SweepResult": "sim.experiments", "sweep": "sim.experiments",
    "OptimizationResult": "sim.experiments", "optimize": "sim.experiments",
    "ExplorationResult": "sim.experiments", "explore": "sim.experiments",
    "EcosimError": "sim.errors", "ScenarioError": "sim.errors",
    "EcosystemModel": "sim.model",
    "RunResult": "sim.runner", "run_scenario": "sim.runner",
    "Scenario": "sim.scenario", "load_scenario": "sim.scenario",
}

__all__ = ["Comparison", "compare", "EcosimError", "ScenarioError", "EcosystemModel", "ExplorationResult", "explore",
           "OptimizationResult", "optimize", "RunResult", "Scenario", "load_scenario", "run_scenario", "SweepResult",
           "sweep"]


def __getattr__(name: str):
    """Import a public name from its module on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
