"""The export's preparation takes shortcuts (issue 18): de-identification analyses each distinct text once per
export and skips dialogues whose texts do not change; statistics of replies with one, two or three ratings
skip the general loop; turns are grouped by runs. Each is checked here against the straightforward
computation on random hostile inputs: personal data and names in every kind of text, texts that are a reply
and a comment at once, dialogues whose candidates are not contiguous, odd scores and labels."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportFilters, RatingInfo
from workbench.export.context import _deidentify_candidates
from workbench.export.selection import CandidateStats, _majority, candidate_stats, group_turns, pool_identical
from workbench.privacy import DeidReport, deidentify, names_in

PIECES = ["我叫王小明，电话13812345678。", "本人刘洋，女，34岁。", "邮箱a.b@163.com", "身份证号11010519491231002X",
          "住在北京市海淀区中关村大街5号", "张伟", "王小明您好", "刘洋", "=SUM(A1)", "\t", "\n", "", " ", "🙂", "头痛",
          "13912345678", "李医生", "请问还有其他症状吗？", "建议多休息。"]


def text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 4)))


def candidates(seed: int, n_dialogues: int = 60) -> list[ExportCandidate]:
    rng = random.Random(seed)
    out: list[ExportCandidate] = []
    t0 = datetime(2025, 3, 1)
    gid = 0
    for d in range(n_dialogues):
        history: list[Turn] = []
        pool = [text(rng) for _ in range(4)]  # texts that recur as replies, comments and corrections
        for k in range(rng.randint(1, 4)):
            history.append(Turn("patient", text(rng)))
            shared = tuple(history) if rng.random() < 0.5 else list(history)
            for j in range(rng.randint(0, 5)):
                ratings = [RatingInfo(a, rng.choice([None, 1.0, 2.0, 4.5, 0.1, -0.0, 0.2, 0.7]),
                                      rng.choice([None, 1.0, 3.0, 0.3, 5.0]),
                                      rng.choice([None, "", "question", "suggestion", "mixed"]), rng.random() < 0.2,
                                      rng.choice([None, "", text(rng), rng.choice(pool)]),
                                      rng.choice([None, " ", text(rng), rng.choice(pool)]),
                                      t0 + timedelta(hours=rng.randint(0, 50)),
                                      (("empathy", rng.choice([None, 2.0])),) if rng.random() < 0.1 else ())
                           for a in rng.choices(["a1", "a2", "a3", "a4"], k=rng.choice([0, 1, 2, 3, 3, 4]))]
                gid += 1
                out.append(ExportCandidate(
                    gid, d if d % 2 else f"d{d}", "set", 2 * k + 1, list(shared) if rng.random() < 0.2 else shared,
                    f"c{j}", f"m{j}", rng.choice(pool) if rng.random() < 0.5 else text(rng),
                    rng.choice([None, "question", "suggestion"]), ratings, rng.choice([None, 0.5, rng.random()]),
                    rng.sample(["a1", "a2"], rng.randint(0, 2)), rng.sample(["a3", "a4"], rng.randint(0, 1))))
            history.append(Turn("doctor", text(rng)))
    if seed % 2:  # dialogues interleaved: their candidates no longer come in one run
        rng.shuffle(out)
    return out


def straightforward_deid(cands: list[ExportCandidate], report: DeidReport) -> list[ExportCandidate]:
    """Every distinct text of a dialogue de-identified with the dialogue's names, counted under the field of
    its first occurrence (reply, then the ratings' comments and corrections, per candidate; then history)."""
    by_dialogue: dict[object, list[ExportCandidate]] = {}
    for c in cands:
        by_dialogue.setdefault(c.dialogue_id, []).append(c)
    clean: dict[int, ExportCandidate] = {}
    for group in by_dialogue.values():
        fields: dict[str, str] = {}
        for c in group:
            fields.setdefault(c.output, "output")
            for r in c.ratings:
                if r.comment:
                    fields.setdefault(r.comment, "comment")
                if r.corrected_reply:
                    fields.setdefault(r.corrected_reply, "corrected_reply")
        for c in group:
            for t in c.history:
                fields.setdefault(t.text, "history")
        names = names_in(fields)
        new: dict[str, str] = {}
        for s, where in fields.items():
            new[s], reds = deidentify(s, names)
            report.add(where, reds)
        for c in group:
            clean[id(c)] = dataclasses.replace(
                c, output=new[c.output], history=[Turn(t.role, new[t.text]) for t in c.history],
                ratings=[dataclasses.replace(r, comment=new[r.comment] if r.comment else r.comment,
                                             corrected_reply=new[r.corrected_reply] if r.corrected_reply
                                             else r.corrected_reply) for r in c.ratings])
    return [clean[id(c)] for c in cands]


def plain(c: ExportCandidate) -> tuple:
    return (c.generation_id, c.output, [(t.role, t.text) for t in c.history], list(c.ratings))


@pytest.mark.parametrize("seed", range(8))
def test_deidentification_equals_the_straightforward_pass(seed):
    cands = candidates(seed)
    fast_report, slow_report = DeidReport(), DeidReport()
    fast = _deidentify_candidates(cands, fast_report)
    slow = straightforward_deid(cands, slow_report)
    assert [plain(c) for c in fast] == [plain(c) for c in slow]
    assert fast_report.to_dict() == slow_report.to_dict()
    assert fast_report.texts_changed > 0 and fast_report.by_kind["name"] > 0
    # What did not change stays the same object; what changed is a copy, the original untouched.
    for before, after in zip(cands, fast, strict=True):
        if plain(before) == plain(after):
            assert after is before
        else:
            assert after is not before and after.generation_id == before.generation_id


def general_stats(c: ExportCandidate) -> CandidateStats:
    """candidate_stats' general loop, written out without its shortcuts."""
    rs = c.ratings
    who = tuple(dict.fromkeys(r.annotator for r in rs))
    qs = [r.questioning for r in rs if r.questioning is not None]
    ss = [r.suggestion for r in rs if r.suggestion is not None]
    q = sum(qs) / len(qs) if qs else None
    s = sum(ss) / len(ss) if ss else None
    overall = (q + s) / 2 if q is not None and s is not None else (q if s is None else s)
    labels = [r.turn_type for r in rs if r.turn_type]
    human = _majority(labels, c.turn_type_auto) if labels else None
    extra: dict[str, list[float]] = {}
    for r in rs:
        for axis, score in r.extra_scores:
            extra.setdefault(axis, [])
            if score is not None:
                extra[axis].append(score)
    stats = CandidateStats(
        who, q, s, len(rs), overall, human if human is not None else c.turn_type_auto,
        "human" if human is not None else ("auto" if c.turn_type_auto else None), any(r.safety_flag for r in rs),
        c.agreement, tuple(c.preferred_by), tuple(c.dispreferred_by),
        tuple((r.annotator, r.corrected_reply, r.created_at) for r in rs
              if r.corrected_reply and r.corrected_reply.strip()))
    if extra:
        stats.extra = tuple((a, sum(v) / len(v) if v else None) for a, v in extra.items())
    return stats


def same_stats(a: CandidateStats, b: CandidateStats) -> bool:
    # repr tells -0.0 from 0.0 and keeps every field
    return repr(a) == repr(b)


@pytest.mark.parametrize("seed", range(4))
def test_rating_stats_shortcuts_equal_the_general_loop(seed):
    cands = candidates(seed, 120)
    counts = Counter(len(c.ratings) for c in cands)
    assert all(counts[n] > 20 for n in (1, 2, 3))
    for c in cands:
        assert same_stats(candidate_stats(c), general_stats(c)), c
    # three labels, all different or two alike, with and without the automatic label among them
    rng = random.Random(seed)
    for _ in range(400):
        labels = [rng.choice(["question", "suggestion", "mixed", ""]) for _ in range(3)]
        c = ExportCandidate(1, 1, None, 1, (), "c", "m", "x", rng.choice([None, "question", "mixed", "other"]),
                            [RatingInfo(f"a{i}", 1.0, None, lab) for i, lab in enumerate(labels)])
        assert same_stats(candidate_stats(c), general_stats(c))


@pytest.mark.parametrize("seed", range(4))
def test_grouping_by_runs_equals_grouping_each_candidate(seed):
    cands = candidates(seed, 80)
    want: dict[tuple, list[ExportCandidate]] = {}
    for c in cands:
        want.setdefault((c.dialogue_id, c.turn_index), []).append(c)
    got = group_turns(cands, ExportFilters())
    assert list(got) == list(want)
    for key, group in got.items():
        pooled = pool_identical(want[key])
        assert [c.generation_ids for c, _ in group] == [c.generation_ids for c in pooled]
        assert all(same_stats(s, candidate_stats(c)) for c, s in group)
