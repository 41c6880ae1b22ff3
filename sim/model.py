"""The ecosystem model: one Mesa step is one quarter.

Order of events in a quarter (:meth:`EcosystemModel.step`); each phase is a function
in its topic module that reads the state it needs, changes only the state it owns and
returns a small immutable record of what happened:

1. the vendor ages and its Partner Maturity Index stage is re-assessed
   (:meth:`sim.vendors.VendorAgent.assess_stage`);
2. it counts its routes to market; enablement quality follows attention
   (:meth:`sim.vendors.VendorAgent.assess_routes`);
3. partners progress through onboarding ramp and certification (:mod:`sim.enablement`);
4. the vendor and its distributors recruit partners (:mod:`sim.recruitment`);
5. partner managers take queued recruits into onboarding, the capacity limit
   (:mod:`sim.enablement`);
6. partners split their seller effort across the vendors they carry (:mod:`sim.effort`);
7. customers renew or churn, due opportunities close, partners run MDF campaigns, new
   opportunities open (adoption hazard, attribution, influence, deal-registration
   conflicts), and zero-cycle ones close (:mod:`sim.sales`);
8. revenue is recognised (:mod:`sim.revenue`) and the vendor's program pays partners
   from the quarter's records (:mod:`sim.incentives`);
9. partners are marked active, dormant or churned by their recent activity, and their
   alignment moves (:mod:`sim.activity`);
10. partners are scored, tiered and, by policy, exited at review quarters
    (:mod:`sim.tiers`); the vendor takes over the customers of partners that left
    (:func:`sim.sales.hand_over`);
11. the recorder stores the quarter's records (:mod:`sim.recorder`); Mesa's
    ``DataCollector`` collects the vendors' own series.
"""

from __future__ import annotations

from functools import partial

import mesa
import numpy as np
import pandas as pd

from sim import sales
from sim.activity import update_activity
from sim.agents import PartnerPopulation
from sim.customers import CustomerPopulation, Segments
from sim.draws import Draws
from sim.effort import split_effort, update_installed_share
from sim.enablement import progress_ramp_and_certification, start_onboarding
from sim.network import Coverage, coverage_matrix, peer_graph
from sim.partner_types import SEGMENTS
from sim.recorder import QuarterFlows, Recorder
from sim.recruitment import recruit
from sim.revenue import recognise
from sim.tiers import review_partners
from sim.vendors import StaticRival, VendorAgent

__all__ = ["EcosystemModel", "STREAMS"]

# Random streams of a quarter, one per purpose (codes are positions: append, never reorder).
STREAMS: tuple[str, ...] = ("outreach_slots", "outreach", "accept", "cascade", "enablement_slots", "renew",
                            "close", "attach", "adopt", "source", "sourcer", "marketplace", "influence",
                            "conflict", "terms", "close_again", "attach_again")

# The vendors' own series, collected by Mesa's DataCollector each quarter.
VENDOR_REPORTERS = {"vendor": "name", "stage": "stage", "product_readiness": "readiness",
                    "credibility": "credibility", "routes_active": "routes_active", "route_quality": "route_quality"}


class EcosystemModel(mesa.Model):
    """A vendor, its rivals, partners and customers; one step per quarter.

    The model's generator draws the initial state (segments, graphs, coverage); every
    quarter's events draw from :meth:`stream`, one stream per (quarter, purpose),
    with one number per customer or partner.

    Args:
        scenario: a validated :class:`sim.scenario.Scenario`.
        rng: the replication's ``numpy.random.Generator`` (or a seed).

    Attributes:
        vendor: the startup (:class:`sim.vendors.VendorAgent`), owner of its program and tiers.
        competitors: every vendor partners split their effort across, the startup first.
        partners, customers, coverage: the columnar populations and the account books.
        last: the last quarter's records (:class:`sim.recorder.QuarterFlows`).
    """

    def __init__(self, scenario, rng=None):
        super().__init__(rng=np.random.default_rng(rng))
        self._seed_seq = self.rng.bit_generator.seed_seq
        self._stream_keys: dict[int, np.ndarray] = {}  # the current quarter's stream keys
        self.config = scenario
        market, vendor = scenario.market, scenario.vendor
        self.segments = Segments.from_market(market)
        shares = self.segments.share
        segment = self.rng.choice(len(SEGMENTS), size=market.customers, p=shares / shares.sum())
        direct_cover = np.array([vendor.direct_coverage.get(s, 0.0) for s in SEGMENTS])
        direct_owned = self.rng.random(market.customers) < direct_cover[segment]
        wom = market.word_of_mouth
        peers = peer_graph(wom.graph, market.customers, wom.mean_degree, wom.rewiring, self.rng)
        self.customers = CustomerPopulation(segment, direct_owned, peers, fully_mixed=wom.graph == "complete")
        self.population = PartnerPopulation(scenario, self.rng)
        self.partners = self.population.views[0]  # the partners as the vendor sees them
        self.coverage = Coverage(coverage_matrix(segment, self.partners.accounts, self.partners.segment_fit,
                                                 self.rng))

        self.vendor = VendorAgent(self, "focal", scenario, self.partners, self.segments, market.customers)
        for i in range(scenario.rivals.count):
            StaticRival(self, f"rival_{i + 1}", scenario.rivals, self.partners, self.segments,
                        scenario.partners.behavior, market.churn)
        self.competitors = [self.vendor, *self.agents_by_type.get(StaticRival, [])]
        self.recorder = Recorder(self.partners, self.vendor.tiers.names, scenario.simulation.quarters)
        self.datacollector = mesa.DataCollector(agenttype_reporters={VendorAgent: VENDOR_REPORTERS})
        self.last: QuarterFlows | None = None

    def stream(self, t: int, purpose: str) -> Draws:
        """The random numbers of one purpose (one of ``STREAMS``) in quarter ``t``.

        Common random numbers: each (quarter, purpose) has its own stream, keyed by one
        word of the state of a ``SeedSequence`` spawned from the replication's for the
        quarter, and each of its draws gives every customer or partner one number,
        fixed by its id and computed only for the ids that need one
        (:class:`sim.draws.Draws`). Runs that differ only in program design (the arms
        of an experiment) therefore give each customer and partner the same draws
        however far their states drift apart, which keeps paired differences tight.
        """
        if t not in self._stream_keys:
            seq = self._seed_seq
            quarter = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, t), pool_size=seq.pool_size)
            self._stream_keys = {t: quarter.generate_state(len(STREAMS), np.uint64)}
        return Draws(int(self._stream_keys[t][STREAMS.index(purpose)]))

    def step(self) -> None:
        """Advance the ecosystem by one quarter, in the order of events of the module docstring."""
        t, sc, vendor = self.steps, self.config, self.vendor
        p, c, behavior = self.partners, self.customers, sc.partners.behavior
        stream = partial(self.stream, t)
        paying = c.active_mask()
        vendor.assess_stage(int(paying.sum()), float(c.contract_value[paying].sum()))
        vendor.assess_routes(p)
        progress_ramp_and_certification(p, t)
        update_installed_share(p, self.coverage, paying)
        recruitment = recruit(p, vendor, t, stream, behavior)
        onboarding = start_onboarding(p, vendor, stream("enablement_slots"))
        effort = split_effort(p, self.competitors, self.segments, sc.market.services_ratio, behavior)
        renewals = sales.renew(c, self.segments, sc.market, t, stream("renew"))
        closed = sales.close(c, p, t, stream("close"), stream("attach"))
        mdf = sales.run_mdf_campaigns(vendor.program, p, c, self.coverage)
        opened = sales.open_opportunities(c, p, self.coverage, vendor, effort.engagement, mdf, self.segments, sc, t,
                                          stream)
        closes = (closed, sales.close(c, p, t, stream("close_again"), stream("attach_again")))  # zero-cycle deals
        revenue = recognise(c, p.size, sc.market.services_ratio)
        payouts = vendor.program.pay(t, c, renewals, closes, revenue)
        activity = update_activity(p, t, opened.sourced_per_partner, opened.conflicts.disputed_losers,
                                   vendor.program.alignment_target(), behavior)
        review = review_partners(vendor.tiers, p, c, self.coverage.accounts, t, revenue, renewals, closes,
                                 sc.program.scorecard.exit_grace_quarters)
        handover = sales.hand_over(c, np.concatenate([activity.left, review.exited]))
        self.last = QuarterFlows(recruitment, onboarding, effort, renewals, closes, mdf, opened, revenue, payouts,
                                 activity, review, handover)
        self.recorder.record(t, self.last, c, vendor)
        self.datacollector.collect(self)

    def vendor_frame(self) -> pd.DataFrame:
        """The vendors' own series: one row per (quarter, vendor), from the DataCollector."""
        frame = self.datacollector.get_agenttype_vars_dataframe(VendorAgent).reset_index()
        return frame.rename(columns={"Step": "quarter"}).drop(columns="AgentID")
