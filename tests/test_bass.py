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


def _direct_only(graph: str, zero_cycles: bool = False, quarters: int = 20) -> np.ndarray:
    """Adopted share per quarter of a direct-only market: no partners, no churn, the default segments."""
    scenario = {"name": "direct_only", "simulation": {"quarters": quarters, "replications": 4, "seed": 3},
                "market": {"customers": 20_000, "word_of_mouth": {"graph": graph}, "churn": False},
                "vendor": {"partner_managers": 0}, "rivals": {"count": 0}}
    if zero_cycles:
        scenario["market"]["segments"] = {s: {"sales_cycle_quarters": 0} for s in ("smb", "mid_market", "enterprise")}
    result = sim.run_scenario(scenario, write=False, progress=False)
    return result.quarterly.groupby("quarter")["customers"].mean().to_numpy() / 20_000


def test_adoption_coefficients_mean_adoption_whatever_the_win_rates():
    """market.adoption is Bass p and q of adoption itself: the buying process (win rates 20-30%) does not cut it.

    With the default segments' win rates and zero-quarter cycles the direct-only market follows Bass within
    1 percentage point; their 1- and 2-quarter cycles delay adoption by up to 1.4 points (tolerance 2).
    """
    adoption = sim.load_scenario({"name": "x"}).market.adoption
    expected = bass_recursion(adoption.innovation, adoption.imitation, 20)
    assert np.max(np.abs(_direct_only("complete", zero_cycles=True) - expected)) < 0.01
    assert np.max(np.abs(_direct_only("complete") - expected)) < 0.02


def test_sparse_word_of_mouth_is_slower_than_bass():
    """Rahmandad & Sterman (2008): diffusion on a sparse network lags the fully mixed (Bass) curve."""
    adoption = sim.load_scenario({"name": "x"}).market.adoption
    expected = bass_recursion(adoption.innovation, adoption.imitation, 20)
    sparse = _direct_only("small_world")
    assert sparse[-1] < expected[-1] - 0.01
    assert sparse[-1] > 0.5 * expected[-1]
