"""MkDocs hook: the reference pages generated from the code, so they never drift from it.

* ``reference/scenario.md`` and ``reference/experiments.md``: every key of scenario,
  experiment (``kind: compare``), sweep (``kind: sweep``), optimisation (``kind:
  optimize``), exploration (``kind: explore``) and calibration (``kind: calibration``)
  files, from the pydantic schemas' JSON Schema (type, default, range, description), with
  the partner types' defaults and their sources read from ``sim/partner_types.py`` and the
  incentive presets from ``sim/presets.py``;
* ``reference/cli.md``: every ``ecosim`` command and option, from ``sim.cli.build_parser()``;
* ``reference/api/*.md``: API pages rendered by mkdocstrings from the docstrings;
* ``benchmarks.md``: ``benchmarks/README.md``;
* the *Model* section of the navigation lists the model documents that exist
  (MODEL.md, ODD.md, VALIDATION.md, ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import tokenize
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
MODEL_DOCS = {"MODEL.md": "How the model works", "ODD.md": "ODD protocol", "VALIDATION.md": "Validation",
              "ARCHITECTURE.md": "Architecture"}
API_MODULES = {
    "runner": ("sim.runner", "Running scenarios"), "scenario": ("sim.scenario", "Scenario files"),
    "comparison": ("sim.experiments.comparison", "Comparisons"),
    "compare_spec": ("sim.experiments.compare_spec", "Experiment files"),
    "sweep": ("sim.experiments.parameter_sweep", "Sweeps"), "sweep_spec": ("sim.experiments.sweep_spec", "Sweep files"),
    "optimization": ("sim.experiments.optimization", "Optimisations"),
    "optimize_spec": ("sim.experiments.optimize_spec", "Optimisation files"),
    "exploration": ("sim.experiments.exploration", "Explorations"),
    "explore_spec": ("sim.experiments.explore_spec", "Exploration files"),
    "calibration": ("sim.experiments.calibration", "Calibrations"),
    "calibration_spec": ("sim.experiments.calibration_spec", "Calibration files"),
    "executors": ("sim.experiments.executors", "Executors"), "metrics": ("sim.metrics", "Metrics"),
    "graph_export": ("sim.graph_export", "Ecosystem graph"), "report": ("sim.report", "Reports"),
    "plots": ("sim.plots", "Plots"), "model": ("sim.model", "The model"),
}


# --------------------------------------------------------------------------- MkDocs events
def on_config(config):
    """Put the model documents that exist into the navigation's *Model* section."""
    for section in config["nav"]:
        if isinstance(section, dict) and "Model" in section:
            section["Model"] = [{title: name} for name, title in MODEL_DOCS.items()
                                if (Path(config["docs_dir"]) / name).exists()]
    return config


def on_files(files, config):
    """Add the generated pages to the site's files."""
    pages = {"reference/scenario.md": scenario_page(), "reference/experiments.md": experiments_page(),
             "reference/cli.md": cli_page(), "benchmarks.md": (ROOT / "benchmarks" / "README.md").read_text()}
    for stem, (module, title) in API_MODULES.items():
        pages[f"reference/api/{stem}.md"] = f"# {title}: `{module}`\n\n::: {module}\n"
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    return files


# --------------------------------------------------------------------------- schema tables
def _cell(text) -> str:
    """Text for a table cell: pipes and square brackets escaped (no table breaks, no reference links)."""
    text = str(text).replace("``", "`").replace("|", "\\|").replace("\n", " ")
    return text.replace("[", "\\[").replace("]", "\\]")


def _type(prop: dict, defs: dict) -> str:
    """A JSON Schema property's type in words."""
    if "$ref" in prop:
        return "section"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop:
        return " or ".join(_type(option, defs) for option in prop["anyOf"])
    kind = prop.get("type", "any")
    if "prefixItems" in prop:
        return "[" + ", ".join(_type(item, defs) for item in prop["prefixItems"]) + "]"
    if kind == "array":
        item = prop.get("items", {})
        return f"list of {_type(item, defs)}" + (f" (length {prop['minItems']})" if prop.get("minItems") ==
                                                 prop.get("maxItems") and "minItems" in prop else "")
    if kind == "object":
        value = prop.get("additionalProperties")
        return "mapping" + (f" to {_type(value, defs)}" if isinstance(value, dict) and value else "")
    return {"integer": "integer", "number": "number", "string": "text", "boolean": "true \\| false",
            "null": "null"}.get(kind, kind)


def _range(prop: dict) -> str:
    """Bounds of a number, the pattern of a text, the length of a list."""
    parts = []
    for option in prop.get("anyOf", [prop]):
        low, high = option.get("minimum", option.get("exclusiveMinimum")), option.get("maximum",
                                                                                   option.get("exclusiveMaximum"))
        left, right = "(" if "exclusiveMinimum" in option else "[", ")" if "exclusiveMaximum" in option else "]"
        if low is not None and high is not None:
            parts.append(_cell(f"{left}{low}, {high}{right}"))
        elif low is not None:
            parts.append(f"{'>' if left == '(' else '≥'} {low}")
        elif high is not None:
            parts.append(f"{'<' if right == ')' else '≤'} {high}")
        if "pattern" in option:
            parts.append(f"pattern `{option['pattern']}`")
        if "minItems" in option and option.get("minItems") != option.get("maxItems"):
            parts.append(f"at least {option['minItems']} items")
    return "; ".join(parts)


def _default(prop: dict, path: str, defaults: dict | None, required: bool) -> str:
    """A key's default: the schema's, else the resolved default scenario's value at its path.

    A required key of named sections (``partners.<type>``) has its defaults in a table below
    the scenario reference; in an experiment file (no ``defaults``) it is plainly required.
    """
    if "default" in prop:
        return f"`{json.dumps(prop['default'])}`"
    if required:
        return "see the table below" if ".<" in path and defaults is not None else "required"
    value = defaults
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ""
        value = value[part]
    return "" if isinstance(value, dict) else f"`{json.dumps(value)}`"


def _section(prop: dict) -> tuple[str | None, str]:
    """The section definition a property's value refers to, and how: ``"one"``, ``"list"`` or ``"map"``."""
    for node in (prop, *prop.get("anyOf", [])):
        for container, child in (("one", node), ("list", node.get("items")), ("map", node.get("additionalProperties"))):
            if isinstance(child, dict):
                for option in (child, *child.get("anyOf", [])):
                    if "$ref" in option:
                        return option["$ref"].split("/")[-1], container
    return None, "one"


def schema_rows(schema: dict, defaults: dict | None = None) -> list[list[str]]:
    """Table rows (key, type, default, range, description) of every key of a JSON Schema, nested sections included.

    Sibling keys that share one section's definition (the partner types) are listed once
    as ``<name>``; items of a list of sections as ``[]``; mapped sections as ``<key>``.
    """
    defs = schema.get("$defs", {})
    rows: list[list[str]] = []

    def walk(node: dict, prefix: str) -> None:
        props = node.get("properties", {})
        by_def: dict[str, list[str]] = {}
        for key, prop in props.items():
            if "$ref" in prop:
                by_def.setdefault(prop["$ref"], []).append(key)
        shared = {ref: keys for ref, keys in by_def.items() if len(keys) > 1}
        done: set[str] = set()
        for key, prop in props.items():
            ref = prop.get("$ref")
            if ref in shared:
                if ref in done:
                    continue
                done.add(ref)
                key = "<" + "|".join(shared[ref]) + ">"
            path = f"{prefix}{key}"
            name, container = _section(prop)
            definition = defs.get(name, {})
            description = prop.get("description") or definition.get("description", "")
            required = key in node.get("required", []) and ref not in shared
            rows.append([f"`{path}`", _type(prop, defs), _default(prop, path, defaults, required), _range(prop),
                         _cell(description)])
            if definition:
                names = prop.get("propertyNames", {}).get("enum")
                child = {"list": f"{path}[].", "map": f"{path}.<{'|'.join(names or ['name'])}>.",
                         "one": f"{path}."}[container]
                walk(definition, child)

    walk(schema, "")
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


SCHEMA_HEADER = ["key", "type", "default", "range", "description (and source)"]


# --------------------------------------------------------------------------- sources in comments
def _comments(path: Path) -> dict[int, str]:
    """Each line's comment in a Python file."""
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return {tok.start[0]: tok.string.lstrip("#").strip() for tok in tokens if tok.type == tokenize.COMMENT}


def _source_of(node: ast.AST, previous_end: int, comments: dict[int, str]) -> str:
    """A value's source: its trailing comment, or the comment lines just above it."""
    if node.end_lineno in comments and node.end_lineno != previous_end:
        return comments[node.end_lineno]
    above = [comments[line] for line in range(previous_end + 1, node.lineno) if line in comments]
    return " ".join(above)


def _dict_literal(path: Path, name: str) -> ast.Dict:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign)
                                                                      else None)
        if isinstance(target, ast.Name) and target.id == name:
            return node.value
    raise LookupError(f"{name} not found in {path}")


def partner_type_sources() -> dict[str, dict[str, str]]:
    """``{type: {field: source comment}}`` for ``sim.partner_types.TYPE_DEFAULTS``."""
    path = ROOT / "sim" / "partner_types.py"
    comments = _comments(path)
    sources: dict[str, dict[str, str]] = {}
    table = _dict_literal(path, "TYPE_DEFAULTS")
    for key, call in zip(table.keys, table.values, strict=True):
        previous = call.lineno
        fields = {}
        for keyword in call.keywords:
            fields[keyword.arg] = _source_of(keyword.value, previous, comments)
            previous = keyword.value.end_lineno
        sources[key.value] = fields
    return sources


def preset_sources() -> dict[str, str]:
    """``{preset: the comment above it}`` for ``sim.presets.PRESETS``."""
    path = ROOT / "sim" / "presets.py"
    comments = _comments(path)
    table = _dict_literal(path, "PRESETS")
    previous, sources = table.lineno, {}
    for key, value in zip(table.keys, table.values, strict=True):
        sources[key.value] = _source_of(key, previous, comments)
        previous = value.end_lineno
    return sources


# --------------------------------------------------------------------------- pages
def scenario_page() -> str:
    """Every key of a scenario file, the partner types' defaults with sources, and the presets."""
    from sim.partner_types import TYPE_DEFAULTS
    from sim.presets import PRESETS
    from sim.scenario import Scenario, json_schema

    defaults = Scenario.model_validate({"name": "defaults"}).resolved()
    parts = ["# Scenario file reference", "",
             "Generated from the scenario schema (`sim/schema/`, `ecosim schema` prints it as JSON Schema). "
             "Every key is optional except `name`; a file sets only what it changes. Ranges are inclusive "
             "`[low, high]`, exclusive `(low, high)`. Key paths are what `--set` and experiment files take "
             "(`--set partners.var.margin=0.25`).", "",
             _table(SCHEMA_HEADER, schema_rows(json_schema(), defaults)), "",
             "## Customer segments by default", "",
             _table(["segment", *next(iter(defaults["market"]["segments"].values())).keys()],
                    [[f"`{name}`", *map(str, segment.values())]
                     for name, segment in defaults["market"]["segments"].items()]), "",
             "## Partner types: defaults and sources", "",
             "Each `partners.<type>` key not set in a file takes its type's default from "
             "`sim/partner_types.py`, where each value names its source (the playbook's partner-type table, its "
             "commercial models and case studies, or an assumption).", ""]
    sources = partner_type_sources()
    for ptype, fields in TYPE_DEFAULTS.items():
        parts += [f"### `{ptype}`", "", _table(["key", "default", "source"], [
            [f"`partners.{ptype}.{field}`", f"`{json.dumps(value)}`", _cell(sources[ptype].get(field, ""))]
            for field, value in fields.items()]), ""]
    parts += ["## Incentive presets (`program.preset`)", "",
              "A preset fills the program's `incentives` and `tiers`; the file's own `program` keys win.", "",
              _table(["preset", "sets", "source"], [
                  [f"`{name}`", f"`{_cell(json.dumps(preset))}`", _cell(preset_sources()[name])]
                  for name, preset in PRESETS.items()])]
    return "\n".join(parts) + "\n"


def experiments_page() -> str:
    """Every key of experiment (compare), sweep, optimisation, exploration and calibration files."""
    from sim.experiments.calibration_spec import CalibrationFile
    from sim.experiments.compare_spec import STRATEGY_METRICS, experiment_schema
    from sim.experiments.explore_spec import ExploreFile
    from sim.experiments.optimize_spec import OptimizeFile
    from sim.experiments.sweep_spec import SweepFile

    return "\n".join([
        "# Experiment file reference", "",
        "Generated from the schemas of `sim/experiments/compare_spec.py`, `sweep_spec.py`, `optimize_spec.py`, "
        "`explore_spec.py` and `calibration_spec.py`.", "",
        "## Comparisons (`kind: compare`)", "",
        "Run with `ecosim compare FILE`. Arms are compared with the first on the same seeds. A metric is a "
        "quarterly column, or a mapping with `name`, `statistic`, `ratio` and `better` (the `metrics[]` keys). "
        "Two or more scenario files given to `ecosim compare` become an experiment whose arms each name a "
        f"`scenario`, with the metrics {', '.join(f'`{m}`' for m in STRATEGY_METRICS)}.", "",
        _table(SCHEMA_HEADER, schema_rows(experiment_schema())), "",
        "## Sweeps (`kind: sweep`)", "",
        "Run with `ecosim sweep FILE`.", "",
        _table(SCHEMA_HEADER, schema_rows(SweepFile.model_json_schema())), "",
        "## Optimisations (`kind: optimize`)", "",
        "Run with `ecosim optimize FILE`. Levers (`space`) are ranges or choices by scenario key path; objectives "
        "and constraints are metrics as in comparisons, constraints with `max` and/or `min`.", "",
        _table(SCHEMA_HEADER, schema_rows(OptimizeFile.model_json_schema())), "",
        "## Explorations (`kind: explore`)", "",
        "Run with `ecosim explore FILE`. Every design runs in every future of a Latin hypercube over the "
        "`uncertainties`, on the same seeds.", "",
        _table(SCHEMA_HEADER, schema_rows(ExploreFile.model_json_schema())), "",
        "## Calibrations (`kind: calibration`)", "",
        "Run with `ecosim calibrate SCENARIO --history CSV --spec FILE`. The `parameters` are scenario key paths, "
        "each with a prior; the `kpis` are columns of the history CSV, with weights. The fit is ABC-SMC (pyabc).",
        "",
        _table(SCHEMA_HEADER, schema_rows(CalibrationFile.model_json_schema())), ""])


def _option_row(action: argparse.Action) -> list[str]:
    flags = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{action.metavar or action.dest}`"
    value = " \\| ".join(f"`{c}`" for c in action.choices) if action.choices else \
        (f"`{action.metavar}`" if action.metavar else "" if action.nargs == 0 else f"`{action.dest.upper()}`")
    default = "" if action.default in (None, False, [], argparse.SUPPRESS) else f"`{action.default}`"
    return [flags, value, default, _cell(action.help or "")]


def cli_page() -> str:
    """Every command and option of ``ecosim``, from the argument parser."""
    from sim.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = ["# Command line reference", "", "Generated from `sim.cli.build_parser()`. "
             "`python -m sim` is the same command. Exit codes: 0 success, 2 bad input (scenario, experiment, "
             "arguments), 1 internal error; `--debug` (before the command) shows tracebacks.", "",
             "```text", parser.format_usage().strip(), "```"]
    summaries = {action.dest: action.help for action in commands._choices_actions}
    for name, sub in commands.choices.items():
        rows = [_option_row(a) for a in sub._actions if not isinstance(a, argparse._HelpAction)]
        parts += ["", f"## `ecosim {name}`", "", _cell(sub.description or summaries.get(name, "")), "", "```text",
                  sub.format_usage().strip(), "```", "", _table(["argument", "value", "default", "help"], rows)]
    return "\n".join(parts) + "\n"
