"""Several startups compete for the same partners and customers; market share emerges."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.metrics import mean_interval
from sim.model import EcosystemModel
from sim.runner import replication_rng

PARTNERS = {"var": {"count": 60}, "reseller": {"count": 100}, "regional_si": {"count": 20}}


def duel(alpha=None, beta=None, replications=6, quarters=10, seed=3, **sections) -> dict:
    """Two startups, identical unless told otherwise."""
    scenario = {"name": "duel", "simulation": {"quarters": quarters, "replications": replications, "seed": seed},
                "market": {"customers": 6000}, "partners": PARTNERS,
                "vendors": [{"name": "alpha", "partner_managers": 3, **(alpha or {})},
                            {"name": "beta", "partner_managers": 3, **(beta or {})}]}
    scenario.update(sections)
    return scenario


def run(scenario, **kw):
    return sim.run_scenario(scenario, write=False, progress=False, **kw)


def final(result, column):
    """Per replication, each vendor's final-quarter value of a vendors-table column."""
    v = result.vendors
    last = v[v["quarter"] == v["quarter"].max()]
    return last.pivot(index="replication", columns="vendor", values=column)


def test_listing_order_changes_nothing():
    scenario = duel(replications=2)
    swapped = {**scenario, "vendors": scenario["vendors"][::-1]}
    a, b = run(scenario), run(swapped)
    pd.testing.assert_frame_equal(a.vendors, b.vendors)
    pd.testing.assert_frame_equal(a.quarterly, b.quarterly)


def test_identical_startups_split_the_market_evenly():
    share = final(run(duel(replications=20)), "market_share")
    mean, low, high = mean_interval(share["alpha"] - share["beta"])
    assert low <= 0 <= high
    assert share.sum(axis=1).round(9).eq(1).all()


def test_customers_are_conserved_across_vendors_every_quarter():
    scenario = sim.load_scenario(duel(), {"simulation.quarters": 8})
    model = EcosystemModel(scenario, rng=replication_rng(3, 0))
    for _ in range(8):
        model.step()
        c = model.customers
        assert ((c.state == 0) == (c.vendor == -1)).all()  # only prospects have no vendor
        per_vendor = [c.counts(v.index) for v in model.startups]
        assert per_vendor[0][0] + sum(counts[1:].sum() for counts in per_vendor) == c.size
    q = run(duel(replications=2)).quarterly
    np.testing.assert_allclose(q["revenue"], q["vendor_net_revenue"] + q["partner_payouts"], rtol=1e-9)
    np.testing.assert_allclose(q["program_cost"], q["partner_payouts"] + q["mdf_spend"] + q["enablement_spend"],
                               rtol=1e-9)


def two_brand_recursion(p, q, cross, quarters):
    """F_v(t+1) = F_v + (1 - F) (p_v + q_v F_v + cross (F - F_v)), F = sum of F_v (Libai, Muller & Peres 2009)."""
    f = np.zeros(len(p))
    out = []
    for _ in range(quarters):
        total = f.sum()
        f = f + (1 - total) * (np.array(p) + np.array(q) * f + cross * (total - f))
        out.append(f.copy())
    return np.array(out)


def test_two_vendors_without_partners_follow_the_two_brand_diffusion_recursion():
    segment = {"smb": {"share": 1.0, "annual_contract_value": 30000, "sales_cycle_quarters": 0, "win_rate": 1.0,
                       "annual_churn": 0.0}}
    scenario = {"name": "two_brands", "simulation": {"quarters": 16, "replications": 4, "seed": 7},
                "market": {"customers": 20000, "churn": False, "segments": segment, "switching_cost": 1.0,
                           "word_of_mouth": {"graph": "complete"}, "adoption": {"cross_brand": 0.05}},
                "rivals": {"count": 0},
                "vendors": [{"name": "a", "partner_managers": 0, "adoption": {"innovation": 0.01, "imitation": 0.3}},
                            {"name": "b", "partner_managers": 0, "adoption": {"innovation": 0.02, "imitation": 0.1}}]}
    v = run(scenario).vendors
    simulated = v.groupby(["quarter", "vendor"])["customers"].mean().unstack()[["a", "b"]].to_numpy() / 20000
    expected = two_brand_recursion([0.01, 0.02], [0.3, 0.1], 0.05, 16)
    assert np.max(np.abs(simulated - expected)) < 0.01
    assert simulated[-1, 0] > simulated[-1, 1]  # stronger word of mouth wins in the end


@pytest.fixture(scope="module")
def margin_war():
    """Beta raises every margin by half at quarter 3; alpha stays static or matches after two quarters."""
    raise_beta = {"changes": [{"quarter": 3, "margin_scale": 1.5}]}
    static = run(duel(beta=raise_beta, replications=12, quarters=12))
    matching = run(duel(alpha={"strategy": {"kind": "match", "lag_quarters": 2}}, beta=raise_beta,
                        replications=12, quarters=12))
    even = run(duel(replications=12, quarters=12))
    return even, static, matching


def test_a_higher_margin_wins_partner_effort_and_market_share(margin_war):
    even, static, _ = margin_war
    for column in ("effort_share", "customers"):
        gain = final(static, column)["beta"] - final(even, column)["beta"]
        loss = final(static, column)["alpha"] - final(even, column)["alpha"]
        assert mean_interval(gain)[1] > 0, column  # paired on common random numbers
        assert mean_interval(loss)[2] < 0, column


def test_a_matching_rival_closes_the_effort_gap(margin_war):
    _, static, matching = margin_war
    gap_static = final(static, "effort_share")["beta"] - final(static, "effort_share")["alpha"]
    gap_matching = final(matching, "effort_share")["beta"] - final(matching, "effort_share")["alpha"]
    assert mean_interval(gap_static - gap_matching)[1] > 0
    levers = matching.vendors.query("replication == 0").pivot(index="quarter", columns="vendor", values="margin_scale")
    assert levers.loc[4, "alpha"] == 1.0 and levers.loc[5, "alpha"] == 1.5  # matched after its two-quarter lag


def test_vendors_are_addressed_by_name_in_overrides():
    scenario = sim.load_scenario(duel(), {"vendors.beta.program.incentives.margin_scale": 1.3})
    assert {v.name: v.program.incentives.margin_scale for v in scenario.vendors} == {"alpha": 1.0, "beta": 1.3}
    with pytest.raises(sim.ScenarioError, match="no entry named 'gamma'"):
        sim.load_scenario(duel(), {"vendors.gamma.price": 0.9})


def test_a_vendors_scenario_refuses_the_one_startup_sections():
    with pytest.raises(sim.ScenarioError, match="move program into vendors"):
        sim.load_scenario({**duel(), "program": {"preset": "flat_margin"}})


def test_a_full_line_card_means_dropping_a_startup():
    """partners.<type>.portfolio_limit: taking one vendor can mean dropping another."""
    limited = {t: {**spec, "portfolio_limit": 1} for t, spec in PARTNERS.items()}
    result = run(duel(replications=2, quarters=10, partners=limited))
    p = result.partners
    carrying = p[p["state"].isin(["onboarding", "enabled", "certified", "active", "dormant"])]
    assert carrying.groupby(["replication", "quarter", "partner_id"])["vendor"].nunique().max() == 1
    unlimited = run(duel(replications=2, quarters=10)).partners
    both = unlimited[unlimited["state"].isin(["onboarding", "enabled", "certified", "active", "dormant"])]
    assert both.groupby(["replication", "quarter", "partner_id"])["vendor"].nunique().max() == 2


def test_partners_drop_a_startup_whose_offer_trails_for_long():
    stingy = {"program": {"incentives": {"margin_scale": 0.3}}}
    partners = {**PARTNERS, "behavior": {"drop_threshold": 0.3, "drop_after_quarters": 2}}
    result = run(duel(alpha=stingy, replications=3, quarters=12, partners=partners))
    p = result.partners
    left = p[p["state"] == "churned"].groupby("vendor")["partner_id"].nunique()
    assert left.get("alpha", 0) > 2 * left.get("beta", 0)  # partners leave the stingy startup


def test_renewing_customers_switch_to_the_vendor_their_peers_use():
    cheap_switching = {"market": {"customers": 6000, "switching_cost": 0.0, "word_of_mouth": {"graph": "complete"}}}
    switched = run(duel(replications=2, quarters=12, **cheap_switching)).vendors["customers_switched_out"].sum()
    sticky = {"market": {"customers": 6000, "switching_cost": 1.0, "word_of_mouth": {"graph": "complete"}}}
    assert switched > 0 and run(duel(replications=2, quarters=12, **sticky)).vendors["customers_switched_out"].sum() == 0


def test_run_report_shows_the_startups_head_to_head(tmp_path):
    from sim.report import build_report

    result = sim.run_scenario(duel(replications=2, quarters=6), out=tmp_path / "run", progress=False)
    assert (result.path / "vendors.parquet").exists()
    html = build_report(result.path).read_text()
    assert "Market share and partner effort" in html and "Shared partners" in html
    assert "<h3>alpha</h3>" in html and "<h3>beta</h3>" in html


def test_compare_reports_each_startups_outcome(tmp_path):
    experiment = {"kind": "compare", "name": "duel_margin", "scenario": duel(replications=2, quarters=6),
                  "replications": 3, "quarters": 6, "seed": 3,
                  "metrics": ["customers@alpha", "customers@beta", "program_cost@beta"],
                  "arms": [{"name": "even"}, {"name": "beta_pays", "set": {"vendors.beta.program.incentives.margin_scale": 1.5}}]}
    result = sim.compare(experiment, write=False, progress=False)
    assert set(result.comparison["metric"]) == {"customers@alpha", "customers@beta", "program_cost@beta"}
    cost = result.comparison.set_index("metric").loc["program_cost@beta"]
    assert cost["mean_difference"] > 0
    with pytest.raises(sim.ScenarioError, match="name one, e.g. 'customers@alpha'"):
        sim.compare({**experiment, "metrics": ["customers"]}, write=False, progress=False)
