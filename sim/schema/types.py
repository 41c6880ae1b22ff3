"""Value types shared by the schema's sections: bounded numbers, seeds and a sum check.

Every number is finite: the schema's base (:class:`sim.common.Strict`) refuses
``.inf`` and ``.nan`` and never reads true/false as a number.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

__all__ = ["Share", "Rate", "NonNegInt", "Money", "Seed", "SEED_MAX", "check_shares_sum_to_one"]

# The largest seed: every table stores seeds in signed 64-bit integer columns (Parquet int64).
SEED_MAX = 2**63 - 1


def _check_seed(seed: object) -> object:
    """Refuse a number outside ``0..SEED_MAX`` (before it is read as an integer, so 1e38 says the range too)."""
    if isinstance(seed, int | float) and not isinstance(seed, bool) and not 0 <= seed <= SEED_MAX:
        raise ValueError(f"a seed is a whole number from 0 to 2**63-1 ({SEED_MAX}), the range of the int64 "
                         "seed column of the result tables")
    return seed


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegInt = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0.0)]
Seed = Annotated[int, BeforeValidator(_check_seed), Field(json_schema_extra={"minimum": 0, "maximum": SEED_MAX})]


def check_shares_sum_to_one(shares: dict[str, float], what: str) -> None:
    """Raise ``ValueError`` unless ``shares`` sum to 1 (to rounding); ``what`` names them."""
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:g} ({shares})")
