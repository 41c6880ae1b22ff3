"""Each mechanism moves results in the direction its source claims."""

import numpy as np
import pytest
from conftest import small

import sim
from sim.customers import CustomerPopulation
from sim.draws import Draws
from sim.effort import logit_share, utility
from sim.recruitment import acceptance_probability
from sim.scenario import PartnerBehavior


def run(scenario, **kw):
    kw.setdefault("replications", 3)
    return sim.run_scenario(scenario, write=False, progress=False, **kw)


def partnered_mean(result, column, partner_type):
    p = result.partners
    rows = p[(p["partner_type"] == partner_type) & p["state"].isin(["enabled", "certified", "active", "dormant"])]
    return rows[column].mean()


def test_higher_margin_raises_focal_effort_share():
    """Seed 002: partners maximise their own profitability (effort follows margin)."""
    low = run(small(partners={"var": {"count": 40, "initial": 10, "margin": 0.15}}), quarters=4)
    high = run(small(partners={"var": {"count": 40, "initial": 10, "margin": 0.30}}), quarters=4)
    assert partnered_mean(high, "effort_share", "var") > 1.15 * partnered_mean(low, "effort_share", "var")


def test_effort_split_is_a_logit_on_profit():
    behavior = PartnerBehavior()
    focal = utility(np.array([0.05, 0.10]), np.array([0.5, 0.5]), np.zeros(2), behavior)
    rival = utility(np.array([0.05, 0.05]), 0.5, 0.0, behavior)
    share = logit_share([focal, rival, rival])
    assert share[0] == pytest.approx(1 / 3)  # equal profit, two rivals: a third of the effort
    assert share[1] > share[0]


def test_acceptance_rises_with_margin_installed_base_and_credibility():
    b = PartnerBehavior()
    base = acceptance_probability(np.array([0.1]), np.array([0.1]), np.array([0.3]), 0.7, np.array([0.0]), b)
    assert acceptance_probability(np.array([0.15]), np.array([0.1]), np.array([0.3]), 0.7,
                                     np.array([0.0]), b) > base
    assert acceptance_probability(np.array([0.1]), np.array([0.1]), np.array([0.3]), 0.7,
                                     np.array([0.3]), b) > base
    assert acceptance_probability(np.array([0.1]), np.array([0.1]), np.array([0.3]), 1.0,
                                     np.array([0.0]), b) > base


def _resellers_recruited(distributors: int) -> float:
    scenario = small(partners={"distributor": {"count": distributors}, "reseller": {"count": 300},
                               "var": {"count": 0, "initial": 0}, "regional_si": {"count": 0},
                               "influencer": {"count": 0}, "msp": {"count": 0}, "gsi": {"count": 0},
                               "marketplace": {"count": 0, "initial": 0}})
    p = run(scenario, quarters=6).partners
    last = p[(p["quarter"] == 6) & (p["partner_type"] == "reseller")]
    return (~last["state"].isin(["prospect", "churned"])).groupby(last["replication"]).sum().mean()


def test_more_distributors_grow_resellers_faster():
    """Seed 002 case study 1: distributors cascade recruitment to downstream resellers."""
    assert _resellers_recruited(4) > 1.5 * _resellers_recruited(1)


def test_two_tier_resellers_have_a_distributor_parent():
    p = run(small(), quarters=6, replications=1).partners
    resellers = p[p["partner_type"] == "reseller"]
    assert resellers["parent_id"].notna().all()
    parents = p.set_index("partner_id").loc[resellers["parent_id"].astype(int).unique(), "partner_type"]
    assert set(parents) == {"distributor"}


def test_services_attach_lowers_churn():
    """Seed 002: services wraps increase stickiness."""
    rng = Draws.from_seed(0)
    n = 20000
    churned = {}
    for attached in (False, True):
        c = CustomerPopulation(np.zeros(n, dtype=int), None, fully_mixed=False)
        c.state[:] = 2
        c.vendor[:] = 0
        c.start_quarter[:] = 0
        c.contract_value[:] = 1.0
        c.attach_services(np.arange(n), np.full(n, float(attached)), np.full(n, 0.5), rng)
        _, lost = c.renew(4, np.array([[0.2, 0.2, 0.2]]), 0.1, rng, churn_enabled=True)
        churned[attached] = lost.size / n
    assert churned[True] < churned[False] * 0.6


def test_si_deals_are_larger_and_stickier_than_reseller_deals():
    """Seed 002 table and case study 2: SI deals larger; services-attached customers stickier."""
    si = run(small(partners={"regional_si": {"count": 30, "initial": 15}, "distributor": {"count": 2, "initial": 2}}),
             quarters=8)
    p = si.partners
    last = p[p["quarter"] == 8]
    by_type = last.groupby("partner_type")
    per_customer = by_type["revenue_sourced"].sum() / by_type["customers"].sum()
    assert per_customer["regional_si"] > per_customer["reseller"]


def test_partner_manager_capacity_limits_onboarding():
    """Seed 002: under-resourced partner teams become the bottleneck."""
    few = run(small(vendor={"partner_managers": 1, "outreach_per_manager": 10}), quarters=6)
    many = run(small(vendor={"partner_managers": 4, "outreach_per_manager": 10}), quarters=6)
    selling = [f"partners_{s}" for s in ("enabled", "certified", "active", "dormant")]
    def last(r):
        return r.quarterly[r.quarterly["quarter"] == 6][selling].sum(axis=1).mean()
    assert last(many) > last(few)


def test_routes_beyond_capacity_lower_quality():
    """Seed 002: no more than two to three routes to market at once."""
    q = run(small(vendor={"route_capacity": 2.0}), quarters=6, replications=1).quarterly
    assert q["routes_active"].max() > 2
    assert q["route_quality"].min() < 1.0
    wide = run(small(vendor={"route_capacity": 8.0}), quarters=6, replications=1).quarterly
    assert (wide["route_quality"] == 1.0).all()


def test_stage_gates_hold_back_gsis():
    """Seed 002 PMI: GSIs and distributors belong to stage 3."""
    gated = small(vendor={"stage": 1, "age_quarters": 0, "stage2_customers": 10**6},
                  partners={"gsi": {"count": 20}})
    p = run(gated, quarters=4, replications=1).partners
    assert set(p[p["partner_type"] == "gsi"]["state"]) == {"prospect"}


def test_partners_raise_adoption_over_direct_alone():
    """Seed 002: partners multiply reach."""
    none = {t: {"count": 0, "initial": 0} for t in ("var", "regional_si", "distributor", "reseller",
                                                    "marketplace", "influencer", "msp", "gsi")}
    alone = run(small(partners=none), quarters=8).quarterly
    with_partners = run(small(), quarters=8).quarterly
    assert with_partners.groupby("replication")["customers"].last().mean() > \
        alone.groupby("replication")["customers"].last().mean()


def test_word_of_mouth_speeds_adoption():
    """Bass 1969: imitation adds adopters."""
    quiet = run(small(market={"word_of_mouth": {"graph": "none"}}), quarters=8).quarterly
    loud = run(small(market={"word_of_mouth": {"graph": "complete"}, "adoption": {"imitation": 0.5}}),
               quarters=8).quarterly
    assert loud["customers"].max() > quiet["customers"].max()


def test_direct_preferred_registration_costs_partners_deals():
    """Seed 002: the deal-registration rule decides who gets contested deals."""
    scenario = small(vendor={"direct_coverage": {"smb": 0.5, "mid_market": 0.8, "enterprise": 0.9}})
    partner = run(scenario, quarters=8, overrides={"program.deal_registration": "partner_preferred"}).quarterly
    direct = run(scenario, quarters=8, overrides={"program.deal_registration": "direct_preferred"}).quarterly
    assert partner["revenue_partner_sourced"].sum() > direct["revenue_partner_sourced"].sum()
    assert partner["overlapping_claims"].sum() > 0


def test_lost_disputes_lower_the_losers_alignment_and_settled_claims_do_not():
    """Seed 002: ambiguity over deal ownership erodes trust; a clear rule does not."""
    scenario = small(vendor={"direct_coverage": {"smb": 0.9, "mid_market": 0.9, "enterprise": 0.9}},
                     partners={"var": {"count": 40, "initial": 4}, "regional_si": {"count": 0},
                               "distributor": {"count": 0}, "reseller": {"count": 0}, "marketplace": {"count": 0},
                               "influencer": {"count": 0}, "msp": {"count": 0}, "gsi": {"count": 0}})
    disputed = run(scenario, quarters=8, overrides={"program.deal_registration": "first_registered"})
    settled = run(scenario, quarters=8, overrides={"program.deal_registration": "direct_preferred"})
    assert disputed.quarterly["conflicts"].sum() > settled.quarterly["conflicts"].sum()
    assert disputed.partners["alignment"].min() < 0.5
    assert settled.quarterly["overlapping_claims"].sum() > 0


def test_product_readiness_scales_win_rate():
    """Seed 002 stage 1: an untested product wins pilots, not revenue."""
    raw = run(small(vendor={"product_readiness": 0.3}), quarters=6).quarterly
    ready = run(small(vendor={"product_readiness": 1.0}), quarters=6).quarterly
    assert raw["win_rate"].mean() < ready["win_rate"].mean()


def test_partners_that_leave_stop_earning_and_hand_over_their_customers():
    """The stated rule (sim.customers.CustomerPopulation.release): the vendor serves them directly."""
    strict = {"program.scorecard.exit_after_red_reviews": 1, "program.scorecard.exit_grace_quarters": 2,
              "program.scorecard.red": 0.6, "program.scorecard.green": 0.7}  # exits partners with customers too
    result = run(small(), quarters=14, replications=2, overrides=strict)
    p = result.partners
    left = p[p["state"] == "churned"].groupby(["replication", "partner_id"])["quarter"].min().rename("left")
    rows = p.merge(left.reset_index(), on=["replication", "partner_id"])
    before, after = rows[rows["quarter"] < rows["left"]], rows[rows["quarter"] > rows["left"]]
    assert before.groupby(["replication", "partner_id"])["customers"].max().gt(0).sum() >= 1
    assert after["payout"].sum() == 0 and after["customers"].sum() == 0 and after["revenue_sourced"].sum() == 0
    assert result.quarterly["customers_handed_over"].sum() > 0
