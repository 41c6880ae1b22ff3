"""Scenario discovery: under which conditions a design fails, as PRIM boxes (the EMA Workbench).

Given the uncertain parameters of every future and whether a design failed in it, the
Patient Rule Induction Method (Friedman & Fisher 1999, as used for scenario discovery by
Bryant & Lempert 2010) peels the space of futures down to a box of parameter ranges in
which failures concentrate. Each step of its peeling trajectory trades **coverage** (the
share of all failures inside the box) for **density** (the share of futures in the box
that fail). The box reported is the one with the most coverage among those of at least
the asked density (the densest one if none is that dense), less the restrictions that
are not significant (quasi-p value above 0.05, Bryant & Lempert 2010): a planner reads
only the conditions that matter.

PRIM comes from the EMA Workbench (``pip install 'ecosim[explore]'``), imported on first
use: it is large and only scenario discovery needs it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

__all__ = ["Box", "prim_box", "SIGNIFICANCE"]

SIGNIFICANCE = 0.05  # a restriction whose quasi-p value is above this is dropped from the reported box


@dataclass(frozen=True)
class Box:
    """A PRIM box and the peeling trajectory it was chosen from.

    Attributes:
        limits: one row per parameter the box restricts: ``parameter``, ``low``, ``high``
            (the box; for choices, ``low`` lists the choices kept), ``range_low``,
            ``range_high`` (the sampled range) and ``qp`` (PRIM's quasi-p value of the
            restriction: small means unlikely by chance).
        stats: ``coverage``, ``density``, ``mass`` (share of futures in the box),
            ``restricted`` (parameters), ``futures``, ``failures`` and ``step``.
        trajectory: PRIM's peeling trajectory: ``coverage``, ``density``, ``mass``,
            ``res_dim`` per step, and ``selected``.
    """

    limits: pd.DataFrame
    stats: dict
    trajectory: pd.DataFrame


def _prim():
    """The EMA Workbench's PRIM module, imported quietly on first use."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns about optional front ends (ipyparallel, altair) at import
            from ema_workbench.analysis import prim
    except ImportError:
        raise ScenarioError("scenario discovery needs the EMA Workbench's PRIM: pip install 'ecosim[explore]'") \
            from None
    return prim


def _limits(box, step: int, x: pd.DataFrame) -> pd.DataFrame:
    lims, initial, quasi_p = box.box_lims[step], box.box_lims[0], box.p_values[step]
    rows = []
    for column in x.columns:
        low, high = lims[column].iloc[0], lims[column].iloc[1]
        start, end = initial[column].iloc[0], initial[column].iloc[1]
        if (low, high) == (start, end):
            continue
        p_values = [p for p in quasi_p.get(column, []) if p is not None and p >= 0]
        qp = min(p_values) if p_values else np.nan
        if isinstance(low, set):  # choices: the box keeps some of them
            kept, every = ", ".join(sorted(map(str, low))), ", ".join(sorted(map(str, start)))
            rows.append((column, kept, kept, every, every, qp))
        else:
            rows.append((column, low, high, start, end, qp))
    return pd.DataFrame(rows, columns=["parameter", "low", "high", "range_low", "range_high", "qp"])


def prim_box(x: pd.DataFrame, fails: np.ndarray, min_density: float = 0.8) -> Box:
    """Find the box of uncertain parameters in which a design fails (one PRIM box).

    Args:
        x: one row per future, one column per uncertain parameter (numbers, or text for choices).
        fails: per future, whether the design failed in it.
        min_density: the least share of failing futures the reported box must hold.

    Returns:
        The :class:`Box`.

    Raises:
        ScenarioError: the EMA Workbench is not installed.
        ValueError: no future fails, or every future does (there is nothing to discover).
    """
    fails = np.asarray(fails, dtype=bool)
    if not 0 < fails.sum() < len(fails):
        raise ValueError(f"the design fails in {fails.sum()} of {len(fails)} futures: nothing to tell apart")
    prim = _prim()
    x = x.reset_index(drop=True).copy()
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]) or pd.api.types.is_bool_dtype(x[column]):
            x[column] = x[column].astype(str)
        else:  # integers as numbers too: the Workbench's pasting writes fractional limits into integer columns
            x[column] = x[column].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench's own deprecation warnings (pandas, numpy)
        box = prim.Prim(x, fails).find_box()
    peeled = box.peeling_trajectory.reset_index(drop=True)
    dense = peeled[peeled["density"] >= min_density]
    step = int(dense.sort_values(["coverage", "density"]).index[-1] if not dense.empty else peeled["density"].idxmax())
    box.select(step)
    for parameter in _limits(box, step, x).query(f"not qp <= {SIGNIFICANCE}")["parameter"]:
        box.drop_restriction(parameter)  # appends the wider box to the trajectory and selects it
        step = len(box.peeling_trajectory) - 1
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float).reset_index(drop=True)
    trajectory["selected"] = trajectory.index == step
    row = trajectory.loc[step]
    limits = _limits(box, step, x)
    stats = {"coverage": float(row["coverage"]), "density": float(row["density"]), "mass": float(row["mass"]),
             "restricted": len(limits), "futures": len(fails), "failures": int(fails.sum()), "step": step}
    return Box(limits, stats, trajectory)
