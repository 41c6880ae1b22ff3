"""A company's partner roster (partners.roster): its partners start on board with their ids, types and tiers."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT

import sim
from sim.cli import main
from sim.model import EcosystemModel
from sim.roster import tenure_quarters
from sim.runner import replication_rng

HEADER = "partner_id,partner_type,tier,recruited,sellers,accounts\n"
ROSTER = HEADER + (
    "V-1,var,gold,2023-03-15,6,\n"       # three years in: certified, in the top tier
    "V-2,var,,2025Q4,,\n"                # one quarter in: still onboarding (VARs ramp two quarters)
    "S-1,regional_si,silver,2025-06-01,,90\n"  # two quarters in: enabled, certifying
    "R-1,reseller,,2025-12-31,3,\n"      # joined yesterday: onboarding
)
SCENARIO = """\
name: with_roster
simulation: {quarters: 3, replications: 2, seed: 3}
market: {customers: 1500}
program:
  tiers:
    - {name: registered}
    - {name: silver, min_score: 0.5}
    - {name: gold, min_score: 0.7, requires_certification: true, margin_bonus: 0.05}
partners:
  roster: {file: roster.csv, as_of: 2026-01-01}
  var: {count: 12}
  regional_si: {count: 4}
  reseller: {count: 10}
"""


def write_case(folder: Path, roster: str = ROSTER, scenario: str = SCENARIO) -> Path:
    (folder / "roster.csv").write_text(roster)
    path = folder / "scenario.yaml"
    path.write_text(scenario)
    return path


def test_roster_partners_are_in_the_partner_table_with_their_ids_types_and_tiers_at_quarter_1(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(write_case(tmp_path)), "--out", str(out)]) == 0
    partners = pd.read_parquet(out / "partners.parquet")
    first = partners[(partners["quarter"] == 1) & partners["roster_id"].notna()].set_index(["replication", "roster_id"])
    for replication in (0, 1):
        rows = first.loc[replication]
        assert rows["partner_type"].to_dict() == {"V-1": "var", "V-2": "var", "S-1": "regional_si", "R-1": "reseller"}
        assert rows["tier"].to_dict() == {"V-1": "gold", "V-2": "registered", "S-1": "silver", "R-1": "registered"}
        assert set(rows["state"]) <= {"onboarding", "enabled", "certified", "active"}  # all in the program
    assert partners["roster_id"].notna().sum() == 4 * 3 * 2  # only the roster's partners carry a roster id


def test_roster_partners_take_the_first_slots_of_their_type_and_their_sizes(tmp_path):
    scenario = sim.load_scenario(write_case(tmp_path))
    model = EcosystemModel(scenario, rng=replication_rng(3, 0))
    p = model.population
    placed = {rid: i for i, rid in enumerate(p.roster_id) if rid is not None}
    assert list(p.type_names[[placed["V-1"], placed["V-2"]]]) == ["var", "var"]
    assert placed["V-1"] < placed["V-2"]  # roster order within a type
    assert p.sellers[placed["V-1"]] == 6 and p.accounts[placed["S-1"]] == 90
    assert p.book_value[placed["S-1"]] == pytest.approx(90 * p.reach[placed["S-1"]])
    v = model.partners
    assert v.certified[placed["V-1"]] and not v.certified[placed["S-1"]]
    assert v.cert_left[placed["S-1"]] == 2  # ramp 2 + certification 2 - tenure 2
    assert v.ramp_left[placed["V-2"]] == 1 and v.ramp_left[placed["R-1"]] == 1
    assert model.vendor.tiers.names[model.vendor.tiers.tier[placed["V-1"]]] == "gold"


def test_a_roster_seeds_the_start_instead_of_initial_partners(tmp_path):
    with_roster = sim.run_scenario(write_case(tmp_path), write=False, progress=False).quarterly
    without = write_case(tmp_path, scenario=SCENARIO.replace("  roster: {file: roster.csv, as_of: 2026-01-01}\n", ""))
    drawn = sim.run_scenario(without, write=False, progress=False).quarterly
    assert (with_roster.groupby("quarter")["partners_partnered"].mean().iloc[0]
            > drawn.groupby("quarter")["partners_partnered"].mean().iloc[0])


def test_the_resolved_scenario_holds_the_rosters_rows(tmp_path):
    resolved = sim.load_scenario(write_case(tmp_path)).resolved()
    roster = resolved["partners"]["roster"]
    assert roster["file"] == "roster.csv" and len(roster["partners"]) == 4
    assert roster["partners"][1]["recruited"] == "2025-10-01"  # 2025Q4: its first day
    (tmp_path / "roster.csv").unlink()  # the resolved scenario needs the file no more
    assert sim.Scenario.model_validate(resolved).resolved() == resolved


@pytest.mark.parametrize(("recruited", "as_of", "quarters"), [
    (date(2025, 7, 1), date(2026, 1, 1), 2), (date(2025, 7, 2), date(2026, 1, 1), 1),
    (date(2026, 1, 1), date(2026, 1, 1), 0), (date(2023, 3, 15), date(2026, 1, 1), 11)])
def test_tenure_counts_whole_quarters(recruited, as_of, quarters):
    assert tenure_quarters(recruited, as_of) == quarters


def test_the_shipped_roster_scenario_runs_from_its_roster():
    result = sim.run_scenario(ROOT / "scenarios" / "history" / "company.yaml", replications=1, quarters=2,
                              write=False, progress=False)
    first = result.partners[result.partners["quarter"] == 1]
    assert first["roster_id"].notna().sum() == 10
    assert (first.loc[first["roster_id"] == "P-1001", "tier"] == "gold").all()


BAD_ROSTERS = {
    "unknown partner type": (HEADER + "V-1,vr,,2024-01-01,,\n",
                             ["roster.csv: line 2, column partner_type", "'vr'", "'var'", "'regional_si'"]),
    "missing required column": ("partner_id,tier,recruited\nV-1,,2024-01-01\n",
                                ["roster.csv", "missing required column(s) partner_type",
                                 "required: partner_id, partner_type, recruited"]),
    "duplicate partner ids": (HEADER + "V-1,var,,2024-01-01,,\nV-2,var,,2024-01-01,,\nV-1,reseller,,2024-02-01,,\n",
                              ["roster.csv: line 4, column partner_id", "'V-1' is already listed on line 2",
                               "unique"]),
    "bad date": (HEADER + "V-1,var,,2024-13-45,,\n", ["roster.csv: line 2, column recruited", "'2024-13-45'",
                                                     "valid date"]),
    "bad quarter": (HEADER + "V-1,var,,2024Q5,,\n", ["roster.csv: line 2, column recruited", "'2024Q5'"]),
    "empty required cell": (HEADER + "V-1,,,2024-01-01,,\n", ["roster.csv: line 2, column partner_type",
                                                             "empty, but required"]),
    "negative sellers": (HEADER + "V-1,var,,2024-01-01,-2,\n", ["roster.csv: line 2, column sellers", "'-2'",
                                                               "greater than or equal to 0"]),
    "unknown column": ("partner_id,partner_type,recruited,region\nV-1,var,2024-01-01,west\n",
                       ["roster.csv", "unknown column 'region'", "allowed: partner_id"]),
    "ragged row": (HEADER + "V-1,var,,2024-01-01\n", ["roster.csv: line 2", "4 cells", "6 columns"]),
    "unknown tier": (HEADER + "V-1,var,platinum,2024-01-01,,\n", ["partner 'V-1'", "tier 'platinum'",
                                                                  "registered, silver, gold"]),
    "recruited after as_of": (HEADER + "V-1,var,,2026-03-01,,\n", ["'V-1' was recruited 2026-03-01",
                                                                    "after the roster's as_of 2026-01-01"]),
    "more partners than the pool": (HEADER + "".join(f"R-{i},reseller,,2024-01-01,,\n" for i in range(11)),
                                    ["11 reseller partners", "partners.reseller.count is 10"]),
    "no partners": (HEADER, ["roster.csv", "no partners"]),
}


@pytest.mark.parametrize("case", BAD_ROSTERS, ids=list(BAD_ROSTERS))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_roster_is_refused_with_file_line_and_column(tmp_path, capsys, case, command):
    roster, expected = BAD_ROSTERS[case]
    path = write_case(tmp_path, roster)
    out = tmp_path / "out"
    code = main([command, str(path), *(["--out", str(out)] if command == "run" else [])])
    err = capsys.readouterr().err
    assert code == 2
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


@pytest.mark.parametrize(("scenario", "expected"), [
    (SCENARIO.replace("var: {count: 12}", "var: {count: 12, initial: 2}"),
     ["set partners.<type>.initial to 0", "'var': 2"]),
    (SCENARIO.replace("file: roster.csv", "file: missing.csv"), ["missing.csv: partner roster file not found"]),
    (SCENARIO.replace(", as_of: 2026-01-01", ""), ["partners.roster.as_of"]),
])
def test_bad_roster_settings_are_refused(tmp_path, capsys, scenario, expected):
    code = main(["validate", str(write_case(tmp_path, scenario=scenario))])
    err = capsys.readouterr().err
    assert code == 2
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in {err!r}"


def test_a_roster_belongs_to_a_one_startup_scenario(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER)
    data = yaml.safe_load((ROOT / "scenarios" / "two_startups.yaml").read_text())
    data.setdefault("partners", {})["roster"] = {"file": "roster.csv", "as_of": "2026-01-01"}
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["validate", str(path)]) == 2
    assert "vendors[].initial_partners" in capsys.readouterr().err
