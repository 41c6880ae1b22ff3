"""Same seed, same numbers, whatever the process; different seeds differ."""

import pandas as pd
from conftest import small

import sim
from sim.runner import run_replication


def _run(**kw):
    return sim.run_scenario(small(), quarters=6, write=False, progress=False, **kw)


def test_same_seed_identical_tables():
    a, b = _run(seed=3), _run(seed=3)
    pd.testing.assert_frame_equal(a.quarterly, b.quarterly)
    pd.testing.assert_frame_equal(a.partners, b.partners)


def test_different_seed_differs():
    a, b = _run(seed=3), _run(seed=4)
    assert not a.quarterly["revenue"].equals(b.quarterly["revenue"])


def test_processes_give_identical_tables():
    a, b = _run(seed=8, replications=2), _run(seed=8, replications=2, workers=2)
    pd.testing.assert_frame_equal(a.quarterly, b.quarterly)
    pd.testing.assert_frame_equal(a.partners, b.partners)


def test_replication_does_not_depend_on_how_many_run():
    many = _run(seed=9, replications=3)
    alone, _ = run_replication(sim.load_scenario(small(), {"simulation.seed": 9, "simulation.quarters": 6}), 2)
    pd.testing.assert_frame_equal(many.quarterly[many.quarterly["replication"] == 2].reset_index(drop=True), alone)


def test_replications_are_independent_streams():
    q = _run(seed=1, replications=2).quarterly
    r0, r1 = (q[q["replication"] == i]["new_customers"].to_numpy() for i in (0, 1))
    assert not (r0 == r1).all()
