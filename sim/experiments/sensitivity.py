"""Analysis of a sweep's runs: per-point intervals and SALib sensitivity indices.

* :func:`point_summary`: for every point and metric, the mean and 95% interval
  across its replications (what a grid is read by).
* :func:`sensitivity`: for Sobol' designs, first-order and total indices (S1, ST,
  optionally S2) with confidence intervals; for Morris designs, mu, mu* (with its
  confidence interval) and sigma. Each point's output is the mean of its
  replications; inputs are the unit coordinates the design sampled, so a Morris
  effect is the change from moving a parameter across its whole range.

A run that never reaches the flywheel has no ``flywheel_quarter``; for the indices it
counts as one quarter past the horizon (censored), so "never" ranks after "late".
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from sim.experiments.designs import salib_problem
from sim.metrics import mean_interval

__all__ = ["point_summary", "point_outputs", "sobol_indices", "morris_indices", "sensitivity",
           "SENSITIVITY_METHODS"]

SENSITIVITY_METHODS = ("sobol", "morris")
CONFIDENCE = 0.95
RESAMPLES = 200


def point_summary(runs: pd.DataFrame, keys: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean and 95% interval of each metric at each point, across its successful replications.

    Args:
        runs: one row per run with ``point_id``, ``status``, the ``keys`` and ``metrics``.
        keys: columns that identify a point besides ``point_id`` (case, parameters).
        metrics: metric columns.

    Returns:
        One row per (point, metric): the keys, ``metric``, ``mean``, ``ci_low``,
        ``ci_high``, ``n`` (replications with a value) and ``failed`` (failed runs).
    """
    rows = []
    for point_id, group in runs.groupby("point_id", sort=True):
        ok = group[group["status"] == "ok"]
        ident = {"point_id": point_id, **{k: group[k].iloc[0] for k in keys}}
        failed = int((group["status"] != "ok").sum())
        for metric in metrics:
            mean, low, high = mean_interval(ok[metric], CONFIDENCE)
            rows.append({**ident, "metric": metric, "mean": mean, "ci_low": low, "ci_high": high,
                         "n": int(ok[metric].notna().sum()), "failed": failed})
    return pd.DataFrame(rows, columns=["point_id", *keys, "metric", "mean", "ci_low", "ci_high", "n", "failed"])


def point_outputs(runs: pd.DataFrame, metric: str, horizon: pd.Series) -> pd.Series:
    """Per point (indexed by ``point_id``), the mean of a metric over its successful runs.

    ``flywheel_quarter`` of a run that never reached it counts as ``horizon + 1``
    (``horizon``: the point's quarters, indexed by ``point_id``).
    """
    ok = runs[runs["status"] == "ok"]
    values = ok[metric]
    if metric == "flywheel_quarter":
        values = values.fillna(ok["point_id"].map(horizon) + 1)
    return values.groupby(ok["point_id"]).mean().reindex(horizon.index)


def sobol_indices(names: list[str], outputs: np.ndarray, *, second_order: bool = False,
                  seed: int = 0) -> pd.DataFrame:
    """Sobol' indices (Saltelli estimators, SALib) of outputs in the design's order.

    Returns:
        One row per parameter with ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the
        confidence columns are half-widths of 95% bootstrap intervals) and, with
        ``second_order``, one row per pair ``"a & b"`` with ``S2``, ``S2_conf``.
    """
    from SALib.analyze import sobol

    # SALib's sobol.analyze tests ``if seed:``, so an integer seed 0 would mean "unseeded" (the
    # global random state); a generator is always taken as given, and default_rng(seed) draws the
    # same numbers as SALib's own default_rng(seed) for every other seed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sobol.analyze(salib_problem(names), outputs, calc_second_order=second_order,
                               num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=np.random.default_rng(seed))
    frame = pd.DataFrame({"parameter": names, **{k: result[k] for k in ("S1", "S1_conf", "ST", "ST_conf")}})
    if second_order:
        pairs = [{"parameter": f"{names[i]} & {names[j]}", "S2": result["S2"][i, j],
                  "S2_conf": result["S2_conf"][i, j]}
                 for i in range(len(names)) for j in range(i + 1, len(names))]
        frame = pd.concat([frame, pd.DataFrame(pairs)], ignore_index=True)
    return frame


def morris_indices(names: list[str], unit: np.ndarray, outputs: np.ndarray, *, levels: int = 4,
                   seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect statistics (SALib) of outputs at the design's unit points.

    Returns:
        One row per parameter with ``mu``, ``mu_star``, ``mu_star_conf`` (half-width of
        a 95% bootstrap interval) and ``sigma``.
    """
    from SALib.analyze import morris

    result = morris.analyze(salib_problem(names), unit, outputs, num_resamples=RESAMPLES,
                            conf_level=CONFIDENCE, num_levels=levels, seed=seed)
    return pd.DataFrame({"parameter": names, **{k: np.asarray(result[k], dtype=float)
                                                for k in ("mu", "mu_star", "mu_star_conf", "sigma")}})


def sensitivity(spec, runs: pd.DataFrame) -> pd.DataFrame | None:
    """Sensitivity indices of every kept metric, per case, for Sobol' and Morris sweeps.

    Args:
        spec: the :class:`sim.experiments.sweep_spec.SweepSpec`.
        runs: the sweep's run table.

    Returns:
        A long frame (``case`` if the sweep has cases, ``metric``, ``parameter`` and the
        method's index columns, ``note``), or ``None`` for other designs. A metric with
        points lacking a value (all runs failed, or the metric is undefined there) or
        without variation gets a note instead of indices.
    """
    method = spec.method
    if method not in SENSITIVITY_METHODS:
        return None
    names = list(spec.parameters)
    settings = spec.file.design
    points = pd.DataFrame([(p.point_id, p.case, p.row, p.quarters) for p in spec.points],
                          columns=["point_id", "case", "row", "quarters"]).set_index("point_id")
    frames = []
    for case, group in points.groupby("case", sort=False, dropna=False):
        horizon = group.sort_values("row")["quarters"]
        for metric in spec.file.metrics.columns():
            y = point_outputs(runs, metric, horizon).to_numpy(dtype=float)
            note = _unusable(y)
            if note:
                frame = pd.DataFrame({"parameter": names, "note": note})
            elif method == "sobol":
                frame = sobol_indices(names, y, second_order=settings.second_order, seed=settings.seed)
            else:
                frame = morris_indices(names, spec.design.unit, y, levels=settings.levels, seed=settings.seed)
            frame.insert(0, "metric", metric)
            if spec.file.cases:
                frame.insert(0, "case", case)
            frames.append(frame)
    result = pd.concat(frames, ignore_index=True)
    if "note" not in result:
        result["note"] = ""
    result["note"] = result["note"].fillna("")
    return result


def _unusable(y: np.ndarray) -> str:
    missing = int(np.isnan(y).sum())
    if missing:
        return f"{missing} of {y.size} points have no value (failed runs, or the metric is undefined there)"
    if np.ptp(y) == 0:
        return "the metric does not vary across points"
    return ""
