"""How large a scenario may be: the schema's maxima and the memory a run needs before it starts.

A run's memory grows with its customers (their columns and the word-of-mouth graph),
with its partners' account books, and with its partners times its quarters (every
partner has a row per quarter in ``partners.parquet``). :func:`run_bytes` adds these
up from per-unit costs measured with ``benchmarks/`` (peak resident memory of runs at
several sizes, fitted per unit and rounded up), so a scenario that cannot fit is
refused before anything is built, with its size and the memory it would need
(:func:`check_memory`), instead of failing hours later with ``MemoryError``.

The schema's maxima (:data:`MAX_CUSTOMERS`, :data:`MAX_PARTNERS_PER_TYPE`) follow from
the same costs: each alone needs about 25 GiB, more than a workstation has, so
anything above them is a typo (``1e12``) rather than a plan. A sweep's design may
have at most :data:`MAX_POINTS` points unless a larger limit is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import ScenarioError

__all__ = ["MAX_POINTS", "MAX_CUSTOMERS", "MAX_PARTNERS_PER_TYPE", "MemoryNeed", "partner_count",
           "replication_bytes", "run_bytes", "available_bytes", "check_memory", "format_bytes"]

MiB = 2**20
GiB = 2**30

# Peak bytes, measured (benchmarks/README.md, "Memory"); each rounded up.
BASE_BYTES = 250 * MiB  # interpreter, numpy, pandas, pyarrow and the model's code
CUSTOMER_BYTES = 200  # one customer's columns and the build's temporaries
PEER_BYTES = 8  # one entry of the word-of-mouth graph (both directions are entries)
COVERAGE_BYTES = 32  # one account in a partner's book, while the books are built
PARTNER_QUARTER_BYTES = 600  # one partner in one quarter: the recorder's columns and the partner table
KEPT_ROW_BYTES = 250  # one row of a finished replication's partner table, kept until the run is written

# Points a sweep may have unless told otherwise (--max-points): every point is validated and planned in
# memory (about a kilobyte each) before anything runs, and 100,000 points of ten replications at M size
# are already some 50 core-hours.
MAX_POINTS = 100_000
MAX_CUSTOMERS = 100_000_000  # x (CUSTOMER_BYTES + 10 peers x PEER_BYTES): about 26 GiB
MAX_PARTNERS_PER_TYPE = 1_000_000  # x 40 quarters x PARTNER_QUARTER_BYTES: about 22 GiB


@dataclass(frozen=True)
class MemoryNeed:
    """The memory a run needs, and what drives it (for the message that refuses it)."""

    bytes: int
    customers: int
    partners: int
    quarters: int
    parallel: int
    kept_rows: int

    def describe(self) -> str:
        """E.g. ``10,000,000 customers, 100,000 partners x 40 quarters, 1 replication at a time``."""
        kept = f", {self.kept_rows:,} partner rows kept" if self.kept_rows else ""
        return (f"{self.customers:,} customers, {self.partners:,} partners x {self.quarters} quarters, "
                f"{self.parallel} replication{'s' if self.parallel > 1 else ''} at a time{kept}")


def _peers(scenario) -> int:
    """Entries of the word-of-mouth graph: none for ``complete`` (computed in O(N)) and ``none``."""
    wom = scenario.market.word_of_mouth
    return 0 if wom.graph in ("complete", "none") else scenario.market.customers * wom.mean_degree


def _accounts(scenario) -> int:
    """Expected entries of the partners' account books (a book holds at most every customer)."""
    customers = scenario.market.customers
    return sum(t.count * min(t.sellers * t.accounts_per_seller, customers)
               for t in scenario.partners.by_type().values())


def partner_count(scenario) -> int:
    """Partners of every type in the scenario's market."""
    return sum(t.count for t in scenario.partners.by_type().values())


def replication_bytes(scenario) -> int:
    """Peak bytes one replication adds to its process (the process itself not counted)."""
    return (scenario.market.customers * CUSTOMER_BYTES + _peers(scenario) * PEER_BYTES
            + _accounts(scenario) * COVERAGE_BYTES
            + partner_count(scenario) * scenario.simulation.quarters * PARTNER_QUARTER_BYTES)


def run_bytes(scenario, parallel: int = 1, keep_partners: bool = True) -> MemoryNeed:
    """The memory a run of every replication needs on this machine.

    Args:
        scenario: a validated :class:`sim.scenario.Scenario`.
        parallel: replications running at once (each in its own process when more than one).
        keep_partners: whether every replication's partner table is kept until the end
            (``ecosim run``; a sweep keeps only metrics).
    """
    partners, quarters = partner_count(scenario), scenario.simulation.quarters
    kept = scenario.simulation.replications * partners * quarters if keep_partners else 0
    processes = parallel + (parallel > 1)  # a pool's workers and the process that collects their tables
    total = processes * BASE_BYTES + parallel * replication_bytes(scenario) + kept * KEPT_ROW_BYTES
    return MemoryNeed(total, scenario.market.customers, partners, quarters, parallel, kept)


def available_bytes() -> int:
    """Memory the machine can give a new run now (free plus reclaimable caches)."""
    import psutil

    return psutil.virtual_memory().available


def format_bytes(n: float) -> str:
    """Bytes in GiB (or MiB below one GiB), e.g. ``7.3 GiB``."""
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.0f} MiB"


def check_memory(need: MemoryNeed, what: str) -> None:
    """Refuse a run that would not fit in the memory available now.

    Raises:
        ScenarioError: naming the run's size, the memory it needs and what is available.
    """
    free = available_bytes()
    if need.bytes > free:
        raise ScenarioError(f"{what}: needs about {format_bytes(need.bytes)} of memory ({need.describe()}), but "
                            f"{format_bytes(free)} is available; run fewer customers, partners, quarters or "
                            "replications at once (or fewer --workers)")
