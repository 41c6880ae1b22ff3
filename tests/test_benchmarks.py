"""The benchmark's scenarios are valid and its measurement runs (no timings are checked)."""

import importlib.util
import sys
from pathlib import Path

import pytest

import sim

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    """The benchmarks' modules, imported the way ``benchmarks/run.py`` imports them."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        modules = {}
        for name in ("sizes", "measure", "sweep_scaling"):
            spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
            modules[name] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(modules[name])
        yield modules
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.parametrize("size", ["M", "L", "XL", "XXL"])
def test_size_scenarios_validate_with_the_reference_counts(bench, size):
    """Each size is a valid scenario with DESIGN.md's customer and partner counts."""
    scenario = sim.load_scenario(bench["sizes"].size_scenario(size))
    customers, partners = bench["sizes"].SIZES[size]
    assert scenario.market.customers == customers
    assert sum(t.count for t in scenario.partners.by_type().values()) == partners
    assert scenario.market.word_of_mouth.graph == "small_world"


def test_measurement_reports_every_phase(bench):
    """A tiny run goes through every timed phase (the benchmark keeps up with the model)."""
    result = bench["measure"].measure_replication(
        bench["sizes"].size_scenario("M", 0.02, quarters=3), write=True
    )
    assert result["customers"] == 1_000 and result["quarters"] == 3
    assert 0 < result["customer_update_s"] <= result["step_s"] <= result["total_s"]
    assert result["write_s"] > 0 and result["partner_rows"] == 3 * result["partners"]
    assert result["peak_rss_bytes"] > 0


def test_sweep_throughput_times_the_sweep_task(bench):
    """The executor figures run what ``ecosim sweep``'s workers run, and every run succeeds."""
    from sim.experiments.executors import open_executor

    scenario = bench["sizes"].size_scenario("M", 0.02, quarters=3)
    task = bench["sweep_scaling"].task(scenario, replication=4)
    assert [run.replication for run in task.runs] == [4]
    with open_executor("serial") as info:
        seconds = bench["sweep_scaling"].timed_runs(info.executor, scenario, runs=2, workers=info.workers, repeat=1)
    assert seconds > 0
