"""Differences between columns (workbench/analysis/differences.py): numbers on hand-built studies, the
paired selection, degenerate cases, the dashboard's filters and the ``stats`` CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.dashboard import compute_dashboard
from workbench.analysis.differences import DIFFERENCE_COLUMNS, column_differences, ordered_columns, reading
from workbench.analysis.frames import Frames
from workbench.analysis.scores import column_scores
from workbench.scope import Scope

BIAS = {"strict": -1.0, "plain": 0.0, "lenient": 1.0}  # every annotator rates every reply in both columns


def study_scores(n_dialogues: int = 12) -> list[tuple[int, str, str, int]]:
    """(dialogue, column, annotator, score): B beats A by 1 in three dialogues of four (0.75 on average);
    dialogues differ in level (-1, 0, +1) and annotators in leniency, in both columns alike."""
    out = []
    for d in range(n_dialogues):
        level = d % 3 - 1
        for who, bias in BIAS.items():
            a = int(np.clip(3 + level + bias, 1, 4))
            out += [(d, "A", who, a), (d, "B", who, a + (1 if d % 4 else 0))]
    return out


def study_frames(rows: list[tuple[int, str, str, int]], extra_columns: tuple[str, ...] = ()) -> tuple:
    """generations and ratings frames (one reply per dialogue and column) of ``rows``."""
    gids: dict[tuple[int, str], int] = {}
    ratings = []
    for d, col, who, score in rows:
        gid = gids.setdefault((d, col), len(gids) + 1)
        ratings.append({"generation_id": gid, "annotator": who, "column": col, "questioning": float(score),
                        "suggestion": np.nan, "safety_flag": False, "display_slot": 0})
    gens = [{"generation_id": g, "dialogue_id": d, "column": c, "status": "ok", "latency_ms": 1.0,
             "length_chars": 1} for (d, c), g in gids.items()]
    gens += [{"generation_id": 1000 + i, "dialogue_id": 0, "column": c, "status": "ok", "latency_ms": 1.0,
              "length_chars": 1} for i, c in enumerate(extra_columns)]
    return pd.DataFrame(gens), pd.DataFrame(ratings)


def _row(table: pd.DataFrame, first: str, second: str, axis: str = "questioning") -> pd.Series:
    hit = table[(table["first"] == first) & (table["second"] == second) & (table["axis"] == axis)]
    assert len(hit) == 1, table
    return hit.iloc[0]


def test_known_difference_with_shared_annotator_bias_cancelling():
    gens, ratings = study_frames(study_scores())
    table = column_differences(gens, ratings, n_boot=2000)
    assert list(table.columns) == list(DIFFERENCE_COLUMNS)
    row = _row(table, "A", "B")
    assert row["difference"] == pytest.approx(0.75)
    assert (row["n_first"], row["n_second"], row["n_paired_dialogues"]) == (36, 36, 12)
    assert 0 < row["lo"] < 0.75 < row["hi"] < 1.1
    assert row["reading"] == "second_higher"
    # The columns' own intervals carry the dialogues' levels and the annotators' leniency and overlap:
    # read side by side they say nothing, while the paired interval is a fraction of their width.
    scores = column_scores(gens, ratings, n_boot=2000).set_index("column")
    assert scores.loc["A", "questioning_hi"] > scores.loc["B", "questioning_lo"]
    own = [scores.loc[c, "questioning_hi"] - scores.loc[c, "questioning_lo"] for c in "AB"]
    assert row["hi"] - row["lo"] < 0.5 * min(own)
    # The configured order decides which side is "second": B first gives A - B, the same interval negated.
    back = _row(column_differences(gens, ratings, column_order=("B", "A"), n_boot=2000), "B", "A")
    assert back["difference"] == pytest.approx(-0.75) and back["reading"] == "first_higher"


def test_only_dialogues_rated_in_both_columns_enter():
    # Dialogue 99 rated in A only, all 1s: it says nothing about B against A on the same case, so neither
    # the difference nor the counts may move (a plain difference of means would drop by ~0.2).
    rows = study_scores()
    gens, ratings = study_frames(rows)
    with_lone = study_frames(rows + [(99, "A", who, 1) for who in BIAS])
    before = _row(column_differences(gens, ratings, n_boot=500), "A", "B")
    after = _row(column_differences(*with_lone, n_boot=500), "A", "B")
    assert after["difference"] == pytest.approx(before["difference"])
    assert (after["n_first"], after["n_paired_dialogues"]) == (before["n_first"], before["n_paired_dialogues"])
    assert (after["lo"], after["hi"]) == (before["lo"], before["hi"])


def test_degenerate_cases_give_na_not_errors():
    gens, ratings = study_frames(study_scores())
    one = ratings[ratings["column"] == "A"]
    alone = column_differences(gens[gens["column"] == "A"], one, n_boot=100)
    assert alone.empty and list(alone.columns) == list(DIFFERENCE_COLUMNS)  # one column: no pair
    empty = column_differences(gens.iloc[:0], ratings.iloc[:0], n_boot=100)
    assert empty.empty
    # One dialogue: a difference, but no interval.
    g1, r1 = study_frames([r for r in study_scores() if r[0] == 1])
    row = _row(column_differences(g1, r1, n_boot=200), "A", "B")
    assert row["difference"] == pytest.approx(1.0) and np.isnan(row["lo"]) and np.isnan(row["hi"])
    assert row["reading"] == "no_interval" and row["n_paired_dialogues"] == 1
    # A column with replies and no rating: its pairs count 0 and read n/a.
    g3, r3 = study_frames(study_scores(), extra_columns=("C",))
    table = column_differences(g3, r3, n_boot=200)
    assert len(table) == 3 * 2  # (A,B), (A,C), (B,C) on both axes
    for first, second in (("A", "C"), ("B", "C")):
        row = _row(table, first, second)
        assert (row["n_second"], row["n_paired_dialogues"]) == (0, 0)
        assert np.isnan(row["difference"]) and row["reading"] == "no_interval"
    # No suggestion rating anywhere: every suggestion row is n/a.
    assert set(table[table["axis"] == "suggestion"]["reading"]) == {"no_interval"}


def test_ordering_and_reading_helpers():
    assert ordered_columns(["z", "B", "A", None, "B"], ("B", "gone", "A")) == ["B", "A", "z"]
    assert reading(0.1, 0.5) == "second_higher" and reading(-0.5, -0.1) == "first_higher"
    assert reading(-0.1, 0.2) == "no_clear_difference" and reading(np.nan, 0.2) == "no_interval"


def test_dashboard_pairs_the_filtered_ratings():
    gens, ratings = study_frames(study_scores())
    n = len(ratings)
    ratings = ratings.assign(rating_id=range(n), dataset=None, turn_index=1, turn_type="question",
                             created_at=pd.Timestamp("2026-01-01"))
    gens = gens.assign(dataset=None, model="m", turn_index=1, output="?", output_tokens=1, asks_question=True,
                       question_count=1, turn_type_auto="question", reference=None,
                       created_at=pd.Timestamp("2026-01-01"))
    frames = Frames(generations=gens, ratings=ratings)
    d = compute_dashboard(frames, metrics=False, n_boot=500, bt_boot=5, column_order=("B", "A"))
    row = _row(d.differences, "B", "A")
    assert row["difference"] == pytest.approx(-0.75) and row["n_first"] == 36
    # The annotator filter keeps the lenient rater only: 12 ratings a side, the same difference.
    only = compute_dashboard(frames, Scope(annotators=("lenient",)), metrics=False, n_boot=500, bt_boot=5)
    row = _row(only.differences, "A", "B")
    assert (row["n_first"], row["n_second"]) == (12, 12) and row["difference"] == pytest.approx(0.75)
    # A turn-type filter that keeps nothing leaves the pair with no paired dialogue: n/a.
    none = compute_dashboard(frames, Scope(turn_types=("suggestion",)), metrics=False, n_boot=50, bt_boot=5)
    assert none.differences.empty or set(none.differences["reading"]) == {"no_interval"}


def test_comparisons_on_other_dialogues_get_their_own_draws():
    # C rated (B's scores plus 1) on dialogues 0-5 only: its pairs span 6 dialogues, A - B all 12. Each pair's
    # interval must be the one-pair interval on its own ratings (other draws, so close, not equal).
    from workbench.analysis.scores import _codes, _subset_codes, paired_difference_ci

    rows = study_scores()
    rows += [(d, "C", who, s + 1) for d, col, who, s in rows if col == "B" and d < 6]
    gens, ratings = study_frames(rows)
    table = column_differences(gens, ratings, n_boot=4000)
    ac = _row(table, "A", "C")
    assert ac["n_paired_dialogues"] == 6 and (ac["n_first"], ac["n_second"]) == (18, 18)
    did = ratings["generation_id"].map(gens.set_index("generation_id")["dialogue_id"])
    mine = ratings["column"].isin(["A", "C"]).to_numpy() & (did < 6).to_numpy()
    one = paired_difference_ci(ratings["questioning"][mine], ratings["column"][mine] == "C", did[mine],
                               ratings["annotator"][mine], n_boot=4000, seed=7)
    assert ac["difference"] == pytest.approx(one[0])
    assert ac["lo"] == pytest.approx(one[1], abs=0.1) and ac["hi"] == pytest.approx(one[2], abs=0.1)
    assert _row(table, "A", "B")["n_paired_dialogues"] == 12
    codes = _codes(np.array([5, 7, 5, 9, 7]))
    mask = np.array([True, False, True, True, False])
    sub = _subset_codes(codes, mask)
    assert sub[1] == 2 and list(sub[0]) == list(_codes(np.array([5, 5, 9]))[0])


def test_paired_dialogues_that_all_differ_alike_say_so():
    """Walk 10: BianQue-1.0 and the hybrid wrote the same replies, rated alike on 11 dialogues: the difference was 0
    and its interval and reading "n/a", with nothing to say why (the README's reasons did not apply)."""
    gens = pd.DataFrame({"generation_id": range(8), "dialogue_id": [d for d in range(4) for _ in (0, 1)],
                         "column": ["A", "B"] * 4})
    ratings = pd.DataFrame({"rating_id": range(8), "generation_id": range(8), "annotator": "ann",
                            "column": ["A", "B"] * 4, "questioning": [2, 2, 4, 4, 3, 3, 5, 5],
                            "suggestion": np.nan})
    row = _row(column_differences(gens, ratings, n_boot=200), "A", "B")
    assert row["difference"] == 0 and np.isnan(row["lo"]) and row["n_paired_dialogues"] == 4
    assert row["reading"] == "no_spread"
    one = _row(column_differences(gens.iloc[:2], ratings.iloc[:2], n_boot=200), "A", "B")
    assert one["reading"] == "no_interval"  # one paired dialogue: nothing to resample, as before
