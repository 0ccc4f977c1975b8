"""What the Compare tab shows for p-values and for intervals that cannot be had (hand-made tables, real code)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.analysis.preference import position_bias
from workbench.analysis.scores import column_scores
from workbench.ui import i18n
from workbench.ui.tables import data_view, display_view


def _strong_slot_bias() -> pd.DataFrame:
    shown = ["A", "B", "C"]
    n = 300
    return pd.DataFrame({
        "preference_id": range(n), "annotator": "lazy", "dialogue_id": range(n), "turn_index": 1,
        "shown": pd.Series([shown] * n, dtype=object), "outcome": "best", "winner": "A",
        "ranking": pd.Series([None] * n, dtype=object), "dataset": "d", "created_at": pd.Timestamp("2024-01-01"),
    })


def test_a_tiny_p_value_reads_below_the_rounding_not_zero():
    table = position_bias(_strong_slot_bias())
    assert 0 < table["p_value"].min() < 1e-6  # slot 1 won 300 of 300 against chance 1/3
    for lang in ("en", "zh"):
        shown = display_view(data_view(table), lang)
        p_col = i18n.t("compare.col.p_value", lang)
        u_col = i18n.t("compare.col.uniform_p", lang)
        assert list(shown[p_col]) == ["<0.001", "<0.001", "<0.001"]
        assert set(shown[u_col]) == {"<0.001"}
        assert 0 not in set(shown[p_col]) and 0.0 not in set(shown[u_col])
    # An ordinary p-value is rounded as before; the CSV view keeps the full number.
    assert display_view(pd.DataFrame({"p_value": [0.04567]}), "en").iloc[0, 0] == 0.046
    assert data_view(table)["p_value"].min() == table["p_value"].min()


def test_a_score_with_one_rating_shows_no_interval():
    gens = pd.DataFrame({"generation_id": [1, 2, 3], "dialogue_id": [1, 2, 3], "column": ["A", "B", "B"],
                         "status": "ok", "latency_ms": 1.0, "length_chars": 1})
    ratings = pd.DataFrame({"rating_id": [1, 2, 3], "generation_id": [1, 2, 3], "annotator": "u",
                            "column": ["A", "B", "B"], "questioning": [4.0, 2.0, 5.0], "suggestion": np.nan,
                            "safety_flag": False, "display_slot": 0})
    table = column_scores(gens, ratings, n_boot=200)
    shown = display_view(data_view(table), "en").set_index("Column")
    lo, hi = i18n.t("compare.col.questioning_lo", "en"), i18n.t("compare.col.questioning_hi", "en")
    assert shown.loc["A", lo] == "n/a" and shown.loc["A", hi] == "n/a"
    assert shown.loc["A", i18n.t("compare.col.questioning_mean", "en")] == 4.0
    assert isinstance(shown.loc["B", lo], float) and shown.loc["B", lo] < shown.loc["B", hi]
    zh = display_view(data_view(table), "zh")
    assert zh[i18n.t("compare.col.questioning_lo", "zh")].iloc[0] == i18n.t("compare.na", "zh")


def test_a_difference_reading_names_the_higher_column_in_both_languages():
    df = pd.DataFrame({"first": ["BianQue-1.0", "BianQue-1.0", "A"], "second": ["BianQue-2.0", "Hybrid", "B"],
                       "axis": ["questioning"] * 3, "difference": [0.75, -0.5, np.nan],
                       "lo": [0.4, -0.9, np.nan], "hi": [1.1, -0.1, np.nan],
                       "reading": ["second_higher", "first_higher", "no_interval"]})
    en = display_view(data_view(df), "en")["Reading"].tolist()
    zh = display_view(data_view(df), "zh")["结论"].tolist()
    assert en == ["BianQue-2.0 higher", "BianQue-1.0 higher", "n/a"]
    assert zh == ["BianQue-2.0 更高", "BianQue-1.0 更高", "不适用"]


def test_the_reference_pseudo_column_reads_in_the_language_and_model_names_stay():
    import pandas as pd

    from workbench.ui.tables import display_view

    df = pd.DataFrame({"column": ["BianQue-2.0", "reference", "scores"], "n": [1, 2, 3]})
    zh = display_view(df, "zh")
    assert list(zh.iloc[:, 0]) == ["BianQue-2.0", "参考回复", "scores"]
    assert list(display_view(df, "en").iloc[:, 0]) == ["BianQue-2.0", "reference", "scores"]


def test_a_mean_with_no_rating_reads_n_a_in_the_scores_table_as_its_interval_does():
    # walk s64: a column nobody gave a suggestion score showed an empty mean cell beside "n/a" bounds
    from workbench.ui.compare_tab import NA_TABLES

    gens = pd.DataFrame({"generation_id": [1, 2], "dialogue_id": [1, 2], "column": ["A", "B"],
                         "status": "ok", "latency_ms": 1.0, "length_chars": 1})
    ratings = pd.DataFrame({"rating_id": [1, 2], "generation_id": [1, 2], "annotator": "u", "column": ["A", "B"],
                            "questioning": [4.0, 2.0], "suggestion": [np.nan, 3.0], "safety_flag": False,
                            "display_slot": 0})
    table = column_scores(gens, ratings, n_boot=200)
    for lang in ("en", "zh"):
        shown = display_view(data_view(table), lang, missing_is_na="scores" in NA_TABLES)
        shown = shown.set_index(shown.columns[0])
        mean = i18n.t("compare.col.suggestion_mean", lang)
        assert shown.loc["A", mean] == i18n.t("compare.na", lang)
        assert shown.loc["B", mean] == 3.0
        assert shown.loc["A", i18n.t("compare.col.questioning_mean", lang)] == 4.0
