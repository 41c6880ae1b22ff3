"""Experimental designs: which parameter values a sweep runs.

A sweep parameter is written in one of four shapes (any scenario key path):

* a single value (``0.2``, ``"partner_preferred"``): held constant; strings are never
  iterated;
* a list (``[1, 2, 4]``): a grid axis; a full grid runs every combination of the lists;
* a range (``{low: 0, high: 4}``, optionally ``integer: true`` and/or ``log: true``):
  sampled by the random, Latin-hypercube, Sobol' and Morris designs;
* choices (``{choices: [a, b, c]}``): a categorical parameter for the same designs.

Sampled designs draw points in the unit hypercube (numpy, ``scipy.stats.qmc`` or
SALib) and map each coordinate to a value: uniform (or log-uniform) for ranges, equal
bins for integers and choices. Sensitivity analysis works on those unit coordinates,
so every design uses one mapping.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["METHODS", "SAMPLED_METHODS", "Levels", "Range", "Choices", "Design", "parse_parameter", "first_value",
           "probe_values", "design_size", "design_points", "unit_sample", "salib_problem", "is_power_of_two"]

METHODS = ("grid", "random", "lhs", "sobol", "morris")
SAMPLED_METHODS = ("random", "lhs", "sobol", "morris")
RANGE_KEYS = {"low", "high", "integer", "log"}
SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Levels:
    """A grid axis: every value in the list is run."""

    values: tuple


@dataclass(frozen=True)
class Range:
    """A numeric range sampled uniformly (or log-uniformly); integers in equal bins."""

    low: float
    high: float
    integer: bool = False
    log: bool = False

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map unit coordinates in [0, 1] to values of the range."""
        top = self.high + 1 if self.integer else self.high
        if self.log:
            x = np.exp(np.log(self.low) + u * (np.log(top) - np.log(self.low)))
        else:
            x = self.low + u * (top - self.low)
        if self.integer:
            return np.minimum(np.floor(x), self.high).astype(np.int64)
        return x


@dataclass(frozen=True)
class Choices:
    """A categorical parameter: the unit interval is cut into one equal bin per choice."""

    values: tuple

    def from_unit(self, u: np.ndarray) -> list:
        """Map unit coordinates in [0, 1] to choices."""
        index = np.minimum(np.floor(u * len(self.values)).astype(int), len(self.values) - 1)
        return [self.values[i] for i in index]


Parameter = Levels | Range | Choices


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _parse_range(raw: dict) -> Range:
    unknown = set(raw) - RANGE_KEYS
    if unknown or "low" not in raw or "high" not in raw:
        raise ValueError("a range is {low: A, high: B} with optional integer: true and log: true")
    low, high = raw["low"], raw["high"]
    if not (_number(low) and _number(high)):
        raise ValueError("low and high must be numbers")
    if not high > low:
        raise ValueError(f"high ({high}) must be greater than low ({low})")
    integer, log = raw.get("integer", False), raw.get("log", False)
    if not (isinstance(integer, bool) and isinstance(log, bool)):
        raise ValueError("integer and log must be true or false")
    if integer and not (float(low).is_integer() and float(high).is_integer()):
        raise ValueError("an integer range needs whole-number low and high")
    if log and low <= 0:
        raise ValueError("a log range needs low > 0")
    return Range(float(low), float(high), integer, log)


def parse_parameter(raw: Any, method: str) -> Parameter | None:
    """Read one parameter's value for a design; ``None`` means a constant.

    Raises:
        ValueError: with what is allowed for this design, when the shape does not fit.
    """
    sampled = method in SAMPLED_METHODS
    if isinstance(raw, list):
        if sampled:
            raise ValueError(f"a list is a grid axis; in a {method} design give a range {{low: A, high: B}}, "
                             "{choices: [...]}, or one value to hold it constant")
        if not raw:
            raise ValueError("an empty list gives no points; give at least one value")
        return Levels(tuple(raw))
    if isinstance(raw, dict):
        if set(raw) == {"choices"}:
            choices = raw["choices"]
            if not isinstance(choices, list) or not choices:
                raise ValueError("choices must be a non-empty list")
            if not sampled:
                raise ValueError("a grid takes a plain list of values, not {choices: [...]}")
            return Choices(tuple(choices))
        if set(raw) & RANGE_KEYS:
            if not sampled:
                raise ValueError(f"a range needs a sampled design ({', '.join(SAMPLED_METHODS)}); "
                                 "a grid takes a list of values")
            return _parse_range(raw)
        raise ValueError("a mapping here must be a range {low: A, high: B} or {choices: [...]}; to set a "
                         "section, give each of its keys as its own parameter")
    if not isinstance(raw, SCALARS):
        raise ValueError(f"unsupported value of type {type(raw).__name__}")
    return None


def unit_sample(method: str, dimensions: int, samples: int, seed: int, *, second_order: bool = False,
                levels: int = 4) -> np.ndarray:
    """Points of a sampled design in the unit hypercube, one row per point.

    ``samples`` is the number of points for ``random`` and ``lhs``, the base sample N
    of a Sobol' design (N * (D + 2) points, N * (2D + 2) with second order) and the
    number of trajectories of a Morris design (N * (D + 1) points).
    """
    if method == "random":
        return np.random.default_rng(np.random.SeedSequence(seed)).random((samples, dimensions))
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=dimensions, rng=np.random.default_rng(np.random.SeedSequence(seed))) \
            .random(samples)
    problem = salib_problem([f"x{i}" for i in range(dimensions)])
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=second_order, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, samples, num_levels=levels, seed=seed)
    raise ValueError(f"unknown sampled design {method!r}")


def salib_problem(names: list[str]) -> dict:
    """The SALib problem of a design: every parameter on the unit interval."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


@dataclass(frozen=True)
class Design:
    """The points of a design.

    Attributes:
        values: per point, ``{key path: value}`` in plain Python values (the overrides to run).
        table: one typed column per varied parameter, one row per point (non-scalar
            values as JSON text).
        unit: each sampled point's unit coordinates (the input of sensitivity
            analysis), or ``None`` for a grid.
    """

    values: list[dict]
    table: pd.DataFrame
    unit: np.ndarray | None


def first_value(parameter: Parameter) -> Any:
    """A parameter's first value: a grid axis's first level, a range's low end, the first choice."""
    if isinstance(parameter, Range):
        return _plain(parameter.from_unit(np.zeros(1)))[0]
    return parameter.values[0]


def probe_values(parameter: Parameter) -> list:
    """The values that stand for a parameter when it is checked alone: every level or choice, a range's ends."""
    if isinstance(parameter, Range):
        return _plain(parameter.from_unit(np.array([0.0, 1.0])))
    return list(parameter.values)


def design_size(parameters: dict[str, Parameter], method: str, samples: int | None = None, *,
                second_order: bool = False) -> int:
    """The number of points :func:`design_points` would build, computed without building any.

    Examples:
        >>> design_size({"a": Levels((1, 2, 3)), "b": Levels((0, 1))}, "grid")
        6
        >>> design_size({"a": Range(0, 1), "b": Range(0, 1)}, "sobol", 8)
        32
    """
    dimensions = len(parameters)
    if method == "grid":
        return math.prod(len(p.values) for p in parameters.values())
    per_sample = {"random": 1, "lhs": 1, "sobol": 2 * dimensions + 2 if second_order else dimensions + 2,
                  "morris": dimensions + 1}
    if method not in per_sample:
        raise ValueError(f"unknown design {method!r}")
    return samples * per_sample[method]


def design_points(parameters: dict[str, Parameter], method: str, samples: int | None = None, seed: int = 0,
                  *, second_order: bool = False, levels: int = 4) -> Design:
    """The points of a design over the varied ``parameters``.

    A grid's points follow ``itertools.product`` over the parameters in the order
    given (the last varies fastest); a grid of no parameters is one point.
    """
    names = list(parameters)
    if method == "grid":
        rows = list(itertools.product(*(parameters[n].values for n in names)))
        unit = None
    else:
        unit = unit_sample(method, len(names), samples, seed, second_order=second_order, levels=levels)
        columns = [_plain(parameters[n].from_unit(unit[:, i])) for i, n in enumerate(names)]
        rows = list(zip(*columns, strict=True))
    values = [dict(zip(names, row, strict=True)) for row in rows]
    table = pd.DataFrame({n: _column([r[i] for r in rows]) for i, n in enumerate(names)},
                         index=pd.RangeIndex(len(rows)))
    return Design(values, table, unit)


def _plain(values) -> list:
    """Plain Python values (numpy scalars do not survive YAML-style validation or JSON)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _column(values: list) -> pd.Series:
    """A typed column: bools, integers, floats or strings; other values as JSON text."""
    if all(isinstance(v, bool) for v in values):
        return pd.Series(values, dtype=bool)
    if all(isinstance(v, Integral) and not isinstance(v, bool) for v in values):
        return pd.Series(values, dtype=np.int64)
    if all(_number(v) for v in values):
        return pd.Series(values, dtype=np.float64)
    if all(isinstance(v, str) for v in values):
        return pd.Series(values, dtype="str")
    return pd.Series([json.dumps(v, sort_keys=True) for v in values], dtype="str")


def is_power_of_two(n: int) -> bool:
    """Whether ``n`` is 2**k (Sobol' sequences keep their balance only at those sizes)."""
    return n > 0 and n & (n - 1) == 0
