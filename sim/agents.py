"""Vendors and partners: their state and the decision rules they follow.

Partner state lives in arrays (:class:`PartnerPopulation`, one entry per partner) so
every rule is applied to thousands of partners at once; each partner is also a
:class:`PartnerAgent` (a ``mesa.Agent`` whose attributes read those arrays), so the
usual Mesa tools (``model.agents_by_type``, ``AgentSet.select``) work on them.

Decision rules, each with its source:

* :func:`effort_split` — partners split seller capacity across the vendors they carry
  by expected profit (seed 002 "Why Partners Need Startups": partners "are in the
  business of maximizing their own profitability"; multinomial logit choice,
  McFadden 1974).
* :func:`acceptance_probability` — partners join for customer demand, margins,
  services potential and credibility (seed 002 "How do mature partners assess
  whether a startup is ready to partner?").
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.partner_types import PARTNER_TYPES, ROUTE_OF_TYPE, SEGMENTS, TYPE_DEFAULTS

__all__ = [
    "STATES",
    "PartnerPopulation",
    "PartnerAgent",
    "VendorAgent",
    "effort_split",
    "acceptance_probability",
]

# Partner lifecycle (DESIGN.md mechanisms table; seed 001 "onboarding programs that
# compress ramp times", certification track; seed 002 onboarding and certification).
STATES: tuple[str, ...] = ("prospect", "onboarding", "enabled", "certified", "active", "dormant", "churned")
PROSPECT, ONBOARDING, ENABLED, CERTIFIED, ACTIVE, DORMANT, CHURNED = range(len(STATES))
SELLING_STATES = (ENABLED, CERTIFIED, ACTIVE, DORMANT)
PARTNERED_STATES = (ONBOARDING, ENABLED, CERTIFIED, ACTIVE, DORMANT)

COMMERCIAL_MODEL_CODE = {"resell": 0, "referral": 1, "marketplace": 2, "distribution": 3}


class PartnerPopulation:
    """Every partner's attributes and state as arrays indexed by partner id."""

    def __init__(self, scenario, rng: np.random.Generator):
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
        self.sellers = per_type("sellers")
        self.accounts = per_type("sellers") * per_type("accounts_per_seller")
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

        self.state = np.zeros(self.size, dtype=np.int8)
        self.certified = np.zeros(self.size, dtype=bool)
        self.ramp_left = np.full(self.size, -1, dtype=np.int64)  # -1: waiting for an enablement slot
        self.cert_left = np.zeros(self.size, dtype=np.int64)
        self.recruited_quarter = np.full(self.size, -1, dtype=np.int64)
        self.last_opportunity_quarter = np.full(self.size, -1, dtype=np.int64)
        self.selling_since = np.full(self.size, -1, dtype=np.int64)
        self.dormant_quarters = np.zeros(self.size, dtype=np.int64)
        self.alignment = np.full(self.size, 0.5)
        self.effort_share = np.zeros(self.size)
        self.installed_share = np.zeros(self.size)

        for t in PARTNER_TYPES:  # partners already on board at the start
            ids = np.flatnonzero(self.type_names == t)[: types[t].initial]
            self.state[ids] = CERTIFIED
            self.certified[ids] = True
            self.recruited_quarter[ids] = 0
            self.selling_since[ids] = 0
            self.ramp_left[ids] = 0

    def state_name(self, pid: int) -> str:
        """Return the lifecycle state of partner ``pid`` as a string."""
        return STATES[self.state[pid]]

    def in_states(self, *states: int) -> np.ndarray:
        """Return a boolean mask of partners in any of ``states``."""
        return np.isin(self.state, states)

    def productivity(self, route_quality: float) -> np.ndarray:
        """Selling productivity in [0, 1]: half while uncertified, half again when dormant.

        Enablement quality falls when the vendor runs more routes than it can manage
        (``route_quality`` < 1; seed 002 "don't pursue more than two to three").
        """
        selling = self.in_states(*SELLING_STATES)
        base = np.where(self.certified, 1.0, 0.5) * route_quality
        return np.where(selling, np.where(self.state == DORMANT, 0.5 * base, base), 0.0)


def expected_profit_per_value(margin, win_prob, deal_multiplier, services_attach, services_ratio):
    """Partner's expected profit per unit of deal value from one unit of selling effort.

    margin x win probability x relative deal size (the commission) plus the services
    wrap it can sell around the product (seed 002 "Ability to Build Service Layers").
    """
    return win_prob * deal_multiplier * (margin + services_attach * services_ratio)


def effort_split(
    focal_profit: np.ndarray,
    rival_profit: np.ndarray,
    alignment: np.ndarray,
    installed_share: np.ndarray,
    rival_installed_share: float,
    n_rivals: int,
    behavior,
) -> np.ndarray:
    """Share of each partner's seller capacity given to the focal vendor (logit choice).

    Utility of vendor v for a partner: ``effort_sensitivity * profit_v +
    alignment_weight * alignment_v + demand_weight * installed_share_v``. With
    ``n_rivals`` identical rivals the focal share is
    ``exp(U_f) / (exp(U_f) + n_rivals * exp(U_r))``.
    """
    u_focal = (behavior.effort_sensitivity * focal_profit + behavior.alignment_weight * alignment
               + behavior.demand_weight * installed_share)
    u_rival = (behavior.effort_sensitivity * rival_profit + behavior.alignment_weight * 0.5
               + behavior.demand_weight * rival_installed_share)
    if n_rivals == 0:
        return np.ones_like(u_focal)
    return 1.0 / (1.0 + n_rivals * np.exp(u_rival - u_focal))


def acceptance_probability(
    margin: np.ndarray,
    default_margin: np.ndarray,
    services_attach: np.ndarray,
    credibility: float,
    installed_share: np.ndarray,
    behavior,
) -> np.ndarray:
    """Probability a prospective partner accepts the vendor's offer (logistic).

    Rises with the offered margin above what the type usually earns, with services
    potential, with the vendor's stage credibility and with the installed base in the
    partner's own accounts (seed 002: customer demand is "the strongest signal").
    """
    relative_margin = margin / np.maximum(default_margin, 1e-9) - 1.0
    logit = (behavior.acceptance_base
             + behavior.acceptance_margin_weight * relative_margin
             + behavior.acceptance_services_weight * services_attach
             + behavior.acceptance_credibility_weight * credibility
             + behavior.demand_weight * installed_share)
    return 1.0 / (1.0 + np.exp(-logit))


class VendorAgent(mesa.Agent):
    """A vendor: the focal startup or one of its rivals."""

    def __init__(self, model, name: str, focal: bool):
        super().__init__(model)
        self.name = name
        self.focal = focal


class PartnerAgent(mesa.Agent):
    """One partner; its attributes are views on the model's :class:`PartnerPopulation`."""

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def partner_type(self) -> str:
        """The partner's type (``gsi``, ``reseller``, ...)."""
        return self.model.partners.type_names[self.index]

    @property
    def state(self) -> str:
        """The partner's lifecycle state."""
        return self.model.partners.state_name(self.index)

    @property
    def effort_share(self) -> float:
        """Share of the partner's sellers working the focal vendor this quarter."""
        return float(self.model.partners.effort_share[self.index])

    @property
    def parent_id(self) -> int | None:
        """The distributor of a two-tier reseller, else ``None``."""
        parent = int(self.model.partners.parent[self.index])
        return parent if parent >= 0 else None
