"""Partners: every partner's attributes and lifecycle state, as columns.

Partner state lives in arrays (:class:`PartnerPopulation`, one entry per partner) so
every rule is applied to thousands of partners at once; the rules themselves are in
the phase modules (:mod:`sim.recruitment`, :mod:`sim.enablement`, :mod:`sim.effort`,
:mod:`sim.activity`). Partners are not ``mesa.Agent`` objects: nothing reads them one
at a time, and up to 10^5 Python objects would cost the build its speed.
"""

from __future__ import annotations

import numpy as np

from sim.partner_types import PARTNER_TYPES, ROUTE_OF_TYPE, SEGMENTS, TYPE_DEFAULTS
from sim.roster import place_roster

__all__ = ["STATES", "SELLING_STATES", "PARTNERED_STATES", "RELATION_FIELDS", "PartnerPopulation", "PartnerView",
           "mean_one_lognormal"]

# Partner lifecycle (DESIGN.md mechanisms table; seed 001 "onboarding programs that
# compress ramp times", certification track; seed 002 onboarding and certification).
STATES: tuple[str, ...] = ("prospect", "onboarding", "enabled", "certified", "active", "dormant", "churned")
PROSPECT, ONBOARDING, ENABLED, CERTIFIED, ACTIVE, DORMANT, CHURNED = range(len(STATES))
SELLING_STATES = (ENABLED, CERTIFIED, ACTIVE, DORMANT)
PARTNERED_STATES = (ONBOARDING, ENABLED, CERTIFIED, ACTIVE, DORMANT)

COMMERCIAL_MODEL_CODE = {"resell": 0, "referral": 1, "marketplace": 2, "distribution": 3}


def mean_one_lognormal(z: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``exp(sigma z - sigma^2 / 2)`` for standard normal ``z``: lognormal with mean one.

    Examples:
        >>> float(mean_one_lognormal(np.array([0.0]), np.array([0.0]))[0])
        1.0
    """
    return np.exp(sigma * z - 0.5 * sigma**2)


# Each vendor's relationship with each partner: name -> (dtype, initial value).
RELATION_FIELDS: dict[str, tuple[type, object]] = {
    "state": (np.int8, PROSPECT),
    "certified": (bool, False),
    "ramp_left": (np.int64, -1),  # -1: waiting for an enablement slot
    "cert_left": (np.int64, 0),
    "recruited_quarter": (np.int64, -1),
    "last_opportunity_quarter": (np.int64, -1),
    "selling_since": (np.int64, -1),
    "dormant_quarters": (np.int64, 0),
    "declined_quarter": (np.int64, -(10**6)),  # when it last declined the vendor's offer
    "has_won": (bool, False),  # has won a deal (a pending first-win bonus is paid)
    "deals_won": (float, 0.0),  # the partner's own track record with the vendor
    "deals_lost": (float, 0.0),
    "alignment": (float, 0.5),
    "effort_share": (float, 0.0),
    "installed_share": (float, 0.0),
    "trailing_quarters": (np.int64, 0),  # quarters in a row the vendor's offer trailed another startup's
    "start_tier": (np.int64, 0),  # the tier it starts in (a roster's; else the entry tier), sim/roster.py
}


class PartnerPopulation:
    """Every partner's attributes as arrays indexed by partner id, and its relationship with each vendor.

    Args:
        scenario: the validated scenario.
        rng: the replication's generator (partners' own draws, two-tier parents).
        vendors: how many vendors keep a relationship with the partners.
    """

    def __init__(self, scenario, rng: np.random.Generator, vendors: int = 1):
        types = scenario.partners.by_type()
        counts = np.array([types[t].count for t in PARTNER_TYPES])
        self.size = int(counts.sum())
        self.type_index = np.repeat(np.arange(len(PARTNER_TYPES)), counts)
        self.type_names = np.array(PARTNER_TYPES, dtype=object)[self.type_index]

        def per_type(field: str, dtype=float) -> np.ndarray:
            values = np.array([getattr(types[t], field) for t in PARTNER_TYPES], dtype=dtype)
            return values[self.type_index]

        self.model_code = np.array([COMMERCIAL_MODEL_CODE[types[t].commercial_model]
                                    for t in PARTNER_TYPES])[self.type_index]
        self.margin = per_type("margin")
        self.default_margin = np.array([TYPE_DEFAULTS[t]["margin"] for t in PARTNER_TYPES])[self.type_index]
        dispersion = {f: np.array([getattr(types[t].heterogeneity, f) for t in PARTNER_TYPES])[self.type_index]
                      for f in ("size", "reach", "capability", "engagement")}
        z = rng.standard_normal((self.size, 4)).T  # a row per partner: its draws do not depend on the pool's size
        self.sellers = per_type("sellers") * mean_one_lognormal(z[0], dispersion["size"])
        self.accounts = self.sellers * per_type("accounts_per_seller") * mean_one_lognormal(z[1], dispersion["reach"])
        self.capability = mean_one_lognormal(z[2], dispersion["capability"])  # multiplies its deals' win rate
        self.propensity = dispersion["engagement"] * z[3]  # logit units: its appetite for a startup vendor
        self.deal_size_multiplier = per_type("deal_size_multiplier")
        self.sales_cycle_extra = per_type("sales_cycle_extra", int)
        self.win_rate_lift = per_type("win_rate_lift")
        self.services_attach = per_type("services_attach")
        self.retention_effect = per_type("retention_effect")
        self.reach = per_type("reach")
        self.ramp_quarters = per_type("ramp_quarters", int)
        self.certification_quarters = per_type("certification_quarters", int)
        self.enablement_cost = per_type("enablement_cost")
        self.resellers_per_quarter = per_type("resellers_recruited_per_quarter", int)
        self.portfolio_limit = per_type("portfolio_limit", int)
        self.cascade_cost_share = per_type("cascade_cost_share")
        self.segment_fit = np.array([[types[t].segment_fit.get(s, 0.0) for s in SEGMENTS]
                                     for t in PARTNER_TYPES])[self.type_index]
        self.route = np.array([ROUTE_OF_TYPE[t] for t in PARTNER_TYPES], dtype=object)[self.type_index]

        self.is_distributor = self.type_names == "distributor"
        self.is_marketplace = self.model_code == COMMERCIAL_MODEL_CODE["marketplace"]
        self.parent = np.full(self.size, -1, dtype=np.int64)
        distributors = np.flatnonzero(self.is_distributor)
        resellers = np.flatnonzero(self.type_names == "reseller")
        if distributors.size and resellers.size:
            # Two-tier: each reseller buys through one distributor (seed 002 case study 1).
            self.parent[resellers] = rng.choice(distributors, size=resellers.size)
        self.route[(self.parent >= 0)] = "distribution"
        # What a partner's book is worth to a vendor: accounts x reach; a distributor's is its resellers'.
        self.book_value = self.accounts * self.reach
        two_tier = np.flatnonzero(self.parent >= 0)
        self.book_value[distributors] = np.bincount(self.parent[two_tier], weights=self.book_value[two_tier],
                                                    minlength=self.size)[distributors]

        self.relations = {name: np.full((vendors, self.size), initial, dtype=dtype)
                          for name, (dtype, initial) in RELATION_FIELDS.items()}
        self._initial = {t: types[t].initial for t in PARTNER_TYPES}
        self.views = [PartnerView(self, v) for v in range(vendors)]
        self.start_on_board(self.views[0], self._initial)
        # A company's own roster (partners.roster) is on board with the vendor instead; roster_id[i] is partner
        # i's id there (None for drawn partners), or None without a roster (sim/roster.py).
        self.roster_id = place_roster(self, self.views[0], scenario)

    def start_on_board(self, partners: PartnerView, initial: dict[str, int]) -> None:
        """Partners already on board with a vendor at the start: the first ``initial[type]`` of each type."""
        for t, count in initial.items():
            ids = np.flatnonzero(self.type_names == t)[:count]
            partners.state[ids] = CERTIFIED
            partners.certified[ids] = True
            partners.recruited_quarter[ids] = 0
            partners.selling_since[ids] = 0
            partners.ramp_left[ids] = 0


def _state_table(states: tuple[int, ...]) -> np.ndarray:
    """A lookup table over the lifecycle states: True for ``states`` (an ``isin`` by one gather)."""
    table = _STATE_TABLES.get(states)
    if table is None:
        table = _STATE_TABLES[states] = np.isin(np.arange(len(STATES)), states)
    return table


_STATE_TABLES: dict[tuple[int, ...], np.ndarray] = {}


class PartnerView:
    """The partners as one vendor sees them: the shared columns and its own relationship rows.

    Static attributes (type, size, reach, parent distributor ...) are the population's;
    the relationship (lifecycle state, certification, effort share, track record ...,
    ``RELATION_FIELDS``) is one row per vendor of the population's tables, so every
    phase works on one vendor's partners with plain arrays, and assigning an attribute
    writes into that vendor's row.
    """

    def __init__(self, population: PartnerPopulation, vendor: int):
        object.__setattr__(self, "_population", population)
        object.__setattr__(self, "vendor_index", vendor)
        for name, table in population.relations.items():
            object.__setattr__(self, name, table[vendor])

    def __getattr__(self, name: str):
        return getattr(self._population, name)

    def __setattr__(self, name: str, value) -> None:
        if name not in RELATION_FIELDS:
            raise AttributeError(f"{name} is not a vendor's relationship field")
        getattr(self, name)[...] = value

    def state_name(self, pid: int) -> str:
        """Return the lifecycle state of partner ``pid`` as a string."""
        return STATES[self.state[pid]]

    def in_states(self, *states: int) -> np.ndarray:
        """Return a boolean mask of partners in any of ``states``."""
        return _state_table(states)[self.state]

    def productivity(self, route_quality: float) -> np.ndarray:
        """Selling productivity in [0, 1]: half while uncertified.

        Enablement quality falls when the vendor runs more routes than it can manage
        (``route_quality`` < 1; seed 002 "don't pursue more than two to three"). A
        dormant partner sells as well as an active one when its sellers choose the
        vendor again: dormancy is its sellers' choice (:func:`sim.effort.assign_sellers`),
        not a loss of skill.
        """
        selling = self.in_states(*SELLING_STATES)
        return np.where(selling, np.where(self.certified, 1.0, 0.5) * route_quality, 0.0)
