"""The documentation site builds offline from docs/ in strict mode, with its generated reference pages."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

pytest.importorskip("mkdocs", reason="the docs extra is in the test extra")
pytest.importorskip("material", reason="the docs extra is in the test extra")

from sim.cli import build_parser  # noqa: E402
from sim.experiments.calibration_spec import CalibrationFile  # noqa: E402
from sim.experiments.compare_spec import ExperimentFile  # noqa: E402
from sim.experiments.explore_spec import ExploreFile  # noqa: E402
from sim.experiments.optimize_spec import OptimizeFile  # noqa: E402
from sim.experiments.sweep_spec import SweepFile  # noqa: E402
from sim.scenario import Scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["index.html", "getting-started.html", "comparing.html", "graph.html", "tutorials/strategist.html",
         "tutorials/researcher.html", "tutorials/planner.html", "reference/scenario.html",
         "reference/experiments.html", "reference/cli.html", "reference/api/runner.html",
         "reference/api/graph_export.html", "reference/api/calibration.html", "reference/api/calibration_spec.html",
         "MODEL.html", "ARCHITECTURE.html", "benchmarks.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``mkdocs build --strict``: a broken link, a missing page or a docstring warning fails it."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_every_page_is_built(site):
    for page in PAGES:
        assert (site / page).is_file(), page
    for optional in ("ODD.md", "VALIDATION.md"):  # the model documents that exist are in the navigation
        assert (site / optional.replace(".md", ".html")).is_file() == (ROOT / "docs" / optional).is_file()


def test_the_site_loads_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.findall(r'(?:src|href)="(?:https?:)?//', text), page
        assert "mathjax@" not in text.lower() and "fonts.googleapis" not in text, page


def _sections(model: type[BaseModel], seen: set) -> list[type[BaseModel]]:
    """A schema model and every section model nested in it."""
    if model in seen:
        return []
    seen.add(model)
    found = [model]
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            annotation = stack.pop()
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                found += _sections(annotation, seen)
            stack += list(getattr(annotation, "__args__", ()))
    return found


def test_scenario_reference_has_every_key_of_the_schema(site):
    page = (site / "reference" / "scenario.html").read_text(encoding="utf-8")
    keys = set(re.findall(r"<code>([^<]+)</code>", page))
    names = {key.rsplit(".", 1)[-1] for key in keys}
    for section in _sections(Scenario, set()):
        for field in section.model_fields:
            assert field in names, f"{section.__name__}.{field}"
    assert "partners.var.margin" in keys and "assumption: VAR discount 15-25%" in page


@pytest.mark.parametrize(("kind", "schema"), [("compare", ExperimentFile), ("sweep", SweepFile),
                                              ("optimize", OptimizeFile), ("explore", ExploreFile),
                                              ("calibration", CalibrationFile)])
def test_experiments_reference_has_every_key_of_every_experiment_file(site, kind, schema):
    page = (site / "reference" / "experiments.html").read_text(encoding="utf-8")
    assert f"<code>kind: {kind}</code>" in page
    names = {key.rsplit(".", 1)[-1] for key in re.findall(r"<code>([^<]+)</code>", page)}
    for section in _sections(schema, set()):
        for field in section.model_fields:
            assert field in names, f"{section.__name__}.{field}"


def test_cli_reference_has_every_command_and_option(site):
    page = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name, parser in commands.items():
        assert f"ecosim {name}" in page
        for action in parser._actions:
            for flag in action.option_strings if action.dest != "help" else ():
                assert flag in page, f"{name} {flag}"
