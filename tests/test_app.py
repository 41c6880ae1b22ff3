"""The interactive page: its model adapter, its knobs, and the page itself in headless Chromium."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from browser import chromium_page
from conftest import small

pytest.importorskip("solara", reason="the interactive page needs the app extra (pip install 'ecosim[app]')")

from sim.app import AppModel, knobs  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("app") / "page.yaml"
    path.write_text(yaml.safe_dump(small("page", simulation={"quarters": 6, "replications": 1, "seed": 3})))
    return path


def test_knobs_start_at_the_scenario_and_are_valid_overrides(scenario_file):
    scenario = load_scenario(scenario_file)
    controls = knobs(scenario)
    assert controls["partners.var.count"]["value"] == 40
    assert controls["market.adoption.imitation"]["value"] == scenario.market.adoption.imitation
    assert set(controls["program.deal_registration"]["values"]) >= {"first_registered", "partner_preferred"}
    assert controls["program.preset"]["value"] == "none" and "mdf_heavy" in controls["program.preset"]["values"]
    model = AppModel(scenario_file, **{k: c["value"] for k, c in controls.items()})
    assert model.config == scenario


def test_incentive_preset_knob_sets_the_program(scenario_file):
    model = AppModel(scenario_file, **{"program.preset": "mdf_heavy"})
    assert model.config.program.preset == "mdf_heavy" and model.config.program.incentives.mdf is not None


def test_app_model_applies_knobs_and_stops_at_the_horizon(scenario_file):
    model = AppModel(scenario_file, **{"partners.var.count": 7, "market.adoption.innovation": 0.02})
    assert (model.partners.type_names == "var").sum() == 7
    assert model.config.market.adoption.innovation == 0.02
    while model.running:
        model.step()
    assert model.steps == 6
    assert len(model.recorder.quarterly_frame()) == 6


def test_app_refuses_a_bad_scenario_before_starting_a_server(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nmarket: {customerz: 10}\n")
    assert main(["app", str(bad)]) == 2
    assert "customerz" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(scenario_file):
    """``ecosim app`` serving the small scenario on a free local port."""
    port = free_port()
    ecosim = Path(sys.executable).with_name("ecosim")
    proc = subprocess.Popen([str(ecosim), "app", str(scenario_file), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ecosim app did not serve {url}:\n{proc.stdout.read() if proc.poll() is not None else ''}")
                time.sleep(0.3)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for_status(page, text: str) -> None:
    """Wait until the status card, which the server renders from the model, says ``text``."""
    page.get_by_text(re.compile(re.escape(text))).first.wait_for(timeout=60_000)


def test_page_renders_controls_and_live_charts_offline(server):
    with chromium_page() as page:
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server)
        wait_for_status(page, "quarter 0 of 6")  # the first render is complete: controls and views are live
        body = page.inner_text("body")
        for label in ("VARs (count)", "resellers: resell margin", "adoption p (innovation)",
                      "adoption q (imitation)", "incentive preset", "deal registration", "Reset"):
            assert label.lower() in body.lower(), label
        step = page.get_by_role("button", name="Step")
        step.click()
        wait_for_status(page, "Q1 of 6")
        page.wait_for_function("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 200)"
                               ".length >= 3", timeout=60_000)
        step.click()
        wait_for_status(page, "Q2 of 6")
    outside = [u for u in requested if not u.startswith((server, server.replace("127.0.0.1", "localhost"),
                                                        "data:", "blob:", "ws://127.0.0.1"))]
    assert outside == [], f"the page asked for resources outside the local server: {outside[:5]}"
