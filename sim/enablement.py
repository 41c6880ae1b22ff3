"""Enablement: onboarding ramp, certification, and the partner managers' capacity to onboard.

Rules in this module, each with its source:

* :func:`progress_ramp_and_certification` — onboarding takes ``ramp_quarters``, then
  the partner sells (enabled, at half productivity) and certifies after
  ``certification_quarters`` (seed 001: ramp time and certification decide
  productivity; seed 002 onboarding and enablement).
* :func:`start_onboarding` — partner managers take queued recruits into onboarding,
  first come first served, ``partner_managers x onboardings_per_manager x route
  quality`` a quarter (seed 002: "under-resourced teams ... can unintentionally become
  a bottleneck").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim.draws import Draws, stochastic_round

__all__ = ["Onboarding", "progress_ramp_and_certification", "start_onboarding"]


@dataclass(frozen=True)
class Onboarding:
    """Queued recruits the vendor's partner managers started onboarding this quarter."""

    started: np.ndarray  # partner ids
    spend: float  # their enablement cost


def progress_ramp_and_certification(partners: ag.PartnerPopulation, t: int) -> None:
    """Count down onboarding ramps and certification; move partners to enabled and certified."""
    p = partners
    ramping = (p.state == ag.ONBOARDING) & (p.ramp_left > 0)
    p.ramp_left[ramping] -= 1
    ready = np.flatnonzero((p.state == ag.ONBOARDING) & (p.ramp_left == 0))
    p.state[ready] = ag.ENABLED
    p.selling_since[ready] = t
    p.cert_left[ready] = p.certification_quarters[ready]
    studying = p.in_states(*ag.SELLING_STATES) & ~p.certified & (p.recruited_quarter >= 0)
    studying[ready] = False
    p.cert_left[studying] = np.maximum(p.cert_left[studying] - 1, 0)
    done = studying & (p.cert_left == 0)
    p.certified[done] = True
    p.state[done & (p.state == ag.ENABLED)] = ag.CERTIFIED


def start_onboarding(partners: ag.PartnerPopulation, vendor, draws: Draws) -> Onboarding:
    """Partner managers take queued recruits into onboarding, oldest recruits first."""
    p, v = partners, vendor.config
    queue = np.flatnonzero((p.state == ag.ONBOARDING) & (p.ramp_left < 0))
    slots = stochastic_round(v.partner_managers * v.onboardings_per_manager * vendor.route_quality, draws.scalar())
    if queue.size == 0 or slots == 0:
        return Onboarding(np.empty(0, dtype=np.int64), 0.0)
    order = queue[np.argsort(p.recruited_quarter[queue], kind="stable")][:slots]
    p.ramp_left[order] = p.ramp_quarters[order]
    return Onboarding(order, float(p.enablement_cost[order].sum()))
