"""Peer graphs and coverage: the structures word of mouth and partner push run on."""

import numpy as np
import pytest
import scipy.sparse as sp

from sim.network import FlaggedCount, _symmetric_binary, peer_graph, row_entries


def _small_world_from_edges(n, k, beta, rng):
    """Watts-Strogatz through the general edge-list build, drawing as ``_small_world`` does."""
    half = max(1, k // 2)
    src = np.repeat(np.arange(n), half)
    dst = (src + np.tile(np.arange(1, half + 1), n)) % n
    rewire = rng.random(dst.size) < beta
    dst[rewire] = rng.integers(0, n, size=int(rewire.sum()))
    return _symmetric_binary(src, dst, n)


@pytest.mark.parametrize(("n", "k", "beta"), [(11, 10, 0.3), (1_000, 10, 0.1), (1_000, 4, 0.0), (500, 6, 1.0),
                                              (20_000, 10, 0.1)])
def test_small_world_is_the_rewired_ring_lattice(n, k, beta):
    built = peer_graph("small_world", n, k, beta, np.random.default_rng(7))
    reference = _small_world_from_edges(n, min(k, n - 1), beta, np.random.default_rng(7))
    assert built.has_canonical_format
    assert (built != reference).nnz == 0


@pytest.mark.parametrize("kind", ["small_world", "scale_free", "random"])
def test_peer_graphs_are_simple_undirected_and_near_the_mean_degree(kind):
    n, k = 20_000, 10
    adj = peer_graph(kind, n, k, 0.1, np.random.default_rng(1))
    assert (adj != adj.T).nnz == 0 and adj.diagonal().sum() == 0 and set(np.unique(adj.data)) == {1.0}
    assert adj.sum() / n == pytest.approx(k, rel=0.1)


def test_row_entries_gathers_the_rows_stored_entries():
    matrix = sp.random(300, 40, density=0.1, format="csr", random_state=np.random.default_rng(2))
    rows = np.array([5, 0, 299, 5, 17])
    entries, lengths = row_entries(matrix, rows)
    sub = matrix[rows]
    np.testing.assert_array_equal(matrix.indices[entries], sub.indices)
    np.testing.assert_array_equal(lengths, np.diff(sub.indptr))


def test_flagged_count_follows_the_full_product():
    rng = np.random.default_rng(3)
    matrix = peer_graph("small_world", 2_000, 6, 0.2, rng)
    count = FlaggedCount(matrix, matrix)
    flags = np.zeros(2_000, dtype=bool)
    for changes in (2_000, 10, 300, 1):  # a full recount, then incremental updates
        flags[rng.integers(0, 2_000, size=changes)] ^= True
        np.testing.assert_array_equal(count.update(flags), matrix @ flags.astype(np.float32))
