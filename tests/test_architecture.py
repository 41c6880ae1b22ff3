"""The model's structure: vendors are Mesa agents that own their programs; data flows one way."""

import dataclasses

import numpy as np
import pytest
from conftest import small

import sim
from sim.model import EcosystemModel
from sim.recorder import QuarterFlows
from sim.runner import replication_rng
from sim.vendors import StaticRival, VendorAgent


@pytest.fixture(scope="module")
def model():
    scenario = sim.load_scenario(small(program={"preset": "mature_hybrid"}), {"simulation.quarters": 5})
    m = EcosystemModel(scenario, rng=replication_rng(5, 0))
    for _ in range(5):
        m.step()
    return m


def test_vendors_are_agents_that_own_their_program_and_tiers(model):
    (vendor,) = model.agents_by_type[VendorAgent]
    assert vendor is model.vendor and vendor.program.tiers is vendor.tiers
    assert len(model.agents_by_type[StaticRival]) == model.config.rivals.count
    assert model.competitors[0] is vendor and set(model.competitors[1:]) == set(model.agents_by_type[StaticRival])
    assert vendor.partners is model.partners and vendor.partners.vendor_index == 0


def test_nothing_but_mesa_holds_the_model(model):
    """No program, tier book, recorder or record keeps a reference back to the model."""
    def refs(obj):
        values = vars(obj).values() if hasattr(obj, "__dict__") else ()
        return [v for v in values if not isinstance(v, (np.ndarray, int, float, str))]

    owned = [model.vendor.program, model.vendor.tiers, model.recorder, model.last["focal"], *vars(model.last["focal"]).values()]
    for obj in owned:
        assert not any(isinstance(v, EcosystemModel) for v in refs(obj)), type(obj).__name__


def test_the_quarter_is_a_chain_of_frozen_records(model):
    assert isinstance(model.last["focal"], QuarterFlows)
    for record in (model.last["focal"], *vars(model.last["focal"]).values()):
        if dataclasses.is_dataclass(record):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(record, dataclasses.fields(record)[0].name, None)


def test_recorded_payouts_are_the_programs_payout_record(model):
    row, flows = model.recorder.rows[-1], model.last["focal"]
    assert row["partner_payouts"] == pytest.approx(flows.payouts.parts.sum())
    assert row["mdf_spend"] == pytest.approx(flows.mdf.spend.sum())
    assert row["partners_recruited"] == flows.recruitment.recruited


def test_data_collector_keeps_the_vendors_series(model):
    frame = model.vendor_frame()
    quarterly = model.recorder.quarterly_frame()
    assert list(frame["quarter"]) == list(quarterly["quarter"]) and set(frame["vendor"]) == {"focal"}
    np.testing.assert_array_equal(frame["stage"], quarterly["stage"])
    np.testing.assert_array_equal(frame["route_quality"], quarterly["route_quality"])
