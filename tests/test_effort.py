"""Partners' sellers choose a vendor each quarter: the draw behind activation (sim.effort)."""

import numpy as np
import pytest
from scipy import stats

from sim.draws import Draws
from sim.effort import assign_sellers, binomial_quantile

GRID = (np.arange(200_000) + 0.5) / 200_000  # evenly spread uniforms: each count's share is its probability


@pytest.mark.parametrize(("n", "p"), [(1, 0.1), (2, 0.3), (5, 0.5), (12, 0.8), (40, 0.05), (150, 0.97)])
def test_binomial_quantile_draws_the_binomial_distribution(n, p):
    counts = np.bincount(binomial_quantile(GRID, np.full(GRID.size, n), np.full(GRID.size, p)), minlength=n + 1)
    np.testing.assert_allclose(counts / GRID.size, stats.binom.pmf(np.arange(n + 1), n, p), atol=2e-5)


def test_binomial_quantile_edges():
    u = np.array([0.0, 0.5, 0.999])
    assert binomial_quantile(u, np.full(3, 4), np.zeros(3)).tolist() == [0, 0, 0]
    assert binomial_quantile(u, np.full(3, 4), np.ones(3)).tolist() == [4, 4, 4]
    assert binomial_quantile(u, np.zeros(3, dtype=int), np.full(3, 0.5)).tolist() == [0, 0, 0]


def test_a_larger_share_never_means_fewer_sellers_on_the_same_draw():
    """Common random numbers: an arm that raises a share moves counts up, never down."""
    u = np.random.default_rng(1).random(5000)
    n = np.random.default_rng(2).integers(1, 30, 5000)
    low = binomial_quantile(u, n, np.full(5000, 0.2))
    high = binomial_quantile(u, n, np.full(5000, 0.25))
    assert (high >= low).all() and (high > low).any()


def test_sellers_split_as_a_multinomial_over_the_startups():
    size = 20_000
    sellers = np.full(size, 3.2)  # three sellers each
    shares = [np.full(size, 0.3), np.full(size, 0.2)]
    first, second = assign_sellers(shares, sellers, [Draws.from_seed(1), Draws.from_seed(2)])
    for working in (first, second):
        np.testing.assert_allclose(working * 3, np.round(working * 3))  # whole sellers
    assert (first + second <= 1.0 + 1e-12).all()
    assert first.mean() == pytest.approx(0.3, abs=0.01) and second.mean() == pytest.approx(0.2, abs=0.01)
    # Trinomial: P(nobody on either startup) = 0.5^3.
    assert ((first + second) == 0).mean() == pytest.approx(0.125, abs=0.01)


def test_a_small_partner_with_little_mindshare_has_nobody_on_the_vendor_most_quarters():
    """Two sellers at a 10% share: nobody works the vendor in 81% of quarters (0.9^2)."""
    size = 20_000
    working, = assign_sellers([np.full(size, 0.1)], np.full(size, 2.0), [Draws.from_seed(3)])
    assert (working == 0).mean() == pytest.approx(0.81, abs=0.01)
    assert working.mean() == pytest.approx(0.1, abs=0.005)


def test_partners_without_sellers_keep_their_share():
    """A distributor or marketplace listing has no sellers of its own: its share is its engagement."""
    working, = assign_sellers([np.array([0.4, 1.0])], np.array([0.0, 0.0]), [Draws.from_seed(4)])
    assert working.tolist() == [0.4, 1.0]
