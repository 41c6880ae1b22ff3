"""Small helpers every layer shares: strict schemas, input files, result paths, atomic writes.

Light on purpose (the standard library, pydantic and PyYAML): the scenario schema and
the command line import it before anything heavy is loaded.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from sim.errors import ScenarioError, format_validation_error

__all__ = ["NAME_PATTERN", "RESULTS_ROOT", "Strict", "UniqueKeyLoader", "atomic_directory", "atomic_file",
           "claim_directory", "claimed_directory", "content_hash", "load_yaml", "package_version", "read_mapping",
           "read_validated", "read_yaml_mapping", "release_directory", "result_stem", "staging_dir",
           "sync_directory", "write_json"]

# Names of scenarios, experiments, arms and sweeps: they become directory names.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# Where results go unless an --out directory is given (relative to the working directory).
RESULTS_ROOT = Path("results")


class Strict(BaseModel):
    """Base of every schema section: unknown keys are errors, values are not coerced silently.

    Numbers are finite (no ``.inf`` or ``.nan``), and true/false is never read as a
    number (pydantic would take ``replications: true`` as 1).
    """

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_false_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if _bool_for_number(value, cls.model_fields[info.field_name].annotation):
            raise ValueError("a number is expected here, not true/false")
        return value


def _options(annotation: Any) -> list:
    """The alternatives of a type, without ``Annotated`` wrappers: ``int | None`` -> ``[int, None]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _options(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [o for a in get_args(annotation) for o in _options(a)]
    return [annotation]


def _bool_for_number(value: Any, annotation: Any) -> bool:
    """Whether ``value`` holds a true/false where ``annotation`` wants a number (also inside dicts and lists)."""
    options = _options(annotation)
    if isinstance(value, bool):
        kinds = set()
        for option in options:
            kinds |= {type(a) for a in get_args(option)} if get_origin(option) is Literal else {option}
        return bool(kinds & {int, float}) and not kinds & {bool, Any}
    if isinstance(value, dict):
        inner = [get_args(o)[1] for o in options if get_origin(o) is dict and len(get_args(o)) == 2]
        return any(_bool_for_number(v, t) for t in inner for v in value.values())
    if isinstance(value, list):
        inner = [get_args(o)[0] for o in options if get_origin(o) is list and get_args(o)]
        return any(_bool_for_number(v, t) for t in inner for v in value)
    return False


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a key given twice in one mapping is an error.

    YAML says keys are unique, but PyYAML keeps the last value silently; a setting
    written twice is almost always a mistake, so both places are named.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # noqa: D102
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: PyYAML's own error follows
                continue
            if first is not key_node.start_mark:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}: first at line {first.line + 1}, again at line "
                                f"{key_node.start_mark.line + 1}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Read YAML text as plain data, refusing tags that build objects and duplicate keys (:class:`UniqueKeyLoader`)."""
    return yaml.load(text, Loader=UniqueKeyLoader)


def read_yaml_mapping(path: Path, kind: str = "scenario") -> dict:
    """Read a YAML file of plain data whose top level is a mapping (scenario, experiment, sweep).

    Safe loading only (:func:`load_yaml`): tags that would build objects are refused, and
    so are keys given twice.

    Raises:
        ScenarioError: a missing file, a directory, a YAML syntax error (with line and
            column), a tag, a duplicate key (with both lines), or a top level that is
            not a mapping.
    """
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a directory, expected a YAML {kind} file")
    if not path.is_file():
        raise ScenarioError(f"{path}: not a regular file, expected a YAML {kind} file")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as exc:
        if exc.problem.startswith("duplicate key"):
            raise ScenarioError(f"{path}: {exc.problem}; give each key once") from None
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


def read_validated[M: BaseModel](source: str | Path | dict, kind: str, schema: type[M]) -> tuple[M, str, Path]:
    """Read an experiment file (or mapping) and validate it against its schema, the first step of every loader.

    Returns:
        ``(file, label, folder)``: the validated file, then as :func:`read_mapping`.

    Raises:
        ScenarioError: the file cannot be read (:func:`read_yaml_mapping`), or the schema
            refuses it: the message names the file, key path, bad value and what is allowed.
    """
    data, label, folder = read_mapping(source, kind)
    try:
        return schema.model_validate(data), label, folder
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, label, schema, {})) from None


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


def staging_dir(target: Path) -> Path:
    """The hidden directory a result directory is built in: ``.<name>.partial`` beside it.

    Whoever creates it owns the name ``target`` (:func:`claim_directory`), so two
    processes never write the same result directory.
    """
    target = Path(target)
    return target.parent / f".{target.name}.partial"


def result_stem(started: datetime, fingerprint: str) -> str:
    """The default name of a result directory: ``<UTC time to the second>-<first 8 of the hash>``."""
    return f"{started:%Y%m%dT%H%M%SZ}-{fingerprint[:8]}"


def claim_directory(target: Path, unique: bool = False) -> Path:
    """Claim a result directory before the work that fills it, by creating its staging directory.

    ``mkdir`` is atomic: of several processes claiming one name, exactly one succeeds.
    A default name (``unique``) that is taken gets the first free suffix ``-2``,
    ``-3``, ...; a name the user chose (``--out``) is refused instead.

    Args:
        target: the result directory to create.
        unique: pick the first free name ``target``, ``target-2``, ... instead of refusing.

    Returns:
        The claimed target (its staging directory, :func:`staging_dir`, now exists).

    Raises:
        ScenarioError: ``target`` is a file, a non-empty directory, cannot be created, or
            (not ``unique``) another process is writing it.
    """
    target = Path(target)
    where = str(target) if unique else f"--out {target}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot create its folder {target.parent} ({exc.strerror})") from None
    for n in itertools.count(1):
        candidate = target if n == 1 else target.with_name(f"{target.name}-{n}")
        if not unique:
            _check_free(candidate)
        try:
            staging_dir(candidate).mkdir()
        except FileExistsError:
            if unique:
                continue
            raise ScenarioError(f"--out {candidate}: another process is writing there (or an interrupted one left "
                                f"{staging_dir(candidate)}; delete it to start over)") from None
        except OSError as exc:
            raise ScenarioError(f"{where}: cannot create it ({exc.strerror})") from None
        if unique and candidate.exists():  # a finished result took the name before this claim
            staging_dir(candidate).rmdir()
            continue
        return candidate


def _check_free(target: Path) -> None:
    """Refuse a chosen result directory that is a file or holds something."""
    if target.is_file() or (target.exists() and not target.is_dir()):
        raise ScenarioError(f"--out {target}: is a file, not a directory; give the path of a directory to create")
    if target.is_dir() and any(target.iterdir()):
        raise ScenarioError(f"--out {target}: directory exists and is not empty; choose a new one")


def release_directory(target: Path) -> None:
    """Give up a claimed result directory: remove its staging directory and what is in it."""
    shutil.rmtree(staging_dir(target), ignore_errors=True)


@contextmanager
def claimed_directory(out: str | Path | None, default: Path, write: bool = True) -> Iterator[Path | None]:
    """Claim a result directory for the block that fills it, and give the claim up if the block fails.

    A run and a comparison claim their directory before the work starts, so two started
    at once never pick the same one, and an interrupted one leaves no claim behind.

    Args:
        out: the directory the user chose (refused if taken), or ``None`` for ``default``.
        default: the default directory; a taken name gets the first free suffix ``-2``, ...
        write: ``False`` claims nothing (the block receives ``None``).

    Yields:
        The claimed directory (:func:`claim_directory`), or ``None`` when nothing is written.
    """
    target = None
    if write:
        target = claim_directory(Path(out)) if out is not None else claim_directory(default, unique=True)
    try:
        yield target
    except BaseException:
        if target is not None:
            release_directory(target)
        raise


@contextmanager
def atomic_directory(target: Path, staging: Path | None = None) -> Iterator[Path]:
    """Yield a staging directory that becomes ``target`` in one rename when the block ends.

    A result directory therefore only ever appears complete. The staging directory is
    the claim of :func:`claim_directory` (created here if the caller made none); an
    empty ``target`` is replaced. If the block raises, the staging directory is
    removed and ``target`` is left as it was.

    Args:
        target: the directory to create.
        staging: where to build it (default :func:`staging_dir`); on the same file system.
    """
    target = Path(target)
    staging = Path(staging) if staging is not None else staging_dir(target)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        yield staging
        _sync_tree(staging)
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        os.replace(staging, target)
        sync_directory(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def sync_directory(path: Path) -> None:
    """Flush a directory to disk (fsync), so the names created in it survive a crash (where the OS can)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. Windows cannot fsync a directory
    finally:
        os.close(fd)


def _sync_tree(root: Path) -> None:
    """Flush every file under ``root``, and the directories holding them, to disk."""
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
        sync_directory(Path(folder))


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary name to write; it replaces ``path`` in one rename when the block ends.

    The file is fsynced before the rename and its directory after, so once the block
    has ended ``path`` holds the whole content even after a power cut: a reader never
    finds a name pointing at a file that is empty or cut short.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        sync_directory(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, content: Any) -> None:
    """Write ``content`` as indented JSON (anything else as text), atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
