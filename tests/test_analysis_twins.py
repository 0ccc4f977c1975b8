"""Identical replies at one position are one reply to the annotator, and so to the statistics: a preference lists
only the group's first copy, yet every copy wins or loses with it; the hidden copy's answer sits in the slot that
was shown; agreement counts the copies once. (A walk found Bradley-Terry 96 Elo apart for BianQue-1.0 and the
hybrid, which wrote the same text at 18 of 19 judged turns, and slot 3 filled with copies nobody saw there.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rating_fixtures import make_users

from workbench.analysis.agreement import agreement_table
from workbench.analysis.dashboard import compute_dashboard
from workbench.analysis.filters import apply_filters
from workbench.analysis.frames import Frames
from workbench.analysis.from_store import load_frames
from workbench.analysis.preference import bradley_terry, pairwise_counts
from workbench.analysis.twins import one_rating_per_text, text_groups
from workbench.dialogue import Turn
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Generation, Preference, Rating

SAME, OTHER = "孩子几岁了？精神怎么样？", "多喝水，注意休息。"


def _prefs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([{"preference_id": i, "annotator": "a", "dialogue_id": i, "turn_index": 1, "shown": list(s),
                          "outcome": o, "winner": w, "ranking": r, "dataset": None, "created_at": None, "twins": t}
                         for i, (s, o, w, r, t) in enumerate(rows)])


def test_text_groups_join_identical_ok_replies_at_one_position_only():
    groups = text_groups([(1, 7, 1, SAME, "ok"), (2, 7, 1, OTHER, "ok"), (3, 7, 1, f" {SAME}\n", "ok"),
                          (4, 8, 1, SAME, "ok"), (5, 7, 1, "", "ok"), (6, 7, 1, "", "ok"), (7, 7, 1, SAME, "error")])
    assert groups == {1: 1, 2: 2, 3: 1, 4: 4, 5: 5, 6: 6, 7: 7}


def test_a_judgement_is_credited_to_every_identical_copy():
    twins = (("A", "C"),)
    prefs = _prefs([(["A", "B"], "best", "A", None, twins), (["B", "A"], "best", "B", None, twins),
                    (["A", "B"], "tie", None, None, twins), (["B", "A"], "ranking", None, ["A", "B"], twins)])
    wins, n = pairwise_counts(prefs)
    assert wins.loc["A", "B"] == wins.loc["C", "B"] == 2.5 and wins.loc["B", "A"] == wins.loc["B", "C"] == 1.5
    assert n.loc["A", "C"] == 0  # copies are never compared with each other
    bt = bradley_terry(prefs, n_boot=10).set_index("column")
    assert np.isclose(bt.loc["A", "rating"], bt.loc["C", "rating"])
    # without the groups (a frame from elsewhere) the hidden copy is simply absent, as before
    wins, _ = pairwise_counts(prefs.drop(columns="twins"))
    assert "C" not in wins.index


def test_a_column_filter_keeps_the_copy_that_is_left():
    prefs = _prefs([(["A", "B"], "best", "A", None, (("A", "C"),))])
    kept = apply_filters(Frames(preferences=prefs), columns=["B", "C"]).preferences
    row = kept.iloc[0]
    assert list(row["shown"]) == ["C", "B"] and row["winner"] == "C" and tuple(row["twins"]) == ()


def test_agreement_counts_an_annotators_answer_to_copies_once():
    gens = pd.DataFrame({"generation_id": [1, 2, 3], "dialogue_id": [5, 5, 5], "turn_index": [1, 1, 1],
                         "output": [SAME, OTHER, SAME], "status": ["ok"] * 3})
    ratings = pd.DataFrame([{"rating_id": i, "generation_id": g, "annotator": who, "column": "x", "dataset": None,
                             "turn_index": 1, "turn_type": "question", "questioning": q, "suggestion": np.nan,
                             "safety_flag": False, "display_slot": 0, "created_at": pd.Timestamp(2026, 1, 1)}
                            for i, (g, who, q) in enumerate([(1, "a", 4), (3, "a", 4), (2, "a", 2),
                                                             (1, "b", 3), (3, "b", 3), (2, "b", 2)])])
    one = one_rating_per_text(ratings, gens)
    assert sorted(set(one["generation_id"])) == [1, 2] and len(one) == 4
    table = agreement_table(one).set_index("axis")
    assert table.loc["questioning", "n_units"] == 2


def test_the_store_gives_the_groups_and_the_shown_slot(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'twins.db'}")
    try:
        (ann,) = make_users(store, "ann")
        with store.session() as s:
            d = create_dialogue(s, (Turn("patient", "孩子发烧两天了"),), source="dataset", reference=True)
            gens = [Generation(dialogue_id=d.id, turn_index=1, column_name=c, backend="test", model_name=c,
                               output=t, status="ok") for c, t in (("A", SAME), ("B", OTHER), ("C", SAME))]
            s.add_all(gens)
            s.flush()
            # the Rate tab: one box "A=C" at slot 0, B at slot 1; the copy C's own slot would be 2
            for g, slot, q in ((gens[0], 0, 4), (gens[1], 1, 2), (gens[2], 2, 4)):
                s.add(Rating(generation_id=g.id, user_id=ann.id, status="submitted", turn_type="question",
                             scores={"questioning": q, "suggestion": "na"}, display_slot=slot))
            s.add(Preference(dialogue_id=d.id, turn_index=1, user_id=ann.id, status="submitted",
                             shown=[gens[0].id, gens[1].id], outcome="best", winner_generation_id=gens[0].id))
        frames = load_frames(store)
    finally:
        store.dispose()
    assert [tuple(g) for g in frames.preferences.iloc[0]["twins"]] == [("A", "C")]
    assert sorted(frames.ratings["display_slot"]) == [0, 0, 1]  # C's answer was given in the box at slot 0
    board = compute_dashboard(frames, n_boot=10, bt_boot=10, metrics=False)
    assert board.win_counts.loc["C", "B"] == board.win_counts.loc["A", "B"] == 1


def test_the_boxes_after_a_pair_of_copies_move_up_and_each_box_counts_once(tmp_path):
    """Walk 10: with the order A, C, B and A = C, the screen shows two boxes, "A=C" first and "B" second; B's stored
    display_slot (its column's place in the order) is 2, and Compare's scores by slot showed a slot 3 nobody saw,
    with every copy's answer counted again."""
    store = Store(f"sqlite:///{tmp_path / 'twins.db'}")
    try:
        (ann,) = make_users(store, "ann")
        with store.session() as s:
            ids = []
            for order in (("A", "C", "B"), ("B", "A", "C"), ("A", "B", "C")):
                d = create_dialogue(s, (Turn("patient", "孩子发烧两天了"),), source="dataset", reference=True)
                gens = {c: Generation(dialogue_id=d.id, turn_index=1, column_name=c, backend="test", model_name=c,
                                      output=SAME if c != "B" else OTHER, status="ok") for c in "ABC"}
                s.add_all(gens.values())
                s.flush()
                for slot, c in enumerate(order):
                    s.add(Rating(generation_id=gens[c].id, user_id=ann.id, status="submitted", turn_type="question",
                                 scores={"questioning": 5 if c == "B" else 3, "suggestion": "na"}, display_slot=slot))
                ids.append({c: g.id for c, g in gens.items()})
        frames = load_frames(store)
    finally:
        store.dispose()
    slot = frames.ratings.set_index("generation_id")["display_slot"]
    # A=C then B; B then A=C; A=C then B (the order A, B, C shows the copies' box first, at A's place)
    assert [[int(slot[i[c]]) for c in "ABC"] for i in ids] == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    board = compute_dashboard(frames, n_boot=10, bt_boot=10, metrics=False)
    q = board.slot_scores[board.slot_scores["axis"] == "questioning"].set_index("slot")
    assert list(q.index) == [1, 2] and q["n"].tolist() == [3, 3]  # three items, two boxes each, one answer a box
    assert q.loc[1, "mean"] == (3 + 5 + 3) / 3
