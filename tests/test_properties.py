"""Property-based tests: random valid scenarios keep every identity; random invalid input is refused cleanly.

Quick by default (a fixed set of examples, well under a minute); ``ECOSIM_HYPOTHESIS=thorough``
runs hundreds of random examples (profiles in ``conftest.py``).
"""

import os
import tempfile
from contextlib import chdir
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.partner_types import PARTNER_TYPES
from sim.presets import PRESETS

GRAPHS = ("complete", "small_world", "scale_free", "random", "none")
RULES = ("first_registered", "partner_preferred", "direct_preferred")


@st.composite
def partner_type(draw) -> dict:
    count = draw(st.integers(0, 25))
    return {"count": count, "initial": draw(st.integers(0, count)),
            "margin": draw(st.floats(0.0, 0.6)), "ramp_quarters": draw(st.integers(0, 3))}


@st.composite
def scenarios(draw) -> dict:
    """A small valid scenario: every partner type, a preset or none, a rule, a graph kind."""
    program = {"deal_registration": draw(st.sampled_from(RULES))}
    preset = draw(st.none() | st.sampled_from(sorted(PRESETS)))
    if preset is not None:
        program["preset"] = preset
    return {
        "name": "prop",
        "simulation": {"quarters": draw(st.integers(1, 6)), "replications": 1,
                       "seed": draw(st.integers(0, 2**63 - 1))},
        "market": {"customers": draw(st.integers(10, 1500)), "churn": draw(st.booleans()),
                   "word_of_mouth": {"graph": draw(st.sampled_from(GRAPHS)), "mean_degree": draw(st.integers(2, 12))},
                   "adoption": {"innovation": draw(st.floats(0.0, 0.2)), "imitation": draw(st.floats(0.0, 0.8))}},
        "vendor": {"stage": draw(st.integers(1, 3)), "partner_managers": draw(st.integers(0, 5))},
        "partners": {t: draw(partner_type()) for t in PARTNER_TYPES},
        "program": program,
    }


@given(scenarios())
def test_random_valid_scenarios_keep_every_identity_every_quarter(content):
    q = sim.run_scenario(content, write=False, progress=False).quarterly
    assert len(q) == content["simulation"]["quarters"]
    np.testing.assert_allclose(q["revenue"], q["vendor_net_revenue"] + q["partner_payouts"], rtol=1e-9, atol=1e-6)
    sources = q[["revenue_direct", "revenue_partner_sourced", "revenue_partner_influenced", "revenue_marketplace"]]
    np.testing.assert_allclose(sources.sum(axis=1), q["revenue"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(q["program_cost"], q["partner_payouts"] + q["mdf_spend"] + q["enablement_spend"],
                               rtol=1e-9, atol=1e-6)
    states = q["prospects"] + q["customers_in_pipeline"] + q["customers"] + q["customers_churned_total"]
    assert (states == content["market"]["customers"]).all()
    assert np.isfinite(q[["revenue", "arr", "program_cost", "vendor_net_revenue"]].to_numpy()).all()


# Invalid input: a valid scenario with one value replaced by one that breaks its rule.
SHARES = ("partners.var.margin", "market.adoption.innovation", "market.segments.smb.win_rate", "program.co_sell_fee",
          "vendor.product_readiness", "rivals.win_rate")
COUNTS = {"partners.var.count": 1_000_000, "simulation.quarters": 400, "simulation.replications": 100_000,
          "market.customers": 100_000_000, "partners.gsi.initial": None, "vendor.age_quarters": 400}
MONEY = ("market.segments.smb.annual_contract_value", "partners.var.enablement_cost", "vendor.stage3_arr")

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
not_finite = st.sampled_from([float("inf"), float("-inf"), float("nan")])


def bad_share():
    return (st.floats(allow_nan=False).filter(lambda x: not 0 <= x <= 1) | not_finite | st.booleans() | words)


def bad_count(maximum):
    above = st.integers(maximum + 1, 10**30) if maximum else st.nothing()
    return (st.integers(max_value=-1) | above | st.floats(0.1, 1e6).filter(lambda x: not x.is_integer())
            | not_finite | st.booleans() | words)


def bad_money():
    return st.floats(max_value=-1e-9) | not_finite | st.booleans() | words


@st.composite
def invalid_changes(draw) -> dict:
    kind = draw(st.sampled_from(["share", "count", "money", "seed", "unknown key", "initial above count"]))
    if kind == "share":
        return {draw(st.sampled_from(SHARES)): draw(bad_share())}
    if kind == "count":
        path = draw(st.sampled_from(sorted(COUNTS)))
        return {path: draw(bad_count(COUNTS[path]))}
    if kind == "money":
        return {draw(st.sampled_from(MONEY)): draw(bad_money())}
    if kind == "seed":
        return {"simulation.seed": draw(st.integers(max_value=-1) | st.integers(2**63, 2**80) | st.booleans())}
    if kind == "unknown key":
        section = draw(st.sampled_from(["market", "vendor", "partners.var", "program.incentives", "simulation"]))
        return {f"{section}.zz_{draw(words)}": 1}
    return {"partners.var.count": 3, "partners.var.initial": draw(st.integers(4, 1000))}


def _set(content: dict, path: str, value) -> None:
    node = content
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


@given(scenarios(), invalid_changes())
def test_random_invalid_input_exits_2_without_traceback_or_files(content, changes):
    for path, value in changes.items():
        _set(content, path, value)
    with tempfile.TemporaryDirectory() as folder, chdir(folder):
        scenario = Path(folder) / "scenario.yaml"
        scenario.write_text(yaml.safe_dump(content))
        with pytest.MonkeyPatch.context() as patch:
            errors = []
            patch.setattr("sys.stderr.write", errors.append)
            code = main(["run", str(scenario)])
        assert code == 2, (changes, "".join(errors))
        message = "".join(errors)
        assert message.startswith("ecosim: error:") and "Traceback" not in message
        assert os.listdir(folder) == ["scenario.yaml"]
