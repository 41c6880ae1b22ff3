"""ecosim: an agent-based simulation of B2B partner ecosystems.

Everything the ``ecosim`` command does is one call from Python::

    import sim
    result = sim.run_scenario("scenarios/baseline.yaml", replications=5)
    result.quarterly.groupby("quarter")["revenue"].mean()
    comparison = sim.compare("experiments/tiered_vs_flat.yaml")   # arms on common random numbers
    tables = sim.sweep("experiments/sobol_flywheel.yaml")   # runs, points, sensitivity

``import sim`` needs neither matplotlib nor solara: plots and the interactive page
live in their own modules and are imported only when used.
"""

from sim.errors import EcosimError, ScenarioError
from sim.experiments import Comparison, SweepResult, compare, sweep
from sim.model import EcosystemModel
from sim.runner import RunResult, run_scenario
from sim.scenario import Scenario, load_scenario

__all__ = ["Comparison", "compare",
           "EcosimError", "ScenarioError", "EcosystemModel", "RunResult", "Scenario", "load_scenario",
           "run_scenario", "SweepResult", "sweep"]
