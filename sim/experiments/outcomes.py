"""Outcomes of experiment runs: metric specifications reduced to one number per run.

Optimisation objectives and constraints (``ecosim optimize``) and the outcomes of
robust-design explorations (``ecosim explore``) are written like compare's metrics
(:class:`sim.experiments.compare_spec.MetricSpec`): a quarterly column reduced per run to
its ``final`` quarter value, its ``total`` or its ``mean`` over quarters, or the ratio
of two run totals. One more outcome is allowed: ``flywheel_quarter``, the first quarter
in which partner-led revenue exceeds half of revenue (:func:`sim.metrics.flywheel_quarter`);
a run that never gets there counts as one quarter past its horizon, so "never" ranks
after "late" (as in sweeps' sensitivity indices), and less is better.

Each outcome has a column label: ``<statistic>_<metric>`` (``total_program_cost``,
``final_arr``, like a sweep's kept metrics), a ratio's own name, or ``flywheel_quarter``.
Runs execute as :class:`sim.experiments.tasks.Task` batches that keep the quarterly
columns the outcomes read; :func:`reduce_runs` turns those rows into outcomes.
"""

from __future__ import annotations

import pandas as pd

from sim.errors import ScenarioError
from sim.experiments.compare_spec import MetricSpec
from sim.experiments.comparison import reduce_metric
from sim.experiments.probe import check_metric

__all__ = ["FLYWHEEL", "as_spec", "label", "direction", "check_outcomes", "timeseries_columns", "needs_flywheel",
           "reduce_runs"]

FLYWHEEL = "flywheel_quarter"


def as_spec(metric: str | MetricSpec) -> MetricSpec:
    """A metric as written (a column name or a mapping) as a :class:`MetricSpec`."""
    return MetricSpec(name=metric) if isinstance(metric, str) else metric


def label(metric: MetricSpec) -> str:
    """The outcome's column label.

    Examples:
        >>> label(MetricSpec(name="program_cost")), label(MetricSpec(name="arr"))
        ('total_program_cost', 'final_arr')
        >>> label(MetricSpec(name="cost_share", ratio=("program_cost", "revenue"))), label(MetricSpec(name=FLYWHEEL))
        ('cost_share', 'flywheel_quarter')
    """
    if metric.ratio is not None or metric.name == FLYWHEEL:
        return metric.name
    return f"{metric.reduction}_{metric.name}"


def direction(metric: MetricSpec) -> str:
    """``higher`` or ``lower``: which way the outcome is better (the flywheel: sooner)."""
    if metric.name == FLYWHEEL and metric.ratio is None:
        return metric.better or "lower"
    return metric.direction


def check_outcomes(metrics: list[MetricSpec], recorded: list[str], where: str) -> None:
    """Refuse outcomes that read columns no run records, or a reduced flywheel quarter.

    Args:
        metrics: the outcomes.
        recorded: the quarterly columns runs record (:func:`sim.experiments.probe.recorded_metrics`).
        where: how messages name the list, e.g. ``"file.yaml: objectives"``.

    Raises:
        ScenarioError: naming the entry, with a did-you-mean.
    """
    for i, metric in enumerate(metrics):
        if metric.name == FLYWHEEL and metric.ratio is None:
            if metric.statistic is not None:
                raise ScenarioError(f"{where}[{i}]: {FLYWHEEL} is one quarter per run; leave out 'statistic'")
            continue
        for column in metric.columns():
            check_metric(column, [*recorded, FLYWHEEL] if metric.ratio is None else recorded, f"{where}[{i}]")


def timeseries_columns(metrics: list[MetricSpec]) -> tuple[str, ...]:
    """The quarterly columns the outcomes read, each once, in order."""
    columns = [c for m in metrics if not (m.name == FLYWHEEL and m.ratio is None) for c in m.columns()]
    return tuple(dict.fromkeys(columns))


def needs_flywheel(metrics: list[MetricSpec]) -> bool:
    """Whether an outcome is the flywheel quarter."""
    return any(m.name == FLYWHEEL and m.ratio is None for m in metrics)


def reduce_runs(runs: pd.DataFrame, timeseries: pd.DataFrame | None, metrics: list[MetricSpec],
                quarters: int) -> pd.DataFrame:
    """Every outcome of every successful run.

    Args:
        runs: a task's run rows (``run_id``, ``status`` and, if asked, ``flywheel_quarter``).
        timeseries: rows per run and quarter with ``run_id``, ``quarter`` and the
            :func:`timeseries_columns` (other columns are ignored).
        metrics: the outcomes.
        quarters: the runs' horizon (a run that never reaches the flywheel counts ``quarters + 1``).

    Returns:
        One row per successful run, indexed by ``run_id``, one column per outcome label.
    """
    ok = runs.loc[runs["status"] == "ok", "run_id"]
    frame = pd.DataFrame(index=pd.Index(ok, name="run_id"))
    columns = ["run_id", "quarter", *timeseries_columns(metrics)]
    series = None if timeseries is None else timeseries.loc[timeseries["run_id"].isin(ok), columns].rename(
        columns={"run_id": "replication"})
    for metric in metrics:
        if metric.name == FLYWHEEL and metric.ratio is None:
            frame[label(metric)] = runs.set_index("run_id").loc[ok, FLYWHEEL].fillna(quarters + 1)
        else:
            frame[label(metric)] = reduce_metric(series, metric).reindex(frame.index)
    return frame
