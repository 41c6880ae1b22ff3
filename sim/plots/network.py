"""The ecosystem picture: vendor, partners and aggregated customers at one quarter.

Drawn from a run's ``partners`` table (never by re-running the model):
:func:`graph_at_quarter` builds a small graph of the ``vendor``, one node per partner in
the program (``partner:<id>``, with its type, state and the quarter's revenue) and one
node per partner for the customers it serves (``customers:<id>``, with a ``count``), so
a picture never draws every customer. Resellers recruited by a distributor hang off
their distributor (two-tier). The full ecosystem graph, with every partner, customers
by segment and the model's state, is exported as GraphML by :mod:`sim.graph_export`.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim.formatting import money
from sim.plots.style import PARTNER_TYPE_COLORS, new_figure, no_data, with_replication

__all__ = ["graph_at_quarter", "ecosystem_layout", "network_picture"]

IN_PROGRAM = ("onboarding", "enabled", "certified", "active", "dormant")
PARTNER_RING, RESELLER_RING, CUSTOMER_OFFSET = 1.0, 1.75, 0.32


def graph_at_quarter(partners: pd.DataFrame, quarter: int | None = None,
                     replication: int | None = None) -> nx.Graph:
    """Build the ecosystem graph of one replication at one quarter from the partners table.

    A partner's ``revenue`` is the quarter's revenue it sourced or influenced; a
    distributor's also counts its resellers' (the revenue flowing through it).

    Args:
        partners: the run's partners table (or a live model's ``recorder.partner_frame()``).
        quarter: the quarter to draw (default: the last one).
        replication: the replication to draw (default: the first one).

    Returns:
        A networkx graph with ``kind`` on every node and edge (see the module docstring).
    """
    p = with_replication(partners)
    replication = int(p["replication"].min()) if replication is None else replication
    quarter = int(p["quarter"].max()) if quarter is None else quarter
    rows = p[(p["replication"] == replication) & (p["quarter"] == quarter) & p["state"].isin(IN_PROGRAM)]
    graph = nx.Graph(quarter=quarter, replication=replication)
    graph.add_node("vendor", kind="vendor")
    ids = set(rows["partner_id"])
    through = rows.assign(_rev=rows["revenue_sourced"] + rows["revenue_influenced"]).groupby("parent_id")["_rev"].sum()
    for row in rows.itertuples(index=False):
        node = f"partner:{row.partner_id}"
        own = float(row.revenue_sourced + row.revenue_influenced)
        graph.add_node(node, kind="partner", partner_type=row.partner_type, state=row.state,
                       revenue=own + float(through.get(row.partner_id, 0.0)))
        parent = row.parent_id
        two_tier = not pd.isna(parent) and int(parent) in ids
        graph.add_edge(f"partner:{int(parent)}" if two_tier else "vendor", node,
                       kind="two_tier" if two_tier else "contract")
        if row.customers > 0:
            graph.add_node(f"customers:{row.partner_id}", kind="customers", count=int(row.customers))
            graph.add_edge(node, f"customers:{row.partner_id}", kind="serves")
    return graph


def ecosystem_layout(graph: nx.Graph) -> dict[str, np.ndarray]:
    """Radial positions for :func:`graph_at_quarter`'s graph.

    The vendor is in the centre, partners on a ring grouped by type, two-tier
    resellers on an outer ring beside their distributor, customer nodes just outside
    the partner they belong to.
    """
    pos = {"vendor": np.zeros(2)}
    children: dict[str, list[str]] = {}
    top = []
    for node, data in graph.nodes(data=True):
        if data["kind"] != "partner":
            continue
        parent = next((n for n in graph.neighbors(node)
                       if graph.edges[node, n]["kind"] == "two_tier" and n != node
                       and graph.nodes[n].get("partner_type") == "distributor"
                       and graph.nodes[node].get("partner_type") != "distributor"), None)
        if parent is None:
            top.append(node)
        else:
            children.setdefault(parent, []).append(node)
    order = sorted(top, key=lambda n: (graph.nodes[n]["partner_type"], int(n.split(":")[1])))
    weights = np.array([1.0 + 0.5 * len(children.get(n, [])) for n in order])
    edges = np.concatenate([[0.0], np.cumsum(weights)]) / max(weights.sum(), 1.0) * 2 * np.pi
    for i, node in enumerate(order):
        centre = (edges[i] + edges[i + 1]) / 2
        pos[node] = PARTNER_RING * np.array([np.cos(centre), np.sin(centre)])
        kids = sorted(children.get(node, []), key=lambda n: int(n.split(":")[1]))
        for k, kid in enumerate(kids):
            angle = edges[i] + (k + 0.5) / len(kids) * (edges[i + 1] - edges[i])
            pos[kid] = RESELLER_RING * np.array([np.cos(angle), np.sin(angle)])
    for node, data in graph.nodes(data=True):
        if data["kind"] == "customers":
            owner = f"partner:{node.split(':')[1]}"
            direction = pos[owner] / np.linalg.norm(pos[owner])
            pos[node] = pos[owner] + CUSTOMER_OFFSET * direction
    return pos


def _sizes(values: list[float], smallest: float, largest: float) -> list[float]:
    top = max(values, default=0.0)
    if top <= 0:
        return [smallest] * len(values)
    return [smallest + (largest - smallest) * np.sqrt(v / top) for v in values]


def network_picture(partners: pd.DataFrame, quarter: int | None = None, replication: int | None = None):
    """Draw the ecosystem at one quarter.

    Partners are coloured by type and sized by the quarter's revenue; customers are
    aggregated into one square per partner.
    """
    graph = graph_at_quarter(partners, quarter, replication)
    fig, (ax,) = new_figure(width=10, height=7.5)
    q, rep = graph.graph["quarter"], graph.graph["replication"]
    partner_nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == "partner"]
    customer_nodes = [n for n, d in graph.nodes(data=True) if d["kind"] == "customers"]
    served = sum(graph.nodes[n]["count"] for n in customer_nodes)
    revenue = sum(graph.nodes[n]["revenue"] for n in partner_nodes
                  if graph.nodes[n]["partner_type"] != "distributor")  # counted at their resellers
    ax.set_title(f"Ecosystem at Q{q} (replication {rep}): {len(partner_nodes)} partners in the program, "
                 f"{served:,} customers served by partners, partner revenue {money(revenue)} in the quarter",
                 fontsize=10, wrap=True)
    ax.set_axis_off()
    if not partner_nodes:
        no_data(ax, f"No partner is in the program at Q{q}.")
        return fig
    pos = ecosystem_layout(graph)
    edge_style = {"contract": ("#9e9e9e", 0.8), "two_tier": ("#c9a99f", 0.4), "serves": ("#d9d9d9", 0.5)}
    for kind, (color, width) in edge_style.items():
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["kind"] == kind]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=ax, edge_color=color, width=width)
    nx.draw_networkx_nodes(graph, pos, nodelist=customer_nodes, ax=ax, node_shape="s", node_color="#bdbdbd",
                           node_size=_sizes([graph.nodes[n]["count"] for n in customer_nodes], 4,
                                            min(160.0, 16_000 / len(partner_nodes))))
    nx.draw_networkx_nodes(graph, pos, nodelist=partner_nodes, ax=ax, edgecolors="#333333", linewidths=0.4,
                           node_color=[PARTNER_TYPE_COLORS.get(graph.nodes[n]["partner_type"], "#777777")
                                       for n in partner_nodes],
                           node_size=_sizes([graph.nodes[n]["revenue"] for n in partner_nodes], 15,
                                            min(420.0, 40_000 / len(partner_nodes))))
    nx.draw_networkx_nodes(graph, pos, nodelist=["vendor"], ax=ax, node_color="#111111", node_size=700,
                           node_shape="*")
    present = sorted({graph.nodes[n]["partner_type"] for n in partner_nodes})
    handles = [Line2D([], [], marker="*", color="#111111", ls="", markersize=14, label="vendor")]
    handles += [Line2D([], [], marker="o", ls="", markersize=9, color=PARTNER_TYPE_COLORS.get(t, "#777777"),
                       label=t) for t in present]
    handles += [Line2D([], [], marker="s", ls="", markersize=8, color="#bdbdbd",
                       label="customers served,\nper partner")]
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False,
               title="size: revenue\nor customers", title_fontsize=8)
    ax.set_aspect("equal")
    return fig
