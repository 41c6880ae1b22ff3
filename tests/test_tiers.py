"""Scorecards, tiers, hysteresis, exits, and tier benefits feeding effort."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
from conftest import small

import sim
from sim import agents as ag
from sim.draws import Draws
from sim.effort import split_effort
from sim.model import EcosystemModel
from sim.runner import replication_rng
from sim.scenario import ScoreWeights
from sim.tiers import (
    AMBER,
    GREEN,
    RED,
    Indicators,
    TierBook,
    hysteresis,
    percentile_rank,
    rag,
    scorecard,
    target_tier,
)

TIERED = [{"name": "registered"}, {"name": "silver", "min_score": 0.4},
          {"name": "gold", "min_score": 0.6, "requires_certification": True, "margin_bonus": 0.05}]


def test_percentile_rank_normalises_among_the_scored():
    x = np.array([0.0, 10.0, 5.0, 20.0, 99.0])
    mask = np.array([True, True, True, True, False])
    rank = percentile_rank(x, mask)
    assert rank[:4].tolist() == pytest.approx([0.0, 2 / 3, 1 / 3, 1.0]) and np.isnan(rank[4])
    assert percentile_rank(np.zeros(3), np.ones(3, bool)).tolist() == [0.0, 0.0, 0.0]


def _indicators(n, **values):
    base = dict(accounts=np.full(n, 10.0), reached=np.zeros(n), alignment=np.full(n, 0.5),
                certified=np.zeros(n, bool), effort_share=np.full(n, 0.5), revenue=np.zeros(n), won=np.zeros(n),
                lost=np.zeros(n), qualified_pipeline=np.zeros(n), renewed=np.zeros(n), churned=np.zeros(n))
    base.update(values)
    return Indicators(**base)


def test_scorecard_weights_reach_alignment_and_performance():
    ind = _indicators(3, reached=np.array([0.0, 1.0, 5.0]), revenue=np.array([0.0, 1e5, 2e5]),
                      won=np.array([0.0, 1.0, 3.0]), lost=np.array([0.0, 1.0, 1.0]),
                      certified=np.array([False, True, True]))
    score, reach, alignment, performance = scorecard(ind, np.ones(3, bool), ScoreWeights())
    assert np.all((score >= 0) & (score <= 1))
    assert score[0] < score[1] < score[2]
    assert alignment[1] == pytest.approx((0.5 + 1.0 + 0.5) / 3)
    # Performance without closed deals or renewals: revenue and pipeline ranks only.
    assert performance[0] == 0 and performance[2] == pytest.approx((1.0 + 0.0 + 0.75) / 3)
    weights = ScoreWeights(reach=0.0, alignment=0.0, performance=1.0)
    assert scorecard(ind, np.ones(3, bool), weights)[0] == pytest.approx(performance)


def test_rag_cut_offs():
    assert rag(np.array([0.7, 0.6, 0.45, 0.29, np.nan]), 0.6, 0.3).tolist() == [GREEN, GREEN, AMBER, RED, -1]


def test_target_tier_needs_the_score_and_the_certification():
    min_score, cert = np.array([0.0, 0.4, 0.6]), np.array([False, False, True])
    target = target_tier(np.array([0.1, 0.5, 0.7, 0.7]), np.array([True, True, False, True]), min_score, cert)
    assert target.tolist() == [0, 1, 1, 2]


def _review_sequence(targets, promote_after=2, demote_after=2, start=0):
    tier, streak, pending = np.array([start]), np.zeros(1, int), np.array([start])
    history = []
    for target in targets:
        tier, streak, pending = hysteresis(tier, streak, pending, np.array([target]), promote_after, demote_after)
        history.append(int(tier[0]))
    return history


@pytest.mark.parametrize("k", [1, 2, 3])
def test_promotion_after_k_qualifying_reviews_and_not_before(k):
    history = _review_sequence([2] * 5, promote_after=k)
    assert history[: k - 1] == [0] * (k - 1)
    assert history[k - 1:] == [2] * (5 - k + 1)


def test_hysteresis_prevents_flapping():
    wobbling = [1, 0] * 5  # a score crossing the silver threshold up and down every review
    assert _review_sequence(wobbling, promote_after=2) == [0] * 10
    assert _review_sequence(wobbling, promote_after=1, demote_after=1) == [1, 0] * 5  # without hysteresis it flaps
    assert _review_sequence([0, 1] * 5, start=1, demote_after=2) == [1] * 10  # and no flapping down either


def test_demotion_after_k_failing_reviews():
    assert _review_sequence([0, 0, 0], start=2, demote_after=2) == [2, 0, 0]
    assert _review_sequence([1, 0, 1], start=2, demote_after=3) == [2, 2, 1]  # to the best tier held throughout


def test_a_rising_streak_promotes_to_the_tier_held_in_every_review():
    assert _review_sequence([1, 2, 2], promote_after=2) == [0, 1, 1]


def _book(**scorecard):
    program = sim.load_scenario(small(program={"tiers": TIERED, "scorecard": scorecard})).program
    return TierBook(program, 4)


def test_a_tier_book_promotes_after_k_reviews_above_the_threshold():
    book = _book(promote_after_reviews=3)
    strong = np.array([0.0, 1.0, 1.0, 1.0])
    ind = _indicators(4, reached=3 * strong, revenue=np.array([0.0, 5.0, 6.0, 7.0]), won=2 * strong,
                      qualified_pipeline=np.array([0.0, 5.0, 6.0, 7.0]), certified=strong.astype(bool),
                      alignment=strong, effort_share=strong)
    tiers = []
    for _ in range(4):
        book.review(ind, np.ones(4, bool), np.ones(4, bool))
        tiers.append(book.tier[3])
    assert book.score[0, 3] >= 0.6
    assert tiers == [0, 0, 2, 2]
    assert book.benefit("margin_bonus")[3] == 0.05 and book.benefit("margin_bonus")[0] == 0.0


def test_partners_red_too_long_are_exited_after_the_grace_period():
    book = _book(exit_after_red_reviews=2)
    good = np.array([0.0, 1.0, 1.0, 1.0])
    ind = _indicators(4, reached=3 * good, revenue=np.array([0.0, 5.0, 6.0, 7.0]), won=2 * good,
                      qualified_pipeline=np.array([0.0, 5.0, 6.0, 7.0]), certified=good.astype(bool),
                      alignment=0.9 * good, effort_share=0.9 * good)
    scored, eligible = np.ones(4, bool), np.array([True, True, True, True])
    assert book.review(ind, scored, eligible).size == 0
    assert book.rag[0] == RED and (book.rag[1:] != RED).all()
    assert book.review(ind, scored, eligible).tolist() == [0]
    fresh = _book(exit_after_red_reviews=2)
    for _ in range(3):
        assert fresh.review(ind, scored, np.array([False, True, True, True])).size == 0  # still in grace


def test_no_exits_without_an_exit_policy():
    book = _book()
    ind = _indicators(4)
    for _ in range(5):
        assert book.review(ind, np.ones(4, bool), np.ones(4, bool)).size == 0


# --------------------------------------------------------------------------- in the model
@pytest.fixture(scope="module")
def tiered_run():
    return sim.run_scenario(small(), {"program.tiers": TIERED, "program.scorecard.exit_after_red_reviews": 3},
                            replications=2, quarters=10, write=False, progress=False)


def test_partner_rows_carry_scores_rag_and_tier_each_quarter(tiered_run):
    p = tiered_run.partners
    scored = p[p["state"].isin(["enabled", "certified", "active", "dormant"])]
    assert scored["score"].notna().all() and scored["score"].between(0, 1).all()
    for column in ("score_reach", "score_alignment", "score_performance"):
        assert scored[column].between(0, 1).all()
    assert set(scored["rag"]) <= {"green", "amber", "red"} and set(scored["rag"]) == {"green", "amber", "red"}
    green = scored[scored["rag"] == "green"]["score"]
    assert green.min() >= 0.6 and scored[scored["rag"] == "red"]["score"].max() < 0.3
    outside = p[p["state"].isin(["prospect", "churned"])]
    assert outside["tier"].isna().all() and outside["score"].isna().all() and outside["rag"].isna().all()
    assert set(p.loc[p["state"] == "onboarding", "tier"]) <= {"registered"}
    assert p.loc[p["state"] == "onboarding", "rag"].isna().all()  # in the program, not scored yet: missing


def test_missing_tier_and_rag_are_null_in_the_parquet_file(tmp_path):
    """Tidy data: a partner outside the program has no tier and an unscored one no RAG (null, not "")."""
    result = sim.run_scenario(small(), replications=1, quarters=3, out=tmp_path / "run", progress=False)
    p = pd.read_parquet(result.path / "partners.parquet")
    assert not (p["rag"] == "").any() and not (p["tier"] == "").any()
    assert p.loc[p["state"] == "prospect", ["tier", "rag"]].isna().all().all()


def test_tier_counts_match_the_partner_rows(tiered_run):
    p, q = tiered_run.partners, tiered_run.quarterly.set_index(["replication", "quarter"])
    counts = p[p["tier"].notna()].groupby(["replication", "quarter"])["tier"].value_counts().unstack(fill_value=0)
    for tier in ("registered", "silver", "gold"):
        np.testing.assert_array_equal(counts.reindex(q.index, fill_value=0).get(tier, 0), q[f"tier_{tier}"])
    np.testing.assert_array_equal(q[["tier_registered", "tier_silver", "tier_gold"]].sum(axis=1),
                                  q["partners_partnered"])
    assert q["tier_gold"].max() > 0
    gold = p[p["tier"] == "gold"]
    assert gold["certified"].all()


def test_red_partners_are_exited_by_policy(tiered_run):
    q = tiered_run.quarterly
    assert q["partners_exited"].sum() > 0
    assert (q["partners_churned"] >= q.groupby("replication")["partners_exited"].cumsum()).all()


def test_reviews_follow_the_cadence():
    p = sim.run_scenario(small(), {"program.scorecard.review_every_quarters": 2}, replications=1, quarters=6,
                         write=False, progress=False).partners
    assert p.loc[p["quarter"] == 1, "score"].isna().all()  # no review yet in quarter 1
    scores = p.pivot_table(index="partner_id", columns="quarter", values="score")
    both = scores[[2, 3]].dropna()
    assert len(both) > 0
    np.testing.assert_array_equal(both[2], both[3])  # quarter 3 is not a review quarter


def test_raising_a_tiers_margin_raises_that_tiers_effort_share():
    """Tier benefits feed back into effort (seed 002: tiered margins; partners maximise profit)."""
    scenario = sim.load_scenario(small(), {"program.tiers": TIERED, "simulation.quarters": 8})
    model = EcosystemModel(scenario, rng=replication_rng(5, 0))
    for _ in range(8):
        model.step()
    p, tiers = model.partners, model.vendor.tiers
    partnered = p.in_states(*ag.PARTNERED_STATES) & ~p.is_marketplace
    gold = partnered & (tiers.tier == 2)
    others = partnered & (tiers.tier != 2)
    assert gold.sum() > 0 and others.sum() > 0
    split = partial(split_effort, model.startups, model.rivals, scenario.partners.behavior,
                    scenario.market.services_ratio, [Draws.from_seed(1)])
    before = split()[0].share.copy()
    tiers.benefits["margin_bonus"][2] += 0.10
    split()
    assert (p.effort_share[gold] > before[gold]).all()
    assert p.effort_share[gold].mean() > before[gold].mean() + 0.02
    np.testing.assert_array_equal(p.effort_share[others], before[others])


def test_tiers_raise_win_rates_through_support():
    flat = sim.run_scenario(small(), {"program.tiers": TIERED}, replications=3, quarters=10, write=False,
                            progress=False).quarterly
    supported = [dict(t, support=0.3) if t["name"] != "registered" else t for t in TIERED]
    helped = sim.run_scenario(small(), {"program.tiers": supported}, replications=3, quarters=10, write=False,
                              progress=False).quarterly
    assert helped["new_customers"].sum() > flat["new_customers"].sum()


def test_scorecard_win_rate_counts_the_partners_lost_deals():
    """Performance includes win rate = won / (won + lost) of each partner's own deals (seed 003)."""
    scenario = sim.load_scenario(small(), {"simulation.quarters": 6})
    model = EcosystemModel(scenario, rng=replication_rng(5, 0))
    lost_by_partner = []
    for _ in range(6):
        model.step()
        lost_by_partner.append(sum(int((closed.lost_partner >= 0).sum()) for closed in model.last["focal"].closes))
    window = model.vendor.tiers.window_totals()
    in_window = sum(lost_by_partner[-scenario.program.scorecard.window_quarters:])
    assert in_window > 0 and window["lost"].sum() == in_window
    assert window["won"].sum() > 0
