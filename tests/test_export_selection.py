from __future__ import annotations

from datetime import UTC, date, datetime

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportFilters, RatingInfo, select_targets
from workbench.export.selection import candidate_stats
from workbench.scope import Scope

HIST = [Turn("patient", "我头痛三天了")]


def cand(gid, *ratings, turn=1, dialogue=1, output=None, auto="question", pref=(), dispref=(), agreement=None,
         dataset="demo", created=datetime(2025, 3, 1, 12)):
    return ExportCandidate(gid, dialogue, dataset, turn, HIST, f"col{gid}", f"model{gid}", output or f"reply {gid}",
                           auto, list(ratings), agreement, list(pref), list(dispref), created)


def r(ann, q=None, s=None, tt=None, flag=False, corr=None, at=None):
    return RatingInfo(ann, q, s, tt, flag, None, corr, at)


def test_stats_means_and_majority():
    c = cand(1, r("a", 4, 2, "question"), r("b", 2, None, "suggestion"), r("c", None, 5, "suggestion"))
    s = candidate_stats(c)
    assert s.questioning == 3.0 and s.suggestion == 3.5 and s.overall == 3.25
    assert s.turn_type == "suggestion" and s.turn_type_source == "human"
    assert s.annotators == ("a", "b", "c") and s.n_ratings == 3
    # Tie between labels: the automatic label decides when it is among the tied ones.
    tie = cand(2, r("a", tt="question"), r("b", tt="suggestion"), auto="suggestion")
    assert candidate_stats(tie).turn_type == "suggestion"
    tie_other = cand(3, r("a", tt="question"), r("b", tt="suggestion"), auto="other")
    assert candidate_stats(tie_other).turn_type == "question"
    assert candidate_stats(cand(4, r("a", 3, 3))).turn_type_source == "auto"
    only_b = candidate_stats(c, frozenset({"b"}))
    assert only_b.questioning == 2.0 and only_b.suggestion is None and only_b.overall == 2.0


def test_priority_corrected_then_preferred_then_score():
    good = cand(1, r("a", 5, 5))
    preferred = cand(2, r("a", 3, 3), pref=["a", "b"])
    corrected = cand(3, r("a", 1, 1, flag=True, corr="请问头痛是哪个部位？\n持续还是阵发？"))
    [sel] = select_targets([good, preferred, corrected])
    assert sel.source == "corrected" and sel.target.endswith("阵发？") and sel.candidate.generation_id == 3
    [sel] = select_targets([good, preferred, corrected], ExportFilters(use_corrections=False))
    assert sel.source == "preferred" and sel.candidate.generation_id == 2 and sel.annotators == ("a", "b")
    [sel] = select_targets([good, preferred], ExportFilters(use_preferences=False))
    assert sel.source == "score" and sel.candidate.generation_id == 1
    assert select_targets([cand(4, r("a", 3, 3))]) == []  # below the default threshold 4.0


def test_preference_needs_positive_net_votes_and_passing_filters():
    split = cand(1, r("a", 3, 3), pref=["a"], dispref=["b"])
    assert select_targets([split], ExportFilters(score_threshold=None)) == []
    unsafe = cand(2, r("a", 3, 3, flag=True), pref=["a"])
    assert select_targets([unsafe], ExportFilters(score_threshold=None)) == []
    [sel] = select_targets([unsafe], ExportFilters(score_threshold=None, exclude_safety_flagged=False))
    assert sel.candidate.generation_id == 2


def test_tie_breaks():
    a = cand(1, r("x", 4, 4), agreement=0.5)
    b = cand(2, r("x", 4, 4), agreement=0.9)
    assert select_targets([a, b])[0].candidate.generation_id == 2  # equal score: higher agreement
    c = cand(3, r("x", 4, 4), r("y", 4, 4), agreement=0.5)
    assert select_targets([a, c])[0].candidate.generation_id == 3  # then more ratings
    d = cand(4, r("x", 4, 4), agreement=0.5)
    assert select_targets([a, d])[0].candidate.generation_id == 1  # then first seen
    # Corrections: the text most annotators wrote wins over a more recent single one.
    t1, t2 = datetime(2025, 1, 1), datetime(2025, 2, 1)
    e = cand(5, r("x", corr="A", at=t1), r("y", corr="A", at=t1), r("z", corr="B", at=t2))
    sel = select_targets([e])[0]
    assert sel.target == "A" and sel.annotators == ("x", "y")
    f = cand(6, r("x", corr="A", at=t1), r("z", corr="B", at=t2))
    assert select_targets([f])[0].target == "B"


def test_filters():
    q = cand(1, r("a", 5, 2, "question"), r("b", 3, 2, "question"), agreement=0.8, turn=1)
    s = cand(2, r("a", 2, 5, "suggestion"), agreement=0.2, turn=3, dataset="other",
             created=datetime(2025, 5, 1, tzinfo=UTC))
    both = [q, s]
    thr = ExportFilters(score_threshold=3.0)
    assert [x.candidate.generation_id for x in select_targets(both, thr)] == [1, 2]
    f = ExportFilters(scope=Scope(turn_types=("question",)), score_threshold=3.0)
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [1]
    f = ExportFilters(score_threshold=3.0, min_questioning=4.0)
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [1]
    f = ExportFilters(score_threshold=3.0, min_agreement=0.5)
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [1]
    f = ExportFilters(scope=Scope(datasets=("other",)), score_threshold=3.0)
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [2]
    f = ExportFilters(scope=Scope(date_from=date(2025, 4, 1)), score_threshold=3.0)
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [2]
    f = ExportFilters(scope=Scope(date_to=date(2025, 3, 1)), score_threshold=3.0)  # a date bound covers the whole day
    assert [x.candidate.generation_id for x in select_targets(both, f)] == [1]
    # Annotator filter recomputes the means: with only b, q's overall is 2.5 < 3.
    f = ExportFilters(scope=Scope(annotators=("b",)), score_threshold=3.0)
    assert select_targets(both, f) == []
    # A min filter fails when the axis has no score at all.
    f = ExportFilters(score_threshold=None, min_suggestion=1.0, use_preferences=False)
    assert select_targets([cand(3, r("a", 5, None))], f) == []


def test_one_target_per_turn_in_dialogue_order():
    cs = [cand(1, r("a", 5, 5), dialogue=2, turn=3), cand(2, r("a", 5, 5), dialogue=1, turn=1),
          cand(3, r("a", 4, 4), dialogue=2, turn=1), cand(4, r("a", 5, 5), dialogue=2, turn=1)]
    sel = select_targets(cs)
    assert [(x.candidate.dialogue_id, x.candidate.turn_index, x.candidate.generation_id) for x in sel] == [
        (2, 1, 4), (2, 3, 1), (1, 1, 2)]
    meta = sel[0].metadata()
    for k in ("dialogue_id", "column", "model", "annotators", "questioning", "suggestion", "agreement"):
        assert k in meta
