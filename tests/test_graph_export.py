"""The ecosystem graph out: GraphML at chosen quarters that matches the run's tables."""

import json
from collections import Counter

import networkx as nx
import pandas as pd
import pytest
import yaml
from conftest import small

import sim
from sim.cli import main
from sim.graph_export import capture_graphs, export_graphs
from sim.runner import run_replication

IN_PROGRAM = {"onboarding", "enabled", "certified", "active", "dormant"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small run with two-tier resellers, its graphs at Q3 and Q6 written by ``ecosim run --export-graph``."""
    root = tmp_path_factory.mktemp("graph")
    scenario = small("graph", simulation={"quarters": 6, "replications": 2, "seed": 17},
                     partners={"distributor": {"count": 2, "initial": 2}})
    (root / "graph.yaml").write_text(yaml.safe_dump(scenario))
    assert main(["run", str(root / "graph.yaml"), "--out", str(root / "run"), "--export-graph",
                 "--graph-quarters", "3,6"]) == 0
    return root / "run"


def kinds(graph, items) -> Counter:
    return Counter(data["kind"] for *_, data in items(data=True))


@pytest.mark.parametrize("quarter", [3, 6])
def test_graphml_loads_with_the_partners_of_partners_parquet(exported, quarter):
    graph = nx.read_graphml(exported / "graphs" / f"ecosystem_q{quarter}.graphml")
    partners = pd.read_parquet(exported / "partners.parquet")
    rows = partners[(partners["replication"] == 0) & (partners["quarter"] == quarter)].set_index("partner_id")
    nodes = {int(data["partner_id"]): data for _, data in graph.nodes(data=True) if data["kind"] == "partner"}
    assert kinds(graph, graph.nodes)["vendor"] == 1 and graph.graph["quarter"] == quarter
    assert sorted(nodes) == sorted(rows.index)
    assert Counter(d["state"] for d in nodes.values()) == Counter(rows["state"])
    assert Counter(d["partner_type"] for d in nodes.values()) == Counter(rows["partner_type"])
    for pid, row in rows.iterrows():
        node = nodes[pid]
        assert node["revenue_sourced"] == pytest.approx(row["revenue_sourced"])
        assert node["revenue_influenced"] == pytest.approx(row["revenue_influenced"])
        assert node["customers"] == row["customers"]
        assert node.get("tier") == (row["tier"] if row["state"] in IN_PROGRAM else None)
        assert node.get("parent_id") == (None if pd.isna(row["parent_id"]) else row["parent_id"])
    edges = kinds(graph, graph.edges)
    assert edges["contract"] == rows["state"].isin(IN_PROGRAM).sum()
    assert edges["two_tier"] == rows["parent_id"].notna().sum() > 0


def test_customers_are_aggregated_by_server_and_segment(exported):
    graph = nx.read_graphml(exported / "graphs" / "ecosystem_q6.graphml")
    quarterly = pd.read_parquet(exported / "quarterly.parquet")
    partners = pd.read_parquet(exported / "partners.parquet")
    groups = [data for _, data in graph.nodes(data=True) if data["kind"] == "customers"]
    paying = quarterly.query("replication == 0 and quarter == 6")["customers"].item()
    assert sum(g["count"] for g in groups) == paying == graph.nodes["vendor:focal"]["customers"]
    by_partner = sum(g["count"] for g in groups if g["served_by"].startswith("partner:"))
    assert by_partner == partners.query("replication == 0 and quarter == 6")["customers"].sum()
    assert {g["segment"] for g in groups} <= {"smb", "mid_market", "enterprise"}
    assert all(graph.has_edge(g["served_by"], node) for node, g in graph.nodes(data=True) if g["kind"] == "customers")


def test_individual_customers_with_their_servers_and_word_of_mouth(exported):
    scenario = sim.load_scenario(json.loads((exported / "manifest.json").read_text())["scenario"])
    graph = capture_graphs(scenario, customers="individual")[6]
    nodes, edges = kinds(graph, graph.nodes), kinds(graph, graph.edges)
    assert nodes["customer"] == scenario.market.customers
    assert edges["serves"] == graph.nodes["vendor:focal"]["customers"] > 0
    assert edges["word_of_mouth"] > scenario.market.customers and edges["covers"] > 0


def test_export_defaults_to_the_last_quarter_and_replays_the_run(exported):
    (path,) = export_graphs(exported, replication=1)
    assert path.name == "ecosystem_q6.graphml"
    graph = nx.read_graphml(path)
    partners = pd.read_parquet(exported / "partners.parquet").query("replication == 1 and quarter == 6")
    states = Counter(d["state"] for _, d in graph.nodes(data=True) if d["kind"] == "partner")
    assert graph.graph["replication"] == 1 and states == Counter(partners["state"])


def test_observing_a_replication_changes_nothing():
    scenario = sim.load_scenario(small("observed", simulation={"quarters": 4}))
    seen = []
    observed = run_replication(scenario, 0, lambda model: seen.append(model.steps))
    assert seen == [1, 2, 3, 4]
    for with_observer, without in zip(observed, run_replication(scenario, 0), strict=True):
        pd.testing.assert_frame_equal(with_observer, without)


@pytest.mark.parametrize("args, fragment", [
    (["--graph-quarters", "2,9"], "graph quarters [9]: the run has quarters 1 to 6"),
    (["--graph-customers", "individual", "--set", "market.customers=30000"], "more than 20,000"),
], ids=["quarter outside the run", "individual customers of a large market"])
def test_a_bad_export_is_refused_before_the_run(tmp_path, capsys, args, fragment):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small("s", simulation={"quarters": 6})))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    assert fragment in capsys.readouterr().err and not (tmp_path / "out").exists()
