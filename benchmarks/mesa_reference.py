"""The reference: Mesa's own network example, ``virus_on_network``, at benchmark scale.

``VirusOnNetwork`` is imported from the installed Mesa package and run unchanged,
except for two things in its set-up that would otherwise dominate or make the
comparison unfair: its graph comes from ``nx.erdos_renyi_graph`` without a seed
(minutes at 50,000 nodes), and its ``Network`` space runs a spring layout unless
given ``layout=None``. During construction both names are replaced in the example's
module: the graph comes from ``nx.fast_gnp_random_graph`` (the same G(n, p) model,
seeded) and the space is built with ``layout=None``. Its ``step`` (every agent's
``step`` in random order, then the example's data collection) is timed as shipped.

Run as a script it prints one JSON line::

    python benchmarks/mesa_reference.py NODES MEAN_DEGREE STEPS SEED
"""

from __future__ import annotations

import json
import sys
import time
import types
from functools import partial
from unittest import mock

import mesa.examples.basic.virus_on_network.model as virus
import networkx as nx
from measure import peak_rss_bytes
from mesa.discrete_space import Network

__all__ = ["build_virus_model", "measure_virus"]


def build_virus_model(nodes: int, mean_degree: float, seed: int) -> virus.VirusOnNetwork:
    """Construct ``VirusOnNetwork`` with a seeded fast G(n, p) graph and no layout.

    Its other parameters keep the example's defaults (one initial infection, spread
    chance 0.4, check frequency 0.4, recovery 0.3, resistance 0.5).
    """

    def fast_gnp(n, p):
        return nx.fast_gnp_random_graph(n, p, seed=seed)

    fast_nx = types.SimpleNamespace(erdos_renyi_graph=fast_gnp)
    with (
        mock.patch.object(virus, "nx", fast_nx),
        mock.patch.object(virus, "Network", partial(Network, layout=None)),
    ):
        return virus.VirusOnNetwork(num_nodes=nodes, avg_node_degree=mean_degree, rng=seed)


def measure_virus(nodes: int, mean_degree: float, steps: int, seed: int = 0) -> dict:
    """Build and step the example; return its timings and agent-steps per second."""
    clock = time.perf_counter()
    model = build_virus_model(nodes, mean_degree, seed)
    built, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    stepped, step_cpu = time.perf_counter(), time.process_time() - cpu
    degree = 2 * model.grid.G.number_of_edges() / nodes
    return {
        "nodes": nodes,
        "mean_degree": degree,
        "steps": steps,
        "build_s": built - clock,
        "step_s": stepped - built,
        "total_s": stepped - clock,
        "agent_steps_per_s": nodes * steps / (stepped - built),
        "step_cpu_s": step_cpu,
        "agent_steps_per_cpu_s": nodes * steps / step_cpu,
        "peak_rss_bytes": peak_rss_bytes(),
    }


if __name__ == "__main__":
    nodes, degree, steps, seed = sys.argv[1:5]
    print(json.dumps(measure_virus(int(nodes), float(degree), int(steps), int(seed))))
