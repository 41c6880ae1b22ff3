"""Golden outputs: the shipped scenarios and experiments give the recorded results.

This is the regression guard of refactoring: the content of every result table of
every shipped scenario (and every compare experiment's arms) at a small size must
hash to what ``tests/golden.json`` records. A change meant to move results
regenerates it (``python tests/golden.py``) in the same commit and says why.
"""

import json

import pandas as pd
import pytest
from golden import GOLDEN_FILE, canonical_hash, current_hashes


@pytest.fixture(scope="module")
def hashes():
    return current_hashes()


def test_every_table_matches_its_golden_hash(hashes):
    golden = json.loads(GOLDEN_FILE.read_text())
    changed = sorted(k for k in set(golden) | set(hashes) if golden.get(k) != hashes.get(k))
    assert not changed, "results moved (regenerate with python tests/golden.py only if on purpose): " + \
        ", ".join(changed)


def test_golden_covers_every_shipped_file(hashes):
    assert any(k.startswith("scenarios/baseline.yaml:partners") for k in hashes)
    assert any(k.startswith("experiments/") and k.endswith(":comparison") for k in hashes)


def test_canonical_hash_sees_content_not_layout():
    a = pd.DataFrame({"quarter": [2, 1], "x": [0.1 + 0.2, -0.0], "s": ["a", None]})
    reordered = a[["s", "x", "quarter"]].iloc[::-1]
    assert canonical_hash(a) == canonical_hash(reordered)
    assert canonical_hash(a) == canonical_hash(a.assign(x=[0.3, 0.0]))  # last-bit differences
    assert canonical_hash(a) != canonical_hash(a.assign(x=[0.3001, 0.0]))
    assert canonical_hash(a) != canonical_hash(a.assign(s=["a", ""]))  # missing is not empty
