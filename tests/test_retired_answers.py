"""Answers to a retired item (an admin settled a flag on it with *Retire the item*) are out of the data: no
statistic (column scores, agreement, Bradley-Terry, annotator quality, judge pairs) and no export format counts
them, while the rows stay in the store; an item put back in the pool counts as before. ``--include-retired``
(``include_retired``) keeps them. Real services on a real SQLite store; exports read back as consumers do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rate_ui_support import add_item
from rating_fixtures import claim, make_users
from sqlalchemy import func, select

from workbench.analysis.annotator_quality import annotator_quality
from workbench.analysis.dashboard import compute_dashboard
from workbench.analysis.from_store import load_frames
from workbench.annotate import workflow
from workbench.annotate.gold import mark_gold
from workbench.annotate.ratings import PreferenceForm, RatingForm
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.export import WRITERS, ExportFilters
from workbench.export.from_store import export_from_store
from workbench.judge import judge_pairs
from workbench.store.schema import Generation, Preference, QueueItem, Rating, Suggestion
from workbench.vocab import FlagAction, PreferenceOutcome

K = 3
BROKEN = ("乱码回复甲：%%锟斤拷", "乱码回复乙：烫烫烫")  # the item the admin retires
GOOD = ("好的回复甲：多喝水，注意休息。", "好的回复乙：建议先量体温。")  # the item put back in the pool


def _answers(item):
    """Every reply 5 and 4 (so each reply is a target), the lowest generation id preferred (a DPO pair)."""
    best = min(r.generation_id for r in item.replies)
    forms = {r.generation_id: RatingForm(turn_type="suggestion",
                                         scores={"questioning": NA, "suggestion": 5 if r.generation_id == best else 4})
             for r in item.replies}
    return forms, PreferenceForm(PreferenceOutcome.BEST, best)


@pytest.fixture
def world(store):
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    broken_dialogue = add_item(store, BROKEN, (("patient", "我头疼两天了"),))
    good_dialogue = add_item(store, GOOD, (("patient", "我咳嗽三天了"),))
    ann, bob, cat = make_users(store, "ann", "bob", "cat")
    (boss,) = make_users(store, "boss", role="admin")
    for user in (ann, bob):  # both submit both items
        for _ in range(2):
            item = claim(store, user, k=K)
            assert item is not None
            workflow.submit(store, user, item, _answers, rubric=rubric, blind=True, k=K, claim=False)
    with store.read() as s:
        dialogue_of = {i: d for i, d in s.execute(select(QueueItem.id, QueueItem.dialogue_id))}
    # cat takes and flags each item; the admin retires the broken one and puts the other back in the pool.
    for _ in range(2):
        item = claim(store, cat, k=K)
        assert item is not None
        workflow.flag(store, cat, item, "回复是乱码")
        action = FlagAction.RETIRED if dialogue_of[item] == broken_dialogue else FlagAction.POOL
        workflow.review_flag(store, boss, item, "cat", action)
    with store.read() as s:
        gens = {d: set(s.scalars(select(Generation.id).where(Generation.dialogue_id == d)))
                for d in (broken_dialogue, good_dialogue)}
        # Nothing is deleted: the retired item's answers stay in the store for audit.
        assert s.scalar(select(func.count(Rating.id)).where(Rating.generation_id.in_(gens[broken_dialogue]),
                                                            Rating.status == "submitted")) == 4
        assert s.scalar(select(func.count(Preference.id)).where(Preference.dialogue_id == broken_dialogue,
                                                                Preference.status == "submitted")) == 2
    return {"store": store, "boss": boss, "broken": gens[broken_dialogue], "good": gens[good_dialogue],
            "broken_dialogue": broken_dialogue, "good_dialogue": good_dialogue}


def test_statistics_leave_out_the_answers_to_a_retired_item(world):
    store = world["store"]
    frames = load_frames(store)
    assert set(frames.ratings["generation_id"]) == world["good"]
    assert len(frames.ratings) == 4 and set(frames.ratings["annotator"]) == {"ann", "bob"}
    assert frames.preferences["dialogue_id"].tolist() == [world["good_dialogue"]] * 2
    d = compute_dashboard(frames, metrics=False, n_boot=50)
    assert d.counts["ratings"] == 4 and d.counts["preferences"] == 2
    assert d.scores.set_index("column")["n_suggestion"].tolist() == [2, 2]  # ann and bob on the kept item
    agreement = d.agreement.set_index("axis")
    assert agreement.loc["suggestion", "n_units"] == 2  # the kept item's two replies
    assert d.bradley_terry["n_comparisons"].tolist() == [2, 2]  # two judgements, one pair each
    # A gold reply and a judge's score on each item: only the kept item's are compared with the annotators.
    with store.session() as s:
        for gid in (min(world["broken"]), min(world["good"])):
            mark_gold(s, world["boss"], {"generation_id": gid, "turn_type": "suggestion"})
            s.add(Suggestion(generation_id=gid, question="suggestion", value="5", score=5.0, agent="judge:test"))
    with store.read() as s:
        quality = annotator_quality(s, world["boss"]).set_index("annotator")
    assert quality.loc[["ann", "bob"], "ratings"].tolist() == [2, 2]
    assert quality.loc[["ann", "bob"], "gold_checked"].tolist() == [1, 1]
    assert judge_pairs(store)["generation_id"].tolist() == [min(world["good"])]
    # Asked for, they count again (an audit).
    everything = load_frames(store, include_retired=True)
    assert len(everything.ratings) == 8 and len(everything.preferences) == 4


def _texts(folder: Path) -> str:
    return "".join(p.read_text("utf-8") for p in sorted(folder.rglob("*")) if p.suffix in (".csv", ".jsonl"))


def test_every_export_format_leaves_out_the_answers_to_a_retired_item(world, tmp_path):
    from datasets import load_dataset

    store = world["store"]
    reports = export_from_store(store, list(WRITERS), tmp_path / "out", deidentify=False)
    out = tmp_path / "out"
    # No training file holds the retired item: not as a target, a DPO or KTO example, nor a history.
    training = "".join(_texts(out / fmt) for fmt in ("bianque_csv", "bianque_jsonl", "sft", "dpo", "kto"))
    assert GOOD[0] in training and not any(text in training for text in (*BROKEN, "我头疼两天了"))
    for fmt, report in reports.items():
        assert "answers to retired items left out: 6" in report.notes, fmt  # 4 ratings and 2 preferences
    csv_rows = pd.read_csv(out / "bianque_csv" / "train.csv")
    assert csv_rows["target"].tolist() == [GOOD[0]]
    jsonl = load_dataset("json", data_files=str(out / "bianque_jsonl" / "train.jsonl"), split="train")
    assert jsonl["target"] == [GOOD[0]]
    sft = load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train")
    assert [m[-1]["content"] for m in sft["messages"]] == [GOOD[0]]
    dpo = load_dataset("json", data_files=str(out / "dpo" / "train.jsonl"), split="train")
    assert len(dpo) == 1 and "咳嗽" in str(dpo[0]["prompt"])
    kto = load_dataset("json", data_files=str(out / "kto" / "train.jsonl"), split="train")
    assert {str(c) for c in kto["completion"]} <= {str(x) for x in GOOD} | {str([{"role": "assistant",
                                                                                  "content": x}]) for x in GOOD}
    assert len(kto) == 2
    for ext, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        ratings = read(out / f"tables_{ext}" / f"ratings.{ext}")
        assert set(ratings["generation_id"]) == world["good"] and len(ratings) == 4
        prefs = read(out / f"tables_{ext}" / f"preferences.{ext}")
        assert prefs["dialogue_id"].tolist() == [world["good_dialogue"]] * 2
        annotators = read(out / f"tables_{ext}" / f"annotators.{ext}").set_index("annotator")
        assert annotators["n_ratings"].tolist() == [2, 2] and annotators["n_preferences"].tolist() == [1, 1]
        gens = read(out / f"tables_{ext}" / f"generations.{ext}").set_index("generation_id")
        assert gens.loc[sorted(world["broken"]), "preferred_by"].isna().all() or \
            (gens.loc[sorted(world["broken"]), "preferred_by"].fillna("") == "").all()
    card = (out / "sft" / "README.md").read_text("utf-8")
    assert "include_retired" not in card  # the default is not listed: such cards read as before

    # --include-retired: the audit export has them, and says so.
    audit = tmp_path / "audit"
    reports = export_from_store(store, ["bianque_csv", "tables_csv"], audit, ExportFilters(include_retired=True),
                                deidentify=False)
    assert sorted(pd.read_csv(audit / "bianque_csv" / "train.csv")["target"]) == sorted([BROKEN[0], GOOD[0]])
    assert len(pd.read_csv(audit / "tables_csv" / "ratings.csv")) == 8
    assert '"include_retired": true' in (audit / "bianque_csv" / "README.md").read_text("utf-8")
    assert not any("retired" in n for r in reports.values() for n in r.notes)


def test_the_command_lines_take_include_retired():
    import argparse

    from workbench.cli import build_parser
    from workbench.export.cli import add_export_parser, filters_from_args

    sub = argparse.ArgumentParser().add_subparsers()
    add_export_parser(sub)
    parse = sub.choices["export"].parse_args
    assert filters_from_args(parse(["--format", "sft", "--out", "x"])).include_retired is False
    assert filters_from_args(parse(["--format", "sft", "--out", "x", "--include-retired"])).include_retired is True
    assert build_parser().parse_args(["stats", "--out", "r", "--include-retired"]).include_retired is True
