"""DPO's and KTO's shortcuts against the straightforward computations they replace, on random hostile inputs
(issue 18).

* DPO: a turn's pairs from the replies' preference flags are computed once per pattern of flags when the ids
  are not all integers (``dpo._flag_votes``); the reference computes every turn on its own.
* KTO: replies pooled across turns that share a prompt are pooled without their preference votes
  (``kto._pooled_ratings``); the reference is ``selection.pool_copies``.

The written files are read back as TRL's trainers read them (``datasets``).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo, dpo, kto
from workbench.export.api import write_format
from workbench.export.selection import candidate_stats, pool_copies
from workbench.scope import Scope
from workbench.vocab import TurnType

HOSTILE = ("=1+1", '"quoted"', "a,b", "line\nbreak", "\ttab", "😀👩‍⚕️", "", " ", "C:\\new", "nan", "长" * 2000,
           "\u2028sep", "建议多休息。")
ANNOTATORS = ("ann1", "ann2", "x,y", "=evil", "😀")


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 2)))


def _world(seed: int) -> list[ExportCandidate]:
    """Turns with integer, text, mixed and repeated ids, several voters (some contradicting themselves),
    identical replies, and dialogues that repeat another's texts (prompts shared across turns)."""
    rng = random.Random(seed)
    out = []
    for d in range(120):
        trng = random.Random(d % 30)  # every 30th dialogue repeats the texts: the same prompts
        ids = rng.choice(["int", "text", "mixed", "repeated"])
        history: list[Turn] = []
        for k in range(3):
            history.append(Turn("patient", _text(trng) + f"第{k}次"))
            hist = tuple(history)
            turn = []
            for j in range(rng.randint(1, 5)):
                gid: int | str = {"int": 100 * d + 10 * k + j, "text": f"g{d}-{k}-{j}", "repeated": f"g{j % 2}",
                                  "mixed": rng.choice([100 * d + 10 * k + j, f"g{d}-{k}-{j}"])}[ids]
                ratings = [RatingInfo(a, rng.choice([None, 1.0, 2.0, 3.5, 5.0, float("nan"), -0.0]),
                                      rng.choice([None, 1.0, 4.0, 5.0]),
                                      rng.choice([None, "question", TurnType.SUGGESTION]), rng.random() < 0.1,
                                      None, _text(rng) + "改" if rng.random() < 0.1 else None,
                                      datetime(2025, 1, 1) + timedelta(hours=rng.randint(0, 99)),
                                      (("empathy", rng.choice([None, 2.0])),) if rng.random() < 0.2 else ())
                           for a in rng.sample(ANNOTATORS, rng.randint(0, 3))]
                turn.append(ExportCandidate(gid, d, rng.choice([None, "set"]), 2 * k + 1,
                                            hist if rng.random() < 0.9 else list(hist), f"c{j}", f"m{j % 3}",
                                            trng.choice(HOSTILE[:4]) + f"r{trng.randint(0, 3)}",
                                            rng.choice([None, "question"]), ratings,
                                            rng.choice([None, 0.25, 0.75])))
            pro: list[list[str]] = [[] for _ in turn]
            con: list[list[str]] = [[] for _ in turn]
            for a in rng.sample(ANNOTATORS, rng.randint(0, 3)):
                order = list(range(len(turn)))
                rng.shuffle(order)
                pro[order[0]].append(a)
                for i in order[1:]:
                    con[i].append(a)
                if len(order) > 1 and rng.random() < 0.2:
                    pro[order[1]].append(a)  # contradicts their own vote
            out.extend(dataclasses.replace(c, preferred_by=pro[i], dispreferred_by=con[i]) for i, c in enumerate(turn))
            history.append(Turn("doctor", _text(trng)))
    return out


def test_dpo_pairs_from_flag_patterns_equal_each_turn_computed_alone():
    for seed in (1, 2, 3):
        ctx = ExportContext.build(_world(seed), ExportFilters(), deidentify=False)
        got: list = []
        want: list = []
        memo: dict = {}
        for key, group in ctx.groups.items():
            dpo._turn_proposals(ctx, key, group, got, memo)
            dpo._turn_proposals(ctx, key, group, want)  # no memo: this turn's outcome computed from its flags
        assert got == want
        assert len(want) > 200 and {p[6] for p, _ in want} == {"preference", "correction"}
        reused = sum(1 for group in ctx.groups.values() if any(s.votes_for for _, s in group)) - len(memo)
        assert reused > 20, "turns with the same pattern of flags share one outcome"


def _stats_fields(s) -> str:
    """Every field a KTO row shows (not the votes), NaN-safe."""
    return repr([getattr(s, f.name) for f in dataclasses.fields(s) if f.name not in ("votes_for", "votes_against")])


def test_kto_pooled_rows_equal_pool_copies():
    for seed in (4, 5):
        for annotators in (None, ("ann1", "x,y", "😀")):
            ctx = ExportContext.build(_world(seed), ExportFilters(scope=Scope(annotators=annotators)), deidentify=False)
            ann = frozenset(annotators) if annotators else None
            pooled_rows = [row[1] for row in kto._distinct_completions(ctx).values() if len(row) == 3 and len(row[1]) > 1]
            assert len(pooled_rows) > 10, "rows pooled across turns are exercised"
            for rated in pooled_rows:
                copies = [c for c, _ in rated]
                if len({type(c.history) for c in copies}) > 1:
                    continue  # left to pool_identical by kto_rows
                mine, ref = pool_copies(copies, votes=False), pool_copies(copies)
                assert (mine.generation_id, mine.generation_ids, mine.column, mine.model, repr(mine.agreement)) == \
                    (ref.generation_id, ref.generation_ids, ref.column, ref.model, repr(ref.agreement))
                assert _stats_fields(candidate_stats(mine, ann)) == _stats_fields(candidate_stats(ref, ann))


def test_dpo_and_kto_files_read_back_as_trl_reads_them(tmp_path):
    from datasets import load_dataset

    ctx = ExportContext.build(_world(6), ExportFilters(), deidentify=True, system_prompt='系统 "提示"')
    write_format(ctx, "dpo", tmp_path / "dpo")
    pairs = dpo.dpo_pairs(ctx)
    ds = load_dataset("json", data_files=str(tmp_path / "dpo" / "train.jsonl"), split="train")
    assert len(ds) == len(pairs) > 50
    assert ds.column_names[:3] == ["prompt", "chosen", "rejected"]
    assert [r[0]["content"] for r in ds["chosen"]] == [p.chosen_text for p in pairs]
    assert [r[0]["content"] for r in ds["rejected"]] == [p.rejected[0].output for p in pairs]
    assert all(p[0]["role"] == "system" and p[-1]["role"] == "user" for p in ds["prompt"])

    write_format(ctx, "kto", tmp_path / "kto")
    rows, _ = kto.kto_rows(ctx)
    ds = load_dataset("json", data_files=str(tmp_path / "kto" / "train.jsonl"), split="train")
    assert len(ds) == len(rows) > 50
    assert ds.features["label"].dtype == "bool"
    assert ds["label"] == [label for _, _, label, _ in rows] and set(ds["label"]) == {True, False}
    assert [c[0]["content"] for c in ds["completion"]] == [completion for _, completion, _, _ in rows]
