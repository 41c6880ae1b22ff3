"""Outcomes of experiment runs: metric specifications reduced to one number per run.

Optimisation objectives and constraints (``ecosim optimize``) and the outcomes of
robust-design explorations (``ecosim explore``) are written like compare's metrics
(:class:`sim.experiments.compare_spec.MetricSpec`): a quarterly column reduced per run to
its ``final`` quarter value, its ``total`` or its ``mean`` over quarters, or the ratio
of two run totals. One more outcome is allowed: ``flywheel_quarter``, the first quarter
in which partner-led revenue exceeds half of revenue (:func:`sim.metrics.flywheel_quarter`);
a run that never gets there counts as one quarter past its horizon, so "never" ranks
after "late" (as in sweeps' sensitivity indices), and less is better.

With several startups (a scenario's ``vendors:``) every outcome names the startup whose
rows it reads, ``column@vendor`` (``vendor_net_revenue@ours``, ``flywheel_quarter@ours``),
as in compare; with one, none does.

Each outcome has a column label: ``<statistic>_<metric>`` (``total_program_cost``,
``final_arr@ours``, like a sweep's kept metrics), a ratio's own name, or
``flywheel_quarter``. Runs execute as :class:`sim.experiments.tasks.Task` batches that
keep the quarterly columns the outcomes read; :func:`reduce_runs` turns those rows into
outcomes.
"""

from __future__ import annotations

import pandas as pd

from sim.errors import ScenarioError
from sim.experiments.compare_spec import MetricSpec
from sim.experiments.comparison import reduce_metric
from sim.experiments.probe import check_metric
from sim.metrics import flywheel_quarter

__all__ = ["FLYWHEEL", "as_spec", "label", "direction", "startup_names", "check_outcomes", "timeseries_columns",
           "reduce_runs"]

FLYWHEEL = "flywheel_quarter"
# The quarterly columns the flywheel quarter is computed from.
FLYWHEEL_COLUMNS = ("revenue", "revenue_partner_sourced", "revenue_partner_influenced")


def as_spec(metric: str | MetricSpec) -> MetricSpec:
    """A metric as written (a column name or a mapping) as a :class:`MetricSpec`."""
    return MetricSpec(name=metric) if isinstance(metric, str) else metric


def _is_flywheel(metric: MetricSpec) -> bool:
    return metric.ratio is None and metric.column == FLYWHEEL


def label(metric: MetricSpec) -> str:
    """The outcome's column label.

    Examples:
        >>> label(MetricSpec(name="program_cost")), label(MetricSpec(name="arr@ours"))
        ('total_program_cost', 'final_arr@ours')
        >>> label(MetricSpec(name="cost_share", ratio=("program_cost", "revenue"))), label(MetricSpec(name=FLYWHEEL))
        ('cost_share', 'flywheel_quarter')
    """
    if metric.ratio is not None or _is_flywheel(metric):
        return metric.name
    return f"{metric.reduction}_{metric.name}"


def direction(metric: MetricSpec) -> str:
    """``higher`` or ``lower``: which way the outcome is better (the flywheel: sooner)."""
    if _is_flywheel(metric):
        return metric.better or "lower"
    return metric.direction


def startup_names(scenario: dict) -> list[str]:
    """The startups of a resolved scenario with several (``vendors:``); empty with one."""
    return [vendor["name"] for vendor in scenario.get("vendors") or []]


def check_outcomes(metrics: list[MetricSpec], recorded: list[str], where: str, startups: list[str]) -> None:
    """Refuse outcomes that read columns no run records, a reduced flywheel quarter, or the wrong startup.

    Args:
        metrics: the outcomes.
        recorded: the quarterly columns runs record (:func:`sim.experiments.probe.recorded_metrics`).
        where: how messages name the list, e.g. ``"file.yaml: objectives"``.
        startups: the names of the scenario's startups when it has several (``vendors:``), else empty.

    Raises:
        ScenarioError: naming the entry, with a did-you-mean.
    """
    for i, metric in enumerate(metrics):
        at = f"{where}[{i}]"
        if startups and metric.vendor not in startups:
            raise ScenarioError(f"{at}: '{metric.name}': with several startups, say whose rows it reads: "
                                f"{metric.column}@<startup>, one of {', '.join(startups)}")
        if not startups and metric.vendor is not None:
            raise ScenarioError(f"{at}: '{metric.name}': the scenario has one startup; leave out '@{metric.vendor}'")
        if _is_flywheel(metric):
            if metric.statistic is not None:
                raise ScenarioError(f"{at}: {FLYWHEEL} is one quarter per run; leave out 'statistic'")
            continue
        for column in metric.columns():
            check_metric(column, [*recorded, FLYWHEEL] if metric.ratio is None else recorded, at)


def timeseries_columns(metrics: list[MetricSpec]) -> tuple[str, ...]:
    """The quarterly columns the outcomes read, each once, in order."""
    columns = [c for m in metrics for c in (FLYWHEEL_COLUMNS if _is_flywheel(m) else m.columns())]
    return tuple(dict.fromkeys(columns))


def reduce_runs(runs: pd.DataFrame, timeseries: pd.DataFrame, metrics: list[MetricSpec],
                quarters: int) -> pd.DataFrame:
    """Every outcome of every successful run.

    Args:
        runs: a task's run rows (``run_id``, ``status``).
        timeseries: rows per run (and startup) and quarter with ``run_id``, ``quarter``, with
            several startups ``vendor``, and the :func:`timeseries_columns` (other columns are ignored).
        metrics: the outcomes.
        quarters: the runs' horizon (a run that never reaches the flywheel counts ``quarters + 1``).

    Returns:
        One row per successful run, indexed by ``run_id``, one column per outcome label.
    """
    ok = runs.loc[runs["status"] == "ok", "run_id"]
    keys = ["run_id", "quarter", *(["vendor"] if "vendor" in timeseries else [])]
    series = timeseries.loc[timeseries["run_id"].isin(ok), [*keys, *timeseries_columns(metrics)]].rename(
        columns={"run_id": "replication"})
    frame = pd.DataFrame(index=pd.Index(ok, name="run_id"))
    for metric in metrics:
        if _is_flywheel(metric):
            rows = series if metric.vendor is None else series[series["vendor"] == metric.vendor]
            frame[label(metric)] = flywheel_quarter(rows).reindex(frame.index).fillna(quarters + 1)
        else:
            frame[label(metric)] = reduce_metric(series, metric).reindex(frame.index)
    return frame
