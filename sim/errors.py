"""The project's exception family and readable messages for bad input.

Bad input (a scenario, an experiment file, command-line arguments) raises
:class:`ScenarioError`; the CLI prints its message and exits with code 2.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, get_args, get_origin

if TYPE_CHECKING:  # pydantic is needed only to format a message: the command line starts without it
    from pydantic import BaseModel, ValidationError

__all__ = ["EcosimError", "ScenarioError", "ExperimentIncomplete", "format_validation_error"]


class EcosimError(Exception):
    """Base class of ecosim's own errors."""


class ScenarioError(EcosimError, ValueError):
    """A scenario, experiment or argument is invalid; the message says where and why."""


class ExperimentIncomplete(EcosimError):
    """Some of an experiment's runs were lost to the infrastructure (a worker died); the finished ones are kept.

    The message says where they are kept and how to finish (``--resume``); the CLI
    prints it and exits with code 1.
    """


def _model_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Walk a pydantic model class along ``loc`` and return the model found there."""
    from pydantic import BaseModel

    model: Any = root
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Return the model inside ``X | None``, ``list[X]`` or ``dict[str, X]`` annotations."""
    for _ in range(3):
        origin = get_origin(annotation)
        if origin is None:
            return annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if not args:
            return annotation
        annotation = args[-1]
    return annotation


def _allowed_keys(root: type[BaseModel], parent: tuple) -> list[str]:
    model = _model_at(root, parent)
    return sorted(model.model_fields) if model else []


def _describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(
    exc: ValidationError, label: str, root: type[BaseModel], overrides: dict[str, Any]
) -> str:
    """Turn a pydantic ``ValidationError`` into one message per problem.

    Each line names the file (or ``--set``), the dotted key path, the bad value and
    what is allowed, with a did-you-mean for misspelt keys.
    """
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        path = ".".join(str(p) for p in loc) or "<top level>"
        origin = f"--set {path}" if path in overrides else label
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root, loc[:-1])
            guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
            hint = f" Did you mean '{'.'.join(str(p) for p in loc[:-1] + (guess[0],))}'?" if guess else ""
            lines.append(f"{origin}: unknown key '{path}'.{hint} Allowed here: {', '.join(allowed)}")
        elif kind == "missing":
            lines.append(f"{origin}: missing required key '{path}'")
        else:
            value = _describe_value(err.get("input"))
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            lines.append(f"{origin}: {path} = {value}: {msg}")
    return "\n".join(lines)
