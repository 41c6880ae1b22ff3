"""Golden outputs: a hash of the canonical content of every result table of the shipped files.

Each shipped scenario runs at a small size, and each shipped compare experiment runs its
arms at a small size; the content of every table they produce (quarterly, partners,
summary; per-arm summaries, values and the comparison) is reduced to a sha256 of a
canonical text form. ``tests/golden.json`` keeps the hashes; ``tests/test_golden.py``
checks them.

A change that is meant to move results regenerates the file in the same commit and
says why in the commit message::

    python tests/golden.py            # rewrite tests/golden.json
    python tests/golden.py --check    # print what differs, change nothing

Canonical form: columns in name order, rows in their key order, floats to 10
significant digits (so a harmless reordering of a sum does not count as a change),
missing values as ``<NA>`` (distinct from an empty string).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDEN_FILE = Path(__file__).with_name("golden.json")
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
KEYS = ("arm", "replication", "quarter", "vendor", "partner_id", "metric", "statistic")
SMALL = {"replications": 2, "quarters": 10, "customers": 4000}
SMALL_EXPERIMENT = {"replications": 3, "quarters": 6, "customers": 2000}


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "<NA>"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value) + 0.0:.10g}"  # + 0.0: -0.0 and 0.0 are one value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def canonical_hash(frame: pd.DataFrame) -> str:
    """sha256 of a table's content in canonical text form (see the module docstring)."""
    columns = sorted(frame.columns)
    keys = [k for k in KEYS if k in frame.columns]
    ordered = frame.sort_values(keys, kind="stable") if keys else frame
    digest = hashlib.sha256("\t".join(columns).encode())
    for row in ordered[columns].itertuples(index=False, name=None):
        digest.update(("\n" + "\t".join(_cell(v) for v in row)).encode())
    return digest.hexdigest()


def _scenario_tables(path: Path) -> dict[str, pd.DataFrame]:
    import sim

    customers = min(sim.load_scenario(path).market.customers, SMALL["customers"])
    result = sim.run_scenario(path, {"market.customers": customers}, replications=SMALL["replications"],
                              quarters=SMALL["quarters"], write=False, progress=False)
    return {"quarterly": result.quarterly, "partners": result.partners, "summary": result.summary}


def compare_experiments() -> list[Path]:
    """The shipped experiment files of kind ``compare``."""
    files = sorted((ROOT / "experiments").glob("*.yaml"))
    return [f for f in files if yaml.safe_load(f.read_text()).get("kind") == "compare"]


def _experiment_tables(path: Path) -> dict[str, pd.DataFrame]:
    import sim

    data = yaml.safe_load(path.read_text())
    for holder in (data, *data["arms"]):  # the base and the arms' own scenarios, read from the file's folder
        if isinstance(holder.get("scenario"), str):
            holder["scenario"] = str((path.parent / holder["scenario"]).resolve())
    data["set"] = {**data.get("set", {}), "market.customers": SMALL_EXPERIMENT["customers"]}
    result = sim.compare(data, replications=SMALL_EXPERIMENT["replications"], seed=data.get("seed", 0),
                         quarters=SMALL_EXPERIMENT["quarters"], write=False, progress=False)
    tables = {"comparison": result.comparison, "values": result.values}
    tables.update({f"{arm}.summary": run.summary for arm, run in result.runs.items()})
    return tables


def current_hashes() -> dict[str, str]:
    """Hashes of every golden table as the code now computes them."""
    hashes = {}
    for path in SCENARIOS:
        for table, frame in _scenario_tables(path).items():
            hashes[f"scenarios/{path.name}:{table}"] = canonical_hash(frame)
    for path in compare_experiments():
        for table, frame in _experiment_tables(path).items():
            hashes[f"experiments/{path.name}:{table}"] = canonical_hash(frame)
    return hashes


def main(argv: list[str]) -> int:
    """Rewrite ``tests/golden.json`` (or, with ``--check``, list what differs)."""
    hashes = current_hashes()
    if "--check" in argv:
        golden = json.loads(GOLDEN_FILE.read_text())
        changed = sorted(k for k in set(golden) | set(hashes) if golden.get(k) != hashes.get(k))
        print("\n".join(changed) or "all golden hashes match")
        return 1 if changed else 0
    GOLDEN_FILE.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(hashes)} hashes to {GOLDEN_FILE}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
