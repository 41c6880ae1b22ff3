"""Per-id counter-based draws: common random numbers that cost only the ids drawn."""

import numpy as np
import pytest
from scipy import stats

from sim.draws import Draws

N = 200_000


def test_an_id_meets_the_same_number_whatever_else_is_drawn():
    everyone = Draws.from_seed(3).uniform(np.arange(N))
    ids = np.array([17, 5, 99_999, 17])
    np.testing.assert_array_equal(Draws.from_seed(3).uniform(ids), everyone[ids])


def test_successive_draws_and_streams_differ():
    ids = np.arange(1_000)
    draws = Draws.from_seed(3)
    first, second = draws.uniform(ids), draws.uniform(ids)
    other = Draws.from_seed(4).uniform(ids)
    assert abs(np.corrcoef(first, second)[0, 1]) < 0.1 and abs(np.corrcoef(first, other)[0, 1]) < 0.1
    assert not np.isin(first, second).any()


def test_the_same_seed_gives_the_same_numbers():
    a, b = Draws.from_seed(11), Draws.from_seed(11)
    ids = np.arange(500)
    for _ in range(3):
        np.testing.assert_array_equal(a.uniform(ids), b.uniform(ids))
    assert a.scalar() == b.scalar()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_uniforms_are_uniform_and_independent_across_ids(seed):
    u = Draws.from_seed(seed).uniform(np.arange(N))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01  # neighbouring ids
    counts = np.histogram(u, bins=100, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_normals_are_standard_normal():
    z = Draws.from_seed(5).normal(np.arange(N))
    assert np.isfinite(z).all()
    assert z.mean() == pytest.approx(0.0, abs=0.01) and z.std() == pytest.approx(1.0, abs=0.01)
    assert stats.kstest(z, "norm").pvalue > 1e-3
