"""Frame validation and dashboard filters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.filters import apply_filters, apply_scope
from workbench.analysis.frames import FRAME_COLUMNS, Frames, empty_frame, validate_frame, validate_frames
from workbench.errors import InputError
from workbench.scope import Scope


def make_frames() -> Frames:
    t = pd.to_datetime(["2025-03-01 09:00", "2025-03-02 23:30", "2025-03-03 00:10", "2025-03-05 12:00"])
    generations = pd.DataFrame(
        {
            "generation_id": [1, 2, 3, 4],
            "dialogue_id": [10, 10, 20, 30],
            "dataset": ["ds1", "ds1", "ds2", None],
            "column": ["A", "B", "A", "C"],
            "model": "m",
            "turn_index": [0, 0, 1, 0],
            "output": ["问？", "建议", "问？", "你好"],
            "status": "ok",
            "latency_ms": 1.0,
            "output_tokens": 3,
            "asks_question": [True, False, True, False],
            "question_count": [1, 0, 1, 0],
            "length_chars": [2, 2, 2, 2],
            "turn_type_auto": ["question", "suggestion", "question", "other"],
            "reference": None,
            "created_at": t,
        }
    )
    ratings = pd.DataFrame(
        {
            "rating_id": [1, 2, 3, 4, 5],
            "generation_id": [1, 2, 2, 3, 4],
            "annotator": ["ann", "ann", "bob", "bob", "ann"],
            "column": ["A", "B", "B", "A", "C"],
            "dataset": ["ds1", "ds1", "ds1", "ds2", None],
            "turn_index": [0, 0, 0, 1, 0],
            "turn_type": [None, "mixed", "", "question", None],
            "questioning": [4.0, 3.0, 2.0, 5.0, 1.0],
            "suggestion": np.nan,
            "safety_flag": False,
            "display_slot": [0, 1, 1, 0, 0],
            "created_at": t[[0, 1, 1, 2, 3]],
        }
    )
    preferences = pd.DataFrame(
        {
            "preference_id": [1, 2, 3, 4],
            "annotator": ["ann", "bob", "ann", "ann"],
            "dialogue_id": [10, 10, 20, 10],
            "turn_index": 0,
            "shown": pd.Series([["A", "B", "C"], ["C", "A", "B"], ["B", "C"], ["A", "B", "C"]], dtype=object),
            "outcome": ["best", "ranking", "best", "tie"],
            "winner": pd.Series(["C", None, "B", None], dtype=object),
            "ranking": pd.Series([None, ["B", "C", "A"], None, None], dtype=object),
            "dataset": ["ds1", "ds1", "ds2", "ds1"],
            "created_at": t[[0, 1, 2, 3]],
        }
    )
    references = pd.DataFrame(
        {"dialogue_id": [10, 20], "dataset": ["ds1", "ds2"], "turn_index": [0, 1], "text": ["问？", "好"]}
    )
    return Frames(generations, ratings, preferences, references)


def test_validate_names_missing_columns():
    frames = make_frames()
    assert validate_frames(frames) is frames
    broken = Frames(frames.generations.drop(columns=["latency_ms", "status"]), frames.ratings)
    with pytest.raises(InputError, match=r"generations: missing column\(s\) status, latency_ms"):
        broken.validate()
    with pytest.raises(InputError, match="display_slot"):
        validate_frame(frames.ratings.drop(columns=["display_slot"]), "ratings")
    with pytest.raises(InputError, match="DataFrame"):
        validate_frame([1, 2], "ratings")  # type: ignore[arg-type]
    for name, cols in FRAME_COLUMNS.items():
        assert list(empty_frame(name).columns) == list(cols)
    Frames().validate()  # empty defaults satisfy the contract


def test_no_filter_keeps_everything():
    frames = make_frames()
    out = apply_filters(frames)
    for name in FRAME_COLUMNS:
        assert getattr(out, name).equals(getattr(frames, name))


def test_annotator_filter_touches_ratings_and_preferences_only():
    out = apply_filters(make_frames(), annotators=["bob"])
    assert out.ratings["rating_id"].tolist() == [3, 4]
    assert out.preferences["preference_id"].tolist() == [2]
    assert len(out.generations) == 4 and len(out.references) == 2


def test_dataset_filter_with_live_chats():
    out = apply_filters(make_frames(), datasets=["ds2", None])
    assert out.generations["generation_id"].tolist() == [3, 4]
    assert out.ratings["rating_id"].tolist() == [4, 5]
    assert out.preferences["preference_id"].tolist() == [3]
    assert out.references["dialogue_id"].tolist() == [20]


def test_date_filter_bare_date_includes_whole_day():
    frames = make_frames()
    out = apply_filters(frames, date_from="2025-03-02", date_to=dt.date(2025, 3, 2))
    # 2025-03-02 23:30 is in; 00:10 the next day is out.
    assert out.generations["generation_id"].tolist() == [2]
    out = apply_filters(frames, date_to=pd.Timestamp("2025-03-02 12:00"))  # a time is an exact bound
    assert out.generations["generation_id"].tolist() == [1]
    out = apply_filters(frames, date_from=dt.datetime(2025, 3, 3))
    assert out.preferences["preference_id"].tolist() == [3, 4]
    with pytest.raises(InputError, match="after"):
        apply_filters(frames, date_from="2025-03-05", date_to="2025-03-01")
    with pytest.raises(InputError, match="not a date"):
        apply_filters(frames, date_from="yesterday-ish")


def test_date_filter_with_timezone_aware_times():
    frames = make_frames()
    aware = frames.generations.assign(created_at=frames.generations["created_at"].dt.tz_localize("UTC"))
    out = apply_filters(
        Frames(aware, frames.ratings, frames.preferences, frames.references),
        date_from=pd.Timestamp("2025-03-03 01:00", tz="Europe/Berlin"),
    )
    # 01:00 Berlin = 00:00 UTC, so 2025-03-03 00:10 UTC and later remain.
    assert out.generations["generation_id"].tolist() == [3, 4]


def test_column_filter_projects_preferences():
    out = apply_filters(make_frames(), columns=["A", "B"])
    assert out.generations["column"].tolist() == ["A", "B", "A"]
    assert set(out.ratings["column"]) == {"A", "B"}
    prefs = out.preferences.set_index("preference_id")
    # 1: best C, C filtered out -> says nothing about A vs B: dropped.
    # 2: ranking B > C > A -> B > A, shown C,A,B -> A,B. 3: shown B,C -> only B: dropped. 4: tie A,B.
    assert prefs.index.tolist() == [2, 4]
    assert prefs.loc[2, "ranking"] == ["B", "A"] and prefs.loc[2, "shown"] == ["A", "B"]
    assert prefs.loc[4, "shown"] == ["A", "B"]


def test_turn_type_filter_uses_human_label_then_auto():
    out = apply_filters(make_frames(), turn_types=["question"])
    assert out.generations["generation_id"].tolist() == [1, 3]
    # Rating 1: no human label, generation 1 auto "question" -> in. Rating 2: human "mixed" -> out.
    # Rating 3: empty label, generation 2 auto "suggestion" -> out. Rating 4: human "question" -> in.
    assert out.ratings["rating_id"].tolist() == [1, 4]
    assert len(out.preferences) == 4


def test_filters_value_object():
    frames = make_frames()
    f = Scope(annotators=("ann",), columns=("A", "B", "C"))
    assert apply_scope(frames, f).ratings.equals(
        apply_filters(frames, annotators=["ann"], columns=["A", "B", "C"]).ratings
    )
