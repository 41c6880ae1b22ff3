"""The ecosystem graph out: vendors, partners and customers at chosen quarters, as GraphML.

GraphML opens in Gephi, Cytoscape and networkx (``networkx.read_graphml``). Each file is
one replication's ecosystem at the end of one quarter, an undirected graph whose nodes
and edges carry a ``kind``:

* ``vendor`` nodes (``vendor:<name>``): the startup, with its ``stage``, paying
  ``customers``, ``arr`` and the quarter's ``revenue``;
* ``partner`` nodes (``partner:<id>``), every partner in the market whatever its
  state: ``partner_type``, ``state``, ``tier``, ``rag`` and ``score`` (in the program),
  the quarter's ``revenue`` (``revenue_sourced`` plus ``revenue_influenced``), the
  ``customers`` it serves, ``sellers``, ``accounts``, ``effort_share``, ``alignment``,
  ``certified`` and ``parent_id`` (a two-tier reseller's distributor), the columns of
  ``partners.parquet``;
* ``contract`` edges from a vendor to each partner in its program (onboarding to
  dormant), with that vendor's ``state``, ``tier``, ``revenue`` and ``effort_share``;
* ``two_tier`` edges from a distributor to each reseller of its network, ``in_program``
  when the reseller is in the program;
* customers, by default aggregated (``customers="aggregate"``): one ``customers`` node
  per serving partner (or the vendor, for direct customers) and segment, with ``count``
  and ``arr``, joined to its server by a ``serves`` edge. ``customers="individual"``
  exports every customer instead (``customer:<id>`` with ``segment``, ``state``,
  ``channel`` and ``contract_value``), with ``serves`` edges to the paying customers'
  partner or vendor, ``covers`` edges from each partner to the accounts in its book and
  the customers' ``word_of_mouth`` peer links: for small runs only
  (``MAX_INDIVIDUAL_CUSTOMERS``).

With several startups a partner node's attributes are its relationship with the first
vendor; each contract edge carries its own vendor's.

The graph needs the model's state, which the result tables do not keep (who serves which
customer, in which segment): :func:`capture_graphs` runs a replication and builds the
graph after the chosen quarters (:func:`sim.runner.run_replication`'s ``observe``), and
:func:`export_graphs` does so for a run directory, whose replication draws exactly the
numbers it drew when the run was made, so its graphs are the state behind its tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from sim import agents as ag
from sim.common import atomic_file
from sim.customers import ACTIVE, CHANNELS, CUSTOMER_STATES
from sim.errors import ScenarioError
from sim.partner_types import SEGMENTS
from sim.runner import run_replication
from sim.scenario import Scenario, validate_scenario
from sim.tiers import RAG

__all__ = ["CUSTOMER_MODES", "GRAPH_DIR", "MAX_INDIVIDUAL_CUSTOMERS", "capture_graphs", "check_export",
           "ecosystem_graph", "export_graphs"]

CUSTOMER_MODES = ("aggregate", "individual")
# Customers one by one make a graph of millions of nodes and edges at the reference sizes.
MAX_INDIVIDUAL_CUSTOMERS = 20_000
GRAPH_DIR = "graphs"


def ecosystem_graph(model, customers: str = "aggregate") -> nx.Graph:
    """The ecosystem of a model as it stands (the end of quarter ``model.steps``).

    Args:
        model: an :class:`sim.model.EcosystemModel` after at least one quarter.
        customers: ``"aggregate"`` (one node per serving partner and segment) or
            ``"individual"`` (one node per customer).

    Returns:
        An undirected networkx graph with a ``kind`` on every node and edge (see the module docstring).
    """
    graph = nx.Graph(quarter=int(model.steps), scenario=model.config.name, customers=customers,
                     vendors=",".join(v.name for v in model.startups))
    for vendor in model.startups:
        _add_vendor(graph, model, vendor)
    _add_partners(graph, model)
    if customers == "individual":
        _add_individual_customers(graph, model)
    else:
        for vendor in model.startups:
            _add_customer_groups(graph, model, vendor)
    return graph


def _add_vendor(graph: nx.Graph, model, vendor) -> None:
    paying = model.customers.active_mask(vendor.index)
    graph.add_node(f"vendor:{vendor.name}", kind="vendor", label=vendor.name, stage=int(vendor.stage),
                   customers=int(paying.sum()), arr=float(model.customers.contract_value[paying].sum()),
                   revenue=float(model.last[vendor.name].revenue.total))


def _partner_columns(model, vendor) -> dict[str, np.ndarray]:
    """A vendor's view of every partner at the end of the quarter, as in ``partners.parquet``."""
    p, c = vendor.partners, model.customers
    served = np.flatnonzero(c.active_mask(vendor.index) & (c.partner >= 0))
    revenue = model.last[vendor.name].revenue.partner_revenue
    return {"state": p.state, "tier": vendor.tiers.tier, "rag": vendor.tiers.rag, "score": vendor.tiers.score[0],
            "revenue_sourced": revenue[0], "revenue_influenced": revenue[1],
            "customers": np.bincount(c.partner[served], minlength=p.size), "effort_share": p.effort_share,
            "alignment": p.alignment, "certified": p.certified}


def _add_partners(graph: nx.Graph, model) -> None:
    pop = model.population
    views = [(vendor, _partner_columns(model, vendor)) for vendor in model.startups]
    focal, columns = views[0]
    for pid in range(pop.size):
        in_program = int(columns["state"][pid]) in ag.PARTNERED_STATES
        attrs = {"kind": "partner", "label": f"{pop.type_names[pid]} {pid}", "partner_id": pid,
                 "partner_type": str(pop.type_names[pid]), "sellers": float(pop.sellers[pid]),
                 "accounts": int(model.coverage.accounts[pid]),
                 **_relationship(focal, columns, pid, in_program)}
        if pop.parent[pid] >= 0:
            attrs["parent_id"] = int(pop.parent[pid])
        graph.add_node(f"partner:{pid}", **attrs)
    for vendor, own in views:
        for pid in np.flatnonzero(np.isin(own["state"], ag.PARTNERED_STATES)):
            relation = _relationship(vendor, own, int(pid), True)
            graph.add_edge(f"vendor:{vendor.name}", f"partner:{pid}", kind="contract",
                           **{k: relation[k] for k in ("state", "tier", "revenue", "effort_share")})
    for pid in np.flatnonzero(pop.parent >= 0):
        graph.add_edge(f"partner:{pop.parent[pid]}", f"partner:{pid}", kind="two_tier",
                       in_program=bool(np.isin(columns["state"][pid], ag.PARTNERED_STATES)))


def _relationship(vendor, columns: dict[str, np.ndarray], pid: int, in_program: bool) -> dict:
    """A partner's state with one vendor, in GraphML's plain types (no missing values: absent keys)."""
    sourced, influenced = float(columns["revenue_sourced"][pid]), float(columns["revenue_influenced"][pid])
    attrs = {"state": ag.STATES[columns["state"][pid]], "revenue": sourced + influenced, "revenue_sourced": sourced,
             "revenue_influenced": influenced, "customers": int(columns["customers"][pid]),
             "effort_share": float(columns["effort_share"][pid]), "alignment": float(columns["alignment"][pid]),
             "certified": bool(columns["certified"][pid])}
    if in_program:
        attrs["tier"] = vendor.tiers.names[columns["tier"][pid]]
        if columns["rag"][pid] >= 0:
            attrs["rag"] = RAG[columns["rag"][pid]]
        if np.isfinite(columns["score"][pid]):
            attrs["score"] = float(columns["score"][pid])
    return attrs


def _add_customer_groups(graph: nx.Graph, model, vendor) -> None:
    """One node per (serving partner or the vendor, segment) of the vendor's paying customers."""
    c = model.customers
    paying = np.flatnonzero(c.active_mask(vendor.index))
    key = (c.partner[paying] + 1) * len(SEGMENTS) + c.segment[paying]  # server -1 (direct) first
    groups, group_of, counts = np.unique(key, return_inverse=True, return_counts=True)
    arr = np.bincount(group_of, weights=c.contract_value[paying], minlength=groups.size)
    for group, count, value in zip(groups, counts, arr, strict=True):
        server, segment = int(group // len(SEGMENTS)) - 1, SEGMENTS[group % len(SEGMENTS)]
        by = f"partner:{server}" if server >= 0 else f"vendor:{vendor.name}"
        node = f"customers:{vendor.name}:{'direct' if server < 0 else by}:{segment}"
        graph.add_node(node, kind="customers", label=f"{segment} x{count}", vendor=vendor.name, segment=segment,
                       count=int(count), arr=float(value), served_by=by)
        graph.add_edge(by, node, kind="serves")


def _add_individual_customers(graph: nx.Graph, model) -> None:
    """Every customer, its server, the partners' account books and the word-of-mouth peers."""
    c = model.customers
    names = [v.name for v in model.startups]
    for i in range(c.size):
        attrs = {"kind": "customer", "label": f"customer {i}", "segment": SEGMENTS[c.segment[i]],
                 "state": CUSTOMER_STATES[c.state[i]]}
        if c.state[i] == ACTIVE:
            attrs |= {"channel": CHANNELS[c.channel[i]], "contract_value": float(c.contract_value[i]),
                      "vendor": names[max(int(c.vendor[i]), 0)]}
        graph.add_node(f"customer:{i}", **attrs)
    books = sp.coo_matrix(model.coverage.matrix)
    graph.add_edges_from(((f"partner:{p}", f"customer:{i}") for i, p in zip(books.row, books.col, strict=True)),
                         kind="covers")
    if c.peers is not None:
        peers = sp.triu(c.peers, k=1).tocoo()
        graph.add_edges_from(((f"customer:{i}", f"customer:{j}") for i, j in zip(peers.row, peers.col, strict=True)),
                             kind="word_of_mouth")
    for i in np.flatnonzero(c.state == ACTIVE):
        server = f"partner:{c.partner[i]}" if c.partner[i] >= 0 else f"vendor:{names[max(int(c.vendor[i]), 0)]}"
        graph.add_edge(server, f"customer:{i}", kind="serves")


def check_export(scenario: Scenario, quarters: Iterable[int] | None, customers: str) -> list[int]:
    """Check what to export before anything runs, and return the quarters (default: the last).

    Raises:
        ScenarioError: a quarter outside the run, an unknown customers mode, or individual
            customers in a market larger than ``MAX_INDIVIDUAL_CUSTOMERS``.
    """
    horizon = scenario.simulation.quarters
    chosen = sorted(set(quarters)) if quarters else [horizon]
    outside = [q for q in chosen if not 1 <= q <= horizon]
    if outside:
        raise ScenarioError(f"graph quarters {outside}: the run has quarters 1 to {horizon}")
    if customers not in CUSTOMER_MODES:
        raise ScenarioError(f"graph customers {customers!r}: expected one of {', '.join(CUSTOMER_MODES)}")
    if customers == "individual" and scenario.market.customers > MAX_INDIVIDUAL_CUSTOMERS:
        raise ScenarioError(f"graph customers 'individual': the market has {scenario.market.customers:,} customers, "
                            f"more than {MAX_INDIVIDUAL_CUSTOMERS:,}; export them aggregated, or run a smaller "
                            "market (--set market.customers=N)")
    return chosen


def capture_graphs(scenario: Scenario, quarters: Iterable[int] | None = None, replication: int = 0,
                   customers: str = "aggregate") -> dict[int, nx.Graph]:
    """Run one replication and build the ecosystem graph after each chosen quarter.

    Args:
        scenario: a validated scenario.
        quarters: the quarters to capture (default: the last).
        replication: which replication (its numbers are those of the same replication of
            any run of this scenario).
        customers: ``"aggregate"`` or ``"individual"``.

    Returns:
        ``{quarter: graph}`` (:func:`ecosystem_graph`), each graph also naming its
        ``replication`` and ``seed``.
    """
    wanted = check_export(scenario, quarters, customers)
    graphs: dict[int, nx.Graph] = {}

    def observe(model) -> None:
        if model.steps in wanted:
            graphs[model.steps] = ecosystem_graph(model, customers)
            graphs[model.steps].graph.update(replication=replication, seed=scenario.simulation.seed)

    run_replication(scenario, replication, observe)
    return graphs


def export_graphs(run: str | Path, quarters: Iterable[int] | None = None, replication: int = 0,
                  customers: str = "aggregate") -> list[Path]:
    """Write a run's ecosystem at chosen quarters as GraphML: ``<run>/graphs/ecosystem_q<quarter>.graphml``.

    The run's replication is run again from its manifest's resolved scenario; it draws
    the same numbers as when the run was made, so each graph is the state behind the
    run's tables (its partner nodes are the rows of ``partners.parquet`` for that
    replication and quarter).

    Args:
        run: a run directory (``manifest.json`` with the resolved scenario).
        quarters: the quarters to export (default: the run's last).
        replication: which replication (default: the first).
        customers: ``"aggregate"`` or ``"individual"``.

    Returns:
        The paths written, by quarter.
    """
    path = Path(run)
    manifest = path / "manifest.json"
    if not manifest.is_file():
        raise ScenarioError(f"{path}: not a run directory (no manifest.json)")
    scenario = validate_scenario(json.loads(manifest.read_text(encoding="utf-8"))["scenario"], str(manifest))
    if not 0 <= replication < scenario.simulation.replications:
        raise ScenarioError(f"replication {replication}: the run has replications 0 to "
                            f"{scenario.simulation.replications - 1}")
    graphs = capture_graphs(scenario, quarters, replication, customers)
    (path / GRAPH_DIR).mkdir(exist_ok=True)
    written = []
    for quarter, graph in sorted(graphs.items()):
        target = path / GRAPH_DIR / f"ecosystem_q{quarter}.graphml"
        with atomic_file(target) as tmp:
            nx.write_graphml(graph, tmp)
        written.append(target)
    return written
