"""With no partners and fully mixed word of mouth, adoption is discrete Bass diffusion."""

import numpy as np
from conftest import ROOT

import sim


def bass_recursion(p: float, q: float, quarters: int) -> np.ndarray:
    """F(t+1) = F(t) + (1 - F(t)) (p + q F(t)), F(0) = 0 (Bass 1969, discrete time)."""
    f, out = 0.0, []
    for _ in range(quarters):
        f = f + (1 - f) * (p + q * f)
        out.append(f)
    return np.array(out)


def test_pure_diffusion_follows_bass_recursion():
    result = sim.run_scenario(ROOT / "scenarios" / "pure_diffusion.yaml", write=False, progress=False)
    scenario = result.scenario
    n = scenario.market.customers
    adoption = scenario.market.adoption
    simulated = result.quarterly.groupby("quarter")["customers"].mean().to_numpy() / n
    expected = bass_recursion(adoption.innovation, adoption.imitation, scenario.simulation.quarters)
    # 10 replications of 20,000 customers: sampling error of F is below 0.5 percentage
    # points; f_i uses N - 1 peers instead of N. Tolerance: 1 percentage point.
    assert np.max(np.abs(simulated - expected)) < 0.01
    assert simulated[-1] > 0.9  # the curve runs to saturation, so the whole S is tested


def test_bass_limit_has_no_partner_revenue():
    result = sim.run_scenario(ROOT / "scenarios" / "pure_diffusion.yaml", replications=1, quarters=6,
                              write=False, progress=False)
    q = result.quarterly
    assert (q["revenue"] == q["revenue_direct"]).all()
    assert (q["churned_customers"] == 0).all()
