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
    crossed_bootstrap_mean_ci,
    paired_difference_ci,
    proportion_ci,
    scores_by_slot,
)
from workbench.errors import InputError


def _no_interval(result, estimate):
    est, lo, hi = result
    return est == pytest.approx(estimate) and np.isnan(lo) and np.isnan(hi)


def test_bootstrap_degenerate_cases():
    # Every resample of identical values (or of one value) has the same mean: a zero-width interval would
    # read as certainty, so there is none (NaN bounds, "n/a" in the tab).
    assert _no_interval(bootstrap_ci([3.0, 3.0, 3.0]), 3.0)
    assert _no_interval(bootstrap_ci([4.0]), 4.0)
    assert _no_interval(bootstrap_ci([1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), 1.0)
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
    # B: questioning (5 + 5) / 2 = 5, all equal: no interval; suggestion (1 + 2 + 3) / 3 = 2.
    assert _no_interval((b["questioning_mean"], b["questioning_lo"], b["questioning_hi"]), 5.0)
    assert b["suggestion_mean"] == pytest.approx(2.0)
    assert b["suggestion_lo"] <= b["suggestion_mean"] <= b["suggestion_hi"]
    # A's replies: #1 rated 4 (u1) and 2 (u2), #2 rated 3 (u1). Resampling replies alone always gives 3
    # (12/4, 6/2 or 9/3), but u1 and u2 disagree: a replicate drawing u2 alone (one draw of the two
    # annotators) gives 2, u1 alone 3, 3.5 or 4. The interval shows that spread.
    assert (a["questioning_lo"], a["questioning_hi"]) == (2.0, 4.0)
    assert b["n_ratings"] == 3 and b["latency_median_ms"] == 60.0
    # With one annotator there is no annotator spread: the replies alone give no interval, as before.
    one = column_scores(_gens(), _ratings().assign(annotator="u1"), n_boot=500).set_index("column").loc["A"]
    assert _no_interval((one["questioning_mean"], one["questioning_lo"], one["questioning_hi"]), 3.0)


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
    # Stored slot 0 is slot 1 (shown first): ratings 4, 3 (and N/A) -> 3.5; slot 2: 2, 5 -> 3.5; slot 3: 5.
    assert q.loc[1, "mean"] == 3.5 and q.loc[1, "n"] == 2
    assert q.loc[2, "mean"] == 3.5 and q.loc[3, "mean"] == 5.0
    s = table[table["axis"] == "suggestion"].set_index("slot")
    assert s.loc[1, "mean"] == 2.0 and s.loc[2, "mean"] == 1.0 and s.loc[3, "mean"] == 3.0


def test_one_cluster_or_one_value_gives_no_interval():
    assert _no_interval(cluster_bootstrap_mean_ci([2.0, 4.0, 5.0], [7, 7, 7]), 11 / 3)
    assert _no_interval(cluster_bootstrap_mean_ci([2.0], [1]), 2.0)
    # Clusters with equal means (sum/count) give the same mean in every resample.
    assert _no_interval(cluster_bootstrap_mean_ci([2.0, 4.0, 3.0], [1, 1, 2]), 3.0)


def test_proportion_ci_is_wilson_not_a_point():
    share, lo, hi = proportion_ci(6, 6)
    assert share == 1.0 and hi == pytest.approx(1.0) and lo == pytest.approx(0.6097, abs=1e-4)
    share, lo, hi = proportion_ci(0, 6)
    assert share == 0.0 and lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.3903, abs=1e-4)
    # Wilson by hand for 3 of 10: centre (0.3 + z^2/20) / (1 + z^2/10), half-width as in coq.wilson_interval.
    z = stats.norm.ppf(0.975)
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z / (1 + z**2 / 10) * np.sqrt(0.3 * 0.7 / 10 + z**2 / 400)
    assert proportion_ci(3, 10)[1:] == pytest.approx((centre - half, centre + half))
    assert all(np.isnan(v) for v in proportion_ci(0, 0))


def _between_dialogue_frames(n_dialogues=12, replies_per=5):
    """One column; every reply of a dialogue gets the same score, dialogues differ: all variation is
    between dialogues, so the replies of one dialogue are one draw, not ``replies_per``."""
    rng = np.random.default_rng(4)
    level = rng.integers(1, 6, size=n_dialogues).astype(float)
    did = np.repeat(np.arange(100, 100 + n_dialogues), replies_per)
    gid = np.arange(1, did.size + 1)
    gens = pd.DataFrame({"generation_id": gid, "dialogue_id": did, "column": "A", "status": "ok",
                         "latency_ms": 10.0, "length_chars": 5})
    ratings = pd.DataFrame({"rating_id": gid, "generation_id": gid, "annotator": "u1", "column": "A",
                            "questioning": np.repeat(level, replies_per), "suggestion": np.nan,
                            "safety_flag": False, "display_slot": 0})
    return gens, ratings, did


def test_column_scores_resample_dialogues():
    gens, ratings, did = _between_dialogue_frames()
    row = column_scores(gens, ratings, n_boot=3000, seed=5).iloc[0]
    values = ratings["questioning"].to_numpy()
    # The same draws as a hand-made dialogue-level bootstrap (column 0, axis 0: seed + 0).
    by_dialogue = cluster_bootstrap_mean_ci(values, did, n_boot=3000, seed=5)
    assert (row["questioning_mean"], row["questioning_lo"], row["questioning_hi"]) == pytest.approx(by_dialogue)
    by_reply = cluster_bootstrap_mean_ci(values, ratings["generation_id"].to_numpy(), n_boot=3000, seed=5)
    # 12 independent draws, not 60: about sqrt(5) = 2.2 times as wide.
    assert (by_dialogue[2] - by_dialogue[1]) > 1.7 * (by_reply[2] - by_reply[1])
    # Slot scores resample the same units when given the dialogues.
    slot = scores_by_slot(ratings, n_boot=3000, seed=5, dialogues=gens).set_index("axis").loc["questioning"]
    assert (slot["lo"], slot["hi"]) == pytest.approx(
        cluster_bootstrap_mean_ci(values, did, n_boot=3000, seed=5)[1:])


def test_dashboard_clusters_by_dialogue_through_a_filter():
    # A turn-type filter keeps a rating by its human label even where it drops the rated reply from the
    # generations: its dialogue still comes from the store's frame.
    from workbench.analysis.dashboard import compute_dashboard
    from workbench.analysis.frames import Frames, empty_frame
    from workbench.scope import Scope

    gens, ratings, did = _between_dialogue_frames()
    full_g = empty_frame("generations").iloc[:0]
    g = pd.concat([full_g, gens.assign(turn_index=1, turn_type_auto="suggestion", dataset="d",
                                       created_at=pd.Timestamp("2024-01-01"))], ignore_index=True)
    r = pd.concat([empty_frame("ratings").iloc[:0],
                   ratings.assign(turn_type="question", dataset="d", turn_index=1,
                                  created_at=pd.Timestamp("2024-01-02"))], ignore_index=True)
    for c in ("questioning", "suggestion", "generation_id"):
        r[c] = pd.to_numeric(r[c])
    d = compute_dashboard(Frames(generations=g, ratings=r), Scope(turn_types=("question",)), metrics=False,
                          n_boot=3000, seed=5)
    row = d.scores.set_index("column").loc["A"]
    expected = cluster_bootstrap_mean_ci(ratings["questioning"].to_numpy(), did, n_boot=3000, seed=5)
    assert (row["questioning_lo"], row["questioning_hi"]) == pytest.approx(expected[1:])


def _rated_study(rng, n_dialogues=30, turns=5, k=3, n_annotators=6, dialogue_sd=0.6, bias_sd=0.5,
                 columns=("A",), effect=(0.0,)):
    """Frames of one simulated study: each turn's reply in every column rated by the same k of the
    annotators; a rating is 3 + dialogue effect + column effect + reply effect + annotator bias + noise."""
    bias = rng.normal(0, bias_sd, n_annotators)
    names = np.array([f"ann{i}" for i in range(n_annotators)], dtype=object)
    gens, rows = [], []
    for d in range(n_dialogues):
        level = rng.normal(0, dialogue_sd)
        for _t in range(turns):
            raters = rng.choice(n_annotators, k, replace=False)
            for col, eff in zip(columns, effect, strict=True):
                gid = len(gens) + 1
                gens.append({"generation_id": gid, "dialogue_id": d, "column": col, "status": "ok",
                             "latency_ms": 1.0, "length_chars": 1})
                true = 3 + level + eff + rng.normal(0, 0.4)
                rows += [{"generation_id": gid, "annotator": names[a], "column": col,
                          "questioning": true + bias[a] + rng.normal(0, 0.4), "suggestion": np.nan,
                          "safety_flag": False, "display_slot": 0} for a in raters]
    return pd.DataFrame(gens), pd.DataFrame(rows)


def test_score_ci_covers_when_annotators_differ():
    # Six annotators whose leniency differs (sd 0.5): every score a lenient one gives is high. Resampling
    # dialogues alone covered the truth (3.0) in about a third of studies; the crossed bootstrap the
    # score table uses now covers it in about 9 of 10 (bench/score_ci_coverage.py has the full figures).
    rng = np.random.default_rng(11)
    studies, hits_table, hits_dialogue = 40, 0, 0
    for i in range(studies):
        gens, ratings = _rated_study(rng, dialogue_sd=0.0)
        row = column_scores(gens, ratings, n_boot=400, seed=i).iloc[0]
        hits_table += row["questioning_lo"] <= 3.0 <= row["questioning_hi"]
        did = ratings["generation_id"].map(gens.set_index("generation_id")["dialogue_id"]).to_numpy()
        _m, lo, hi = cluster_bootstrap_mean_ci(ratings["questioning"].to_numpy(), did, n_boot=400, seed=i)
        hits_dialogue += lo <= 3.0 <= hi
    assert hits_table / studies >= 0.8
    assert hits_dialogue / studies <= 0.5


def test_crossed_with_one_annotator_is_the_dialogue_bootstrap():
    rng = np.random.default_rng(3)
    values = rng.integers(1, 6, 200).astype(float)
    values[::17] = np.nan
    dialogues = rng.integers(0, 25, 200)
    by_dialogue = cluster_bootstrap_mean_ci(values, dialogues, n_boot=700, seed=9)
    assert np.isfinite(by_dialogue).all()
    assert crossed_bootstrap_mean_ci(values, dialogues, ["u1"] * 200, n_boot=700, seed=9) == by_dialogue
    assert crossed_bootstrap_mean_ci(values, dialogues, None, n_boot=700, seed=9) == by_dialogue
    # Another annotator only on ratings with no score (N/A) changes nothing either.
    who = np.where(np.isnan(values), "u2", "u1")
    assert crossed_bootstrap_mean_ci(values, dialogues, who, n_boot=700, seed=9) == by_dialogue
    # Degenerate cases stay "n/a", not NaN estimates: one dialogue, or all values equal.
    two = np.array(["u1", "u2"] * 3, dtype=object)
    assert _no_interval(crossed_bootstrap_mean_ci([1.0, 2, 3, 4, 5, 6], [7] * 6, two), 3.5)
    assert _no_interval(crossed_bootstrap_mean_ci([4.0] * 6, [1, 1, 2, 2, 3, 3], two), 4.0)


def test_crossed_large_study_takes_the_sparse_path_alike(monkeypatch):
    # Beyond _CHUNK_ELEMENTS the cell table is sparse and the replicates come in chunks: same law.
    rng = np.random.default_rng(5)
    gens, ratings = _rated_study(rng, n_dialogues=40, n_annotators=8)
    did = ratings["generation_id"].map(gens.set_index("generation_id")["dialogue_id"]).to_numpy()
    args = (ratings["questioning"].to_numpy(), did, ratings["annotator"].to_numpy())
    dense = crossed_bootstrap_mean_ci(*args, n_boot=4000, seed=1)
    monkeypatch.setattr("workbench.analysis.scores._CHUNK_ELEMENTS", 100)
    monkeypatch.setattr("workbench.analysis.scores._CROSSED_CHUNK", 100)
    sparse_chunked = crossed_bootstrap_mean_ci(*args, n_boot=4000, seed=1)
    assert sparse_chunked[0] == dense[0]
    assert sparse_chunked[1:] == pytest.approx(dense[1:], abs=0.04)
    assert sparse_chunked[1:] != dense[1:]  # other draws, so truly the other path


def test_crossed_replicates_that_draw_no_rating_are_left_out():
    # Annotators nested in dialogues (u1 rated dialogues 0-1, u2 dialogues 2-3): a replicate that draws u1
    # but only dialogues 2-3 has no rating. It is skipped, not a NaN interval.
    values = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0]
    est, lo, hi = crossed_bootstrap_mean_ci(values, [0, 0, 1, 1, 2, 2, 3, 3], ["u1"] * 4 + ["u2"] * 4,
                                            n_boot=2000, seed=2)
    assert est == 3.5 and 1.0 <= lo < 3.5 < hi <= 6.0


def test_paired_difference_cancels_the_shared_annotator_bias():
    # Two columns rated side by side by the same annotators, B better by 0.3: the annotators' bias and
    # the dialogues' level are in both columns and cancel in B - A. Resampling each column on its own
    # draws (what comparing the two columns' own intervals amounts to) is several times as wide.
    rng = np.random.default_rng(8)
    gens, ratings = _rated_study(rng, columns=("A", "B"), effect=(0.0, 0.3))
    did = ratings["generation_id"].map(gens.set_index("generation_id")["dialogue_id"]).to_numpy()
    v, b, who = ratings["questioning"].to_numpy(), (ratings["column"] == "B").to_numpy(), ratings["annotator"]
    diff, lo, hi = paired_difference_ci(v, b, did, who, n_boot=2000, seed=4)
    assert diff == pytest.approx(v[b].mean() - v[~b].mean())
    assert lo < 0.3 < hi
    _d, dlo, dhi = paired_difference_ci(v, b, did, n_boot=2000, seed=4)
    table = column_scores(gens, ratings, n_boot=2000, seed=4).set_index("column")
    apart = np.hypot(*(table.loc[c, "questioning_hi"] - table.loc[c, "questioning_lo"] for c in "AB"))
    assert hi - lo < 1.6 * (dhi - dlo)
    assert apart > 2.5 * (hi - lo)
    # One column only, or one dialogue: nothing to compare or no interval.
    assert all(np.isnan(paired_difference_ci(v, np.zeros(v.size), did)))
    assert _no_interval(paired_difference_ci([1.0, 2.0, 2.0, 4.0], [0, 1, 0, 1], [5] * 4), 1.5)


def test_crossed_interval_widens_as_students_t_for_few_annotators():
    # Every dialogue rated by all 6 annotators, each score the annotator's own level: all the spread is
    # between annotators, so the interval must be Student's t with 5 degrees of freedom, 2.571 / 1.960
    # times a normal one (Welch-Satterthwaite with no dialogue share).
    from workbench.analysis.scores import _codes, _expansion

    level = np.array([2.0, 3.0, 3.0, 4.0, 4.0, 5.0])
    values = np.tile(level, 10)
    who, where = np.tile(np.arange(6), 10), np.repeat(np.arange(10), 6)
    factor = _expansion((values - values.mean()) / values.size, _codes(where), _codes(who), 0.95)
    assert factor == pytest.approx(stats.t.ppf(0.975, 5) / stats.norm.ppf(0.975))
    # Annotators who agree leave the dialogues' share alone: 10 dialogues, t with 9 degrees of freedom.
    values = np.repeat(np.arange(10.0), 6)
    factor = _expansion((values - values.mean()) / values.size, _codes(where), _codes(who), 0.95)
    assert factor == pytest.approx(stats.t.ppf(0.975, 9) / stats.norm.ppf(0.975))
