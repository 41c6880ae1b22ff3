"""Fast start: the command line and ``import sim`` load only what the task at hand needs.

Each case runs in a fresh interpreter and lists which of the heavy packages it loaded.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "matplotlib", "mesa", "SALib", "dask")
CLI = "from sim.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"


def loaded(code: str, packages: tuple[str, ...]) -> list[str]:
    """The ``packages`` that running ``code`` in a fresh interpreter imported."""
    report = f"\nimport sys\nprint(json.dumps([p for p in {packages!r} if p in sys.modules]))"
    proc = subprocess.run([sys.executable, "-c", "import json\n" + code + report], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["validate", "scenarios/baseline.yaml"], ["schema"]],
                         ids=["help", "validate", "schema"])
def test_light_commands_import_no_heavy_package(args):
    assert loaded(CLI.format(args=args), HEAVY) == []


def test_import_sim_and_its_names_need_no_plotting_sensitivity_or_dask():
    assert loaded("import sim", HEAVY) == []
    assert loaded("import sim\nfor name in sim.__all__:\n    getattr(sim, name)",
                  ("matplotlib", "solara", "SALib", "dask", "distributed")) == []


def test_the_scenario_schema_imports_no_model_code():
    model = ("sim.model", "sim.agents", "sim.incentives", "sim.recorder", "sim.runner", *HEAVY)
    assert loaded("import sim.scenario\nsim.scenario.json_schema()", model) == []
