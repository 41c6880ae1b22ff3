"""A company's own quarterly history: the KPIs a calibration fits the model to.

The history is a CSV file with a ``quarter`` column and any of the columns of
``quarterly.parquet`` (their names and units: ``docs/MODEL.md``, "The quarterly
KPIs"), one row per quarter, gaps allowed (empty cells)::

    # ACME's board reporting, quarters since the roster's as_of date
    quarter,customers,partners_partnered,revenue_partner_sourced
    1,41,14,
    2,88,17,120000
    3,135,,180000

Quarter 1 is the simulation's first quarter. Quarters are whole numbers from 1 up,
increasing, each once, and not beyond the scenario's horizon; values are numbers, not
negative (except ``vendor_net_revenue``, which can be). Lines starting with ``#`` are
comments.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.csvfile import read_csv
from sim.errors import ScenarioError

__all__ = ["History", "read_history", "SIGNED"]

SIGNED = frozenset({"vendor_net_revenue"})  # metrics that can be negative


@dataclass(frozen=True)
class History:
    """Observed KPIs: one row per observed quarter (the index), one column per KPI, NaN in the gaps."""

    path: Path
    frame: pd.DataFrame

    @property
    def last_quarter(self) -> int:
        """The last observed quarter."""
        return int(self.frame.index.max())

    def observed(self, kpi: str) -> pd.Series:
        """A KPI's observed values, without its gaps."""
        return self.frame[kpi].dropna()


def read_history(path: str | Path, recorded: list[str], quarters: int) -> History:
    """Read and check a history CSV against the metrics a run records and the scenario's horizon.

    Args:
        path: the CSV file.
        recorded: the quarterly columns runs of the scenario record
            (:func:`sim.experiments.probe.recorded_metrics`).
        quarters: the scenario's horizon (``simulation.quarters``).

    Raises:
        ScenarioError: naming the file, line, column, bad value and what is allowed.
    """
    table = read_csv(path, "history")
    if "quarter" not in table.header:
        raise ScenarioError(f"{table.path}: no 'quarter' column; a history has a quarter column (1 = the first "
                            "simulated quarter) and columns of quarterly.parquet")
    kpis = [c for c in table.header if c != "quarter"]
    for column in kpis:
        if column not in recorded:
            guess = difflib.get_close_matches(column, recorded, n=1, cutoff=0.6)
            hint = f" Did you mean '{guess[0]}'?" if guess else ""
            raise ScenarioError(f"{table.path}: unknown column '{column}'.{hint} Known columns (quarterly.parquet, "
                                f"docs/MODEL.md): quarter, {', '.join(sorted(recorded))}")
    if not kpis:
        raise ScenarioError(f"{table.path}: only a quarter column; add the KPIs to fit (columns of quarterly.parquet)")
    if not table.rows:
        raise ScenarioError(f"{table.path}: a header but no quarters")
    index, rows, previous = [], [], 0
    for line, cells in table.rows:
        quarter = _quarter(cells["quarter"], table.where(line, "quarter"))
        if quarter <= previous:
            what = "repeats" if quarter == previous else "comes after"
            raise ScenarioError(f"{table.where(line, 'quarter')}: quarter {quarter} {what} quarter {previous}; "
                                "quarters must increase, each once")
        if quarter > quarters:
            raise ScenarioError(f"{table.where(line, 'quarter')}: quarter {quarter} is beyond the scenario's "
                                f"{quarters} quarters (simulation.quarters); the history may not be longer than the "
                                "simulation")
        previous = quarter
        index.append(quarter)
        rows.append([_value(cells[k], k, table.where(line, k)) for k in kpis])
    frame = pd.DataFrame(rows, index=pd.Index(index, name="quarter"), columns=kpis, dtype=float)
    empty = [k for k in kpis if frame[k].isna().all()]
    if empty:
        raise ScenarioError(f"{table.path}: column '{empty[0]}' has no values; remove it or fill it in")
    return History(table.path, frame)


def _quarter(text: str, where: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{where}: {text!r} is not a quarter; quarters are whole numbers from 1") from None
    if not value.is_integer() or value < 1:
        raise ScenarioError(f"{where}: {text!r} is not a quarter; quarters are whole numbers from 1")
    return int(value)


def _value(text: str, kpi: str, where: str) -> float:
    if text == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{where}: {text!r} is not a number; a value is a number, or empty for a gap") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: {text!r} is not a finite number; leave the cell empty for a gap")
    if value < 0 and kpi not in SIGNED:
        raise ScenarioError(f"{where}: {text!r} is negative; {kpi} is never negative")
    return value
