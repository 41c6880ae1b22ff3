"""`ecosim run` writes the run directory of the contract and prints a summary."""

import json

import pandas as pd

from sim.cli import main

QUARTERLY_COLUMNS = {
    "replication", "quarter", "revenue", "revenue_direct", "revenue_partner_sourced",
    "revenue_partner_influenced", "revenue_marketplace", "arr", "customers", "new_customers",
    "churned_customers", "partners_recruited", "partners_active", "activation_rate", "pipeline", "pocs",
    "win_rate", "avg_deal_size", "partner_payouts", "mdf_spend", "enablement_spend", "program_cost",
    "partner_roi", "ecosystem_contribution", "conflicts", "vendor_net_revenue", "tier_registered",
}
PARTNER_COLUMNS = {
    "replication", "quarter", "partner_id", "partner_type", "state", "tier", "score", "score_reach",
    "score_alignment", "score_performance", "rag", "revenue_sourced", "revenue_influenced", "pipeline",
    "payout", "effort_share", "profit", "parent_id",
}
MANIFEST_KEYS = {"scenario_name", "scenario", "scenario_sha256", "seed", "replications", "quarters",
                 "ecosim_version", "git_commit", "started_utc", "finished_utc", "wall_seconds", "status"}


def test_run_writes_contract(tmp_path, capsys):
    from conftest import ROOT

    out = tmp_path / "run"
    code = main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--replications", "2", "--quarters", "3",
                 "--seed", "4", "--set", "market.customers=3000", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {"manifest.json", "quarterly.parquet", "partners.parquet",
                                               "summary.csv"}
    q = pd.read_parquet(out / "quarterly.parquet")
    p = pd.read_parquet(out / "partners.parquet")
    assert QUARTERLY_COLUMNS <= set(q.columns)
    assert PARTNER_COLUMNS <= set(p.columns)
    assert len(q) == 2 * 3 and q["quarter"].min() == 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert MANIFEST_KEYS <= set(manifest)
    assert manifest["status"] == "complete" and manifest["seed"] == 4
    assert manifest["scenario"]["market"]["customers"] == 3000
    assert manifest["scenario"]["partners"]["gsi"]["sellers"] == 10  # defaults filled in
    summary = pd.read_csv(out / "summary.csv")
    assert {"metric", "mean", "ci_low", "ci_high"} <= set(summary.columns)
    assert "revenue" in printed and "95% interval" in printed and str(out) in printed
