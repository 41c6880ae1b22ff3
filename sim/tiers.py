"""Partner scorecards and tiers: quarterly reviews, hysteresis, benefits and exits.

Rules in this module, each with its source:

* :func:`scorecard` — each partner is scored on reach, alignment and performance,
  each normalised to [0, 1] and weighted (seed 000: "construct a formal partner
  scorecard ... reach metrics ... alignment indicators ... performance indicators
  ... weight each section and set threshold cutoffs"; seed 001: "normalize data
  across partners to enable fair comparisons"). Counts and money are normalised by
  their percentile among the partners scored; shares are used as they are.

  - reach: accounts the partner covers in its target segments and accounts it has
    reached (customers served plus open opportunities) (seed 000: "market
    coverage, access to strategic accounts", "how many new customers are engaged");
  - alignment: its alignment (strategic fit, lowered by lost conflicts), whether it
    is certified, and the share of its sellers it commits to the vendor (seed 000:
    "co-selling readiness"; seed 003: "willingness to co-invest");
  - performance: sourced and influenced revenue, win rate, qualified pipeline
    (value x win probability) and retention of its customers, over the trailing
    ``window_quarters`` (seed 000: "pipeline generation, conversion velocity,
    revenue contribution, and customer lifetime value"; seed 003: "pipeline quality,
    win rates"). Forecast accuracy is not modelled: partners here do not forecast.

* :func:`rag` — green, amber or red by cut-offs (seed 003: "color-coded thresholds—
  green for strong alignment and measurable impact, amber for cautious optimism,
  red for misalignment").
* :func:`target_tier` and :func:`hysteresis` — at each review (every
  ``review_every_quarters``; seed 003: "schedule quarterly reviews") a partner
  qualifies for the highest tier whose score threshold (and certification
  requirement) it meets, and moves there only after qualifying on the same side for
  ``promote_after_reviews`` / ``demote_after_reviews`` consecutive reviews, so a
  score wobbling around a threshold does not flip the tier every quarter (seed 002:
  "incentives and program terms should not change midstream; stability builds
  trust").
* Exit — a partner red for ``exit_after_red_reviews`` consecutive reviews, after a
  grace period, is exited (seed 000: "exit clauses tied to specific, measurable
  failures").

Tier benefits (``margin_bonus``, ``mdf_bonus``, ``lead_priority``, ``support``) are
read through :meth:`TierBook.benefit` by the incentive program (pay, hence effort),
by lead sharing (influenced deals) and by deal terms (win rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import agents as ag
from sim.customers import OPPORTUNITY

__all__ = ["RAG", "TierBook", "Indicators", "Review", "percentile_rank", "scorecard", "rag", "target_tier",
           "hysteresis", "review_partners"]

RAG: tuple[str, ...] = ("green", "amber", "red")
GREEN, AMBER, RED = range(len(RAG))
BENEFITS: tuple[str, ...] = ("margin_bonus", "mdf_bonus", "lead_priority", "support")
# Per-partner flows kept over the trailing window: revenue, deals won and lost,
# customers renewed and churned.
FLOWS: tuple[str, ...] = ("revenue", "won", "lost", "renewed", "churned")


@dataclass
class Indicators:
    """Raw scorecard indicators, one entry per partner."""

    accounts: np.ndarray  # accounts covered in the partner's target segments
    reached: np.ndarray  # customers served plus open opportunities
    alignment: np.ndarray  # in [0, 1]
    certified: np.ndarray  # bool
    effort_share: np.ndarray  # in [0, 1]
    revenue: np.ndarray  # sourced and influenced revenue over the window
    won: np.ndarray
    lost: np.ndarray
    qualified_pipeline: np.ndarray  # open opportunity value x win probability
    renewed: np.ndarray
    churned: np.ndarray


def percentile_rank(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Share of the masked partners with a strictly smaller value, scaled so the top is 1.

    Zero or negative values score 0; partners outside ``mask`` get NaN.

    Examples:
        >>> percentile_rank(np.array([0.0, 5.0, 1.0, 9.0]), np.ones(4, bool)).tolist()
        [0.0, 0.6666666666666666, 0.3333333333333333, 1.0]
    """
    out = np.full(x.size, np.nan)
    values = x[mask]
    if values.size == 0:
        return out
    below = np.searchsorted(np.sort(values), values, side="left")
    out[mask] = np.where(values > 0, below / max(values.size - 1, 1), 0.0)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0 (no evidence yet)."""
    return np.divide(num, den, out=np.full(num.size, np.nan), where=den > 0)


def scorecard(ind: Indicators, mask: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """Weighted score and its reach, alignment and performance components, each in [0, 1].

    Args:
        ind: the raw indicators.
        mask: partners to score (normalisation is among them); others get NaN.
        weights: an object with ``reach``, ``alignment`` and ``performance`` weights summing to 1.

    Returns:
        (score, reach, alignment, performance).
    """
    # Means of two and three components, added in order and divided (what np.mean over the stacked rows does).
    reach = (percentile_rank(ind.accounts, mask) + percentile_rank(ind.reached, mask)) / 2
    alignment = (ind.alignment + ind.certified.astype(float) + ind.effort_share) / 3
    alignment = np.where(mask, alignment, np.nan)
    with np.errstate(invalid="ignore"):
        evidence = np.array([percentile_rank(ind.revenue, mask), percentile_rank(ind.qualified_pipeline, mask),
                             _ratio(ind.won, ind.won + ind.lost), _ratio(ind.renewed, ind.renewed + ind.churned)])
    # Revenue and pipeline ranks always exist for scored partners; rates only with evidence.
    counted = np.isfinite(evidence)
    performance = np.divide(np.where(counted, evidence, 0.0).sum(axis=0), counted.sum(axis=0),
                            out=np.full(mask.size, np.nan), where=counted.sum(axis=0) > 0)
    score = weights.reach * reach + weights.alignment * alignment + weights.performance * performance
    return score, reach, alignment, performance


def rag(score: np.ndarray, green: float, red: float) -> np.ndarray:
    """GREEN (0) at or above ``green``, RED (2) below ``red``, AMBER (1) between; -1 for NaN."""
    code = np.where(score >= green, GREEN, np.where(score < red, RED, AMBER))
    return np.where(np.isnan(score), -1, code).astype(np.int8)


def target_tier(score: np.ndarray, certified: np.ndarray, min_score: np.ndarray,
                requires_certification: np.ndarray) -> np.ndarray:
    """Index of the highest tier each partner qualifies for (tiers ordered by ``min_score``).

    The first tier (``min_score`` 0, no requirement) always qualifies.
    """
    meets = (score[:, None] >= min_score[None, :]) & (certified[:, None] | ~requires_certification[None, :])
    meets[:, 0] = True
    return meets.shape[1] - 1 - np.argmax(meets[:, ::-1], axis=1)


def hysteresis(tier: np.ndarray, streak: np.ndarray, pending: np.ndarray, target: np.ndarray,
               promote_after: int, demote_after: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move partners to their target tier only after consecutive reviews on the same side.

    ``streak`` counts consecutive reviews above (positive) or below (negative) the
    current tier; ``pending`` is the tier the partner qualified for in every review of
    the streak (the lowest target when rising, the highest when falling).

    Returns:
        The new (tier, streak, pending).
    """
    up, down = target > tier, target < tier
    rising, falling = up & (streak > 0), down & (streak < 0)
    streak = np.where(up, np.where(rising, streak + 1, 1), np.where(down, np.where(falling, streak - 1, -1), 0))
    pending = np.where(up, np.where(rising, np.minimum(pending, target), target),
                       np.where(down, np.where(falling, np.maximum(pending, target), target), tier))
    move = (up & (streak >= promote_after)) | (down & (-streak >= demote_after))
    return np.where(move, pending, tier), np.where(move, 0, streak), pending


class TierBook:
    """Every partner's tier, latest scorecard and review streaks for one model run.

    Args:
        program: the scenario's validated ``program`` section.
        n: number of partners.
    """

    def __init__(self, program, n: int):
        self.names = [t.name for t in program.tiers]
        self.min_score = np.array([t.min_score for t in program.tiers])
        self.requires_certification = np.array([t.requires_certification for t in program.tiers])
        self.benefits = {b: np.array([getattr(t, b) for t in program.tiers]) for b in BENEFITS}
        self.config = program.scorecard
        self.tier = np.zeros(n, dtype=np.int64)
        self.streak = np.zeros(n, dtype=np.int64)
        self.pending = np.zeros(n, dtype=np.int64)
        self.red_reviews = np.zeros(n, dtype=np.int64)
        self.score = np.full((4, n), np.nan)  # score, reach, alignment, performance
        self.rag = np.full(n, -1, dtype=np.int8)
        self.window = np.zeros((self.config.window_quarters, len(FLOWS), n))

    def expected_margin_bonus(self) -> float:
        """The margin bonus a prospective partner expects to reach under the tier thresholds.

        A prospect guesses its chance to qualify for tier k as ``1 - min_score_k``,
        halved when the tier requires certification (assumption), and expects the bonus
        of the highest tier it reaches, so higher thresholds and stricter requirements
        make the same benefits worth less (seed 002: "overly stringent requirements ...
        deter partners"; requirements should be "proportionate to the stage").

        Examples:
            >>> from types import SimpleNamespace as NS
            >>> tiers = [NS(name="entry", min_score=0.0, requires_certification=False, margin_bonus=0.0,
            ...             mdf_bonus=0.0, lead_priority=1.0, support=0.0),
            ...          NS(name="gold", min_score=0.6, requires_certification=False, margin_bonus=0.05,
            ...             mdf_bonus=0.0, lead_priority=1.0, support=0.0)]
            >>> round(TierBook(NS(tiers=tiers, scorecard=NS(window_quarters=4)), 1).expected_margin_bonus(), 3)
            0.02
        """
        reach = (1.0 - self.min_score) * np.where(self.requires_certification, 0.5, 1.0)
        reach[0] = 1.0
        highest = np.maximum(reach - np.append(reach[1:], 0.0), 0.0)  # P(the highest tier reached is k)
        return float((highest * self.benefits["margin_bonus"]).sum())

    def benefit(self, name: str) -> np.ndarray:
        """Each partner's tier benefit ``name`` (one of ``BENEFITS``)."""
        return self.benefits[name][self.tier]

    def observe(self, t: int, **flows: np.ndarray) -> None:
        """Record the quarter's per-partner ``FLOWS`` into the trailing window."""
        slot = self.window[t % self.window.shape[0]]
        for i, name in enumerate(FLOWS):
            slot[i] = flows[name]

    def window_totals(self) -> dict[str, np.ndarray]:
        """Per-partner totals of each flow over the trailing window."""
        totals = self.window.sum(axis=0)
        return {name: totals[i] for i, name in enumerate(FLOWS)}

    def is_review(self, t: int) -> bool:
        """Whether quarter ``t`` (1-based) is a review quarter."""
        return t % self.config.review_every_quarters == 0

    def review(self, indicators: Indicators, scored: np.ndarray, exit_eligible: np.ndarray) -> np.ndarray:
        """Score partners, set their RAG, move tiers with hysteresis, and pick exits.

        Args:
            indicators: raw indicators (window flows included).
            scored: partners reviewed (partnered and selling).
            exit_eligible: partners past the exit grace period.

        Returns:
            Ids of partners exited for staying red too long (empty unless an exit policy is set).
        """
        cfg = self.config
        self.score[:] = scorecard(indicators, scored, cfg.weights)
        self.rag = rag(self.score[0], cfg.green, cfg.red)
        scored_or_zero = np.where(np.isnan(self.score[0]), 0.0, self.score[0])  # np.nan_to_num: scores are finite
        target = target_tier(scored_or_zero, indicators.certified, self.min_score, self.requires_certification)
        tier, streak, pending = hysteresis(self.tier, self.streak, self.pending, target,
                                           cfg.promote_after_reviews, cfg.demote_after_reviews)
        self.tier = np.where(scored, tier, self.tier)
        self.streak = np.where(scored, streak, self.streak)
        self.pending = np.where(scored, pending, self.pending)
        red = scored & exit_eligible & (self.rag == RED)
        self.red_reviews = np.where(red, self.red_reviews + 1, 0)
        if cfg.exit_after_red_reviews is None:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.red_reviews >= cfg.exit_after_red_reviews)

    def counts(self, partnered: np.ndarray) -> np.ndarray:
        """Partnered partners in each tier."""
        return np.bincount(self.tier[partnered], minlength=len(self.names))


# --------------------------------------------------------------------------- the review phase
@dataclass(frozen=True)
class Review:
    """The quarter's partner review."""

    held: bool  # whether this was a review quarter
    exited: np.ndarray  # partner ids exited for staying red


def _by_partner(customer_partner: np.ndarray, n: int) -> np.ndarray:
    """Count customers per partner (customers with no partner, -1, are left out)."""
    return np.bincount(customer_partner[customer_partner >= 0], minlength=n).astype(float)


def review_partners(book: TierBook, partners: ag.PartnerView, customers, accounts: np.ndarray, t: int,
                    revenue, renewals, closes, exit_grace: int, vendor: int = 0) -> Review:
    """Feed the scorecard window with the quarter; at review quarters score, tier and exit partners.

    Args:
        book: the vendor's tier book.
        partners: the partner population (exited partners churn).
        customers: the customer population at the end of the quarter.
        accounts: accounts in each partner's book.
        t: the quarter.
        revenue: the quarter's :class:`sim.revenue.Revenue` (its ``served`` customers, the vendor's paying
            customers with a partner, are those the review counts as reached).
        renewals: the quarter's :class:`sim.sales.Renewals`.
        closes: the quarter's :class:`sim.sales.Closed` records.
        exit_grace: quarters of selling before red reviews count toward an exit.
        vendor: the reviewing vendor's index (its customers are the evidence).
    """
    p, c, n = partners, customers, partners.size
    won = sum((_by_partner(c.partner[closed.won], n) for closed in closes), np.zeros(n))
    lost = sum((_by_partner(closed.lost_partner, n) for closed in closes), np.zeros(n))
    renewed, churned = (_by_partner(c.partner[ids], n) for ids in (renewals.renewed, renewals.churned))
    book.observe(t, revenue=revenue.partner_revenue.sum(axis=0), won=won, lost=lost, renewed=renewed, churned=churned)
    if not book.is_review(t):
        return Review(False, np.empty(0, dtype=np.int64))
    in_pipeline = np.flatnonzero((c.state == OPPORTUNITY) & (c.partner >= 0) & (c.vendor == vendor))
    served = revenue.served  # the vendor's paying customers with a partner, as recognised this quarter
    reached = np.bincount(c.partner[np.concatenate([in_pipeline, served])], minlength=n)
    qualified = np.bincount(c.partner[in_pipeline], minlength=n,
                            weights=c.opportunity_value[in_pipeline] * c.win_prob[in_pipeline])
    indicators = Indicators(accounts=accounts, reached=reached, alignment=p.alignment, certified=p.certified,
                            effort_share=p.effort_share, qualified_pipeline=qualified, **book.window_totals())
    scored = p.in_states(*ag.SELLING_STATES)
    exited = book.review(indicators, scored, scored & (t - p.selling_since >= exit_grace))
    p.state[exited] = ag.CHURNED
    return Review(True, exited)
