"""Partner activity: who is active, dormant or gone, and how alignment moves.

Rules in this module, each with its source:

* :func:`update_activity` — a partner that brought in an opportunity of its own this
  quarter (sourced, or carried on its marketplace) is active; co-selling a deal the
  customer brought does not count, since it is not the partner "actively driving
  activity" (seed 002 growth-stage metric "activation rate - how many onboarded
  partners are actively driving activity"). One without an opportunity of its own for
  ``dormant_after_quarters`` goes dormant, and one dormant for ``exit_after_quarters``
  leaves (seed 001: "monitor partner churn, performance drift"). Marketplaces and distributors never go dormant:
  a listing and a two-tier orchestrator have no opportunities of their own.
* Alignment: a partner that lost a dispute over a deal loses
  ``conflict_alignment_penalty`` (seed 002: when "deal ownership isn't clearly
  communicated, trust erodes"; :func:`sim.deals.resolve_conflicts`); every quarter
  alignment drifts back toward the program's target by at most
  ``alignment_recovery`` (seed 002: "non-financial rewards" raise the target).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag

__all__ = ["Activity", "update_activity"]


@dataclass(frozen=True)
class Activity:
    """Partners whose activity state changed this quarter."""

    woke: np.ndarray  # partner ids that became active
    went_dormant: np.ndarray  # partner ids that went dormant
    left: np.ndarray  # partner ids that left after long dormancy


def update_activity(partners: ag.PartnerPopulation, t: int, opportunities: np.ndarray,
                    dispute_losers: np.ndarray, alignment_target: float, behavior) -> Activity:
    """Mark partners active, dormant or churned by their recent opportunities; move their alignment.

    Args:
        partners: the partner population (state and alignment are updated).
        t: the quarter.
        opportunities: opportunities each partner brought in itself this quarter.
        dispute_losers: partner ids that lost a dispute this quarter (one entry per loss).
        alignment_target: where alignment drifts back to (the vendor program's).
        behavior: the scenario's ``partners.behavior`` section.
    """
    p, b = partners, behavior
    p.alignment[dispute_losers] = np.maximum(0.0, p.alignment[dispute_losers] - b.conflict_alignment_penalty)
    had = opportunities > 0
    wake = had & p.in_states(ag.ENABLED, ag.CERTIFIED, ag.DORMANT)
    p.state[wake] = ag.ACTIVE
    p.last_opportunity_quarter[had] = t
    p.dormant_quarters[had] = 0
    idle_since = np.maximum(p.last_opportunity_quarter, p.selling_since)
    idle = ~had & p.in_states(ag.ENABLED, ag.CERTIFIED, ag.ACTIVE) & (t - idle_since >= b.dormant_after_quarters)
    idle &= ~p.is_marketplace & ~p.is_distributor
    p.state[idle] = ag.DORMANT
    dormant = p.state == ag.DORMANT
    p.dormant_quarters[dormant & ~idle] += 1
    left = dormant & (p.dormant_quarters >= b.exit_after_quarters)
    p.state[left] = ag.CHURNED
    # np.clip(gap, -recovery, recovery), without its dispatch overhead
    p.alignment += np.minimum(np.maximum(alignment_target - p.alignment, -b.alignment_recovery), b.alignment_recovery)
    return Activity(np.flatnonzero(wake), np.flatnonzero(idle), np.flatnonzero(left))
