"""Incentive programs: what the vendor pays partners, when, and how partners respond.

The program (scenario section ``program.incentives``) is a set of composable
components; each is optional. What each pays, and its source:

* **margin** — resale discount, distribution margin on two-tier deals and
  marketplace fee, by partner type (``partners.<type>.margin``) times
  ``margin_scale``, plus the partner's tier ``margin_bonus`` (seed 002 early stage:
  "fixed margin structures"; mature stage: "tiered margin programs based on volume or
  certification level").
* **referral** — referral fee as a share of first-year contract value for referral
  partners (influencers, SIs; seed 002 "Influence & Referral"), the co-sell fee on
  deals a partner influenced, and the marketplace's fee on the transactions it
  carries. ``resell_as_referral`` pays resell partners a one-time fee instead of a
  margin (the ``referral_only`` preset).
* **registration_bonus** — a share of first-year value on registered net-new deals,
  with a protection window (seed 002: "deal-based payouts tied to registered or
  closed opportunities"; "if early adoption is your focus, incentivize deal
  registration").
* **milestones** — first-win and certification bonuses (seed 002: "performance
  bonuses for first wins"; seed 001: "bonuses tied to milestones such as
  certification carriage").
* **mdf** — a share of partner revenue accrued into a fund the partner spends on
  demand generation in its own accounts (seed 002: "MDF for co-marketing or
  events"); unspent funds are reported.
* **retention_rebate** — a share of renewed contract value, paid on renewals of
  partner-acquired customers (seed 002: "rebates linked to customer retention or
  renewals"; "if retention is key, reward renewals").
* **payout_timing** — first-year pay on booking, on collection (quarterly, as the
  customer pays) or spread over ``spread_quarters`` while the customer stays (seed
  001: "payout schedules that respect sales cycles ... avoiding front-loaded
  incentives that distort behavior").
* **double_bubble** — direct reps are also paid on partner deals in their named
  accounts, so they stop claiming and resisting them, at a commission cost (seed 002
  "Will there be a double bubble (where both teams earn on the same deal)?").
* **non_monetary** — early product access and roadmap previews raise partners'
  alignment (seed 002 mature stage: "non-financial rewards like early product
  access, roadmap participation"; seed 003: such rewards "create powerful alignment
  effects").

Partners respond through their own economics, never by decree (seed 002: partners
maximise their own profitability). :meth:`IncentiveProgram.deal_value` is the present
value a partner expects from a won deal per unit of its first-year value, over the
deal's first contract year and its first renewal (assumption: a one-year planning
horizon, discounted at ``partners.behavior.pay_discount_rate`` per quarter); it
replaces the bare margin in the effort split and in recruitment acceptance
(:mod:`sim.agents`). :func:`retention_exposure` is the share of that pay that
depends on the customer renewing; :func:`screening` turns it into deal quality:
partners qualify out poor-fit prospects as hard as their pay depends on those
customers staying, so front-loaded pay brings more deals that churn more (seed 001),
and pay tied to renewals brings fewer, stickier ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim.customers import INFLUENCED, MARKETPLACE, QUARTERS_PER_YEAR, SOURCED

__all__ = [
    "PAYOUT_COMPONENTS",
    "IncentiveProgram",
    "MdfSpend",
    "Payouts",
    "collected_pay_value",
    "renewal_probability",
    "fit_multiplier",
    "instalment_quarters",
    "present_value",
    "retention_exposure",
    "screening",
]

# Payout columns of quarterly.parquet (payout_<component>); they sum to partner_payouts.
PAYOUT_COMPONENTS: tuple[str, ...] = ("margin", "referral", "deal_registration", "bonus", "rebate")
MARGIN, REFERRAL, REGISTRATION, BONUS, REBATE = range(len(PAYOUT_COMPONENTS))

# First-year pay a won deal schedules (one ledger row each): component and recipient.
_LEDGER = ((MARGIN, "partner"), (MARGIN, "parent"), (REFERRAL, "partner"), (REGISTRATION, "partner"))

# --------------------------------------------------------------------------- timing
def instalment_quarters(timing: str, spread_quarters: int) -> np.ndarray:
    """Quarters after booking (0 = the quarter the deal closes) at which first-year pay is paid.

    ``on_booking``: all at close; ``on_collection``: a quarter's worth as the customer
    pays each quarter of its first year; ``spread``: equal parts over
    ``spread_quarters``, each paid only while the customer is still a customer.
    """
    if timing == "on_booking":
        return np.zeros(1, dtype=int)
    if timing == "on_collection":
        return np.arange(QUARTERS_PER_YEAR)
    return np.arange(spread_quarters)


def present_value(quarters: np.ndarray, discount: float, p_renew: np.ndarray) -> np.ndarray:
    """Expected present value of one unit of pay split equally over ``quarters``.

    A part paid after the k-th anniversary is received only if the customer renewed
    k times (probability ``p_renew ** k``); money is discounted at ``discount`` per
    quarter.
    """
    weights = (1.0 + discount) ** -quarters.astype(float) / quarters.size
    renewals = quarters // QUARTERS_PER_YEAR
    return (weights[None, :] * np.power.outer(np.asarray(p_renew, dtype=float), renewals)).sum(axis=1)


def retention_exposure(first_year: np.ndarray, late: np.ndarray, renewal: np.ndarray) -> np.ndarray:
    """Share of a partner's pay on a deal that it receives only if the customer renews.

    Args:
        first_year: pay per unit of deal value for the first contract year.
        late: the part of ``first_year`` paid after the first anniversary.
        renewal: pay linked to the renewal itself (rebates).

    Returns:
        ``(late + renewal) / (first_year + renewal)``, 0 when nothing is paid.

    Examples:
        >>> float(retention_exposure(np.array([0.2]), np.array([0.1]), np.array([0.0]))[0])
        0.5
    """
    total = first_year + renewal
    return np.divide(late + renewal, total, out=np.zeros_like(total, dtype=float), where=total > 0)


def screening(exposure: np.ndarray, poor_fit_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Deal volume and quality of a partner that qualifies as hard as its pay is at risk.

    A share ``poor_fit_share`` of the prospects a partner could push are poor fits
    (assumption); it screens each out with probability equal to its retention
    exposure (seed 001: front-loaded incentives "distort behavior"; seed 003: tie
    incentives "to pipeline quality").

    Returns:
        (multiplier on the partner's deal volume, share of poor fits among the deals
        it sources).
    """
    kept_poor = poor_fit_share * (1.0 - exposure)
    volume = 1.0 - poor_fit_share * exposure
    return volume, np.divide(kept_poor, volume, out=np.zeros_like(volume), where=volume > 0)


def fit_multiplier(poor: np.ndarray, poor_fit_share: float, poor_fit_churn: float) -> np.ndarray:
    """Churn multiplier of a deal: ``poor_fit_churn`` for a poor fit, else the good-fit level.

    The good-fit level ``(1 - share x churn) / (1 - share)`` keeps unscreened deals at
    the segment's average churn, so the segment's churn rate stays what the scenario
    says and screening only moves partner deals around it.
    """
    good = (1.0 - poor_fit_share * poor_fit_churn) / (1.0 - poor_fit_share)
    return np.where(poor, poor_fit_churn, good)


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class MdfSpend:
    """What partners spent of their MDF on demand generation in a quarter."""

    hazard: np.ndarray  # adoption hazard each partner's campaigns add per prospect account
    spend: np.ndarray  # per partner


@dataclass(frozen=True)
class Payouts:
    """What a vendor paid its partners in a quarter."""

    parts: np.ndarray  # (PAYOUT_COMPONENTS x partners)
    double_bubble_spend: float  # direct reps' commission on partner deals in their named accounts

    @property
    def per_partner(self) -> np.ndarray:
        """Each partner's payout, all components."""
        return self.parts.sum(axis=0)


class _Ledger:
    """Payouts of one quarter by component and partner, as they are made."""

    def __init__(self, n_partners: int):
        self.parts = np.zeros((len(PAYOUT_COMPONENTS), n_partners))

    def pay(self, component: int, partner_ids: np.ndarray, amounts: np.ndarray) -> None:
        """Pay ``amounts`` to ``partner_ids`` under payout ``component`` (PAYOUT_COMPONENTS index)."""
        self.parts[component] += np.bincount(partner_ids, weights=amounts, minlength=self.parts.shape[1])


# --------------------------------------------------------------------------- program
def renewal_probability(partners, segments, churn: bool) -> np.ndarray:
    """Probability that a customer a partner sells renews at its anniversary (by segment mix and services)."""
    segment_churn = partners.segment_fit @ segments.churn if churn else np.zeros(partners.size)
    return 1.0 - segment_churn * (1.0 - partners.services_attach * partners.retention_effect)


def collected_pay_value(partners, segments, discount: float, churn: bool) -> np.ndarray:
    """Present value of one unit of first-year pay received as the customer pays (usual terms)."""
    return present_value(instalment_quarters("on_collection", 0), discount,
                         renewal_probability(partners, segments, churn))


class IncentiveProgram:
    """One vendor's incentive program: rates, the first-year pay ledger and MDF funds.

    Args:
        program: the scenario's validated ``program`` section.
        behavior: the scenario's ``partners.behavior`` section.
        churn: whether customers churn (``market.churn``).
        partners: the partners as the vendor sees them (:class:`sim.agents.PartnerView`).
        segments: the vendor's per-segment deal terms (:class:`sim.customers.Segments`).
        direct_owned: mask of the vendor's direct named accounts, one entry per customer
            (the size of the first-year pay ledger).
        tiers: the vendor's tier book (tier benefits add to rates).
    """

    def __init__(self, program, behavior, churn: bool, partners, segments, direct_owned: np.ndarray, tiers):
        self.config = inc = program.incentives
        self.co_sell_fee = program.co_sell_fee
        self.behavior = behavior
        self.partners = p = partners
        self.tiers = tiers
        referral_code = ag.COMMERCIAL_MODEL_CODE["referral"]
        as_referral = inc.referral.resell_as_referral & (p.model_code == ag.COMMERCIAL_MODEL_CODE["resell"])
        self.model_code = np.where(as_referral, referral_code, p.model_code)
        self._base = np.where(as_referral, inc.referral.resell_fee, p.margin)
        self._referral = self.model_code == referral_code
        self.set_levers(inc.margin_scale, inc.mdf.accrual if inc.mdf is not None else 0.0)
        self.quarters = instalment_quarters(inc.payout_timing, inc.spread_quarters)
        self.late_share = float((self.quarters >= QUARTERS_PER_YEAR).mean())
        self.typical_value = (p.segment_fit @ segments.value) * p.deal_size_multiplier
        p_renew = renewal_probability(p, segments, churn)
        discount = behavior.pay_discount_rate
        self.pv_timed = present_value(self.quarters, discount, p_renew)
        self.pv_collected = collected_pay_value(p, segments, discount, churn)
        self.pv_renewal = p_renew * (1.0 + discount) ** -QUARTERS_PER_YEAR
        self.first_win_paid = np.zeros(p.size, dtype=bool)
        self.certification_paid = p.certified.copy()
        self.mdf_balance = np.zeros(p.size)
        self.direct_owned = direct_owned
        self.first_year = np.zeros((len(_LEDGER), direct_owned.size))

    # ------------------------------------------------------------------ rates
    def set_levers(self, margin_scale: float, mdf_accrual: float) -> None:
        """Set the program's two moving levers: the scale of every margin and the MDF accrual rate.

        A vendor's strategy moves them during a run (:mod:`sim.strategies`).
        """
        self.margin_scale, self.mdf_accrual = margin_scale, mdf_accrual
        self.base_rate = self._base * np.where(self._referral, self.config.referral.fee_scale, margin_scale)

    def rate(self) -> np.ndarray:
        """Each partner's margin or fee rate now: its base rate plus its tier's margin bonus."""
        return self.base_rate + self.tiers.benefit("margin_bonus")

    def mdf_rate(self) -> np.ndarray:
        """Share of each partner's revenue accrued to its MDF fund (program plus tier bonus)."""
        p = self.partners
        if self.config.mdf is None:
            return np.zeros(p.size)
        # Marketplaces hold no accounts to run campaigns in.
        return np.where(p.is_marketplace, 0.0, self.mdf_accrual + self.tiers.benefit("mdf_bonus"))

    def _deal_pay(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per partner and unit of deal value: (timed first-year pay, MDF accrual, renewal pay)."""
        p, inc = self.partners, self.config
        timed = self.rate().copy()
        if inc.registration_bonus is not None:
            timed += np.where(p.is_marketplace, 0.0, inc.registration_bonus.bonus)
        if inc.milestones is not None:
            pending = np.where(p.has_won, 0.0, inc.milestones.first_win)
            pending += np.where(p.certified, 0.0, inc.milestones.certification)
            timed += np.divide(pending, self.typical_value, out=np.zeros(p.size), where=self.typical_value > 0)
        renewal = np.full(p.size, inc.retention_rebate.rate if inc.retention_rebate is not None else 0.0)
        return timed, self.mdf_rate(), renewal

    def deal_value(self) -> np.ndarray:
        """Present value a partner expects from a won deal, per unit of first-year value.

        Timed first-year pay (margin or fee, registration bonus, pending milestone
        bonuses spread over one typical deal) at the payout timing, MDF accrued as the
        customer pays, and the retention rebate at the first renewal.
        """
        timed, mdf, renewal = self._deal_pay()
        return timed * self.pv_timed + mdf * self.pv_collected + renewal * self.pv_renewal

    def usual_value(self, margin: np.ndarray) -> np.ndarray:
        """What a partner earns per unit of deal value at ``margin`` on usual terms (paid on collection)."""
        return margin * self.pv_collected

    def exposure(self) -> np.ndarray:
        """Each partner's retention exposure under the program (see :func:`retention_exposure`)."""
        timed, mdf, renewal = self._deal_pay()
        return retention_exposure(timed + mdf, timed * self.late_share, renewal)

    def screening(self) -> tuple[np.ndarray, np.ndarray]:
        """(deal-volume multiplier, poor-fit share of sourced deals) per partner."""
        return screening(self.exposure(), self.behavior.poor_fit_share)

    def alignment_target(self) -> float:
        """The alignment partners drift back to: 0.5 plus the non-monetary boost."""
        boost = self.config.non_monetary.alignment_boost if self.config.non_monetary is not None else 0.0
        return 0.5 + boost

    # ------------------------------------------------------------------ MDF
    def spend_mdf(self, selling: np.ndarray, prospects: np.ndarray) -> MdfSpend:
        """Partners spend part of their MDF on demand generation in their own accounts.

        Args:
            selling: mask of partners able to run campaigns this quarter.
            prospects: prospects in each partner's accounts.

        Returns:
            The hazard each partner's campaigns add per prospect account
            (``spend / cost_per_opportunity`` opportunities spread over its prospects)
            and the spend per partner.
        """
        n = self.mdf_balance.size
        if self.config.mdf is None:
            return MdfSpend(np.zeros(n), np.zeros(n))
        mdf = self.config.mdf
        spend = np.where(selling & (prospects > 0), self.mdf_balance * mdf.spend_share, 0.0)
        self.mdf_balance -= spend
        opportunities = spend / mdf.cost_per_opportunity
        hazard = np.divide(opportunities, prospects, out=np.zeros(n), where=prospects > 0)
        return MdfSpend(np.minimum(hazard, 1.0), spend)

    # ------------------------------------------------------------------ payouts
    def pay(self, t: int, customers, renewals, closes, revenue) -> Payouts:
        """Pay the quarter: rebates on renewals, first-year pay booked on won deals, instalments and margins.

        Args:
            t: the quarter.
            customers: the customer population (after the quarter's deals).
            renewals: the quarter's :class:`sim.sales.Renewals`.
            closes: the quarter's :class:`sim.sales.Closed` records, in the order they closed.
            revenue: the quarter's :class:`sim.revenue.Revenue`.

        Returns:
            The quarter's :class:`Payouts`.
        """
        ledger = _Ledger(self.partners.size)
        self._rebate(customers, renewals.renewed, ledger)
        double_bubble = 0.0
        for closed in closes:
            double_bubble += self._book(customers, closed.won, ledger)
        self._pay_quarter(t, customers, revenue, ledger)
        return Payouts(ledger.parts, double_bubble)

    def _rebate(self, c, renewed: np.ndarray, ledger: _Ledger) -> None:
        """Pay the retention rebate on renewals of partner-acquired customers."""
        if self.config.retention_rebate is None:
            return
        partner = c.partner[renewed]
        acquired = (partner >= 0) & np.isin(c.channel[renewed], (SOURCED, INFLUENCED))
        ledger.pay(REBATE, partner[acquired], self.config.retention_rebate.rate * c.contract_value[renewed[acquired]])

    def _book(self, c, won: np.ndarray, ledger: _Ledger) -> float:
        """Schedule the first-year pay of newly won deals and pay first-win bonuses.

        Returns:
            The double-bubble commission paid to direct reps on these deals.
        """
        p, inc = self.partners, self.config
        self.first_year[:, won] = 0.0
        ids = won[c.partner[won] >= 0]
        pid, channel, value = c.partner[ids], c.channel[ids], c.contract_value[ids]
        rate = self.rate()
        sourced = (channel == SOURCED) & ~p.is_marketplace[pid]
        resold = sourced & (self.model_code[pid] == ag.COMMERCIAL_MODEL_CODE["resell"])
        referred = sourced & (self.model_code[pid] == ag.COMMERCIAL_MODEL_CODE["referral"])
        self.first_year[0, ids] = np.where(resold, rate[pid] * value, 0.0)
        parent = np.where(resold, p.parent[pid], -1)
        two_tier = parent >= 0
        self.first_year[1, ids[two_tier]] = rate[parent[two_tier]] * value[two_tier]
        fee = np.where(referred, rate[pid], np.where(channel == INFLUENCED, self.co_sell_fee, 0.0))
        self.first_year[2, ids] = fee * value
        if inc.registration_bonus is not None:
            self.first_year[3, ids] = np.where(sourced, inc.registration_bonus.bonus * value, 0.0)
        if inc.milestones is not None and inc.milestones.first_win > 0:
            first = np.unique(pid[~self.first_win_paid[pid]])
            ledger.pay(BONUS, first, np.full(first.size, inc.milestones.first_win))
        self.first_win_paid[pid] = True
        if inc.double_bubble is None:
            return 0.0
        in_named_account = sourced & self.direct_owned[ids]
        return float((inc.double_bubble.commission * value[in_named_account]).sum())

    def _pay_quarter(self, t: int, c, revenue, ledger: _Ledger) -> None:
        """Pay the quarter's instalments, recurring margins and fees, certification bonuses; accrue MDF."""
        p, inc = self.partners, self.config
        served, amount = revenue.served, revenue.served_amount
        partner, channel, tenure = c.partner[served], c.channel[served], t - c.start_quarter[served]
        due = tenure < self.quarters.size
        parent = p.parent[partner]
        parent = np.where((parent >= 0) & (p.state[parent] == ag.CHURNED), -1, parent)  # a distributor that left
        for row, (component, recipient) in enumerate(_LEDGER):
            to = parent if recipient == "parent" else partner
            ok = due & (to >= 0)
            ledger.pay(component, to[ok], self.first_year[row, served[ok]] / self.quarters.size)
        rate = self.rate()
        later = (tenure >= QUARTERS_PER_YEAR) & (channel == SOURCED)
        resold = later & (self.model_code[partner] == ag.COMMERCIAL_MODEL_CODE["resell"])
        ledger.pay(MARGIN, partner[resold], rate[partner[resold]] * amount[resold])
        two_tier = resold & (parent >= 0)
        ledger.pay(MARGIN, parent[two_tier], rate[parent[two_tier]] * amount[two_tier])
        listed = channel == MARKETPLACE
        ledger.pay(REFERRAL, partner[listed], rate[partner[listed]] * amount[listed])
        if inc.milestones is not None and inc.milestones.certification > 0:
            newly = np.flatnonzero(p.certified & ~self.certification_paid)
            ledger.pay(BONUS, newly, np.full(newly.size, inc.milestones.certification))
        self.certification_paid |= p.certified
        self.mdf_balance += self.mdf_rate() * revenue.partner_revenue.sum(axis=0)
