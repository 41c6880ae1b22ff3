"""What every section of the validation report shares: settings, runs, statistics, tables, figures.

A section is a function of the :class:`Settings` that runs the model, measures, and
returns a :class:`Section`: its markdown blocks (tables and figure links, every number
measured in that run) and its :class:`Verdict` lines. Figures are drawn on
:class:`matplotlib.figure.Figure` objects without pyplot, so no display or global
state is involved; saving a PNG renders with the Agg backend.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

import sim
from sim.metrics import mean_interval

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
FIGURE_DIR = "validation"  # figures go to <out>/validation/, linked relative to the report
FIGURE_DPI = 72
HOLDS, WEAK, FAILS = "holds", "weak", "does not hold"

_started = time.perf_counter()


@dataclass(frozen=True)
class Settings:
    """Sizes of one report run.

    Attributes:
        out: where the report (``VALIDATION.md``) and its figure folder are written.
        quick: a smoke run at tiny sizes; its figures mean nothing.
        replications: replications of each scenario run and paired experiment.
        sensitivity_replications: replications of each point of a sensitivity scan.
        size_replications: replications at each market size.
        customers: market size forced on every scenario run (``None``: each scenario's own).
        size_factors: market sizes of the size-invariance section, as multiples of the baseline.
        size_quarters: horizon of the size-invariance runs (``None``: the baseline's).
    """

    out: Path
    quick: bool
    replications: int
    sensitivity_replications: int
    size_replications: int
    customers: int | None
    size_factors: tuple[int, ...]
    size_quarters: int | None

    @classmethod
    def full(cls, out: Path) -> Settings:
        """The sizes of the published report (about five minutes on two cores)."""
        return cls(out, False, replications=20, sensitivity_replications=10, size_replications=8, customers=None,
                   size_factors=(1, 4, 16), size_quarters=None)

    @classmethod
    def smoke(cls, out: Path) -> Settings:
        """Tiny sizes that exercise every section in well under a minute."""
        return cls(out, True, replications=2, sensitivity_replications=2, size_replications=2, customers=2000,
                   size_factors=(1, 2), size_quarters=4)

    def overrides(self, extra: dict | None = None) -> dict:
        """Scenario overrides: ``extra`` plus, in a smoke run, the tiny market size."""
        sized = {} if self.customers is None else {"market.customers": self.customers}
        return {**sized, **(extra or {})}


@dataclass(frozen=True)
class Verdict:
    """One claim and whether the measurements support it."""

    claim: str
    status: str  # HOLDS, WEAK or FAILS
    why: str

    def markdown(self) -> str:
        """The one-line verdict as it appears under a section's tables."""
        return f"**Verdict ({self.claim}): {self.status}** — {self.why}"


@dataclass
class Section:
    """A section of the report: its title, markdown blocks and verdicts."""

    title: str
    blocks: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)

    def add(self, *blocks: str) -> None:
        """Append markdown blocks (paragraphs, tables, figure links)."""
        self.blocks.extend(blocks)

    def judge(self, verdict: Verdict) -> None:
        """Append a verdict; it is printed where it is added and again in the summary."""
        self.verdicts.append(verdict)
        self.blocks.append(verdict.markdown())

    def markdown(self) -> str:
        """The section as markdown."""
        return "\n\n".join([f"## {self.title}", *self.blocks])


def progress(message: str) -> None:
    """Print a progress line with the time since the report started."""
    elapsed = time.perf_counter() - _started
    print(f"[{elapsed:6.0f} s] {message}", flush=True)


def elapsed_seconds() -> float:
    """Seconds since the report started."""
    return time.perf_counter() - _started


def scenario_path(name: str) -> Path:
    """The shipped scenario file ``scenarios/<name>.yaml``."""
    return SCENARIOS / f"{name}.yaml"


def run(source, settings: Settings, overrides: dict | None = None, replications: int | None = None,
        **kwargs) -> sim.RunResult:
    """Run a scenario (file or dict) at the report's sizes without writing anything."""
    return sim.run_scenario(source, settings.overrides(overrides), replications=replications or settings.replications,
                            write=False, progress=False, **kwargs)


def scenario_value(name: str, path: str):
    """The value at dotted key ``path`` of the shipped scenario ``name``, defaults filled in."""
    node = sim.load_scenario(scenario_path(name)).resolved()
    for part in path.split("."):
        node = node[part]
    return node


def at_quarter(quarterly: pd.DataFrame, column: str, quarter: int) -> pd.Series:
    """One value per replication: ``column`` in ``quarter``."""
    return quarterly.loc[quarterly["quarter"] == quarter].set_index("replication")[column]


def final(quarterly: pd.DataFrame, column: str) -> pd.Series:
    """One value per replication: ``column`` in the last quarter."""
    return at_quarter(quarterly, column, int(quarterly["quarter"].max()))


def interval(values) -> tuple[float, float, float]:
    """Mean and Student-t 95% interval across replications (NaNs dropped)."""
    return mean_interval(np.asarray(values, dtype=float))


def top_share(values, fraction: float = 0.2) -> float:
    """Share of the total held by the top ``fraction`` (at least one) of ``values``; NaN for a zero total."""
    x = np.sort(np.asarray(values, dtype=float))[::-1]
    total = x.sum()
    return float(x[: max(1, round(fraction * x.size))].sum() / total) if total > 0 else np.nan


def number(value: float, digits: int = 0) -> str:
    """A count or plain number: ``1,234`` (``n/a`` for NaN)."""
    return "n/a" if not np.isfinite(value) else f"{value:,.{digits}f}"


def percent(value: float, digits: int = 1) -> str:
    """A share as a percentage: ``12.3%``."""
    return "n/a" if not np.isfinite(value) else f"{100 * value:.{digits}f}%"


def money(value: float) -> str:
    """An amount: ``$1.23M``, ``$45.6K``, ``-$7``."""
    if not np.isfinite(value):
        return "n/a"
    sign, size = ("-" if value < 0 else ""), abs(value)
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if size >= scale:
            return f"{sign}${size / scale:,.3g}{unit}"
    return f"{sign}${size:,.0f}"


def with_interval(stats: tuple[float, float, float], show) -> str:
    """``mean [low, high]`` with each part formatted by ``show``."""
    mean, low, high = stats
    return f"{show(mean)} [{show(low)}, {show(high)}]"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def new_figure(width: float = 7.0, height: float = 3.0, panels: int = 1) -> tuple[Figure, list]:
    """A figure with ``panels`` side-by-side axes (no pyplot: nothing global)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for ax in axes:
        ax.grid(alpha=0.3)
    return fig, list(axes)


def save_figure(fig: Figure, settings: Settings, name: str, caption: str) -> str:
    """Save ``fig`` as ``<out>/validation/<name>.png`` and return its markdown link with a caption."""
    folder = settings.out / FIGURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.png", dpi=FIGURE_DPI, pil_kwargs={"optimize": True})
    return f"![{caption}]({FIGURE_DIR}/{name}.png)\n\n*{caption}*"


def band(ax, x, values: pd.DataFrame, label: str, color=None) -> None:
    """Plot the mean of ``values`` (columns: replications) over ``x`` with its 95% interval."""
    stats = np.array([interval(row) for row in values.to_numpy()])
    line, = ax.plot(x, stats[:, 0], label=label, color=color)
    ax.fill_between(x, stats[:, 1], stats[:, 2], alpha=0.25, color=line.get_color(), linewidth=0)
