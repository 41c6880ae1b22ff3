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
6. partners split their seller effort across the vendors they carry, each seller
   choosing a vendor for the quarter (:mod:`sim.effort`);
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

import hashlib
from functools import lru_cache, partial

import mesa
import numpy as np
import pandas as pd

from sim import sales, strategies
from sim.activity import update_activity
from sim.agents import PARTNERED_STATES, PartnerPopulation
from sim.customers import CustomerPopulation, Segments
from sim.draws import Draws
from sim.effort import split_effort, update_installed_share
from sim.enablement import progress_ramp_and_certification, start_onboarding
from sim.network import Coverage, coverage_matrix, peer_graph
from sim.partner_types import SEGMENTS
from sim.portfolio import settle_portfolios
from sim.recorder import QuarterFlows, Recorder, partner_table, quarterly_table, vendor_table
from sim.recruitment import recruit
from sim.revenue import recognise
from sim.strategies import Levers
from sim.tiers import review_partners
from sim.vendors import StaticRival, VendorAgent, vendor_specs

__all__ = ["EcosystemModel", "STREAMS"]

# Random streams of a quarter, one per purpose (codes are positions: append, never reorder).
STREAMS: tuple[str, ...] = ("outreach_slots", "outreach", "accept", "cascade", "enablement_slots", "renew",
                            "close", "attach", "adopt", "source", "sourcer", "marketplace", "influence",
                            "conflict", "terms", "close_again", "attach_again", "choose",
                            "seller_choice")

_STREAM_INDEX = {purpose: i for i, purpose in enumerate(STREAMS)}

# The vendors' own series, collected by Mesa's DataCollector each quarter.
VENDOR_REPORTERS = {"vendor": "name", "stage": "stage", "product_readiness": "readiness",
                    "credibility": "credibility", "routes_active": "routes_active", "route_quality": "route_quality",
                    "margin_scale": lambda v: v.program.margin_scale, "mdf_accrual": lambda v: v.program.mdf_accrual,
                    "price": "price"}


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
        self._stream_keys: dict[tuple, np.ndarray] = {}  # the current quarter's stream keys
        self.config = scenario
        market = scenario.market
        specs = vendor_specs(scenario)
        self.segments = Segments.from_market(market)
        shares = self.segments.share
        segment = self.rng.choice(len(SEGMENTS), size=market.customers, p=shares / shares.sum())
        direct_owned = [self.rng.random(market.customers) < _direct_cover(specs[0])[segment]]
        wom = market.word_of_mouth
        peers = peer_graph(wom.graph, market.customers, wom.mean_degree, wom.rewiring, self.rng)
        self.customers = CustomerPopulation(segment, peers, fully_mixed=wom.graph == "complete", vendors=len(specs))
        self.population = PartnerPopulation(scenario, self.rng, vendors=len(specs))
        self.coverage = Coverage(coverage_matrix(segment, self.population.accounts, self.population.segment_fit,
                                                 self.rng))
        direct_owned += [self.rng.random(market.customers) < _direct_cover(spec)[segment] for spec in specs[1:]]

        behavior = scenario.partners.behavior
        self.startups = [VendorAgent(self, spec, i, self.population.views[i], behavior, market.churn, owned)
                         for i, (spec, owned) in enumerate(zip(specs, direct_owned, strict=True))]
        for spec, view in zip(specs, self.population.views, strict=True):
            if spec.initial_partners:
                self.population.start_on_board(view, spec.initial_partners)
        self.vendor = self.startups[0]
        self.partners = self.vendor.partners  # the partners as the (first) vendor sees them
        self.rivals = [StaticRival(self, f"rival_{i + 1}", scenario.rivals, self.population, self.segments, behavior,
                                   market.churn) for i in range(scenario.rivals.count)]
        self.competitors = [*self.startups, *self.rivals]
        self.churn_table = np.array([v.segments.churn for v in self.startups])
        self.recorders = [Recorder(v.partners, v.tiers.names, scenario.simulation.quarters) for v in self.startups]
        self.recorder = self.recorders[0]
        self.datacollector = mesa.DataCollector(agenttype_reporters={VendorAgent: VENDOR_REPORTERS})
        self.last: dict[str, QuarterFlows] = {}
        self.lever_history: list[dict[str, Levers]] = []  # each quarter's levers by startup (several startups)

    @property
    def multi_vendor(self) -> bool:
        """Whether several startups compete (their draws are then keyed by their names)."""
        return len(self.startups) > 1

    def stream(self, t: int, purpose: str, vendor: str | None = None) -> Draws:
        """The random numbers of one purpose (one of ``STREAMS``) in quarter ``t``, for one vendor if named.

        Common random numbers: each (quarter, purpose) has its own stream, keyed by one
        word of the state of a ``SeedSequence`` spawned from the replication's for the
        quarter, and each of its draws gives every customer or partner one number,
        fixed by its id and computed only for the ids that need one
        (:class:`sim.draws.Draws`). Runs that differ only in program design (the arms
        of an experiment) therefore give each customer and partner the same draws
        however far their states drift apart, which keeps paired differences tight.
        With several vendors, a vendor's own decisions draw from streams spawned for
        its name, so the order in which vendors are listed changes nothing.
        """
        key = (t,) if vendor is None else (t, _name_key(vendor))
        if key not in self._stream_keys:
            seq = self._seed_seq
            spawned = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *key), pool_size=seq.pool_size)
            self._stream_keys = {k: v for k, v in self._stream_keys.items() if k[0] == t}
            self._stream_keys[key] = spawned.generate_state(len(STREAMS), np.uint64)
        return Draws(int(self._stream_keys[key][_STREAM_INDEX[purpose]]))

    def _vendor_stream(self, t: int, vendor: VendorAgent):
        """``stream(purpose)`` for a vendor's own decisions this quarter."""
        return partial(self.stream, t, vendor=vendor.name if self.multi_vendor else None)

    def step(self) -> None:
        """Advance the ecosystem by one quarter, in the order of events of the module docstring."""
        t, sc, c, startups = self.steps, self.config, self.customers, self.startups
        behavior, market = sc.partners.behavior, sc.market
        stream = partial(self.stream, t)
        recruitment, onboarding, mdf = {}, {}, {}
        if self.multi_vendor:
            self.lever_history.append(strategies.move(startups, t, self.lever_history, self.last))
        for v in startups:
            paying = c.active_mask(v.index)
            ids = np.flatnonzero(paying)  # gathering by ids: the same values as by the mask, sooner
            v.assess_stage(ids.size, float(c.contract_value[ids].sum()))
            v.assess_routes(v.partners)
            progress_ramp_and_certification(v.partners, t)
            update_installed_share(v.partners, self.coverage, paying, v.index)
        carried_offers = self._carried_offers()
        for v in startups:
            recruitment[v] = recruit(v.partners, v, t, self._vendor_stream(t, v), behavior, carried_offers[v.index])
        for v in startups:
            onboarding[v] = start_onboarding(v.partners, v, self._vendor_stream(t, v)("enablement_slots"))
        # Partners' utility of each startup: dropping one changes none of what it weighs, so it serves both steps.
        utilities = [v.utility(behavior, market.services_ratio) for v in startups] if self.multi_vendor else None
        dropped = settle_portfolios(startups, behavior, market.services_ratio, utilities)
        seller_draws = [self._vendor_stream(t, v)("seller_choice") for v in startups]
        efforts = split_effort(startups, self.rivals, behavior, market.services_ratio, seller_draws,
                               behavior.effort_inertia, utilities)
        renewals = sales.renew(c, self.churn_table, market, t, stream("renew"))
        first = sales.close(c, startups, t, stream("close"), stream("attach"))
        pushes = []
        for v, effort in zip(startups, efforts, strict=True):
            mdf[v] = sales.run_mdf_campaigns(v, c, self.coverage)
            pushes.append(sales.partner_push(v, effort.engagement, mdf[v]))
        adopters = sales.choose_adopters(c, self.coverage, startups, pushes, market, stream("adopt"), stream("choose"))
        opened = [sales.open_opportunities(c, self.coverage, v, effort.engagement, push, adopting, sc, t,
                                           self._vendor_stream(t, v))
                  for v, effort, push, adopting in zip(startups, efforts, pushes, adopters, strict=True)]
        second = sales.close(c, startups, t, stream("close_again"), stream("attach_again"))  # zero-cycle deals
        for i, v in enumerate(startups):
            self.last[v.name] = self._settle(t, v, recruitment[v], onboarding[v], efforts[i], renewals[i],
                                             (first[i], second[i]), mdf[v], opened[i], dropped[i])
        for v, recorder in zip(startups, self.recorders, strict=True):
            recorder.record(t, self.last[v.name], c, v)
        self.datacollector.collect(self)

    def _carried_offers(self) -> list[np.ndarray | None]:
        """For each startup, the best deal value among the other startups each partner carries (several only).

        A prospect weighs a startup's offer against what it already carries
        (:func:`sim.recruitment.acceptance_probability`).
        """
        if not self.multi_vendor:
            return [None]
        values = np.array([v.program.deal_value() for v in self.startups])
        carried = np.array([v.partners.in_states(*PARTNERED_STATES) for v in self.startups])
        held = np.where(carried, values, 0.0)
        return [np.delete(held, k, axis=0).max(axis=0) for k in range(len(self.startups))]

    def _settle(self, t: int, v: VendorAgent, recruitment, onboarding, effort, renewals, closes, mdf,
                opened, dropped: np.ndarray) -> QuarterFlows:
        """A vendor's revenue, payouts, partner activity and reviews; the customers of partners that left."""
        sc, c, p = self.config, self.customers, v.partners
        revenue = recognise(c, p.size, sc.market.services_ratio, v.index)
        payouts = v.program.pay(t, c, renewals, closes, revenue)
        activity = update_activity(p, t, opened.sourced_per_partner, opened.conflicts.disputed_losers,
                                   v.program.alignment_target(), sc.partners.behavior)
        review = review_partners(v.tiers, p, c, self.coverage.accounts, t, revenue, renewals, closes,
                                 v.program_spec.scorecard.exit_grace_quarters, v.index)
        handover = sales.hand_over(c, np.concatenate([activity.left, review.exited, dropped]), v.index)
        return QuarterFlows(recruitment, onboarding, effort, renewals, closes, mdf, opened, revenue, payouts,
                            activity, review, handover)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The run's tables: ``quarterly``, ``partners`` and, when several startups compete, ``vendors``.

        With several startups the quarterly and partner tables are long, with a
        ``vendor`` column (:mod:`sim.recorder`).
        """
        recorders = {v.name: r for v, r in zip(self.startups, self.recorders, strict=True)}
        tables = {"quarterly": quarterly_table(recorders), "partners": partner_table(recorders)}
        if self.multi_vendor:
            tables["vendors"] = vendor_table(recorders)
        return tables

    def vendor_frame(self) -> pd.DataFrame:
        """The vendors' own series: one row per (quarter, vendor), from the DataCollector."""
        frame = self.datacollector.get_agenttype_vars_dataframe(VendorAgent).reset_index()
        return frame.rename(columns={"Step": "quarter"}).drop(columns="AgentID")


def _direct_cover(spec) -> np.ndarray:
    """Share of each segment's accounts that are the vendor's direct named accounts."""
    return np.array([spec.company.direct_coverage.get(s, 0.0) for s in SEGMENTS])


@lru_cache(maxsize=256)
def _name_key(name: str) -> int:
    """A vendor name as a 32-bit integer key of its random streams."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
