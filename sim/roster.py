"""A company's own partner roster: the partners on board at the start, read from its CSV export.

A scenario may set ``partners.roster``::

    partners:
      roster:
        file: roster.csv      # relative to the scenario file
        as_of: 2026-01-01     # the day the roster was exported: the start of quarter 1

The file is a CSV export of a partner-relationship-management system, one row per
partner already in the program (lines starting with ``#`` are comments):

==============  ========  ===================================================================
column          required  meaning
==============  ========  ===================================================================
partner_id      yes       the partner's id in the company's systems (unique); it labels the
                          partner's rows of ``partners.parquet`` (``roster_id``)
partner_type    yes       one of the partner types (``distributor``, ``reseller``, ``var``,
                          ``regional_si``, ``gsi``, ``msp``, ``marketplace``, ``influencer``)
recruited       yes       when it joined the program: a date (``2024-07-15``) or a quarter
                          (``2024Q3`` or ``2024-Q3``: its first day), not after ``as_of``
tier            no        its tier, a name in ``program.tiers`` (empty: the entry tier)
sellers         no        its sellers for this product category (empty: drawn as for any
                          partner of its type)
accounts        no        the customer accounts it covers (empty: drawn; with ``sellers``
                          alone, the drawn accounts scale with the sellers)
==============  ========  ===================================================================

The roster's partners are the partners on board at the start, instead of drawn ones
(``partners.<type>.initial`` must then be 0): each takes a slot of its type's pool
(``partners.<type>.count``, which must be large enough), so the remaining slots are the
prospects the vendor can still recruit. Tenure, the whole quarters from ``recruited``
to ``as_of``, decides where a partner stands: still onboarding while tenure is below
its type's ``ramp_quarters`` (the rest of the ramp to go), enabled after, certified
once tenure reaches ``ramp_quarters + certification_quarters``; a partner in a tier
that requires certification is certified (and selling) whatever its tenure. It starts
in its tier, which then moves by the scorecard's reviews like any partner's.

The scenario holds the roster's rows once read (the file is kept as ``file`` for
provenance), so a resolved scenario, its hash and a run's manifest say exactly which
partners ran, and a Dask worker on another machine needs no file.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from sim.common import Strict
from sim.csvfile import read_csv
from sim.errors import ScenarioError
from sim.partner_types import PARTNER_TYPES

__all__ = ["RosterPartner", "Roster", "read_roster", "tenure_quarters", "place_roster", "REQUIRED", "OPTIONAL"]

REQUIRED = ("partner_id", "partner_type", "recruited")
OPTIONAL = ("tier", "sellers", "accounts")
QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")


class RosterPartner(Strict):
    """One partner of a roster (one row of its CSV file)."""

    partner_id: str = Field(min_length=1, description="The partner's id in the company's systems.")
    partner_type: Literal[PARTNER_TYPES] = Field(description="Its partner type.")  # type: ignore[valid-type]
    recruited: date = Field(description="When it joined the program (a date, or a quarter such as 2024Q3).")
    tier: str | None = Field(None, description="Its tier (a name in program.tiers); empty: the entry tier.")
    sellers: float | None = Field(None, ge=0, description="Its sellers for the category; empty: drawn.")
    accounts: float | None = Field(None, ge=0, description="Accounts it covers; empty: drawn.")

    @field_validator("recruited", mode="before")
    @classmethod
    def _quarter_is_its_first_day(cls, value: Any) -> Any:
        if isinstance(value, str) and (match := QUARTER.match(value.strip())):
            return date(int(match[1]), 3 * int(match[2]) - 2, 1)
        return value


class Roster(Strict):
    """``partners.roster``: the partners on board at the start, from the company's roster export."""

    file: str | None = Field(None, description="The roster CSV, relative to the scenario file (read once; the "
                                               "scenario then holds its rows).")
    as_of: date = Field(description="The day the roster was exported: the start of the simulation's quarter 1.")
    partners: list[RosterPartner] = Field(default_factory=list, description="The roster's rows (read from "
                                                                            "'file' when not given).")

    @model_validator(mode="before")
    @classmethod
    def _read_file(cls, data: Any, info: ValidationInfo) -> Any:
        """Read the rows from ``file`` (relative to the scenario's folder) unless they are given."""
        if not isinstance(data, dict) or data.get("partners") or not data.get("file"):
            return data
        folder = (info.context or {}).get("folder") or Path.cwd()
        return {**data, "partners": read_roster(Path(folder) / data["file"])}

    @model_validator(mode="after")
    def _consistent(self) -> Roster:
        if not self.partners:
            raise ValueError("a roster needs its partners: give 'file' (a CSV) or 'partners'")
        seen: dict[str, int] = {}
        for i, partner in enumerate(self.partners):
            if partner.partner_id in seen:
                raise ValueError(f"partner_id {partner.partner_id!r} is listed twice (partners "
                                 f"{seen[partner.partner_id]} and {i}); ids must be unique")
            seen[partner.partner_id] = i
            if partner.recruited > self.as_of:
                raise ValueError(f"partner {partner.partner_id!r} was recruited {partner.recruited}, after the "
                                 f"roster's as_of {self.as_of}")
        return self

    def counts(self) -> dict[str, int]:
        """The roster's partners of each type."""
        found = [p.partner_type for p in self.partners]
        return {t: found.count(t) for t in PARTNER_TYPES if t in found}

    def check_tiers(self, tiers: list[str]) -> None:
        """Refuse a partner whose tier is not one of the program's ``tiers``.

        Raises:
            ValueError: naming the partner (and the roster file), its tier and the program's tiers.
        """
        for partner in self.partners:
            if partner.tier is not None and partner.tier not in tiers:
                where = f"{self.file}: " if self.file else ""
                raise ValueError(f"{where}partner {partner.partner_id!r}: tier {partner.tier!r} is not a tier of "
                                 f"program.tiers ({', '.join(tiers)})")


def read_roster(path: Path) -> list[dict]:
    """Read and check a roster CSV; return its rows as plain data (dates as ISO text).

    Raises:
        ScenarioError: naming the file, the line, the column, the bad value and what is
            allowed: a missing file, a missing required or an unknown column, an unknown
            partner type, a bad date or number, a repeated partner id.
    """
    table = read_csv(path, "partner roster")
    allowed = (*REQUIRED, *OPTIONAL)
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise ScenarioError(f"{path}: missing required column(s) {', '.join(missing)}; required: "
                            f"{', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)}")
    unknown = [c for c in table.header if c not in allowed]
    if unknown:
        raise ScenarioError(f"{path}: unknown column '{unknown[0]}'; allowed: {', '.join(allowed)}")
    if not table.rows:
        raise ScenarioError(f"{path}: the roster has a header but no partners")
    rows, lines = [], {}
    for line, cells in table.rows:
        given = {k: v for k, v in cells.items() if v != ""}
        try:
            partner = RosterPartner.model_validate(given)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            column = str(error["loc"][0]) if error["loc"] else ""
            value = f"{given[column]!r}: " if column in given else ""
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "empty, but required"
            raise ScenarioError(f"{table.where(line, column)}: {value}{message}") from None
        if partner.partner_id in lines:
            raise ScenarioError(f"{table.where(line, 'partner_id')}: {partner.partner_id!r} is already listed on "
                                f"line {lines[partner.partner_id]}; partner ids must be unique")
        lines[partner.partner_id] = line
        rows.append(partner.model_dump(mode="json", exclude_none=True))
    return rows


def tenure_quarters(recruited: date, as_of: date) -> int:
    """Whole quarters from ``recruited`` to ``as_of``.

    Examples:
        >>> tenure_quarters(date(2025, 7, 1), date(2026, 1, 1)), tenure_quarters(date(2025, 7, 2), date(2026, 1, 1))
        (2, 1)
    """
    months = (as_of.year - recruited.year) * 12 + as_of.month - recruited.month - (as_of.day < recruited.day)
    return months // 3


def place_roster(population, partners, scenario) -> np.ndarray | None:
    """Put a scenario's roster on board with one vendor; return each partner's roster id (``None`` if drawn).

    The roster's partners of each type take the first slots of that type, in roster
    order; their lifecycle state, certification and starting tier follow their tenure
    and tier (module docstring); ``sellers`` and ``accounts`` replace the drawn ones.

    Args:
        population: the :class:`sim.agents.PartnerPopulation` (its static columns).
        partners: the vendor's :class:`sim.agents.PartnerView` (its relationship rows).
        scenario: the validated scenario.

    Returns:
        The roster id of every partner (``None`` for drawn partners), or ``None`` when
        the scenario has no roster.
    """
    from sim import agents as ag  # sim.agents calls this while it is being built

    roster = scenario.partners.roster
    if roster is None:
        return None
    ids = np.full(population.size, None, dtype=object)
    tiers = [t.name for t in scenario.program.tiers]
    needs_certificate = {t.name: t.requires_certification for t in scenario.program.tiers}
    taken = {t: 0 for t in PARTNER_TYPES}
    resized = []
    for entry in roster.partners:
        i = int(np.flatnonzero(population.type_names == entry.partner_type)[taken[entry.partner_type]])
        taken[entry.partner_type] += 1
        ids[i] = entry.partner_id
        tenure = tenure_quarters(entry.recruited, roster.as_of)
        ramp, certification = int(population.ramp_quarters[i]), int(population.certification_quarters[i])
        certified = tenure >= ramp + certification or needs_certificate.get(entry.tier, False)
        partners.recruited_quarter[i] = 0
        if tenure < ramp and not certified:
            partners.state[i] = ag.ONBOARDING
            partners.ramp_left[i] = ramp - tenure
        else:
            partners.state[i] = ag.CERTIFIED if certified else ag.ENABLED
            partners.certified[i] = certified
            partners.ramp_left[i] = 0
            partners.cert_left[i] = 0 if certified else ramp + certification - tenure
            partners.selling_since[i] = 0
        partners.start_tier[i] = tiers.index(entry.tier) if entry.tier else 0
        if entry.sellers is not None or entry.accounts is not None:
            _resize(population, i, entry.sellers, entry.accounts)
            resized.append(i)
    if resized:
        _revalue_books(population)
    return ids


def _resize(population, i: int, sellers: float | None, accounts: float | None) -> None:
    """Give partner ``i`` its roster sellers and accounts (accounts scale with sellers if not given)."""
    if sellers is not None:
        if accounts is None and population.sellers[i] > 0:
            population.accounts[i] *= sellers / population.sellers[i]
        population.sellers[i] = sellers
    if accounts is not None:
        population.accounts[i] = accounts


def _revalue_books(population) -> None:
    """Book values after a roster changed accounts: accounts x reach; a distributor's is its resellers'."""
    p = population
    p.book_value = p.accounts * p.reach
    two_tier = np.flatnonzero(p.parent >= 0)
    distributors = np.flatnonzero(p.is_distributor)
    p.book_value[distributors] = np.bincount(p.parent[two_tier], weights=p.book_value[two_tier],
                                             minlength=p.size)[distributors]
