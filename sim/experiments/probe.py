"""Which metrics a run records, read off the model, so experiment files can be checked.

The recorded columns depend on the scenario (one ``tier_<name>`` count per tier), so
they are learned from one quarter of a tiny copy of each scenario instead of being
listed by hand; an experiment that names a metric no run records is refused before
anything runs.
"""

from __future__ import annotations

import difflib

from sim.errors import ScenarioError
from sim.runner import run_replication
from sim.scenario import Scenario, apply_overrides

__all__ = ["recorded_metrics", "check_metric"]

PROBE_CUSTOMERS = 200
KEYS = ("replication", "seed", "quarter")


def recorded_metrics(*scenarios: dict) -> list[str]:
    """The quarterly columns, besides the keys, that runs of these resolved scenarios record."""
    recorded: dict[str, None] = {}
    for resolved in scenarios:
        customers = min(resolved["market"]["customers"], PROBE_CUSTOMERS)
        probe = apply_overrides(resolved, {"simulation.quarters": 1, "market.customers": customers})
        quarterly, _ = run_replication(Scenario.model_validate(probe), 0)
        recorded.update(dict.fromkeys(c for c in quarterly.columns if c not in KEYS))
    return list(recorded)


def check_metric(name: str, recorded: list[str], where: str) -> None:
    """Refuse a metric that no run records, with a did-you-mean and the recorded ones.

    Raises:
        ScenarioError: ``name`` is not in ``recorded``; the message starts with ``where``.
    """
    if name in recorded:
        return
    guess = difflib.get_close_matches(name, recorded, n=1, cutoff=0.6)
    hint = f" Did you mean '{guess[0]}'?" if guess else ""
    raise ScenarioError(f"{where}: unknown metric '{name}'.{hint} Recorded metrics: {', '.join(sorted(recorded))}")
