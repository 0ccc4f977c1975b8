"""Bootstrap CIs and the per-column score table: hand cases and scipy.stats.bootstrap on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.analysis.scores import (
    bootstrap_ci,
    cluster_bootstrap_mean_ci,
    column_scores,
    scores_by_slot,
)
from workbench.errors import InputError


def test_bootstrap_degenerate_cases():
    # Every resample of identical values has the same mean, so the interval collapses onto it.
    assert bootstrap_ci([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)
    assert bootstrap_ci([4.0]) == (4.0, 4.0, 4.0)
    est, lo, hi = bootstrap_ci([])
    assert np.isnan(est) and np.isnan(lo) and np.isnan(hi)
    # NaN (= not applicable) is dropped, not counted as a value.
    assert bootstrap_ci([2.0, np.nan, 2.0])[0] == 2.0


def test_bootstrap_two_values_by_hand():
    # Resampling {0, 1} twice gives mean 0 (p=1/4), 0.5 (p=1/2) or 1 (p=1/4). A quarter of the mass
    # sits on each end, so the 2.5% and 97.5% percentiles are exactly 0 and 1.
    assert bootstrap_ci([0.0, 1.0], n_boot=4000) == (0.5, 0.0, 1.0)


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(InputError):
        bootstrap_ci([1.0, 2.0], ci=1.5)
    with pytest.raises(InputError):
        bootstrap_ci([1.0, 2.0], n_boot=0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bootstrap_mean_matches_scipy_percentile(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(1, 6, size=300).astype(float)  # rating-like: 5 distinct values
    est, lo, hi = bootstrap_ci(scores, n_boot=4000, seed=seed)
    ref = stats.bootstrap((scores,), np.mean, method="percentile", n_resamples=9999, random_state=seed)
    assert est == pytest.approx(scores.mean())
    # Monte-Carlo error of a 2.5% quantile with these resample counts is about 0.004 here.
    assert lo == pytest.approx(ref.confidence_interval.low, abs=0.02)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=0.02)


def test_bootstrap_median_matches_scipy_percentile():
    rng = np.random.default_rng(7)
    x = rng.normal(10.0, 2.0, size=400)
    est, lo, hi = bootstrap_ci(x, stat=np.median, n_boot=4000, seed=0)
    ref = stats.bootstrap((x,), np.median, method="percentile", n_resamples=9999, random_state=0)
    assert est == pytest.approx(np.median(x))
    assert lo == pytest.approx(ref.confidence_interval.low, abs=0.08)
    assert hi == pytest.approx(ref.confidence_interval.high, abs=0.08)


def test_multinomial_shortcut_equals_index_resampling():
    # np.mean takes the multinomial shortcut; a lambda is not np.mean, so it resamples indices.
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, size=250).astype(float)
    fast = bootstrap_ci(x, n_boot=4000, seed=1)
    slow = bootstrap_ci(x, stat=lambda v, axis=None: np.mean(v, axis=axis), n_boot=4000, seed=2)
    assert fast[0] == slow[0]
    assert fast[1] == pytest.approx(slow[1], abs=0.02)
    assert fast[2] == pytest.approx(slow[2], abs=0.02)


def test_cluster_bootstrap_with_singletons_is_the_plain_bootstrap():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 6, size=300).astype(float)
    plain = bootstrap_ci(x, n_boot=4000, seed=0)
    clustered = cluster_bootstrap_mean_ci(x, np.arange(x.size), n_boot=4000, seed=1)
    assert clustered[0] == pytest.approx(plain[0])
    assert clustered[1] == pytest.approx(plain[1], abs=0.02)
    assert clustered[2] == pytest.approx(plain[2], abs=0.02)


def test_cluster_bootstrap_widens_for_duplicated_ratings():
    # 60 replies, each rated 4 times with the same score: only 60 independent values, so the interval
    # is about sqrt(4) = 2 times as wide as the naive one over 240 ratings.
    rng = np.random.default_rng(11)
    per_reply = rng.integers(1, 6, size=60).astype(float)
    values = np.repeat(per_reply, 4)
    clusters = np.repeat(np.arange(60), 4)
    naive = bootstrap_ci(values, n_boot=4000, seed=0)
    clustered = cluster_bootstrap_mean_ci(values, clusters, n_boot=4000, seed=0)
    ratio = (clustered[2] - clustered[1]) / (naive[2] - naive[1])
    assert 1.6 < ratio < 2.4
    assert clustered[0] == pytest.approx(values.mean())


def test_cluster_bootstrap_weights_by_ratings_not_by_clusters():
    # Estimate is the mean over ratings: (1 + 1 + 1 + 5) / 4 = 2, not the mean of reply means (1+5)/2 = 3.
    est, lo, hi = cluster_bootstrap_mean_ci([1.0, 1.0, 1.0, 5.0], [1, 1, 1, 2], n_boot=500)
    assert est == 2.0
    # Replicates draw reply 1 or 2 twice: means 1 (1/4), (3+5)/4 = 2 (1/2), 5 (1/4).
    assert (lo, hi) == (1.0, 5.0)


def _gens():
    return pd.DataFrame(
        {
            "generation_id": [1, 2, 3, 4, 5],
            "column": ["A", "A", "A", "B", "B"],
            "status": ["ok", "ok", "error", "ok", "ok"],
            "latency_ms": [100.0, 300.0, 5000.0, 50.0, 70.0],
            "length_chars": [10, 20, 0, 5, 7],
        }
    )


def _ratings():
    return pd.DataFrame(
        {
            "rating_id": range(1, 7),
            "generation_id": [1, 1, 2, 4, 5, 5],
            "annotator": ["u1", "u2", "u1", "u1", "u1", "u2"],
            "column": ["A", "A", "A", "B", "B", "B"],
            "questioning": [4.0, 2.0, 3.0, 5.0, np.nan, 5.0],
            "suggestion": [np.nan, np.nan, np.nan, 1.0, 2.0, 3.0],
            "safety_flag": [False, True, False, False, False, False],
            "display_slot": [0, 1, 0, 1, 0, 2],
        }
    )


def test_column_scores_by_hand():
    table = column_scores(_gens(), _ratings(), n_boot=500).set_index("column")
    a, b = table.loc["A"], table.loc["B"]
    # A: questioning (4 + 2 + 3) / 3 = 3; suggestion all N/A; 1 of 3 ratings flagged.
    assert a["questioning_mean"] == pytest.approx(3.0)
    assert a["n_questioning"] == 3 and a["n_suggestion"] == 0 and np.isnan(a["suggestion_mean"])
    assert a["safety_flag_rate"] == pytest.approx(1 / 3)
    # A: the error generation is excluded from latency/length: mean(100, 300) = 200, length (10+20)/2.
    assert a["latency_mean_ms"] == 200.0 and a["latency_median_ms"] == 200.0
    assert a["length_mean"] == 15.0
    assert a["n_generations"] == 3 and a["error_rate"] == pytest.approx(1 / 3)
    # B: questioning (5 + 5) / 2 = 5 with a degenerate interval; suggestion (1 + 2 + 3) / 3 = 2.
    assert (b["questioning_mean"], b["questioning_lo"], b["questioning_hi"]) == (5.0, 5.0, 5.0)
    assert b["suggestion_mean"] == pytest.approx(2.0)
    assert b["questioning_lo"] <= b["questioning_mean"] <= b["questioning_hi"]
    # A's replies: #1 rated 4 and 2 (sum 6, n 2), #2 rated 3 (sum 3, n 1). Drawing two replies gives
    # 12/4, 6/2 or 9/3: always 3, so even the cluster interval is degenerate.
    assert (a["questioning_lo"], a["questioning_hi"]) == (3.0, 3.0)
    assert b["n_ratings"] == 3 and b["latency_median_ms"] == 60.0


def test_column_scores_lists_columns_seen_on_either_side():
    gens = _gens()
    ratings = _ratings().assign(column=lambda r: r["column"].replace({"B": "C"}))
    table = column_scores(gens, ratings, n_boot=200)
    assert list(table["column"]) == ["A", "B", "C"]
    assert table.set_index("column").loc["C", "n_generations"] == 0
    assert table.set_index("column").loc["B", "n_ratings"] == 0


def test_column_scores_missing_column_is_named():
    with pytest.raises(InputError, match="questioning"):
        column_scores(_gens(), _ratings().drop(columns=["questioning"]))


def test_scores_by_slot_by_hand():
    table = scores_by_slot(_ratings(), n_boot=300)
    q = table[table["axis"] == "questioning"].set_index("slot")
    # slot 0: ratings 4, 3 (and N/A) -> 3.5; slot 1: 2, 5 -> 3.5; slot 2: 5.
    assert q.loc[0, "mean"] == 3.5 and q.loc[0, "n"] == 2
    assert q.loc[1, "mean"] == 3.5 and q.loc[2, "mean"] == 5.0
    s = table[table["axis"] == "suggestion"].set_index("slot")
    assert s.loc[0, "mean"] == 2.0 and s.loc[1, "mean"] == 1.0 and s.loc[2, "mean"] == 3.0
