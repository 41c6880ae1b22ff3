"""Every shipped scenario validates, builds and runs a few quarters."""

import pytest
from conftest import SCENARIOS

import sim


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_runs(path):
    result = sim.run_scenario(path, replications=1, quarters=3, write=False, progress=False)
    vendors = len(result.scenario.vendors or [None])
    assert len(result.quarterly) == 3 * vendors
    assert (result.vendors is None) == (vendors == 1)
    assert (result.quarterly["revenue"] >= 0).all()
    assert result.manifest["scenario_name"] == path.stem


def test_shipped_scenarios_cover_the_case_studies():
    names = {p.stem for p in SCENARIOS}
    assert {"baseline", "distribution_led", "si_led", "hybrid_marketplace", "design_partners",
            "pure_diffusion"} <= names
