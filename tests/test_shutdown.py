"""SIGTERM stops a command as Ctrl-C does, and no worker process outlives the command, even after SIGKILL."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
import yaml

from sim.cli import build_parser

SLOW = {"name": "slow", "simulation": {"quarters": 40, "replications": 8, "seed": 1},
        "market": {"customers": 150_000},
        "vendor": {"stage": 2, "partner_managers": 4},
        "partners": {"var": {"count": 200, "initial": 20}, "reseller": {"count": 200}}}
SWEEP = {"kind": "sweep", "name": "slow_sweep", "scenario": {**SLOW, "simulation": {"quarters": 40}},
         "parameters": {"vendor.partner_managers": [1, 2, 3, 4, 5, 6, 7, 8]}, "replications": 1,
         "metrics": {"final": ["revenue"]}}


def session(sid: int) -> list[psutil.Process]:
    """The live processes of a session (zombies, already dead, are not counted)."""
    found = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getsid(proc.pid) == sid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture
def start(tmp_path):
    """Start ``ecosim ARGS`` in a session of its own and return it once its two workers are running.

    Whatever the test finds, no process of the session is left behind when it ends.
    """
    started = []

    def launch(*args) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=tmp_path, start_new_session=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(proc)
        workers = lambda: len([p for p in session(proc.pid) if p.pid != proc.pid]) >= 3  # noqa: E731
        assert wait_for(workers, 60), proc.communicate(timeout=60)
        time.sleep(1.0)  # the workers are inside their first task
        return proc

    yield launch
    for proc in started:
        for survivor in session(proc.pid):
            survivor.kill()


def command(tmp_path, kind: str) -> list:
    if kind == "run":
        path = tmp_path / "slow.yaml"
        path.write_text(yaml.safe_dump(SLOW))
        return ["run", path, "--workers", 2, "--out", tmp_path / "out"]
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(SWEEP))
    return ["sweep", path, "--workers", 2, "--batch-size", 1, "--out", tmp_path / "out"]


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_sigterm_stops_like_ctrl_c_with_exit_code_143_and_no_process_left(tmp_path, start, kind):
    proc = start(*command(tmp_path, kind))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert wait_for(lambda: not session(proc.pid), 10), session(proc.pid)
    assert not (tmp_path / "out").exists()
    if kind == "sweep":  # the tasks that were running when the signal came are saved
        assert "rerun with --resume" in err
        assert (tmp_path / ".out.partial" / "ledger.jsonl").read_text().count("\n") >= 2
    else:
        assert not (tmp_path / ".out.partial").exists()


@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_workers_exit_when_the_command_is_killed(tmp_path, start, kind):
    proc = start(*command(tmp_path, kind))
    proc.kill()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert wait_for(lambda: not session(proc.pid), 10), [p.cmdline() for p in session(proc.pid)]


def test_exit_codes_are_in_the_help():
    text = " ".join(build_parser().format_help().split())
    assert "130 stopped by Ctrl-C (SIGINT)" in text and "143 stopped by SIGTERM" in text
