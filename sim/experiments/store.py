"""Where a sweep keeps its finished runs until it is complete.

A sweep writes into a work directory next to its destination,
``<parent>/.<name>.partial/``; creating it with one atomic ``mkdir`` claims the
destination (:func:`sim.common.claim_directory`), so two sweeps never share one. Each
finished task becomes one Parquet part (and one timeseries part if asked), written to
a temporary name, fsynced and renamed, its directory fsynced, and only then one line
in ``ledger.jsonl`` naming the part, its run ids, its rows and its sha256. Only
parts named in the ledger count, so a crash between writing a part and recording it
loses nothing but that task. ``--resume`` reopens the work directory, checks every
part the ledger names (present, the same sha256, readable, the rows recorded) and
skips the runs of the sound ones; a damaged part's runs are run again.

When every run is done, the result files are written into ``<work>/final`` and that
directory is renamed to the destination, so a result directory only ever appears
complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from sim.common import atomic_directory, atomic_file, claim_directory, staging_dir, write_json
from sim.errors import ScenarioError

__all__ = ["SweepStore", "work_dir"]

PLAN = "plan.json"
LEDGER = "ledger.jsonl"


def work_dir(target: Path) -> Path:
    """The work directory of a sweep whose results go to ``target`` (its claim)."""
    return staging_dir(target)


class SweepStore:
    """The work directory of one sweep: its plan, parts and ledger."""

    def __init__(self, target: Path, plan: dict, temporary: bool = False):
        self.target = Path(target)
        self.work = work_dir(self.target)
        self.plan = plan
        self.temporary = temporary
        self.entries: list[dict] = []

    # ------------------------------------------------------------------ opening
    @classmethod
    def create(cls, target: Path, plan: dict, temporary: bool = False, unique: bool = False) -> SweepStore:
        """Start a new sweep's work directory; refuse to overwrite results or an interrupted sweep.

        Args:
            target: the result directory.
            plan: the sweep's plan (``plan.json``).
            temporary: the store lives in a directory of its own that :meth:`discard` removes.
            unique: ``target`` is a default name: take the first free one of ``target``,
                ``target-2``, ... (:func:`sim.common.claim_directory`).
        """
        if not unique and work_dir(Path(target)).exists():
            raise ScenarioError(f"{work_dir(Path(target))}: an interrupted sweep is already there; rerun with "
                                "--resume to finish it, or delete that directory to start over")
        store = cls(claim_directory(Path(target), unique=unique), plan, temporary)
        (store.work / "parts").mkdir()
        write_json(store.work / PLAN, plan)
        return store

    @classmethod
    def resume(cls, target: Path, plan: dict) -> SweepStore:
        """Reopen an interrupted sweep's work directory; its plan must match this sweep's."""
        store = cls(target, plan)
        if store.target.exists() and any(store.target.iterdir()):
            raise ScenarioError(f"{store.target}: this sweep is already complete")
        if not (store.work / PLAN).is_file():
            raise ScenarioError(f"--resume: no interrupted sweep at {store.work}")
        saved = json.loads((store.work / PLAN).read_text())
        if saved.get("fingerprint") != plan["fingerprint"]:
            raise ScenarioError(f"--resume: the interrupted sweep in {store.work} was started from a different "
                                "sweep file or scenario; run without --resume, or give a new --out")
        store.plan = {**saved, "sessions": saved.get("sessions", [])}
        store.entries = _read_ledger(store.work / LEDGER, store.work / "parts")
        _write_lines(store.work / LEDGER, store.entries)  # drop a torn last line and damaged parts before appending
        return store

    @staticmethod
    def find_interrupted(parent: Path, fingerprint: str) -> Path | None:
        """The destination of the newest interrupted sweep under ``parent`` with this fingerprint."""
        found = []
        for plan_file in Path(parent).glob(f".*.partial/{PLAN}"):
            try:
                plan = json.loads(plan_file.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            if plan.get("fingerprint") == fingerprint:
                found.append((plan_file.stat().st_mtime, plan_file.parent))
        if not found:
            return None
        work = max(found)[1]
        return work.parent / work.name[1:-len(".partial")]

    # ------------------------------------------------------------------ progress
    def completed(self) -> set[int]:
        """Run ids already persisted (finished or failed)."""
        return {run_id for entry in self.entries for run_id in entry["runs"]}

    def save(self, runs: pd.DataFrame, timeseries: pd.DataFrame | None, **record) -> None:
        """Persist one finished task: its part(s), durably, then its ledger line."""
        first = int(runs["run_id"].min())
        entry = {"part": f"runs-{first:09d}.parquet", "runs": runs["run_id"].tolist(), **record}
        entry["files"] = {entry["part"]: _write_parquet(runs, self.work / "parts" / entry["part"])}
        if timeseries is not None:
            entry["timeseries"] = f"timeseries-{first:09d}.parquet"
            entry["files"][entry["timeseries"]] = _write_parquet(timeseries, self.work / "parts" / entry["timeseries"])
        with open(self.work / LEDGER, "a", encoding="utf-8") as ledger:
            ledger.write(json.dumps(entry) + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
        self.entries.append(entry)

    def record_session(self, session: dict) -> None:
        """Add one execution session (executor, workers, runs, times) to the plan."""
        self.plan.setdefault("sessions", []).append(session)
        write_json(self.work / PLAN, self.plan)

    def load(self, key: str = "part") -> pd.DataFrame | None:
        """The union of the persisted parts (``part`` for runs, ``timeseries``)."""
        files = [self.work / "parts" / e[key] for e in self.entries if key in e]
        if not files:
            return None
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

    # ------------------------------------------------------------------ finishing
    def finalize(self, writers: dict[str, Callable[[Path], None]]) -> Path:
        """Write the result files and move them to the destination in one rename."""
        with atomic_directory(self.target, staging=self.work / "final") as final:
            for name, write in writers.items():
                write(final / name)
        shutil.rmtree(self.work, ignore_errors=True)
        return self.target

    def discard(self) -> None:
        """Remove the work directory (and a temporary store's own directory)."""
        shutil.rmtree(self.target.parent if self.temporary else self.work, ignore_errors=True)


def _write_parquet(frame: pd.DataFrame, path: Path) -> dict:
    """Write a part durably (:func:`sim.common.atomic_file`); return its rows and sha256 for the ledger."""
    with atomic_file(path) as tmp:
        frame.to_parquet(tmp, index=False)
        digest = _sha256(tmp)
    return {"rows": len(frame), "sha256": digest}


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _sound(path: Path, expected: dict) -> bool:
    """Whether a part is as the ledger recorded it: present, the same bytes, readable, its rows."""
    try:
        return (_sha256(path) == expected["sha256"]
                and pq.read_table(path).num_rows == expected["rows"])
    except (OSError, pyarrow.ArrowException):
        return False


def _write_lines(path: Path, entries: list[dict]) -> None:
    with atomic_file(path) as tmp:
        tmp.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")


def _read_ledger(path: Path, parts: Path) -> list[dict]:
    """Ledger entries whose parts are sound (:func:`_sound`); a torn last line (a crash mid-write) is ignored.

    A damaged part (cut short by a power cut, overwritten, unreadable) is deleted and
    its entry dropped, so its runs are run again rather than trusted.
    """
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        files = entry.get("files") or {}  # none: written before parts were checked, so not trusted
        if files and all(_sound(parts / name, expected) for name, expected in files.items()):
            entries.append(entry)
        else:
            for name in files:
                (parts / name).unlink(missing_ok=True)
    return entries
