"""CoQ curve and questions-before-first-suggestion, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.coq import (
    coq_curve,
    default_classifier,
    label_turns,
    marker_is_question,
    questions_before_first_suggestion,
    wilson_interval,
)
from workbench.errors import InputError

Q, S = "发烧几天了？", "建议多喝水，注意休息。"


def gens(rows: list[tuple[str, int, int, str, str]]) -> pd.DataFrame:
    """rows: (column, dialogue_id, turn_index, output, status)."""
    return pd.DataFrame(
        {
            "generation_id": range(1, len(rows) + 1),
            "column": [r[0] for r in rows],
            "dialogue_id": [r[1] for r in rows],
            "turn_index": [r[2] for r in rows],
            "output": [r[3] for r in rows],
            "status": [r[4] for r in rows],
            "created_at": pd.date_range("2025-01-01", periods=len(rows), freq="min"),
        }
    )


def refs(rows: list[tuple[int, int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dialogue_id": [r[0] for r in rows],
            "dataset": "d",
            "turn_index": [r[1] for r in rows],
            "text": [r[2] for r in rows],
        }
    )


GENS = gens(
    [
        # A, dialogue 1: Q Q S Q -> 2 questions before the first suggestion.
        ("A", 1, 0, Q, "ok"),
        ("A", 1, 1, Q, "ok"),
        ("A", 1, 2, S, "ok"),
        ("A", 1, 3, Q, "ok"),
        # A, dialogue 2: S Q -> 0.
        ("A", 2, 0, S, "ok"),
        ("A", 2, 1, Q, "ok"),
        # B, dialogue 1: an error at turn 0 is ignored, so turns 1..2 are Q S -> 1.
        ("B", 1, 0, "", "error"),
        ("B", 1, 1, Q, "ok"),
        ("B", 1, 2, S, "ok"),
    ]
)
REFS = refs([(1, 0, Q), (1, 1, Q), (2, 0, Q), (2, 1, S)])


def test_coq_curve_by_hand():
    curve = coq_curve(GENS, REFS, classify=marker_is_question).set_index(["column", "turn_index"])
    # A at turn 0: dialogue 1 asks, dialogue 2 advises -> 1/2. Turn 1: both ask -> 1. Turn 3: 1/1.
    assert curve.loc[("A", 0), "share"] == 0.5 and curve.loc[("A", 0), "n"] == 2
    assert curve.loc[("A", 1), "share"] == 1.0 and curve.loc[("A", 2), "share"] == 0.0
    assert curve.loc[("A", 3), "n_questions"] == 1
    # B has no turn 0: its only turn-0 reply failed.
    assert ("B", 0) not in curve.index and curve.loc[("B", 1), "share"] == 1.0
    # References: turn 0 Q, Q -> 1; turn 1 Q, S -> 1/2.
    assert curve.loc[("reference", 0), "share"] == 1.0 and curve.loc[("reference", 1), "share"] == 0.5
    assert ((curve["lo"] <= curve["share"]) & (curve["share"] <= curve["hi"])).all()


def test_wilson_interval_by_hand():
    # 5 of 10 at 95%: z = 1.959964, centre (0.5 + z^2/20) / (1 + z^2/10) = 0.5,
    # half = z / (1 + z^2/10) * sqrt(0.025 + z^2/400) = 1.959964 / 1.384146 * 0.186024 = 0.263414.
    lo, hi = wilson_interval(np.array([5]), np.array([10]))
    assert lo[0] == pytest.approx(0.5 - 0.263414, abs=1e-5) and hi[0] == pytest.approx(
        0.5 + 0.263414, abs=1e-5
    )
    # 0 of 4: the lower bound is exactly 0 and the upper z^2 / (4 + z^2) = 3.8415 / 7.8415 = 0.4899.
    lo, hi = wilson_interval(np.array([0]), np.array([4]))
    assert lo[0] == pytest.approx(0.0, abs=1e-12) and hi[0] == pytest.approx(0.48990, abs=1e-4)
    # ... exactly 0, and all of n exactly 1: computed, a bound came out as 2.8e-17 and a CSV wrote it
    for n in range(1, 40):
        lo, hi = wilson_interval(np.array([0, n]), np.array([n, n]))
        assert lo[0] == 0.0 and hi[1] == 1.0 and 0.0 < hi[0] < 1.0 and 0.0 < lo[1] < 1.0
    lo, hi = wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])  # no replies: no interval


def test_questions_before_first_suggestion_by_hand():
    runs = questions_before_first_suggestion(GENS, REFS, classify=marker_is_question)
    per = runs.per_dialogue.set_index(["column", "dialogue_id"])
    assert per.loc[("A", 1), "n_questions"] == 2 and per.loc[("A", 2), "n_questions"] == 0
    assert per.loc[("B", 1), "n_questions"] == 1 and per.loc[("B", 1), "n_turns"] == 2
    # Reference dialogue 1 is all questions: 2, flagged as never suggesting (a censored run).
    assert per.loc[("reference", 1), "n_questions"] == 2 and per.loc[("reference", 1), "never_suggests"]
    assert per.loc[("reference", 2), "n_questions"] == 1
    summary = runs.summary.set_index("column")
    assert summary.loc["A", "mean"] == 1.0 and summary.loc["A", "n_dialogues"] == 2
    assert summary.loc["reference", "mean"] == 1.5 and summary.loc["reference", "never_suggests_share"] == 0.5
    dist = runs.distribution.set_index(["column", "n_questions"])
    assert dist.loc[("A", 0), "share"] == 0.5 and dist.loc[("A", 2), "share"] == 0.5


def test_latest_reply_per_turn_counts_for_runs_and_order_does_not_matter():
    # A regenerated turn 0 (S first, then Q later): the latest, Q, is the one in the run.
    g = gens([("A", 1, 0, S, "ok"), ("A", 1, 1, S, "ok"), ("A", 1, 0, Q, "ok")])
    runs = questions_before_first_suggestion(g, refs([]), classify=marker_is_question)
    assert runs.per_dialogue["n_questions"].tolist() == [1]
    shuffled = questions_before_first_suggestion(g.iloc[::-1], refs([]), classify=marker_is_question)
    assert shuffled.per_dialogue["n_questions"].tolist() == [1]
    # The curve counts both replies at turn 0: one Q of two.
    curve = coq_curve(g, refs([]), classify=marker_is_question).set_index("turn_index")
    assert curve.loc[0, "share"] == 0.5


def test_classifier_is_applied_to_model_and_reference_alike():
    calls: list[str] = []

    def says_question(text: str) -> bool:
        calls.append(text)
        return text.startswith("问")

    turns = label_turns(
        gens([("A", 1, 0, "问你", "ok")]), refs([(1, 0, "问他"), (1, 1, "答")]), says_question
    )
    assert turns["is_question"].tolist() == [True, True, False]
    assert sorted(calls) == sorted(["问你", "问他", "答"])


def test_default_classifier_handles_the_obvious_cases():
    classify = default_classifier()
    assert bool(classify("发烧几天了？"))
    assert not classify("建议多喝水，注意休息。")


def test_empty_inputs_and_missing_columns():
    empty_g = gens([])
    assert coq_curve(empty_g, refs([])).empty
    runs = questions_before_first_suggestion(empty_g, refs([]))
    assert runs.summary.empty and runs.distribution.empty
    with pytest.raises(InputError, match="output"):
        coq_curve(GENS.drop(columns=["output"]), REFS)
