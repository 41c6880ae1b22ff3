"""Value types shared by the schema's sections: bounded numbers and a sum check."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

__all__ = ["Share", "Rate", "NonNegInt", "Money", "check_shares_sum_to_one"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegInt = Annotated[int, Field(ge=0)]
Money = Annotated[float, Field(ge=0.0)]


def check_shares_sum_to_one(shares: dict[str, float], what: str) -> None:
    """Raise ``ValueError`` unless ``shares`` sum to 1 (to rounding); ``what`` names them."""
    total = sum(shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:g} ({shares})")
