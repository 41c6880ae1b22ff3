"""Accounting identity and conservation hold in every replication and quarter."""

import numpy as np
import pytest
from conftest import small

import sim
from sim.agents import STATES


@pytest.fixture(scope="module")
def result():
    return sim.run_scenario(small(), replications=2, quarters=10, write=False, progress=False)


def test_revenue_is_net_revenue_plus_payouts(result):
    q = result.quarterly
    np.testing.assert_allclose(q["revenue"], q["vendor_net_revenue"] + q["partner_payouts"], rtol=1e-9)


def test_revenue_sources_sum_to_revenue(result):
    q = result.quarterly
    parts = q[["revenue_direct", "revenue_partner_sourced", "revenue_partner_influenced",
               "revenue_marketplace"]].sum(axis=1)
    np.testing.assert_allclose(parts, q["revenue"], rtol=1e-9)


def test_program_cost_identity_and_roi(result):
    q = result.quarterly
    np.testing.assert_allclose(q["program_cost"], q["partner_payouts"] + q["mdf_spend"] + q["enablement_spend"])
    ecosystem = q["revenue_partner_sourced"] + q["revenue_partner_influenced"] + q["revenue_marketplace"]
    has_cost = q["program_cost"] > 0
    np.testing.assert_allclose(q.loc[has_cost, "partner_roi"], (ecosystem / q["program_cost"])[has_cost])
    np.testing.assert_allclose(q["ecosystem_contribution"], ecosystem / q["revenue"])


def test_customers_are_conserved(result):
    q = result.quarterly
    total = q["prospects"] + q["customers_in_pipeline"] + q["customers"] + q["customers_churned_total"]
    assert (total == 2000).all()


def test_customer_flows_add_up(result):
    for _, rep in result.quarterly.groupby("replication"):
        rep = rep.sort_values("quarter")
        change = rep["customers"].diff().iloc[1:]
        flows = (rep["new_customers"] - rep["churned_customers"]).iloc[1:]
        np.testing.assert_array_equal(change.to_numpy(), flows.to_numpy())


def test_partners_are_conserved_and_payouts_match(result):
    p, q = result.partners, result.quarterly
    per_quarter = p.groupby(["replication", "quarter"]).size()
    assert per_quarter.nunique() == 1
    payouts = p.groupby(["replication", "quarter"])["payout"].sum()
    merged = q.set_index(["replication", "quarter"])["partner_payouts"]
    np.testing.assert_allclose(payouts.loc[merged.index], merged, rtol=1e-9)
    states = q[[f"partners_{state}" for state in STATES]].sum(axis=1)
    assert (states == per_quarter.iloc[0]).all()


def test_partner_revenue_matches_sources(result):
    p, q = result.partners, result.quarterly
    sourced = p.groupby(["replication", "quarter"])["revenue_sourced"].sum()
    expected = (q["revenue_partner_sourced"] + q["revenue_marketplace"]).to_numpy()
    np.testing.assert_allclose(sourced.to_numpy(), expected, rtol=1e-9)
