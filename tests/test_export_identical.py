"""Identical replies are one reply: pooled ratings, and never a contradictory DPO pair or KTO label.
The turn-type filter applies to what is exported (a correction's own type), not the rated reply."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportFilters, PreferenceOutcome, RatingInfo, export
from workbench.export.selection import select_targets
from workbench.scope import Scope

P, D = "patient", "doctor"
HISTORY = (Turn(P, "孩子发烧两天了，38度5"),)
SAME = "孩子几岁了？精神怎么样？"  # BianQue-1.0 and the hybrid's v1 turn: same model, same seed
OTHER = "多喝水，注意休息。"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def cand(gid, did, col, text, *ratings, history=HISTORY, pro=(), con=()) -> ExportCandidate:
    return ExportCandidate(gid, did, "set", len(history), history, col, col, text, "question", list(ratings), None,
                           list(pro), list(con))


def rating(who: str, score: float, corrected: str | None = None, turn_type: str = "question") -> RatingInfo:
    return RatingInfo(who, score, score, turn_type, corrected_reply=corrected)


def pair_key(row: dict) -> tuple[str, str, str]:
    return (json.dumps(row["prompt"], ensure_ascii=False), row["chosen"][0]["content"], row["rejected"][0]["content"])


def check_dpo(rows: list[dict]) -> None:
    keys = [pair_key(r) for r in rows]
    assert all(c != r for _, c, r in keys), "chosen == rejected"
    assert len(set(keys)) == len(keys), "duplicate pair"
    assert not {(p, r, c) for p, c, r in keys} & set(keys), "a pair and its reverse"


def check_kto(rows: list[dict]) -> None:
    labels: dict[tuple[str, str], set[bool]] = {}
    for r in rows:
        key = (json.dumps(r["prompt"], ensure_ascii=False), r["completion"][0]["content"])
        labels.setdefault(key, set()).add(r["label"])
    assert all(len(v) == 1 for v in labels.values()), "a completion with both labels"
    assert len(labels) == len(rows), "a duplicate completion"


def test_identical_replies_pool_their_ratings_into_one_kto_row(tmp_path):
    # The two copies are rated 5 and 2: separately one is desirable and one is not.
    cands = [cand(1, "d", "BianQue-1.0", SAME, rating("ann1", 5)), cand(2, "d", "Hybrid", SAME, rating("ann2", 2)),
             cand(3, "d", "BianQue-2.0", OTHER, rating("ann1", 1), rating("ann2", 1))]
    export(cands, "kto", tmp_path, deidentify=False)
    rows = jsonl(tmp_path / "train.jsonl")
    check_kto(rows)
    same = [r for r in rows if r["completion"][0]["content"] == SAME]
    assert len(same) == 1 and same[0]["label"] is False  # pooled (5 + 2) / 2 = 3.5 < 4
    assert same[0]["metadata"]["n_ratings"] == 2 and same[0]["metadata"]["generation_ids"] == [1, 2]


def test_a_ranking_over_identical_replies_gives_no_contradictory_pairs(tmp_path):
    cands = [cand(1, "d", "BianQue-1.0", SAME, rating("ann1", 4)), cand(2, "d", "Hybrid", SAME, rating("ann1", 4)),
             cand(3, "d", "BianQue-2.0", OTHER, rating("ann1", 3))]
    prefs = [
        # ann1 ranks one copy first and the other last: on SAME vs OTHER that is no vote at all
        PreferenceOutcome("ann1", "d", 1, [[1], [3], [2]]),
        # ann2 and ann3 pick either copy as best: both prefer SAME to OTHER
        PreferenceOutcome.winner("ann2", "d", 1, 1, [2, 3]),
        PreferenceOutcome.winner("ann3", "d", 1, 2, [1, 3]),
    ]
    export(cands, "dpo", tmp_path, deidentify=False, preferences=prefs)
    rows = jsonl(tmp_path / "train.jsonl")
    check_dpo(rows)
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows] == [(SAME, OTHER)]
    assert rows[0]["metadata"]["annotators"] == ["ann2", "ann3"]


def test_votes_on_identical_replies_pool_in_the_candidates_own_votes(tmp_path):
    # No explicit outcomes: "best" for one copy marks the other copy dispreferred by the same annotator.
    cands = [cand(1, "d", "BianQue-1.0", SAME, rating("a", 4), pro=["a"], con=["b"]),
             cand(2, "d", "Hybrid", SAME, rating("a", 4), pro=["b"], con=["a"]),
             cand(3, "d", "BianQue-2.0", OTHER, rating("a", 2), con=["a", "b"])]
    export(cands, "dpo", tmp_path, deidentify=False)
    rows = jsonl(tmp_path / "train.jsonl")
    check_dpo(rows)
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows] == [(SAME, OTHER)]
    # SFT: the text both annotators preferred is the target
    (picked,) = select_targets(cands, ExportFilters(score_threshold=None))
    assert picked.target == SAME and picked.source == "preferred"


def test_turns_that_share_a_prompt_vote_together(tmp_path):
    # Two dialogues open with the same message: one prompt. One annotator there prefers SAME, two
    # annotators here prefer OTHER: a single pair, in the majority direction.
    cands = [cand(1, "d1", "A", SAME, rating("x", 4)), cand(2, "d1", "B", OTHER, rating("x", 4)),
             cand(3, "d2", "A", SAME, rating("y", 4)), cand(4, "d2", "B", OTHER, rating("y", 4))]
    prefs = [PreferenceOutcome.winner("x", "d1", 1, 1, [2]), PreferenceOutcome.winner("y", "d2", 1, 4, [3]),
             PreferenceOutcome.winner("z", "d2", 1, 4, [3])]
    export(cands, "dpo", tmp_path / "dpo", deidentify=False, preferences=prefs)
    rows = jsonl(tmp_path / "dpo" / "train.jsonl")
    check_dpo(rows)
    assert [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in rows] == [(OTHER, SAME)]
    assert rows[0]["metadata"]["annotators_against"] == ["x"]
    # KTO: the same (prompt, completion) in both dialogues is one row with one label
    export(cands[:1] + [cand(3, "d2", "A", SAME, rating("y", 1))], "kto", tmp_path / "kto", deidentify=False)
    kto = jsonl(tmp_path / "kto" / "train.jsonl")
    check_kto(kto)
    assert len(kto) == 1 and kto[0]["label"] is False  # (4 + 1) / 2


def test_a_correction_equal_to_a_rejected_reply_is_not_a_contradiction_in_kto(tmp_path):
    # ann1 rates the reply 1 but ann2 writes exactly that text as the correction of another reply.
    cands = [cand(1, "d", "A", OTHER, rating("ann1", 1)), cand(2, "d", "B", SAME, rating("ann2", 2, corrected=OTHER))]
    rep = export(cands, "kto", tmp_path, deidentify=False)
    rows = jsonl(tmp_path / "train.jsonl")
    check_kto(rows)
    assert OTHER not in [r["completion"][0]["content"] for r in rows]
    assert any("left out" in n for n in rep.notes)


@pytest.mark.parametrize("seed", range(6))
def test_no_contradiction_whatever_the_votes(tmp_path, seed):
    """Many annotators, copies and corrections at random: the invariants always hold."""
    import random

    rnd = random.Random(seed)
    texts = [SAME, OTHER, "建议去医院查血常规。", SAME]
    cands, prefs = [], []
    gid = itertools.count(1)
    for d in ("d1", "d2", "d3"):
        ids = []
        for col, text in zip(("A", "B", "C", "D"), texts, strict=True):
            g = next(gid)
            ids.append(g)
            rs = [rating(f"a{k}", rnd.randint(1, 5), corrected=rnd.choice([None, None, None, OTHER, SAME]))
                  for k in range(3)]
            cands.append(cand(g, d, col, text, *rs))
        for k in range(4):
            order = ids[:]
            rnd.shuffle(order)
            prefs.append(PreferenceOutcome(f"a{k}", d, 1, [[x] for x in order]))
    for fmt in ("dpo", "kto"):
        export(cands, fmt, tmp_path / fmt, deidentify=False, preferences=prefs)
    check_dpo(jsonl(tmp_path / "dpo" / "train.jsonl"))
    check_kto(jsonl(tmp_path / "kto" / "train.jsonl"))


SUGGESTION = "先物理降温，多喝水；体温超过38.5℃可用布洛芬。"  # the classifier calls this a suggestion


@pytest.mark.parametrize("fmt", ["sft", "bianque_jsonl", "dpo", "kto"])
def test_turn_type_filters_on_the_exported_target(tmp_path, fmt):
    # The model's reply is a question (as labelled); the annotator's correction is advice.
    cands = [cand(1, "d", "A", SAME, rating("ann", 2, corrected=SUGGESTION, turn_type="question")),
             cand(2, "d", "B", OTHER, rating("ann", 1, turn_type="suggestion"))]

    def targets(turn_type: str) -> list[str]:
        out = tmp_path / f"{fmt}-{turn_type}"
        export(cands, fmt, out, ExportFilters(scope=Scope(turn_types=(turn_type,)), score_threshold=None), deidentify=False)
        got = []
        for r in jsonl(out / "train.jsonl"):
            if fmt == "sft":
                got.append(r["messages"][-1]["content"])
            elif fmt == "bianque_jsonl":
                got.append(r["target"])
            elif fmt == "dpo":
                got.append(r["chosen"][0]["content"])
            elif r["label"]:
                got.append(r["completion"][0]["content"])
            assert r.get("metadata", r).get("turn_type") == turn_type
        return got

    assert SUGGESTION not in targets("question")
    assert SUGGESTION in targets("suggestion")


def test_one_annotators_answer_on_identical_replies_counts_once(tmp_path):
    """The Rate tab stores one answer for every identical copy: pooled, each annotator is one rating (the
    latest where they rated the copies apart), so n_ratings counts people and a mean weighs each once."""
    from datetime import datetime

    early, late = datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)
    cands = [cand(1, "d", "BianQue-1.0", SAME, rating("ann1", 5), RatingInfo("ann2", 1, 1, "question",
                                                                            created_at=early)),
             cand(2, "d", "Hybrid", SAME, rating("ann1", 5), RatingInfo("ann2", 3, 3, "question", created_at=late)),
             cand(3, "d", "BianQue-2.0", OTHER, rating("ann1", 1), rating("ann2", 1))]
    export(cands, "kto", tmp_path, deidentify=False)
    same = [r for r in jsonl(tmp_path / "train.jsonl") if r["completion"][0]["content"] == SAME]
    assert len(same) == 1
    meta = same[0]["metadata"]
    assert meta["n_ratings"] == 2 and meta["generation_ids"] == [1, 2]
    assert meta["questioning"] == pytest.approx((5 + 3) / 2)  # ann2's later rating stands; ann1 counts once
    assert same[0]["label"] is True


def test_a_correction_on_one_identical_copy_is_kept_when_the_copies_were_rated_apart(tmp_path):
    """An older store may hold different answers for the two copies (the submit refuses that now). The
    correction is the rater's explicit word: it stands over a later answer without one."""
    from datetime import datetime

    early, late = datetime(2026, 12, 1, 9), datetime(2026, 12, 1, 10)
    fixed = "请问咳嗽有痰吗？"
    cands = [cand(1, "d", "BianQue-1.0", SAME, RatingInfo("ann1", 2, 2, "question", corrected_reply=fixed,
                                                           created_at=early)),
             cand(2, "d", "Hybrid", SAME, RatingInfo("ann1", 4, 4, "question", created_at=late)),
             cand(3, "d", "BianQue-2.0", OTHER, rating("ann1", 1))]
    export(cands, "sft", tmp_path, deidentify=False)
    targets = [r["messages"][-1]["content"] for r in jsonl(tmp_path / "train.jsonl")]
    assert targets == [fixed]


@pytest.mark.parametrize("fmt", ["sft", "bianque_jsonl", "bianque_csv"])
def test_a_history_and_target_seen_twice_is_one_training_row(tmp_path, fmt):
    """Two dialogues open alike and are answered alike: one row, as DPO and KTO pool them. A different
    history with the same target, or the same history with another target, stays a row of its own."""
    other_history = (Turn(P, "咳嗽一周了，晚上更厉害"),)
    cands = [cand(1, "d1", "A", SAME, rating("ann1", 5)), cand(2, "d1", "B", OTHER, rating("ann1", 1)),
             cand(3, "d2", "A", SAME, rating("ann2", 5)), cand(4, "d2", "B", OTHER, rating("ann2", 1)),
             cand(5, "d3", "A", SAME, rating("ann1", 5), history=other_history),
             cand(6, "d4", "A", SAME, rating("ann2", 1)), cand(7, "d4", "B", OTHER, rating("ann2", 5))]
    report = export(cands, fmt, tmp_path, deidentify=False)
    if fmt == "bianque_csv":
        import csv

        with (tmp_path / "train.csv").open(encoding="utf-8", newline="") as f:
            rows = [(r["input"], r["target"], r["dialogue_id"]) for r in csv.DictReader(f)]
    else:
        rows = [((json.dumps(r["messages"][:-1], ensure_ascii=False), r["messages"][-1]["content"])
                 if fmt == "sft" else (r["input"], r["target"])) + (r.get("metadata", r)["dialogue_id"],)
                for r in jsonl(tmp_path / "train.jsonl")]
    assert [r[2] for r in rows] == ["d1", "d3", "d4"]  # d2 repeats d1; the first is kept
    assert len({r[:2] for r in rows}) == len(rows) == report.rows == 3
    assert [r[1] for r in rows] == [SAME, SAME, OTHER]
    assert any("1 target left out as duplicates" in n for n in report.notes), report.notes
    assert "1 target left out as duplicates" in (tmp_path / "README.md").read_text("utf-8")


def test_no_duplicate_note_when_every_row_is_distinct(tmp_path):
    cands = [cand(1, "d1", "A", SAME, rating("ann1", 5)),
             cand(2, "d2", "A", SAME, rating("ann1", 5), history=(Turn(P, "头疼三天"),))]
    report = export(cands, "sft", tmp_path, deidentify=False)
    assert report.rows == 2 and not any("duplicate" in n for n in report.notes)
