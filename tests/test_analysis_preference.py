"""Pairwise win rates, Bradley-Terry and position bias: hand cases, scipy.optimize and scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from workbench.analysis.preference import (
    BT_NEVER_LOST,
    BT_NEVER_WON,
    bradley_terry,
    fit_bradley_terry,
    pairwise_counts,
    pairwise_matrix,
    position_bias,
    tally_preferences,
)
from workbench.errors import InputError


def prefs(rows: list[tuple[list[str], str, str | None, list[str] | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "preference_id": range(1, len(rows) + 1),
            "annotator": "u1",
            "dialogue_id": 1,
            "turn_index": 0,
            "shown": pd.Series([r[0] for r in rows], dtype=object),
            "outcome": [r[1] for r in rows],
            "winner": pd.Series([r[2] for r in rows], dtype=object),
            "ranking": pd.Series([r[3] for r in rows], dtype=object),
            "dataset": None,
            "created_at": pd.Timestamp("2025-01-01"),
        }
    )


HAND = prefs(
    [
        (["A", "B", "C"], "best", "A", None),  # A > B, A > C
        (["A", "B"], "best", "B", None),  # B > A
        (["B", "C"], "tie", None, None),  # B = C
        (["C", "A", "B"], "all_bad", None, None),  # excluded by default
    ]
)


def test_pairwise_matrix_by_hand():
    rate = pairwise_matrix(HAND)
    # A vs B: A won once, lost once -> 1/2. A vs C: 1/1. B vs C: one tie -> 0.5.
    assert rate.loc["A", "B"] == 0.5 and rate.loc["B", "A"] == 0.5
    assert rate.loc["A", "C"] == 1.0 and rate.loc["C", "A"] == 0.0
    assert rate.loc["B", "C"] == 0.5 and rate.loc["C", "B"] == 0.5
    assert np.isnan(rate.loc["A", "A"])
    wins, n = pairwise_counts(HAND)
    assert n.loc["A", "B"] == 2 and n.loc["A", "C"] == 1 and n.loc["B", "C"] == 1


def test_all_bad_as_tie():
    _, n_ex = pairwise_counts(HAND, all_bad="exclude")
    wins, n = pairwise_counts(HAND, all_bad="tie")
    # The all_bad row adds a half-half result to each of A-B, A-C, B-C.
    assert n.loc["A", "B"] == n_ex.loc["A", "B"] + 1
    assert wins.loc["A", "C"] == 1.5 and wins.loc["C", "A"] == 0.5
    with pytest.raises(InputError):
        pairwise_counts(HAND, all_bad="drop")


def test_ranking_expands_to_all_implied_pairs():
    wins, n = pairwise_counts(prefs([(["A", "B", "C", "D"], "ranking", None, ["C", "A", "B"])]))
    # C > A, C > B, A > B, and the ranked three each beat D, which was shown but left unranked.
    for a, b in [("C", "A"), ("C", "B"), ("A", "B"), ("A", "D"), ("B", "D"), ("C", "D")]:
        assert wins.loc[a, b] == 1.0 and wins.loc[b, a] == 0.0
    assert n.to_numpy().sum() == 2 * 6


def test_bad_rows_imply_nothing():
    bad = prefs(
        [(["A", "B"], "best", "Z", None), (["A", "B"], "ranking", None, None), (["A"], "tie", None, None)]
    )
    assert pairwise_matrix(bad).empty
    assert bradley_terry(bad).empty
    assert position_bias(bad).empty


def test_bt_two_players_is_the_win_ratio():
    # 7 wins of A over B, 3 of B over A. Without a prior the MLE has P(A beats B) = 7/10, so
    # rating_A - rating_B = log(7/3) and, centred, rating_A = log(7/3) / 2.
    rows = [(["A", "B"], "best", "A", None)] * 7 + [(["B", "A"], "best", "B", None)] * 3
    bt = bradley_terry(prefs(rows), n_boot=0, prior=0.0).set_index("column")
    assert bt.loc["A", "rating"] == pytest.approx(math.log(7 / 3) / 2, abs=1e-9)
    assert bt.loc["B", "rating"] == pytest.approx(-math.log(7 / 3) / 2, abs=1e-9)
    p = 1 / (1 + math.exp(bt.loc["B", "rating"] - bt.loc["A", "rating"]))
    assert p == pytest.approx(0.7)
    # Elo: 400 * log10(7/3) points apart.
    assert bt.loc["A", "elo"] - bt.loc["B", "elo"] == pytest.approx(400 * math.log10(7 / 3))
    assert bt.loc["A", "score"] == 7 and bt.loc["A", "n_comparisons"] == 10


def test_bt_column_that_never_loses_stays_finite():
    rows = [(["A", "B"], "best", "A", None)] * 20 + [(["B", "C"], "best", "B", None)] * 5
    rows += [(["C", "B"], "best", "B", None)] * 5
    bt = bradley_terry(prefs(rows), n_boot=50).set_index("column")
    assert np.isfinite(bt["rating"]).all()
    assert bt.index[0] == "A"
    assert bt.loc["A", "rating"] > bt.loc["B", "rating"] > bt.loc["C", "rating"]
    # A never lost and C never won: their ratings are the prior's, marked, with no interval; B's is a real one.
    assert bt.loc["A", "note"] == BT_NEVER_LOST and bt.loc["C", "note"] == BT_NEVER_WON
    assert bt[["lo", "hi", "elo_lo", "elo_hi"]].loc[["A", "C"]].isna().all().all()
    assert bt.loc["B", "note"] is None and bt.loc["B", "lo"] < bt.loc["B", "rating"] < bt.loc["B", "hi"]


def test_bt_a_column_that_never_wins_gets_no_tight_interval():
    """C lost all 30 comparisons: its rating is set by the hidden prior (0.01 virtual games), and the bootstrap,
    where C loses every resample too, gave it a tight interval that said nothing about the data."""
    rows = [(["A", "B"], "best", "A", None)] * 12 + [(["B", "A"], "best", "B", None)] * 8
    rows += [(["A", "C"], "best", "A", None)] * 15 + [(["C", "B"], "best", "B", None)] * 15
    bt = bradley_terry(prefs(rows), n_boot=200).set_index("column")
    assert bt.loc["C", "score"] == 0 and bt.loc["C", "n_comparisons"] == 30
    assert bt.loc["C", "note"] == BT_NEVER_WON
    assert np.isnan(bt.loc["C", "lo"]) and np.isnan(bt.loc["C", "hi"])
    # The rating itself moves with the prior, which is what the note says.
    looser = bradley_terry(prefs(rows), n_boot=0, prior=0.001).set_index("column")
    assert looser.loc["C", "rating"] < bt.loc["C", "rating"] - 1
    assert set(bt["note"].dropna()) == {BT_NEVER_WON}
    from workbench.ui.tables import data_view, display_view

    shown = display_view(data_view(bt.reset_index()), "en").set_index("Column")
    assert shown.loc["C", "Note"].startswith("never won: rating set by the prior")
    assert shown.loc["C", "95% CI low"] == "n/a"


def _penalised_loglik(theta, w, prior):
    # Written independently of the module: sum_ij w_ij log(1 / (1 + exp(t_j - t_i)))
    #   + prior * sum_i [log(1/(1+exp(-t_i))) + log(1/(1+exp(t_i)))].
    k = len(theta)
    total = 0.0
    for i in range(k):
        for j in range(k):
            if i != j and w[i, j]:
                total -= w[i, j] * np.log1p(np.exp(theta[j] - theta[i]))
        total -= prior * (np.log1p(np.exp(-theta[i])) + np.log1p(np.exp(theta[i])))
    return total


def _random_win_matrix(rng, k, n_games):
    strength = rng.normal(0, 1, k)
    w = np.zeros((k, k))
    for _ in range(n_games):
        i, j = rng.choice(k, 2, replace=False)
        if rng.random() < 1 / (1 + np.exp(strength[j] - strength[i])):
            w[i, j] += 1
        else:
            w[j, i] += 1
    return w


@pytest.mark.parametrize("seed,prior", [(0, 0.01), (1, 0.5), (2, 0.0)])
def test_bt_matches_scipy_optimize(seed, prior):
    rng = np.random.default_rng(seed)
    w = _random_win_matrix(rng, 5, 300)
    ours = fit_bradley_terry(w, prior=prior)
    if prior == 0:
        # Unpenalised: fix theta_0 = 0 for identifiability, then centre.
        obj = lambda t: -_penalised_loglik(np.concatenate([[0.0], t]), w, 0.0)  # noqa: E731
        res = optimize.minimize(obj, np.zeros(4), method="BFGS", options={"gtol": 1e-9})
        ref = np.concatenate([[0.0], res.x])
    else:
        # The anchor prior pins the scale, so all k are free; compare after centring.
        res = optimize.minimize(
            lambda t: -_penalised_loglik(t, w, prior), np.zeros(5), method="BFGS", options={"gtol": 1e-9}
        )
        ref = res.x
    ref = ref - ref.mean()
    assert np.allclose(ours, ref, atol=1e-4)
    assert ours.mean() == pytest.approx(0.0, abs=1e-12)


def test_bt_batched_fit_equals_one_by_one():
    rng = np.random.default_rng(4)
    batch = np.stack([_random_win_matrix(rng, 4, 60) for _ in range(6)])
    together = fit_bradley_terry(batch, prior=0.01)
    apart = np.stack([fit_bradley_terry(w, prior=0.01) for w in batch])
    assert np.allclose(together, apart, atol=1e-10)


def test_bt_bootstrap_interval_covers_estimate_and_shrinks_with_data():
    rng = np.random.default_rng(9)
    strength = {"A": 1.0, "B": 0.0, "C": -0.5}
    cols = list(strength)

    def sample(n):
        rows = []
        for _ in range(n):
            shown = list(rng.permutation(cols))
            p = np.exp([strength[c] for c in shown])
            rows.append((shown, "best", shown[rng.choice(3, p=p / p.sum())], None))
        return prefs(rows)

    small_data = sample(150)
    small = bradley_terry(small_data, n_boot=200, seed=1).set_index("column")
    large = bradley_terry(sample(1500), n_boot=200, seed=1).set_index("column")
    for bt in (small, large):
        assert (bt["lo"] <= bt["rating"]).all() and (bt["rating"] <= bt["hi"]).all()
    width = lambda bt: (bt["hi"] - bt["lo"]).mean()  # noqa: E731
    # sqrt(10) ~ 3.2 times more data: intervals shrink by about that factor.
    assert 2.0 < width(small) / width(large) < 5.0
    # True centred log-strengths (1, 0, -0.5) - 1/6; the large sample's interval should cover A's.
    assert large.loc["A", "lo"] - 0.1 < 1 - 1 / 6 < large.loc["A", "hi"] + 0.1
    # Same data and seed, same answer; another seed moves only the interval, not the estimate.
    assert bradley_terry(small_data, n_boot=200, seed=1).set_index("column").equals(small)
    other = bradley_terry(small_data, n_boot=200, seed=2).set_index("column")
    assert np.allclose(other["rating"], small["rating"]) and not np.allclose(other["lo"], small["lo"])


def test_position_bias_by_hand():
    shown = ["A", "B", "C"]
    rows = [(shown, "best", "A", None)] * 6 + [(shown, "best", "B", None)] * 3
    rows += [(shown, "ranking", None, ["C", "A", "B"])]  # the ranking's first counts as the choice
    rows += [(shown, "tie", None, None), (shown, "all_bad", None, None)]  # no single choice: ignored
    pb = position_bias(prefs(rows)).set_index("slot")
    assert list(pb["wins"]) == [6, 3, 1] and (pb["n"] == 10).all()
    assert list(pb["win_rate"]) == [0.6, 0.3, 0.1] and list(pb["chance"]) == pytest.approx([1 / 3] * 3)
    # Exact two-sided test of 6/10 against p = 1/3: P(X = k), k = 0..10, are 0.01734, 0.08671, 0.19509,
    # 0.26012, 0.22761, 0.13656, 0.05690, 0.01626, 0.00305, 0.00034, 0.00002. Outcomes no likelier
    # than P(X = 6) = 0.05690 are k = 0 and k = 6..10: p = 0.01734 + 0.07656 = 0.0939.
    assert list(pb.index) == [1, 2, 3]  # slots counted from 1, as A, B, C
    assert pb.loc[1, "p_value"] == pytest.approx(0.0939, abs=2e-4)
    assert pb.loc[1, "p_value"] == pytest.approx(stats.binomtest(6, 10, 1 / 3).pvalue)
    assert pb.loc[3, "p_value"] == pytest.approx(stats.binomtest(1, 10, 1 / 3).pvalue)
    # Chi-square vs uniform: expected 10/3 each; (6-10/3)^2/(10/3) + (3-10/3)^2/(10/3) + (1-10/3)^2/(10/3)
    # = 2.1333 + 0.0333 + 1.6333 = 3.8 with 2 df, p = exp(-3.8 / 2) = 0.1496.
    assert pb.loc[1, "uniform_p"] == pytest.approx(math.exp(-1.9))
    ci = stats.binomtest(6, 10, 1 / 3).proportion_ci(method="exact")
    assert (pb.loc[1, "lo"], pb.loc[1, "hi"]) == pytest.approx((ci.low, ci.high))


def test_position_bias_groups_by_number_shown():
    rows = [(["A", "B"], "best", "B", None)] * 4 + [(["A", "B", "C"], "best", "C", None)] * 2
    pb = position_bias(prefs(rows))
    two = pb[pb["n_shown"] == 2].set_index("slot")
    three = pb[pb["n_shown"] == 3].set_index("slot")
    assert list(two["wins"]) == [0, 4] and two.loc[2, "chance"] == 0.5
    assert list(three["wins"]) == [0, 0, 2] and three.loc[3, "win_rate"] == 1.0


def test_position_bias_on_random_data_matches_scipy():
    rng = np.random.default_rng(2)
    cols = ["A", "B", "C"]
    rows = []
    for _ in range(500):
        shown = list(rng.permutation(cols))
        slot = rng.choice(3, p=[0.4, 0.35, 0.25])
        rows.append((shown, "best", shown[slot], None))
    pb = position_bias(prefs(rows)).set_index("slot")
    for slot in range(1, 4):
        wins = int(pb.loc[slot, "wins"])
        assert pb.loc[slot, "p_value"] == pytest.approx(stats.binomtest(wins, 500, 1 / 3).pvalue)
    assert pb.loc[1, "uniform_p"] == pytest.approx(stats.chisquare(pb["wins"].to_numpy()).pvalue)


def test_tally_groups_identical_judgements():
    tally = tally_preferences(HAND.iloc[[0, 0, 1]].reset_index(drop=True))
    assert sorted(tally.counts.tolist()) == [1, 2]
    # A tally is accepted wherever a frame is, with the same result.
    assert pairwise_matrix(tally_preferences(HAND)).equals(pairwise_matrix(HAND))
