"""Designs and sensitivity analysis: grid semantics, sampled designs, SALib on known functions."""

import numpy as np
import pandas as pd
import pytest

from sim.experiments.designs import Choices, Levels, Range, design_points, parse_parameter
from sim.experiments.sensitivity import morris_indices, point_outputs, point_summary, sobol_indices


# ---------------------------------------------------------------------------- grid semantics
def test_lists_expand_scalars_stay_strings_are_not_iterated():
    assert parse_parameter([1, 2], "grid") == Levels((1, 2))
    assert parse_parameter(0.2, "grid") is None
    assert parse_parameter("partner_preferred", "grid") is None  # a string is one value, not its letters
    assert parse_parameter(["partner_preferred"], "grid") == Levels(("partner_preferred",))


def test_grid_is_the_full_product_with_the_last_parameter_fastest():
    design = design_points({"a": Levels((1, 2, 3)), "b": Levels(("x", "y"))}, "grid")
    assert design.values == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"},
                             {"a": 3, "b": "x"}, {"a": 3, "b": "y"}]
    assert design.unit is None
    assert str(design.table["a"].dtype) == "int64" and str(design.table["b"].dtype) == "str"


def test_a_grid_without_varied_parameters_is_one_point():
    design = design_points({}, "grid")
    assert design.values == [{}]


def test_grid_values_that_are_not_scalars_are_run_as_given_and_shown_as_json():
    design = design_points({"program.tiers": Levels(([{"name": "a"}], [{"name": "a"}, {"name": "b"}]))}, "grid")
    assert design.values[1] == {"program.tiers": [{"name": "a"}, {"name": "b"}]}
    assert design.table["program.tiers"][0] == '[{"name": "a"}]'


@pytest.mark.parametrize("raw, method, words", [
    ([], "grid", "empty list"),
    ({"low": 0, "high": 1}, "grid", "needs a sampled design"),
    ({"choices": [1, 2]}, "grid", "plain list"),
    ([1, 2], "sobol", "grid axis"),
    ({"low": 1, "high": 1}, "lhs", "greater than low"),
    ({"low": 0, "high": 1, "log": True}, "lhs", "low > 0"),
    ({"low": 0.5, "high": 3, "integer": True}, "lhs", "whole-number"),
    ({"lo": 0, "hi": 1}, "lhs", "range {low: A, high: B}"),
    ({"low": 0, "hi": 1}, "lhs", "a range is"),
    ({"choices": []}, "random", "non-empty"),
])
def test_parameter_shapes_that_do_not_fit_the_design_are_refused(raw, method, words):
    with pytest.raises(ValueError, match=words):
        parse_parameter(raw, method)


# ---------------------------------------------------------------------------- sampled designs
def test_sampled_values_cover_ranges_integers_choices_and_log_scales():
    params = {"n": Range(0, 4, integer=True), "c": Choices(("a", "b", "c")), "p": Range(0.001, 0.1, log=True),
              "x": Range(-1, 1)}
    design = design_points(params, "lhs", 300, seed=1)
    table = design.table
    assert set(table["n"]) == {0, 1, 2, 3, 4} and str(table["n"].dtype) == "int64"
    assert set(table["c"]) == {"a", "b", "c"}
    assert table["p"].between(0.001, 0.1).all() and table["x"].between(-1, 1).all()
    # log-uniform: as many values below the geometric midpoint 0.01 as above it
    assert abs((table["p"] < 0.01).mean() - 0.5) < 0.05
    # Latin hypercube: each of 300 strata of every unit coordinate holds exactly one point
    for column in design.unit.T:
        assert sorted(np.floor(column * 300).astype(int)) == list(range(300))


@pytest.mark.parametrize("method, samples, expected", [("random", 10, 10), ("lhs", 10, 10), ("sobol", 8, 8 * 5),
                                                       ("morris", 6, 6 * 4)])
def test_design_sizes(method, samples, expected):
    params = {"a": Range(0, 1), "b": Range(0, 1), "c": Choices((1, 2))}
    assert len(design_points(params, method, samples, seed=3).values) == expected


def test_sampled_designs_are_reproducible_from_their_seed():
    params = {"a": Range(0, 1), "b": Range(0, 10, integer=True)}
    for method in ("random", "lhs", "sobol", "morris"):
        one, two = design_points(params, method, 8, seed=4), design_points(params, method, 8, seed=4)
        assert one.values == two.values
        assert design_points(params, method, 8, seed=5).values != one.values


# ---------------------------------------------------------------------------- SALib on a known function
def _toy(unit: np.ndarray) -> np.ndarray:
    """Return y = 5 x0 + 2 x1^2 + 0.5 x2 + 0 x3, with x3 inert: the ranking is x0 > x1 > x2 > x3."""
    return 5 * unit[:, 0] + 2 * unit[:, 1] ** 2 + 0.5 * unit[:, 2]


def test_sobol_indices_recover_the_ranking_of_a_known_function():
    names = ["x0", "x1", "x2", "x3"]
    design = design_points({n: Range(0, 1) for n in names}, "sobol", 512, seed=0)
    indices = sobol_indices(names, _toy(design.unit), seed=0).set_index("parameter")
    assert list(indices["ST"].sort_values(ascending=False).index) == names
    # additive function: analytic S1 = ST = Var(term) / Var(y); 25/12 : 4*4/45 : 0.25/12
    variances = np.array([25 / 12, 4 * 4 / 45, 0.25 / 12, 0.0])
    np.testing.assert_allclose(indices["S1"], variances / variances.sum(), atol=0.05)
    assert abs(indices.loc["x3", "ST"]) < 0.01


def test_second_order_sobol_finds_the_one_interaction():
    names = ["x0", "x1", "x2"]
    design = design_points({n: Range(0, 1) for n in names}, "sobol", 1024, seed=0, second_order=True)
    y = design.unit[:, 0] * design.unit[:, 1] * 4 + design.unit[:, 2]
    pairs = sobol_indices(names, y, second_order=True, seed=0).dropna(subset=["S2"]).set_index("parameter")
    assert pairs["S2"].idxmax() == "x0 & x1"


@pytest.mark.parametrize("seed", [0, 7])
def test_confidence_intervals_are_reproducible_from_every_seed_zero_included(seed):
    names = ["x0", "x1", "x2"]
    sobol = design_points({n: Range(0, 1) for n in names}, "sobol", 64, seed=seed)
    one, two = (sobol_indices(names, _toy(np.c_[sobol.unit, sobol.unit[:, :1]]), seed=seed) for _ in range(2))
    pd.testing.assert_frame_equal(one, two)
    morris = design_points({n: Range(0, 1) for n in names}, "morris", 8, seed=seed)
    y = _toy(np.c_[morris.unit, morris.unit[:, :1]])
    one, two = (morris_indices(names, morris.unit, y, seed=seed) for _ in range(2))
    pd.testing.assert_frame_equal(one, two)


def test_morris_recovers_the_ranking_and_linearity_of_a_known_function():
    names = ["x0", "x1", "x2", "x3"]
    design = design_points({n: Range(0, 1) for n in names}, "morris", 40, seed=0, levels=4)
    indices = morris_indices(names, design.unit, _toy(design.unit), levels=4, seed=0).set_index("parameter")
    assert list(indices["mu_star"].sort_values(ascending=False).index) == names
    assert indices.loc["x0", "mu_star"] == pytest.approx(5.0)  # output change per whole range of x0
    assert indices.loc["x0", "sigma"] == pytest.approx(0.0, abs=1e-9)  # linear: the same effect everywhere
    assert indices.loc["x3", "mu_star"] == 0.0


# ---------------------------------------------------------------------------- per-point outputs
RUNS = pd.DataFrame({"point_id": [0, 0, 1, 1, 2, 2], "status": ["ok", "ok", "ok", "failed", "failed", "failed"],
                     "flywheel_quarter": [3.0, np.nan, 5.0, np.nan, np.nan, np.nan],
                     "final_revenue": [10.0, 20.0, 30.0, np.nan, np.nan, np.nan]})


def test_never_reaching_the_flywheel_counts_one_quarter_past_the_horizon():
    horizon = pd.Series([8, 8, 8], index=[0, 1, 2])
    outputs = point_outputs(RUNS, "flywheel_quarter", horizon)
    assert outputs.tolist()[:2] == [(3 + 9) / 2, 5.0] and np.isnan(outputs[2])  # point 2: every run failed


def test_point_summary_counts_values_and_failures():
    summary = point_summary(RUNS, [], ["final_revenue"]).set_index("point_id")
    assert summary.loc[0, "mean"] == 15.0 and summary.loc[0, "ci_low"] < 15.0 < summary.loc[0, "ci_high"]
    assert (summary.loc[1, "n"], summary.loc[1, "failed"]) == (1, 1)
    assert (summary.loc[2, "n"], summary.loc[2, "failed"]) == (0, 2) and np.isnan(summary.loc[2, "mean"])
