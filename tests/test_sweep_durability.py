"""Sweep parts are durable, and resume checks every part it is about to trust."""

import json
import os

import pandas as pd
import pytest
from test_sweep_run import GRID, _interrupt_after, reference, table, write  # noqa: F401 - the fixture

import sim
from sim.experiments import SweepInterrupted
from sim.experiments.store import LEDGER


def test_damaged_parts_are_run_again_on_resume(reference, tmp_path, monkeypatch):  # noqa: F811
    path = write(tmp_path, GRID)
    _interrupt_after(monkeypatch, 4, KeyboardInterrupt)
    with pytest.raises(SweepInterrupted, match="12 of 24 runs are kept"):
        sim.sweep(path, executor="serial", batch_size=3, out=tmp_path / "out", progress=False)
    monkeypatch.undo()
    work = tmp_path / ".out.partial"
    entries = [json.loads(line) for line in (work / "ledger.jsonl").read_text().splitlines()]
    (work / "parts" / entries[0]["part"]).write_bytes(b"")  # what a power cut leaves
    damaged = work / "parts" / entries[1]["part"]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the data
    damaged.write_bytes(bytes(data))
    (work / "parts" / entries[2]["timeseries"]).write_bytes(b"PAR1")  # a timeseries part cut short

    result = sim.sweep(path, executor="serial", out=tmp_path / "out", resume=True, progress=False)
    assert result.manifest["sessions"][-1]["runs_done"] == 24 - 3  # three of the four tasks ran again
    pd.testing.assert_frame_equal(table(tmp_path / "out"), table(reference))
    pd.testing.assert_frame_equal(table(tmp_path / "out", "timeseries.parquet"), table(reference, "timeseries.parquet"))


def test_a_part_is_flushed_to_disk_before_the_ledger_names_it(tmp_path, monkeypatch):

    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    sim.sweep({**GRID, "cases": {}}, executor="serial", batch_size=100, out=tmp_path / "out", progress=False)
    parts = tmp_path / ".out.partial" / "parts"
    part = str(parts / "runs-000000000.parquet")
    ledger = str(tmp_path / ".out.partial" / LEDGER)
    order = [e for e in events if e[1] in (part + ".tmp", part, str(parts), ledger)]
    assert order[:3] == [("fsync", part + ".tmp"), ("rename", part), ("fsync", str(parts))]
    assert ("fsync", ledger) in order[3:]
