"""The ecosystem model: one Mesa step is one quarter.

Order of events in a quarter (:meth:`EcosystemModel.step`):

1. the vendor ages and its Partner Maturity Index stage is re-assessed;
2. routes to market are counted and enablement quality set by attention;
3. partners progress through onboarding ramp and certification;
4. the vendor and the distributors recruit partners;
5. partner managers take queued partners into onboarding (the capacity limit);
6. partners split their seller effort across the vendors they carry;
7. customers renew or churn, due opportunities close, new opportunities open
   (adoption hazard, attribution, influence, deal-registration conflicts);
8. revenue is recognised and partners are paid (:mod:`sim.incentives`);
9. partners are marked active, dormant or churned by their recent activity;
10. at review quarters partners are scored, tiered and, by policy, exited
    (:mod:`sim.tiers`);
11. the quarter's metrics are recorded.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim import agents as ag
from sim import deals
from sim.agents import PartnerAgent, PartnerPopulation, VendorAgent
from sim.customers import ACTIVE, MARKETPLACE, OPPORTUNITY, PROSPECT, SOURCED, CustomerPopulation
from sim.draws import Draws
from sim.incentives import IncentiveProgram, fit_multiplier
from sim.network import FlaggedCount, coverage_matrix, peer_graph
from sim.partner_types import MIN_STAGE_OF_TYPE, PARTNER_TYPES, SEGMENTS
from sim.recorder import Recorder
from sim.tiers import Indicators, TierBook

__all__ = ["EcosystemModel"]

BLOCK = 65_536  # customers per block in the adoption pass: its temporaries fit a core's cache
STAGE2_AGE_QUARTERS = 8  # seed 002 PMI: stage 1 is years 0-2
STAGE3_AGE_QUARTERS = 12  # seed 002 PMI: stage 3 from year 3


# Random streams of a quarter, one per purpose (codes are positions: append, never reorder).
STREAMS: tuple[str, ...] = ("outreach_slots", "outreach", "accept", "cascade", "enablement_slots", "renew",
                            "close", "attach", "adopt", "source", "sourcer", "marketplace", "influence",
                            "conflict", "terms", "close_again", "attach_again")


def stochastic_round(x: float, u: float) -> int:
    """Round ``x`` up when the uniform draw ``u`` falls below its fractional part (unbiased capacity)."""
    base = int(np.floor(x))
    return base + int(u < x - base)


class EcosystemModel(mesa.Model):
    """A focal vendor, its rivals, partners and customers; one step per quarter.

    The model's generator draws the initial state (segments, graphs, coverage); every
    quarter's events draw from :meth:`stream`, one stream per (quarter, purpose),
    with one number per customer or partner.

    Args:
        scenario: a validated :class:`sim.scenario.Scenario`.
        rng: the replication's ``numpy.random.Generator`` (or a seed).
    """

    def __init__(self, scenario, rng=None):
        super().__init__(rng=np.random.default_rng(rng))
        self._seed_seq = self.rng.bit_generator.seed_seq
        self._stream_keys: dict[int, np.ndarray] = {}  # the current quarter's stream keys
        self.config = scenario
        market, vendor = scenario.market, scenario.vendor
        self.segment_value = np.array([_seg(market, s, "annual_contract_value") for s in SEGMENTS])
        self.segment_cycle = np.array([_seg(market, s, "sales_cycle_quarters") for s in SEGMENTS], dtype=int)
        self.segment_win = np.array([_seg(market, s, "win_rate") for s in SEGMENTS])
        self.segment_churn = np.array([_seg(market, s, "annual_churn") for s in SEGMENTS])
        shares = np.array([_seg(market, s, "share") for s in SEGMENTS])

        segment = self.rng.choice(len(SEGMENTS), size=market.customers, p=shares / shares.sum())
        direct_cover = np.array([vendor.direct_coverage.get(s, 0.0) for s in SEGMENTS])
        direct_owned = self.rng.random(market.customers) < direct_cover[segment]
        wom = market.word_of_mouth
        peers = peer_graph(wom.graph, market.customers, wom.mean_degree, wom.rewiring, self.rng)
        self.customers = CustomerPopulation(segment, direct_owned, peers, fully_mixed=wom.graph == "complete")

        self.partners = PartnerPopulation(scenario, self.rng)
        self.cover = coverage_matrix(segment, self.partners.accounts, self.partners.segment_fit, self.rng)
        self.cover_by_partner = self.cover.T.tocsr()
        self._customer_of_entry = np.repeat(np.arange(self.cover.shape[0], dtype=self.cover.indices.dtype),
                                            np.diff(self.cover.indptr))  # row of each stored coverage entry
        self._customers_in_book = FlaggedCount(self.cover_by_partner, self.cover)
        self.accounts_covered = np.diff(self.cover_by_partner.indptr).astype(np.float32)  # 0/1 entries

        self.vendor = VendorAgent(self, "focal", focal=True)
        self.rivals = [VendorAgent(self, f"rival_{i + 1}", focal=False) for i in range(scenario.rivals.count)]
        PartnerAgent.create_agents(self, self.partners.size, index=list(range(self.partners.size)))

        self.age = vendor.age_quarters
        self.readiness = vendor.product_readiness
        self.stage = max(vendor.stage or 1, self._derived_stage(customers=0, arr=0.0))
        self.route_quality = 1.0
        self.routes_active = 0
        self.tiers = TierBook(scenario.program, self.partners.size)
        self.incentives = IncentiveProgram(self)
        self.recorder = Recorder(self, scenario.simulation.quarters)

    def stream(self, t: int, purpose: str) -> Draws:
        """The random numbers of one purpose (one of ``STREAMS``) in quarter ``t``.

        Common random numbers: each (quarter, purpose) has its own stream, keyed by one
        word of the state of a ``SeedSequence`` spawned from the replication's for the
        quarter, and each of its draws gives
        every customer or partner one number, fixed by its id and computed only for
        the ids that need one (:class:`sim.draws.Draws`). Runs that differ only in
        program design (the arms of an experiment, :mod:`sim.compare`) therefore give
        each customer and partner the same draws however far their states drift
        apart, which keeps paired differences tight.
        """
        if t not in self._stream_keys:
            seq = self._seed_seq
            quarter = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, t), pool_size=seq.pool_size)
            self._stream_keys = {t: quarter.generate_state(len(STREAMS), np.uint64)}
        return Draws(int(self._stream_keys[t][STREAMS.index(purpose)]))

    # ------------------------------------------------------------------ stage
    def _derived_stage(self, customers: int, arr: float) -> int:
        """Partner Maturity Index stage from age, customers and ARR (seed 002 PMI table)."""
        v = self.config.vendor
        if self.age >= STAGE3_AGE_QUARTERS and arr >= v.stage3_arr:
            return 3
        if self.age >= STAGE2_AGE_QUARTERS and customers >= v.stage2_customers:
            return 2
        return 1

    def _update_stage(self) -> None:
        """Age the vendor; stage only moves up; readiness grows with design feedback."""
        self.age += 1
        active = self.customers.active_mask()
        arr = float(self.customers.contract_value[active].sum())
        self.stage = max(self.stage, self._derived_stage(int(active.sum()), arr))
        self.readiness = min(1.0, self.readiness + self.config.vendor.readiness_gain_per_quarter)

    @property
    def credibility(self) -> float:
        """The vendor's credibility with partners at its current stage."""
        return self.config.vendor.credibility[str(self.stage)]

    # ------------------------------------------------------------------ routes
    def _update_routes(self) -> None:
        """Count active routes to market; beyond capacity, enablement quality drops.

        Seed 002: "don't pursue more than two to three ecosystem motions at a time";
        each motion "requires significant investment in enablement ... and ongoing
        relationship management". Quality = min(1, route_capacity / routes).
        """
        p = self.partners
        partnered = p.in_states(*ag.PARTNERED_STATES)
        self.routes_active = len(set(p.route[partnered]))
        self.route_quality = min(1.0, self.config.vendor.route_capacity / max(self.routes_active, 1))

    # ------------------------------------------------------------------ lifecycle
    def _progress_lifecycle(self, t: int) -> None:
        """Onboarding ramp and certification countdowns (seed 001: ramp time, certification)."""
        p = self.partners
        ramping = (p.state == ag.ONBOARDING) & (p.ramp_left > 0)
        p.ramp_left[ramping] -= 1
        ready = np.flatnonzero((p.state == ag.ONBOARDING) & (p.ramp_left == 0))
        p.state[ready] = ag.ENABLED
        p.selling_since[ready] = t
        p.cert_left[ready] = p.certification_quarters[ready]
        studying = p.in_states(*ag.SELLING_STATES) & ~p.certified & (p.recruited_quarter >= 0)
        studying &= ~np.isin(np.arange(p.size), ready)
        p.cert_left[studying] = np.maximum(p.cert_left[studying] - 1, 0)
        done = studying & (p.cert_left == 0)
        p.certified[done] = True
        p.state[done & (p.state == ag.ENABLED)] = ag.CERTIFIED

    def _acceptance(self, ids: np.ndarray) -> np.ndarray:
        """Acceptance of the program's offer: what a deal pays under it vs. the type's usual margin."""
        p, inc = self.partners, self.incentives
        return ag.acceptance_probability(inc.deal_value()[ids], inc.usual_value(p.default_margin)[ids],
                                         p.services_attach[ids], self.credibility, p.installed_share[ids],
                                         self.config.partners.behavior)

    def _recruit(self, t: int) -> int:
        """Vendor outreach plus distributors' cascade; returns partners recruited."""
        return self._vendor_outreach(t) + self._distributor_cascade(t)

    def _vendor_outreach(self, t: int) -> int:
        """Partner managers approach prospects; each accepts with the acceptance probability.

        Types above the vendor's PMI stage are not approached when stage gates are on
        (seed 002: "Stage 2 ... VARs, Regional SIs, Resellers"; "Stage 3 ... GSIs,
        Distributors").
        """
        p, v = self.partners, self.config.vendor
        eligible = (p.state == ag.PROSPECT) & (p.parent < 0)
        if v.enforce_stage_gates:
            min_stage = np.array([MIN_STAGE_OF_TYPE[name] for name in PARTNER_TYPES])[p.type_index]
            eligible &= min_stage <= self.stage
        candidates = np.flatnonzero(eligible)
        slots = stochastic_round(v.partner_managers * v.outreach_per_manager * self.route_quality,
                                 self.stream(t, "outreach_slots").scalar())
        everyone = np.arange(p.size)
        priority = self.stream(t, "outreach").uniform(everyone)
        accept_u = self.stream(t, "accept").uniform(everyone)
        if candidates.size == 0 or slots == 0:
            return 0
        approached = candidates[np.argsort(priority[candidates], kind="stable")[:slots]]
        joined = approached[accept_u[approached] < self._acceptance(approached)]
        p.state[joined] = ag.ONBOARDING
        p.recruited_quarter[joined] = t
        p.ramp_left[joined] = -1  # queue for a partner manager
        return int(joined.size)

    def _distributor_cascade(self, t: int) -> int:
        """Enabled distributors recruit and enable resellers from their own network.

        Seed 002 case study 1: "the distributor became the primary orchestrator,
        responsible for onboarding and managing downstream resellers", so cascaded
        resellers do not wait for the vendor's partner managers; the vendor pays a
        share of their enablement (``cascade_cost_share``).
        """
        p = self.partners
        recruited = 0
        draws = self.stream(t, "cascade")
        everyone = np.arange(p.size)
        priority, round_u, accept_u = draws.uniform(everyone), draws.uniform(everyone), draws.uniform(everyone)
        distributors = np.flatnonzero(p.is_distributor & p.in_states(*ag.SELLING_STATES))
        if distributors.size == 0:
            return 0
        # Acceptance depends on the offer, credibility and installed base, which the cascade
        # does not change: computed once for all partners rather than per distributor.
        acceptance = self._acceptance(np.arange(p.size))
        for dist in distributors:
            network = np.flatnonzero((p.parent == dist) & (p.state == ag.PROSPECT))
            capacity = stochastic_round(p.resellers_per_quarter[dist] * self.route_quality, round_u[dist])
            if network.size == 0 or capacity == 0:
                continue
            approached = network[np.argsort(priority[network], kind="stable")[:capacity]]
            joined = approached[accept_u[approached] < acceptance[approached]]
            p.state[joined] = ag.ONBOARDING
            p.recruited_quarter[joined] = t
            p.ramp_left[joined] = p.ramp_quarters[joined]
            self.recorder.enablement_spend += float(
                (p.enablement_cost[joined] * p.cascade_cost_share[dist]).sum())
            recruited += joined.size
        return recruited

    def _assign_enablement(self, t: int) -> None:
        """Partner managers take queued recruits into onboarding, first come first served.

        The capacity limit (seed 002: "under-resourced teams ... can unintentionally
        become a bottleneck"): managers x onboardings per manager x route quality.
        """
        p, v = self.partners, self.config.vendor
        queue = np.flatnonzero((p.state == ag.ONBOARDING) & (p.ramp_left < 0))
        slots = stochastic_round(v.partner_managers * v.onboardings_per_manager * self.route_quality,
                                 self.stream(t, "enablement_slots").scalar())
        if queue.size == 0 or slots == 0:
            return
        order = queue[np.argsort(p.recruited_quarter[queue], kind="stable")][:slots]
        p.ramp_left[order] = p.ramp_quarters[order]
        self.recorder.enablement_spend += float(p.enablement_cost[order].sum())

    # ------------------------------------------------------------------ effort
    def _update_installed_share(self) -> None:
        """Share of each partner's accounts that already use the focal product."""
        customers_in_book = self._customers_in_book.update(self.customers.active_mask())
        self.partners.installed_share = np.divide(customers_in_book, self.accounts_covered,
                                                  out=np.zeros(self.partners.size),
                                                  where=self.accounts_covered > 0)

    def _split_effort(self) -> np.ndarray:
        """Partners split seller effort across vendors by expected profit (logit).

        The focal vendor's pay per deal is the incentive program's present value
        (:meth:`sim.incentives.IncentiveProgram.deal_value`, tier benefits included);
        rivals pay the type's usual margin on collection.

        Returns each partner's engagement with the focal vendor: effort share x
        productivity (0 for partners not selling).
        """
        p, sc, inc = self.partners, self.config, self.incentives
        fit_win = p.segment_fit @ self.segment_win
        focal_win = fit_win * self.readiness * (1.0 + p.win_rate_lift) * (1.0 + self.tiers.benefit("support"))
        focal_profit = ag.expected_profit_per_value(inc.deal_value(), focal_win, p.deal_size_multiplier,
                                                    p.services_attach, sc.market.services_ratio)
        rival_profit = ag.expected_profit_per_value(inc.usual_value(p.default_margin * sc.rivals.margin_ratio),
                                                    sc.rivals.win_rate, p.deal_size_multiplier,
                                                    sc.rivals.services_attach, sc.market.services_ratio)
        share = ag.effort_split(focal_profit, rival_profit, p.alignment, p.installed_share,
                                sc.rivals.installed_share, sc.rivals.count, sc.partners.behavior)
        share = np.where(p.is_marketplace, 1.0, share)  # a listing needs no seller effort
        p.effort_share = np.where(p.in_states(*ag.PARTNERED_STATES), share, 0.0)
        return p.effort_share * p.productivity(self.route_quality)

    # ------------------------------------------------------------------ customers
    def _customer_quarter(self, t: int, engagement: np.ndarray) -> None:
        """Renewals, closing opportunities and new opportunities for every customer."""
        c, rec, sc = self.customers, self.recorder, self.config
        renewed, churned = c.renew(t, self.segment_churn, sc.market.services_expansion,
                                   self.stream(t, "renew"), sc.market.churn)
        rec.note_renewals(renewed, churned)
        self._close(t, "close", "attach")
        self._open(t, engagement)
        self._close(t, "close_again", "attach_again")  # deals with a zero-quarter cycle close as they open

    def _close(self, t: int, close_stream: str, attach_stream: str) -> None:
        c, p = self.customers, self.partners
        won, lost = c.close_due(t, self.stream(t, close_stream))
        partner = c.partner[won]
        has = partner >= 0
        attach = np.zeros(won.size)
        effect = np.zeros(won.size)
        attach[has] = p.services_attach[partner[has]]
        effect[has] = p.retention_effect[partner[has]]
        c.attach_services(won, attach, effect, self.stream(t, attach_stream))
        self.recorder.note_closed(won, lost)

    def _mdf_hazard(self) -> np.ndarray:
        """Selling partners spend MDF on demand generation in their accounts; returns the hazard added."""
        p, c = self.partners, self.customers
        if self.config.program.incentives.mdf is None:
            return np.zeros(p.size)
        prospects = self.cover_by_partner @ (c.state == PROSPECT).astype(np.float32)
        hazard, spend = self.incentives.spend_mdf(p.in_states(*ag.SELLING_STATES), prospects)
        self.recorder.note_mdf(spend)
        return hazard

    def _open(self, t: int, engagement: np.ndarray) -> None:
        """Open new opportunities: adoption hazard, attribution, deal fit, influence, conflicts, terms.

        A partner's push is its reach x engagement x the deal volume it keeps after
        screening poor fits, plus its MDF campaigns; a deal it sources is a poor fit
        with the share of poor fits it lets through (:func:`sim.incentives.screening`).
        """
        c, p, sc = self.customers, self.partners, self.config
        program, behavior = sc.program, sc.partners.behavior
        reach = p.reach * engagement
        volume, poor_share = self.incentives.screening()
        push = np.where(p.is_marketplace, 0.0, reach * volume + self._mdf_hazard())
        market_push_seg = (p.segment_fit * np.where(p.is_marketplace, reach, 0.0)[:, None]).sum(axis=0)
        ids, partner, market, wom = self._adopters(t, push, market_push_seg)
        direct = sc.market.adoption.innovation
        u = self.stream(t, "source").uniform(ids)
        channel = deals.attribute_sources(u, direct, partner, market, wom)
        opps = deals.NewOpportunities(ids, channel, np.full(ids.size, -1, dtype=np.int64),
                                      np.zeros(ids.size, dtype=bool))
        sourced = channel == SOURCED
        opps.partner[sourced] = deals.sample_partner_per_row(self.cover, ids[sourced], push,
                                                             self.stream(t, "sourcer"))
        # Where u fell inside the partner band is a fresh uniform: it decides the deal's fit.
        band = np.divide(u * (direct + partner + market + wom) - direct, partner, out=np.ones(ids.size),
                         where=partner > 0)
        by_partner = np.flatnonzero(sourced & (opps.partner >= 0))
        fit = np.ones(ids.size)
        fit[by_partner] = fit_multiplier(band[by_partner] < poor_share[opps.partner[by_partner]],
                                         behavior.poor_fit_share, behavior.poor_fit_churn)
        on_market = channel == MARKETPLACE
        opps.partner[on_market] = self._pick_marketplace(ids[on_market], reach, self.stream(t, "marketplace"))
        deals.influence(ids, opps.channel, opps.partner, self.cover, np.where(p.is_marketplace, 0.0, engagement),
                        self.stream(t, "influence"), priority=self.tiers.benefit("lead_priority"))
        losers, beat_direct, conflicts = deals.resolve_conflicts(
            opps, self.cover, np.where(p.is_marketplace, 0.0, engagement), c.direct_owned,
            program.deal_registration, direct_claims=program.incentives.double_bubble is None,
            draws=self.stream(t, "conflict"), protected=self._registration_protected(opps))
        p.alignment[losers] = np.maximum(0.0, p.alignment[losers] - behavior.conflict_alignment_penalty)
        value, cycle, win = deals.deal_terms(opps, c.segment, self.segment_value, self.segment_cycle,
                                             self.segment_win, self.readiness, p, beat_direct,
                                             program.direct_resistance, self.stream(t, "terms"),
                                             support=self.tiers.benefit("support"))
        c.open_opportunities(opps.ids, t, t + cycle, win, value, opps.channel, opps.partner, fit=fit)
        self.recorder.note_opened(opps, value, conflicts)

    def _adopters(self, t: int, push: np.ndarray, market_push_seg: np.ndarray) -> tuple[np.ndarray, ...]:
        """Prospects who enter a buying process this quarter, and the parts of their hazard.

        Each prospect's hazard (:func:`sim.deals.adoption_hazard`) adds the push of the
        partners covering its account, its segment's marketplace push and its adopted
        peers. Customers are taken a cache-sized block at a time, so the temporaries of
        a block stay in cache however many customers there are, and the hazard is
        computed for the whole block with contiguous array operations (most customers
        are prospects) while only prospects draw. Each customer's draw is fixed by its
        id, so the blocks change nothing but the speed.

        Returns:
            (ids, partner part, marketplace part, word-of-mouth part), one per adopter.
        """
        c, adoption = self.customers, self.config.market.adoption
        c.refresh_word_of_mouth()
        indptr, partner_of_entry = self.cover.indptr, self.cover.indices
        adopters = []
        for start in range(0, c.size, BLOCK):
            stop = min(start + BLOCK, c.size)
            block = slice(start, stop)
            prospects = np.flatnonzero(c.state[block] == PROSPECT)
            lo, hi = indptr[start], indptr[stop]
            partner_push = np.bincount(self._customer_of_entry[lo:hi] - start, weights=push[partner_of_entry[lo:hi]],
                                       minlength=stop - start)  # cover @ push for the block's rows
            hazard, _, partner, market, wom = deals.adoption_hazard(
                adoption.innovation, adoption.imitation, partner_push, market_push_seg[c.segment[block]],
                c.peer_adopted_share(block))
            entering = prospects[self.stream(t, "adopt").uniform(start + prospects) < hazard[prospects]]
            adopters.append((start + entering, partner[entering], market[entering], wom[entering]))
        return tuple(np.concatenate(parts) for parts in zip(*adopters, strict=True))

    def _registration_protected(self, opps: deals.NewOpportunities) -> np.ndarray | None:
        """Partner-sourced deals whose registration still protects them when they close.

        With a registration bonus every partner-sourced deal is registered; the
        registration lasts ``protection_quarters``, so it covers deals whose sales cycle
        (segment plus the partner type's extra quarters) is no longer than that.
        """
        bonus = self.config.program.incentives.registration_bonus
        if bonus is None:
            return None
        protected = np.zeros(opps.ids.size, dtype=bool)
        by_partner = np.flatnonzero((opps.channel == SOURCED) & (opps.partner >= 0))
        cycle = (self.segment_cycle[self.customers.segment[opps.ids[by_partner]]]
                 + self.partners.sales_cycle_extra[opps.partner[by_partner]])
        protected[by_partner] = cycle <= bonus.protection_quarters
        return protected

    def _pick_marketplace(self, ids: np.ndarray, reach: np.ndarray, draws: Draws) -> np.ndarray:
        """Draw the marketplace that carries each marketplace transaction (~ its reach)."""
        markets = np.flatnonzero(self.partners.is_marketplace)
        u = draws.uniform(ids)
        segments = self.customers.segment[ids]
        if segments.size == 0 or markets.size == 0:
            return np.full(segments.size, -1, dtype=np.int64)
        # Cumulative weights per segment (marketplaces x segments), searched once per transaction.
        cum = np.cumsum(self.partners.segment_fit[markets] * reach[markets][:, None], axis=0)
        draw = u * cum[-1, segments]
        pick = np.empty(segments.size, dtype=np.int64)
        for seg in np.unique(segments):
            here = segments == seg
            pick[here] = np.searchsorted(cum[:, seg], draw[here], side="left")
        return markets[np.minimum(pick, markets.size - 1)]

    # ------------------------------------------------------------------ partners
    def _update_activity(self, t: int) -> None:
        """Active with a recent opportunity, dormant without one, churned after long dormancy.

        Seed 001: "monitor partner churn, performance drift"; seed 002 growth-stage
        metric "activation rate - how many onboarded partners are actively driving
        activity".
        """
        p, b = self.partners, self.config.partners.behavior
        had = self.recorder.partner_opportunities > 0
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
        p.state[dormant & (p.dormant_quarters >= b.exit_after_quarters)] = ag.CHURNED
        drift = np.clip(self.incentives.alignment_target() - p.alignment, -b.alignment_recovery,
                        b.alignment_recovery)
        p.alignment += drift

    def _review_partners(self, t: int) -> None:
        """Feed the scorecard window; at review quarters score, tier and exit partners (sim.tiers)."""
        p, c, rec, tiers = self.partners, self.customers, self.recorder, self.tiers
        tiers.observe(t, revenue=rec.partner_revenue.sum(axis=0), won=rec.partner_deals[0],
                      lost=rec.partner_deals[1], renewed=rec.partner_deals[2], churned=rec.partner_deals[3])
        if not tiers.is_review(t):
            return
        in_pipeline = np.flatnonzero((c.state == OPPORTUNITY) & (c.partner >= 0))
        served = np.flatnonzero((c.state == ACTIVE) & (c.partner >= 0))
        reached = np.bincount(c.partner[np.concatenate([in_pipeline, served])], minlength=p.size)
        qualified = np.bincount(c.partner[in_pipeline], minlength=p.size,
                                weights=c.opportunity_value[in_pipeline] * c.win_prob[in_pipeline])
        indicators = Indicators(accounts=self.accounts_covered, reached=reached, alignment=p.alignment,
                                certified=p.certified, effort_share=p.effort_share,
                                qualified_pipeline=qualified, **tiers.window_totals())
        scored = p.in_states(*ag.SELLING_STATES)
        grace = self.config.program.scorecard.exit_grace_quarters
        exited = tiers.review(indicators, scored, scored & (t - p.selling_since >= grace))
        p.state[exited] = ag.CHURNED
        rec.partners_exited += exited.size

    # ------------------------------------------------------------------ step
    def step(self) -> None:
        """Advance the ecosystem by one quarter."""
        t = self.steps
        self.recorder.start_quarter()
        self._update_stage()
        self._update_routes()
        self._progress_lifecycle(t)
        self._update_installed_share()
        recruited = self._recruit(t)
        self._assign_enablement(t)
        engagement = self._split_effort()
        self._customer_quarter(t, engagement)
        self.recorder.pay_and_recognise(t)
        self._update_activity(t)
        self._review_partners(t)
        self.recorder.end_quarter(t, recruited)


def _seg(market, name: str, field: str) -> float:
    seg = market.segments.get(name)
    return getattr(seg, field) if seg is not None else 0.0

