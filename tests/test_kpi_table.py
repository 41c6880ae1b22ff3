"""docs/MODEL.md names every column of quarterly.parquet, with its unit (the names a calibration history uses)."""

import re

from conftest import ROOT, small

import sim
from sim.agents import STATES


def documented() -> set[str]:
    text = (ROOT / "docs" / "MODEL.md").read_text()
    section = text.split("## The quarterly KPIs", 1)[1].split("\n## ", 1)[0]
    names = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([a-z_<>]+)`", row.split("|")[1]))
    return names


def test_every_quarterly_column_is_documented():
    scenario = small(program={"preset": "mature_hybrid"})
    columns = set(sim.run_scenario(scenario, replications=1, quarters=2, write=False, progress=False).quarterly.columns)
    names = documented()
    expanded = names | {f"partners_{s}" for s in STATES} | {c for c in columns if c.startswith("tier_")}
    assert "tier_<name>" in names and "partners_<state>" in names
    assert columns <= expanded, f"undocumented: {sorted(columns - expanded)}"
    assert not {n for n in names if "<" not in n} - columns, "documented but not recorded"
