"""Small helpers every layer shares: strict schemas, input files, result paths, atomic writes.

Light on purpose (the standard library, pydantic and PyYAML): the scenario schema and
the command line import it before anything heavy is loaded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from sim.errors import ScenarioError

__all__ = ["NAME_PATTERN", "RESULTS_ROOT", "Strict", "atomic_directory", "atomic_file", "content_hash",
           "package_version", "read_mapping", "read_yaml_mapping", "write_json"]

# Names of scenarios, experiments, arms and sweeps: they become directory names.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# Where results go unless an --out directory is given (relative to the working directory).
RESULTS_ROOT = Path("results")


class Strict(BaseModel):
    """Base of every schema section: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


def read_yaml_mapping(path: Path, kind: str = "scenario") -> dict:
    """Read a YAML file of plain data whose top level is a mapping (scenario, experiment, sweep).

    ``yaml.safe_load`` only: tags that would build objects are refused.

    Raises:
        ScenarioError: a missing file, a directory, a YAML syntax error (with line and
            column), a tag, or a top level that is not a mapping.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    if not path.is_file():
        raise ScenarioError(f"{path}: not a file, expected a YAML {kind} file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as exc:
        raise ScenarioError(f"{path}: YAML tag not allowed ({exc.problem}); {kind} files hold plain data "
                            "only (mappings, lists, numbers, strings)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}: YAML syntax error{where}: {problem}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 YAML)") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def read_mapping(source: str | Path | dict, kind: str) -> tuple[dict, str, Path]:
    """Read a file's mapping, or copy a mapping given directly.

    Returns:
        ``(data, label, folder)``: the data, how messages name it (the path, or
        ``<kind dict>``) and the folder relative paths inside it are read from (the
        file's, or the working directory for a mapping).
    """
    if isinstance(source, dict):
        return copy.deepcopy(source), f"<{kind} dict>", Path.cwd()
    path = Path(source)
    return read_yaml_mapping(path, kind), str(path), path.parent


def content_hash(data: Any) -> str:
    """The sha256 of plain data's canonical JSON (keys sorted, no spaces).

    Examples:
        >>> content_hash({"b": 1, "a": [1, 2]}) == content_hash({"a": [1, 2], "b": 1})
        True
    """
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def package_version(package: str = "ecosim") -> str | None:
    """The installed version of a distribution, or ``None`` where it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@contextmanager
def atomic_directory(target: Path, staging: Path | None = None) -> Iterator[Path]:
    """Yield an empty staging directory that becomes ``target`` in one rename when the block ends.

    A result directory therefore only ever appears complete. An empty ``target`` (one
    the caller made) is replaced; if the block raises, the staging directory is removed
    and ``target`` is left as it was.

    Args:
        target: the directory to create.
        staging: where to build it (default: ``.<name>.partial-<pid>`` beside ``target``);
            it must be on the same file system.
    """
    target = Path(target)
    staging = Path(staging) if staging is not None else target.parent / f".{target.name}.partial-{os.getpid()}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary name to write; it replaces ``path`` in one rename when the block ends."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, content: Any) -> None:
    """Write ``content`` as indented JSON (anything else as text), atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
