"""Reading the CSV files users bring (a partner roster, a KPI history) with the line of every row.

Light on purpose (the standard library only): ``ecosim validate`` reads a scenario's
roster through it before anything heavy is loaded. Lines starting with ``#`` are
comments (a file says where it came from in a header comment) and blank lines are
skipped; every other line is a row of the header's columns. Messages name the file
and the line, so a user can find the cell.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sim.errors import ScenarioError

__all__ = ["CsvTable", "read_csv"]


@dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and rows, each row with its line number in the file (1-based)."""

    path: Path
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]

    def where(self, line: int, column: str | None = None) -> str:
        """``<file>: line N, column C``: the start of a message about one cell (or one line)."""
        return f"{self.path}: line {line}" + (f", column {column}" if column else "")


def read_csv(path: str | Path, kind: str) -> CsvTable:
    """Read a comma-separated file with a header line; cells are stripped of surrounding spaces.

    Args:
        path: the file.
        kind: what the file is (``"partner roster"``), for messages.

    Raises:
        ScenarioError: a missing or unreadable file, no header, an empty or repeated
            column name, or a row with more or fewer cells than the header.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: {kind} file not found" if not path.exists() else
                            f"{path}: not a file, expected a CSV {kind}")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected a UTF-8 CSV {kind})") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        raise ScenarioError(f"{path}: empty {kind}: expected a header line and rows")
    parsed = csv.reader([line for _, line in numbered])
    header_line = numbered[0][0]
    header = tuple(cell.strip() for cell in next(parsed))
    for i, name in enumerate(header):
        if not name:
            raise ScenarioError(f"{path}: line {header_line}: column {i + 1} of the header has no name")
        if name in header[:i]:
            raise ScenarioError(f"{path}: line {header_line}: column '{name}' appears twice in the header")
    rows = []
    for (line, _), cells in zip(numbered[1:], parsed, strict=True):
        if len(cells) != len(header):
            raise ScenarioError(f"{path}: line {line}: {len(cells)} cells, but the header has {len(header)} "
                                f"columns ({', '.join(header)})")
        rows.append((line, {name: cell.strip() for name, cell in zip(header, cells, strict=True)}))
    return CsvTable(path, header, tuple(rows))
