"""Export from a real SQLite store: ratings and preferences entered through the annotation code, then
every format written from the store, loaded back, and checked against what the database holds."""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from sqlalchemy import func, select

from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import PreferenceForm, RatingForm, save_draft, submit_item
from workbench.annotate.rubric import NA as NOT_APPLICABLE
from workbench.annotate.rubric import load_rubric
from workbench.auth import upsert_user
from workbench.config import REPO_ROOT
from workbench.datasets import parse_dataset
from workbench.datasets.store_import import import_dataset
from workbench.dialogue import Turn
from workbench.errors import AuthError, InputError
from workbench.export import WRITERS, ExportFilters
from workbench.export.cli import add_export_parser, parse_formats
from workbench.export.from_store import export_from_store, load_export
from workbench.scope import Scope
from workbench.store.dialogues import add_turn, column_thread, create_dialogue
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Generation, Preference, Rating

A, B = "BianQue-1.0", "BianQue-2.0"
P, D = "patient", "doctor"
PHONE = "13912345678"
NAME = "李明"
CORRECTED = "先物理降温，多喝水；体温超过38.5℃可用布洛芬。"
LIVE_DAY = datetime(2025, 3, 1, 15, 30)  # afternoon: a --to date of that day must still include it
DATASET_DAY = datetime(2025, 4, 2, 9, 0)

# What each annotator answers per item: (dialogue key, position) -> column -> (questioning, suggestion,
# turn type, safety flag, corrected reply), and the preference as (outcome, winner column or ranking).
NA = None
RATINGS = {
    "ann_a": {
        ("live", 1): {A: (5, NA, "question", False, None), B: (2, 2, "other", False, None)},
        ("live", 3): {A: (4, 5, "mixed", False, None), B: (3, 2, "suggestion", False, None)},
        ("set", 1): {A: (5, NA, "question", False, None), B: (1, 1, "other", False, None)},
        ("set", 3): {A: (4, 4, "suggestion", False, None), B: (2, 2, "suggestion", False, None)},
    },
    "ann_b": {
        ("live", 1): {A: (5, NA, "question", False, None), B: (2, 2, "other", False, None)},
        ("live", 3): {A: (4, 5, "mixed", False, None), B: (1, 2, "suggestion", False, None)},
        ("set", 1): {A: (5, NA, "question", False, None), B: (1, 1, "other", True, None)},
        ("set", 3): {A: (4, 4, "suggestion", False, None), B: (2, 2, "suggestion", False, CORRECTED)},
    },
}
PREFS = {
    "ann_a": {("live", 1): ("best", A), ("live", 3): ("best", A), ("set", 1): ("ranking", [A, B]),
              ("set", 3): ("tie", None)},
    "ann_b": {("live", 1): ("best", A), ("live", 3): ("best", B), ("set", 1): ("all_bad", None),
              ("set", 3): ("tie", None)},
}


def _gen(s, did: int, pos: int, col: str, text: str, when: datetime, status: str = "ok") -> int:
    g = Generation(dialogue_id=did, turn_index=pos, column_name=col, backend="test", model_name=f"test/{col}",
                   output=text, status=status, created_at=when)
    s.add(g)
    s.flush()
    return g.id


def build_world(store: Store) -> dict:
    """A live dialogue (columns diverge after the first reply) and a dataset dialogue, both rated by
    two annotators through the real queue and rating code, plus a third annotator's unsubmitted draft."""
    w: dict = {"gen": {}}
    with store.session() as s:
        live = create_dialogue(s, (Turn(P, f"我叫{NAME}，手机{PHONE}，头痛三天了。"),), source="live").id
        w["gen"][("live", 1, A)] = _gen(s, live, 1, A, f"{NAME}您好，头痛在哪个部位？", LIVE_DAY)
        w["gen"]["b1_old"] = _gen(s, live, 1, B, "多喝热水。", LIVE_DAY)
        add_turn(s, live, 2, P, "后脑勺，一跳一跳的。")
        w["gen"][("live", 3, A)] = _gen(s, live, 3, A, "建议测量血压，必要时就医。", LIVE_DAY)
        w["gen"][("live", 3, B)] = _gen(s, live, 3, B, "请问有没有发烧？", LIVE_DAY)
        # B regenerates its first reply after its second one: the second reply saw the old first one.
        w["gen"][("live", 1, B)] = _gen(s, live, 1, B, "请问头痛持续多久了？", LIVE_DAY)
        _gen(s, live, 5, A, "", LIVE_DAY, status="error")
        ds = Dataset(name="demo-set", format="bianque_csv")
        s.add(ds)
        s.flush()
        gold = (Turn(P, "孩子发烧38.5℃，精神还好。"), Turn(D, "孩子几岁？"), Turn(P, "6岁。"),
                Turn(D, "先物理降温，体温超过38.5℃可以用退烧药。"))
        sd = create_dialogue(s, gold, source="dataset", dataset_id=ds.id, external_id="ex-1", reference=True).id
        for pos, (ta, tb) in {1: ("孩子几岁了？有没有咳嗽？", "多喝水。"), 3: ("先物理降温。", "吃点抗生素。")}.items():
            w["gen"][("set", pos, A)] = _gen(s, sd, pos, A, ta, DATASET_DAY)
            w["gen"][("set", pos, B)] = _gen(s, sd, pos, B, tb, DATASET_DAY)
        sync_queue(s)
    w.update(live=live, set=sd, gold=gold)
    keys = {live: "live", sd: "set"}
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    users = {n: upsert_user(store, n, "secret-pass-" + n) for n in ("ann_a", "ann_b", "ann_c")}
    w["boss"] = upsert_user(store, "boss", "secret-pass-boss", "admin")
    for name in ("ann_a", "ann_b"):
        u = users[name]
        for _ in range(4):
            with store.session() as s:
                claim = take_next(s, u, 3)
                item = open_item(s, u, claim.item_id)
                key = (keys[item.dialogue_id], item.turn_index)
                forms = {}
                for r in item.replies:
                    q, sg, tt, flag, corr = RATINGS[name][key][r.column]
                    forms[r.generation_id] = RatingForm(turn_type=tt, scores={"questioning": NOT_APPLICABLE if q is None else q,
                                                                "suggestion": NOT_APPLICABLE if sg is None else sg}, safety_flag=flag,
                                                        corrected_reply=corr)
                outcome, arg = PREFS[name][key]
                by_col = {r.column: r.generation_id for r in item.replies}
                pref = PreferenceForm(outcome, by_col[arg] if outcome == "best" else None,
                                      tuple(by_col[c] for c in arg) if outcome == "ranking" else None)
                submit_item(s, u, claim.item_id, forms, pref, rubric=rubric)
    with store.session() as s:  # a draft is not an answer: it must never be exported
        claim = take_next(s, users["ann_c"], 3)
        item = open_item(s, users["ann_c"], claim.item_id)
        save_draft(s, users["ann_c"], item.replies[0].generation_id, RatingForm(scores={"questioning": 1}), rubric=rubric)
    return w


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    db = tmp_path_factory.mktemp("export-store") / "wb.db"
    store = Store(f"sqlite:///{db}")
    w = build_world(store)
    w["store"], w["db"] = store, db
    yield w
    store.dispose()


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def thread(store: Store, did: int, column: str) -> list[Turn]:
    with store.session() as s:
        return list(column_thread(s, did, column).turns)


def redacted(turns, *, on: bool = True) -> list[Turn]:
    return [Turn(t.role, t.text.replace(PHONE, "[电话]").replace(NAME, "[姓名]")) if on else t for t in turns]


def to_chat(turns) -> list[dict]:
    return [{"role": "user" if t.role == P else "assistant", "content": t.text} for t in turns]


# --------------------------------------------------------------------------------------------------
# Candidates read from the store


def test_candidates_hold_submitted_ratings_and_each_columns_own_history(world):
    data = load_export(world["store"])
    by_gid = {c.generation_id: c for c in data.candidates}
    g = world["gen"]
    # Only rated ok replies: the regenerated-over first reply of B and the failed one are not candidates.
    assert set(by_gid) == {v for k, v in g.items() if k != "b1_old"}
    assert all({r.annotator for r in c.ratings} == {"ann_a", "ann_b"} for c in data.candidates)  # no draft
    live = world["live"]
    p0, p2 = Turn(P, f"我叫{NAME}，手机{PHONE}，头痛三天了。"), Turn(P, "后脑勺，一跳一跳的。")
    assert list(by_gid[g[("live", 3, A)]].history) == [p0, Turn(D, f"{NAME}您好，头痛在哪个部位？"), p2]
    # B's second reply was generated after its *old* first reply, before the regeneration.
    assert list(by_gid[g[("live", 3, B)]].history) == [p0, Turn(D, "多喝热水。"), p2]
    assert list(by_gid[g[("live", 1, A)]].history) == [p0] == list(by_gid[g[("live", 1, B)]].history)
    # Today's thread of A is exactly A's second reply's history.
    assert thread(world["store"], live, A)[:3] == list(by_gid[g[("live", 3, A)]].history)
    gold = list(world["gold"])
    assert [list(by_gid[g[("set", 3, c)]].history) for c in (A, B)] == [gold[:3], gold[:3]]
    c = by_gid[g[("set", 1, B)]]
    assert (c.dataset, by_gid[g[("live", 1, A)]].dataset) == ("demo-set", None)
    assert sorted((r.annotator, r.questioning, r.suggestion, r.safety_flag) for r in c.ratings) == [
        ("ann_a", 1.0, 1.0, False), ("ann_b", 1.0, 1.0, True)]
    assert by_gid[g[("live", 1, A)]].ratings[0].suggestion is None  # N/A stays missing, not 0


def test_agreement_and_votes(world):
    by_gid = {c.generation_id: c for c in load_export(world["store"]).candidates}
    g = world["gen"]
    # Identical scores -> 1. Questioning 3 vs 1 on a 1-5 scale: population sd 1 of a possible 2 -> 0.5;
    # suggestion identical -> 1; the reply's agreement is the mean over the axes: 0.75.
    assert by_gid[g[("live", 1, A)]].agreement == pytest.approx(1.0)
    assert by_gid[g[("live", 3, B)]].agreement == pytest.approx(0.75)
    c = by_gid[g[("live", 3, A)]]
    assert (sorted(c.preferred_by), sorted(c.dispreferred_by)) == (["ann_a"], ["ann_b"])
    assert sorted(by_gid[g[("live", 1, A)]].preferred_by) == ["ann_a", "ann_b"]
    # set@1: ann_a ranked A over B; ann_b said all bad (a vote against both); set@3: tie, no vote.
    assert (by_gid[g[("set", 1, A)]].preferred_by, by_gid[g[("set", 1, A)]].dispreferred_by) == (["ann_a"], ["ann_b"])
    assert sorted(by_gid[g[("set", 1, B)]].dispreferred_by) == ["ann_a", "ann_b"]
    assert by_gid[g[("set", 3, A)]].preferred_by == [] == by_gid[g[("set", 3, A)]].dispreferred_by


# --------------------------------------------------------------------------------------------------
# Every format written and loaded back


def test_every_format_writes_and_loads_back(world, tmp_path):
    from datasets import load_dataset

    reports = export_from_store(world["store"], list(WRITERS), tmp_path)
    assert set(reports) == set(WRITERS)
    for fmt in reports:
        assert (tmp_path / fmt / "README.md").is_file() and (tmp_path / fmt / "deid_report.json").is_file()
        card = (tmp_path / fmt / "README.md").read_text("utf-8")
        assert "Counts per model" in card and '"exclude_safety_flagged": true' in card
    csv_rows = pd.read_csv(tmp_path / "bianque_csv" / "train.csv")
    assert len(csv_rows) == reports["bianque_csv"].rows == 4  # one target per rated position
    assert list(csv_rows.columns[:2]) == ["input", "target"]
    assert all(x.endswith("医生：") for x in csv_rows["input"])
    assert (pd.read_json(tmp_path / "bianque_jsonl" / "train.jsonl", lines=True)["target"].tolist()
            == csv_rows["target"].tolist())
    sft = load_dataset("json", data_files=str(tmp_path / "sft" / "train.jsonl"), split="train")
    assert len(sft) == 4 and all(m[-1]["role"] == "assistant" for m in sft["messages"])
    dpo = load_dataset("json", data_files=str(tmp_path / "dpo" / "train.jsonl"), split="train")
    assert set(dpo.column_names) >= {"prompt", "chosen", "rejected"} and len(dpo) == reports["dpo"].rows > 0
    kto = load_dataset("json", data_files=str(tmp_path / "kto" / "train.jsonl"), split="train")
    assert len(kto) == 9  # 8 rated replies + 1 corrected reply as a positive example
    assert kto["label"].count(True) == 4 + 1  # A's four replies (overall >= 4) and the correction
    tables = {}
    for ext, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        for name in ("dialogues", "generations", "ratings", "preferences", "annotators"):
            tables[(ext, name)] = read(tmp_path / f"tables_{ext}" / f"{name}.{ext}")
    with world["store"].session() as s:
        n_gen = s.scalar(select(func.count(Generation.id)))
        n_sub = s.scalar(select(func.count(Rating.id)).where(Rating.status == "submitted"))
        n_pref = s.scalar(select(func.count(Preference.id)).where(Preference.status == "submitted"))
    for ext in ("csv", "parquet"):
        assert len(tables[(ext, "generations")]) == n_gen == 10  # every status, for analysis
        assert len(tables[(ext, "ratings")]) == n_sub == 16  # the draft is left out
        assert len(tables[(ext, "preferences")]) == n_pref == 8
        assert len(tables[(ext, "dialogues")]) == 2 + 4  # shared turns: live (patient only) + dataset
        ann = tables[(ext, "annotators")].set_index("annotator")
        assert sorted(ann.index) == ["ann_a", "ann_b"] and ann["n_ratings"].tolist() == [8, 8]
        assert not any("password" in c for t in tables.values() for c in t.columns)
    gens = tables[("parquet", "generations")].set_index("generation_id")
    assert gens.loc[world["gen"][("live", 3, B)], "agreement"] == pytest.approx(0.75)


def test_bianque_export_reimports_into_the_same_dialogues(world, tmp_path):
    store = world["store"]
    export_from_store(store, ["bianque_csv"], tmp_path, deidentify=False)
    res = parse_dataset(tmp_path / "train.csv")
    def by_id_len(x):
        return x[0], len(x[1])

    got = sorted(((d.external_id.split("#")[0], tuple(d.turns)) for d in res.dialogues), key=by_id_len)
    gold = world["gold"]
    # A wins every live position, so the live rows chain back into column A's thread, whole. The dataset
    # rows keep their gold history, so each target comes back as gold history + that target.
    expected = sorted([
        (str(world["live"]), tuple(thread(store, world["live"], A))),
        (str(world["set"]), (gold[0], Turn(D, "孩子几岁了？有没有咳嗽？"))),
        (str(world["set"]), (*gold[:3], Turn(D, CORRECTED))),
    ], key=by_id_len)
    assert got == expected
    # Through the real dataset import into a store: the stored dialogue equals the thread, turn by turn.
    other = Store(f"sqlite:///{tmp_path / 'reimport.db'}")
    try:
        summary = import_dataset(other, tmp_path / "train.csv", name="round-trip")
        assert summary.dialogues == 3
        with other.session() as s:
            back = {d.external_id: [Turn(t.role, t.text) for t in d.turns] for d in s.scalars(select(Dialogue))}
    finally:
        other.dispose()
    assert back[str(world["live"])] == thread(store, world["live"], A)


def test_deidentified_bianque_export_reimports_as_the_redacted_thread(world, tmp_path):
    export_from_store(world["store"], ["bianque_jsonl"], tmp_path)  # de-identification is on by default
    res = parse_dataset(tmp_path / "train.jsonl")
    live = next(d for d in res.dialogues if d.external_id == str(world["live"]))
    assert live.turns == redacted(thread(world["store"], world["live"], A))
    assert "我叫[姓名]，手机[电话]" in live.turns[0].text and live.turns[1].text.startswith("[姓名]您好")


def test_dpo_pairs_follow_the_stored_preferences(world, tmp_path):
    store = world["store"]
    export_from_store(store, ["dpo"], tmp_path, deidentify=False)
    rows = jsonl(tmp_path / "train.jsonl")
    got = {(r["metadata"]["chosen"]["generation_id"], r["metadata"]["rejected"]["generation_id"])
           for r in rows if r["metadata"]["pair_source"] == "preference"}
    # Independently from the stored rows: every annotator's (better, worse) pairs, kept in the majority
    # direction; the chosen reply must not be safety-flagged (the default filter).
    with store.session() as s:
        prefs = s.execute(select(Preference.dialogue_id, Preference.turn_index, Preference.user_id, Preference.shown,
                                 Preference.outcome, Preference.winner_generation_id, Preference.ranking)
                          .where(Preference.status == "submitted")).all()
        flagged = set(s.scalars(select(Rating.generation_id).where(Rating.safety_flag.is_(True),
                                                                   Rating.status == "submitted")))
    votes: dict = defaultdict(set)
    for _did, _t, uid, shown, outcome, winner, ranking in prefs:
        if outcome == "best":
            pairs = [(winner, x) for x in shown if x != winner]
        elif outcome == "ranking":
            pairs = [(ranking[i], y) for i in range(len(ranking)) for y in ranking[i + 1:]]
        else:
            pairs = []
        for p in pairs:
            votes[p].add(uid)
    expected = {p for p, who in votes.items() if len(who) > len(votes.get((p[1], p[0]), ())) and p[0] not in flagged}
    assert got == expected
    g = world["gen"]
    # By design: live@1 both chose A; live@3 split 1-1 (no pair); set@1 A ranked over B; set@3 tie.
    assert expected == {(g[("live", 1, A)], g[("live", 1, B)]), (g[("set", 1, A)], g[("set", 1, B)])}
    outputs = {c.generation_id: c.output for c in load_export(store).candidates}
    by_pair = {(r["metadata"]["chosen"]["generation_id"], r["metadata"]["rejected"]["generation_id"]): r for r in rows}
    for ch, rj in expected:
        r = by_pair[(ch, rj)]
        assert r["chosen"] == [{"role": "assistant", "content": outputs[ch]}]
        assert r["rejected"] == [{"role": "assistant", "content": outputs[rj]}]
    # The correction beats the reply it corrects.
    corr = [r for r in rows if r["metadata"]["pair_source"] == "correction"]
    assert [(r["chosen"][0]["content"], r["metadata"]["rejected"]["generation_id"]) for r in corr] == [
        (CORRECTED, g[("set", 3, B)])]
    assert corr[0]["prompt"] == to_chat(world["gold"][:3])


def test_dpo_uses_every_pair_of_a_full_ranking(tmp_path):
    """Three columns: ann_a ranks A > B > C, ann_b picks A as best. B > C has one vote and none against."""
    store = Store(f"sqlite:///{tmp_path / 'rank.db'}")
    try:
        rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
        cols = (A, B, "Hybrid")
        with store.session() as s:
            did = create_dialogue(s, (Turn(P, "咳嗽一周了。"),), source="live").id
            gid = {c: _gen(s, did, 1, c, f"{c}：咳嗽有痰吗？", LIVE_DAY) for c in cols}
            sync_queue(s)
        form = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NOT_APPLICABLE})
        for name, pref in (("ann_a", PreferenceForm("ranking", None, (gid[A], gid[B], gid["Hybrid"]))),
                           ("ann_b", PreferenceForm("best", gid[A]))):
            u = upsert_user(store, name, "secret-pass-" + name)
            with store.session() as s:
                claim = take_next(s, u, 2)
                submit_item(s, u, claim.item_id, {g: form for g in gid.values()}, pref, rubric=rubric)
        export_from_store(store, ["dpo"], tmp_path / "out", deidentify=False)
        rows = jsonl(tmp_path / "out" / "train.jsonl")
    finally:
        store.dispose()
    got = {(r["metadata"]["chosen"]["column"], r["metadata"]["rejected"]["column"],
            tuple(r["metadata"]["annotators"])) for r in rows}
    assert got == {(A, B, ("ann_a", "ann_b")), (A, "Hybrid", ("ann_a", "ann_b")), (B, "Hybrid", ("ann_a",))}


@pytest.mark.parametrize("deid", [False, True])
def test_each_row_carries_its_own_columns_history(world, tmp_path, deid):
    export_from_store(world["store"], ["kto"], tmp_path, deidentify=deid)
    prompts = {r["metadata"]["generation_id"]: r["prompt"] for r in jsonl(tmp_path / "train.jsonl")
               if r["metadata"]["target_source"] == "rated"}
    data = {c.generation_id: c for c in load_export(world["store"]).candidates}
    g = world["gen"]
    for gid in (g[("live", 3, A)], g[("live", 3, B)]):
        assert prompts[gid] == to_chat(redacted(data[gid].history, on=deid))


# --------------------------------------------------------------------------------------------------
# Filters and de-identification


def test_deidentification_is_on_by_default_and_can_be_turned_off(world, tmp_path):
    export_from_store(world["store"], list(WRITERS), tmp_path / "on")
    export_from_store(world["store"], list(WRITERS), tmp_path / "off", deidentify=False)
    for fmt in WRITERS:
        on = b"".join(p.read_bytes() for p in (tmp_path / "on" / fmt).iterdir() if p.suffix != ".parquet")
        off = b"".join(p.read_bytes() for p in (tmp_path / "off" / fmt).iterdir() if p.suffix != ".parquet")
        if fmt != "tables_parquet":  # compressed: read through pandas below
            # The name is introduced once (我叫李明) and reused in a reply (李明您好): both are replaced.
            for secret in (PHONE, NAME):
                assert secret.encode() not in on, (fmt, secret)
                assert secret.encode() in off, (fmt, secret)
    for table, col, secrets in (("dialogues", "text", (PHONE, NAME)), ("generations", "output", (NAME,))):
        on_df = pd.read_parquet(tmp_path / "on" / "tables_parquet" / f"{table}.parquet")
        off_df = pd.read_parquet(tmp_path / "off" / "tables_parquet" / f"{table}.parquet")
        for secret in secrets:
            assert not on_df[col].astype(str).str.contains(secret).any()
            assert off_df[col].astype(str).str.contains(secret).any()
    assert "[姓名]您好，头痛在哪个部位？" in set(
        pd.read_csv(tmp_path / "on" / "tables_csv" / "generations.csv")["output"])
    report = json.loads((tmp_path / "on" / "sft" / "deid_report.json").read_text("utf-8"))
    assert report["enabled"] is True and report["by_kind"]["phone"] >= 1 and report["by_kind"]["name"] >= 1


def test_sql_filters_annotator_dataset_dates_and_turn_type(world, tmp_path):
    store, g = world["store"], world["gen"]

    def sft(name: str, **kw) -> list[dict]:
        export_from_store(store, ["sft"], tmp_path / name, ExportFilters(**kw), deidentify=False)
        return [r["metadata"] for r in jsonl(tmp_path / name / "train.jsonl")]

    only_a = sft("ann", scope=Scope(annotators=("ann_a",)))
    assert {a for m in only_a for a in m["annotators"]} == {"ann_a"}
    # Without ann_b, live@3 has one vote for A (now a preference target) and set@3 no correction.
    by_pos = {(m["dialogue_id"], m["turn_index"]): m for m in only_a}
    assert by_pos[(world["live"], 3)]["target_source"] == "preferred"
    assert by_pos[(world["set"], 3)]["target_source"] == "score"
    assert {m["dataset"] for m in sft("ds", scope=Scope(datasets=("demo-set",)))} == {"demo-set"}
    assert {m["dialogue_id"] for m in sft("from", scope=Scope(date_from=date(2025, 4, 1)))} == {world["set"]}
    assert {m["dialogue_id"] for m in sft("to", scope=Scope(date_to=date(2025, 3, 1)))} == {world["live"]}
    assert sft("none", scope=Scope(date_from=datetime(2025, 3, 2), date_to=date(2025, 4, 1))) == []
    questions = sft("tt", scope=Scope(turn_types=("question",)))
    assert sorted((m["dialogue_id"], m["turn_index"]) for m in questions) == [(world["live"], 1), (world["set"], 1)]
    # Score and agreement minima judge model replies; a human correction is exempt from them.
    picked = sft("agree", min_agreement=0.9, min_suggestion=4.5)
    # (a correction names no stored reply: the column is the one whose reply it corrects)
    assert [(m["generation_id"], m["column"], m["target_source"]) for m in picked] == [
        (g[("live", 3, A)], A, "score"), (None, B, "corrected")]
    assert [m["generation_id"] for m in sft("agree2", min_agreement=0.9, min_suggestion=4.5,
                                            use_corrections=False)] == [g[("live", 3, A)]]


# --------------------------------------------------------------------------------------------------
# Command line


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_export_parser(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_parser_builds_filters():
    from workbench.export.cli import filters_from_args

    args = parser().parse_args(["export", "--format", "sft,dpo", "--out", "x", "--min-questioning", "3.5",
                                "--turn-type", "question,mixed", "--annotator", "a", "--annotator", "b",
                                "--from", "2025-01-02", "--to", "2025-02-01T12:00:00", "--include-safety-flagged"])
    f = filters_from_args(args)
    assert (f.min_questioning, f.turn_types, f.annotators, f.exclude_safety_flagged) == (
        3.5, ("question", "mixed"), ("a", "b"), False)
    assert (f.date_from, f.date_to) == (date(2025, 1, 2), datetime(2025, 2, 1, 12))
    assert parse_formats("bianque,sft,sft") == ["bianque_csv", "sft"]
    assert parse_formats("all") == list(WRITERS)
    with pytest.raises(Exception, match="unknown format"):
        parse_formats("nope")


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--min-questioning", "nan", "min questioning must be a number of at least 0"),
    ("--min-suggestion", "-3", "min suggestion must be a number of at least 0"),
    ("--min-agreement", "7", "min agreement must be between 0 and 1"),
    ("--score-threshold", "inf", "score threshold must be a number of at least 0"),
])
def test_cli_refuses_minimums_that_would_silently_filter_nothing_or_everything(flag, value, message):
    from workbench.errors import InputError
    from workbench.export.cli import filters_from_args

    args = parser().parse_args(["export", "--format", "sft", "--out", "x", flag, value])
    with pytest.raises(InputError, match=message):
        filters_from_args(args)


def test_a_minimum_above_the_rubrics_scale_is_refused_not_exported_as_corrections_only(world, tmp_path, capsys):
    # The default rubric scores 1-5: a minimum of 7 would keep no rated reply, only corrected ones.
    out = tmp_path / "out"
    from workbench.cli import main

    assert main(["export", "--format", "sft", "--out", str(out), "--db", f"sqlite:///{world['db']}",
                 "--min-questioning", "7"]) == 2
    assert "min questioning: 7 is above 5, the top of the rubric's questioning scale" in capsys.readouterr().err
    assert not out.exists()
    from workbench.ui.export_tab import build_filters

    tops = {"questioning": 5, "suggestion": 5}
    with pytest.raises(InputError, match="min suggestion: 5.5 is above 5"):
        build_filters(min_suggestion="5.5", scale_tops=tops)
    assert build_filters(min_questioning="5", min_suggestion="4.5", scale_tops=tops).min_questioning == 5


@pytest.mark.parametrize(("values", "english", "chinese"), [
    ({"min_questioning": "-1"}, "min questioning must be a number of at least 0, got -1", "最低问诊质量分"),
    ({"min_agreement": "1.5"}, "min agreement must be between 0 and 1, got 1.5", "最低一致性"),
    ({"score_threshold": "-2"}, "score threshold must be a number of at least 0, got -2", "训练目标分数阈值"),
    ({"min_suggestion": "9"}, "min suggestion: 9 is above 5, the top of the rubric's suggestion scale", "最低建议质量分"),
    ({"min_questioning": "abc"}, "min questioning: expected a number, got 'abc'", "最低问诊质量分"),
    # a threshold above every scale's top makes no reply a training target
    ({"score_threshold": "99"}, "score threshold: 99 is above 5, the top of the rubric's scales", "训练目标分数阈值"),
])
def test_the_export_tabs_refusals_name_its_fields_in_both_languages(values, english, chinese):
    """The tab's fields are named as its labels name them (the CLI's flag spelling is for the CLI's help), and
    the Chinese message names them in Chinese, with no English left in it."""
    from workbench.ui.export_tab import build_filters
    from workbench.ui.i18n import catalogue

    with pytest.raises(InputError) as refused:
        build_filters(**values, scale_tops={"questioning": 5, "suggestion": 5})
    assert str(refused.value) == english
    translated = catalogue().translate(english, "zh")
    without_input = re.sub("'[^']*'", "", translated)  # the value typed stays as typed
    assert chinese in translated and not re.search("[A-Za-z]{3,}", without_input), translated


def test_an_unknown_annotator_or_dataset_is_refused_by_name_not_exported_as_nothing(world, tmp_path):
    from workbench.errors import InputError

    with pytest.raises(InputError, match="unknown annotator\\(s\\): nobody; the store has: "):
        export_from_store(world["store"], ["sft"], tmp_path / "out",
                          ExportFilters(scope=Scope.parse(annotators=("nobody",))))
    assert not (tmp_path / "out").exists()
    with pytest.raises(InputError, match="unknown dataset\\(s\\): nope; the store has: "):
        export_from_store(world["store"], ["sft"], tmp_path / "out", ExportFilters(scope=Scope.parse(datasets=("nope",))))


def test_cmd_export_end_to_end(world, tmp_path, capsys):
    out = tmp_path / "out"
    args = parser().parse_args(["export", "--format", "bianque_csv,kto", "--out", str(out),
                                "--db", f"sqlite:///{world['db']}"])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "bianque_csv: 4 rows" in printed and "kto: 9 rows" in printed and "de-identification: on" in printed
    with (out / "bianque_csv" / "train.csv").open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == 4
    assert PHONE not in (out / "kto" / "train.jsonl").read_text("utf-8")


def _cli_registered() -> bool:
    from workbench.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return "export" in sub.choices


@pytest.mark.skipif(not _cli_registered(), reason="`export` is not registered in workbench/cli.py yet")
def test_python_m_workbench_export(world, tmp_path):
    out = tmp_path / "cli"
    env = {**os.environ, "WORKBENCH_DB_URL": f"sqlite:///{world['db']}"}
    proc = subprocess.run([sys.executable, "-m", "workbench", "export", "--format", "sft", "--out", str(out),
                           "--config", str(REPO_ROOT / "configs" / "demo.yaml"), "--no-deidentify",
                           "--system-prompt", "你是医生。"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = jsonl(out / "train.jsonl")
    assert len(rows) == 4 and all(r["messages"][0] == {"role": "system", "content": "你是医生。"} for r in rows)
    assert PHONE in (out / "train.jsonl").read_text("utf-8")  # --no-deidentify
    bad = subprocess.run([sys.executable, "-m", "workbench", "export", "--format", "nope", "--out", str(out)],
                         cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown format" in bad.stderr
    # Into the same folder again, or onto a file: refused in words, the old export left as it was.
    before = (out / "train.jsonl").read_bytes()
    for target, message in ((out, "is not empty"), (out / "train.jsonl", "is a file")):
        again = subprocess.run([sys.executable, "-m", "workbench", "export", "--format", "dpo", "--out", str(target)],
                               cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 2 and message in again.stderr and "Traceback" not in again.stderr
    assert (out / "train.jsonl").read_bytes() == before and not (out / "dpo").exists()


# --------------------------------------------------------------------------------------------------
# UI: admins only


@pytest.fixture
def ui(world):
    from rating_fixtures import test_config

    from workbench.services import build_services
    from workbench.ui.export_tab import ExportActions

    svc = build_services(test_config(world["db"]), auth_enabled=True)
    yield svc, ExportActions(svc)
    svc.close()


def test_export_actions_refuse_non_admins(ui, tmp_path):
    import tempfile

    from workbench.ui.export_tab import ExportRefused

    svc, actions = ui
    before = set(Path(tempfile.gettempdir()).glob("workbench-export-*"))
    for who in ("ann_a", None, "nobody"):
        req = SimpleNamespace(username=who)
        with pytest.raises(AuthError):
            actions.run(req, ["sft"], ExportFilters())
        with pytest.raises(ExportRefused):
            actions.choices(req)
    assert set(Path(tempfile.gettempdir()).glob("workbench-export-*")) == before  # nothing written


def test_export_tab_handlers_refuse_non_admins_and_serve_admins(ui):
    import zipfile

    import gradio as gr

    from workbench.ui.export_tab import build_export_tab
    from workbench.ui.i18n import Localizer

    svc, _ = ui
    with gr.Blocks():
        tab = build_export_tab(svc, Localizer())
    annotator, admin = SimpleNamespace(username="ann_a"), SimpleNamespace(username="boss")
    values = (["bianque_csv", "tables_parquet"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
    with pytest.raises(gr.Error):
        tab["on_export"](annotator, *values)
    shown = tab["on_load"](annotator)
    assert shown[tab["panel"]]["visible"] is False and shown[tab["notice"]]["visible"] is True
    shown = tab["on_load"](admin)
    assert shown[tab["panel"]]["visible"] is True
    # (label, value): the label with bidirectional controls made visible, the value as stored
    assert shown[tab["annotators"]]["choices"] == [(n, n) for n in ("ann_a", "ann_b", "ann_c")]  # boss rated nothing
    assert shown[tab["datasets"]]["choices"] == [("demo-set", "demo-set")]
    out = tab["on_export"](admin, *values)
    key = re.search(r'href="workbench-export/([^"]+)"', out[tab["download"]]).group(1)
    assert svc.exports.find(key, "ann_a") is None  # bound to the admin who made it
    zpath = svc.exports.find(key, "boss").path
    assert zpath.stat().st_mode & 0o777 == 0o600 and zpath.parent.stat().st_mode & 0o777 == 0o700
    with zipfile.ZipFile(zpath) as z:
        names = set(z.namelist())
    assert {"bianque_csv/train.csv", "bianque_csv/README.md", "tables_parquet/generations.parquet"} <= names
    preview = out[tab["preview"]]
    assert len(preview) == 4 and list(preview.columns[:2]) == ["input", "target"]
    assert all(isinstance(v, str) for v in preview.to_numpy().ravel())
    assert PHONE not in " ".join(preview["input"])  # de-identified by default
    assert "4 rows" in out[tab["summary"]]


def test_export_endpoint_over_http_admins_only(ui):
    """The real server with logins: an annotator calling the API directly is refused; an admin gets the zip."""
    import io
    import zipfile

    import httpx
    from gradio_clients import Client
    from ui_server import running_app

    svc, _ = ui
    with running_app(svc, auth=True) as url:
        args = (["sft"], None, None, None, 4.0, [], False, [], [], "", "", True, "")
        client = Client(url, auth=("ann_a", "secret-pass-ann_a"), verbose=False)
        with pytest.raises(Exception, match="researchers and admins only"):
            client.predict(*args, api_name="/export_run")
        admin = Client(url, auth=("boss", "secret-pass-boss"), verbose=False)
        summary, preview, link = admin.predict(*args, api_name="/export_run")
        assert "sft: 4 rows" in summary
        assert "de-identification: on" in summary and "\n  train.jsonl (" in summary  # named inside the zip
        href = re.search(r'href="([^"]+)"', link).group(1)
        with httpx.Client(base_url=url, timeout=30) as http:
            # The annotator's session cannot fetch the admin's export, by its link or anything else.
            assert http.get(href, cookies=client.cookies).status_code == 403
            assert http.get(href).status_code == 401
            got = http.get(href, cookies=admin.cookies)
            assert got.status_code == 200
            assert http.get(href, cookies=admin.cookies).status_code == 404  # deleted after the download
            # The same export for a session that chose Chinese: the summary speaks Chinese.
            zh = Client(url, auth=("boss", "secret-pass-boss"), verbose=False)
            zh.cookies["wb_lang"] = "zh"  # what the language switch sets in a browser
            zh_summary, _, zh_link = zh.predict(*args, api_name="/export_run")
            assert "sft：4 行" in zh_summary and "去标识化：开启" in zh_summary
            zh_href = re.search(r'href="([^"]+)"', zh_link).group(1)
            assert http.get(zh_href, cookies=zh.cookies).status_code == 200
        with zipfile.ZipFile(io.BytesIO(got.content)) as z:
            rows = [json.loads(x) for x in z.read("train.jsonl").decode("utf-8").splitlines()]
        assert len(rows) == 4 and PHONE not in json.dumps(rows, ensure_ascii=False)
        # Nothing left in the vault: the file is deleted once its response has been sent.
        deadline = time.monotonic() + 20
        while list(svc.exports.root.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not list(svc.exports.root.iterdir())


def test_an_export_through_the_server_searches_on_two_cores_as_on_one(ui, monkeypatch, forks):
    """The server forks from the thread that runs the export (workbench.export.detect_in_two, forced on for this
    small world): the files are those of one process, and no child is left behind."""
    import io
    import zipfile

    import httpx
    import psutil
    from gradio_clients import Client
    from ui_server import running_app

    from workbench import privacy
    from workbench.export import detect_in_two

    svc, _ = ui
    args = (["sft", "bianque_jsonl"], None, None, None, 4.0, [], False, [], [], "", "", True, "")

    def export() -> dict[str, bytes]:
        privacy.detect.cache_clear()
        privacy._deidentify_alone.cache_clear()
        admin = Client(url, auth=("boss", "secret-pass-boss"), verbose=False)
        _summary, _preview, link = admin.predict(*args, api_name="/export_run")
        href = re.search(r'href="([^"]+)"', link).group(1)
        with httpx.Client(base_url=url, timeout=30) as http:
            got = http.get(href, cookies=admin.cookies)
        assert got.status_code == 200
        with zipfile.ZipFile(io.BytesIO(got.content)) as z:
            return {n: z.read(n) for n in z.namelist() if not n.endswith("README.md")}  # a card says when

    with running_app(svc, auth=True) as url:
        monkeypatch.setattr(detect_in_two, "MIN_CHARS", 0)
        two = export()
        assert forks
        monkeypatch.setattr(detect_in_two, "MIN_CHARS", 10**12)
        del forks[:]
        one = export()
        assert not forks
    assert two == one
    assert PHONE not in b"".join(two.values()).decode("utf-8") and NAME not in b"".join(two.values()).decode("utf-8")
    assert not psutil.Process().children()


def test_the_tables_card_names_every_dataset_the_tables_hold_not_only_the_rated_ones(tmp_path):
    # The flat tables export every dialogue and reply in scope, rated or not: a dataset nobody rated is in
    # them, so its licence binds them and the card must name it (it named only the rated replies' sources).
    store = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    try:
        build_world(store)
        with store.session() as s:
            ds = Dataset(name="unrated-set", format="bianque_csv", meta={"license": "CC-BY-NC-4.0"})
            s.add(ds)
            s.flush()
            did = create_dialogue(s, (Turn(P, "咳嗽一周。"), Turn(D, "有没有发烧？")), source="dataset",
                                  dataset_id=ds.id, external_id="u-1", reference=True).id
            _gen(s, did, 1, A, "咳嗽有痰吗？", DATASET_DAY)
        export_from_store(store, ["tables_csv", "sft"], tmp_path / "out")
        tables_card = (tmp_path / "out" / "tables_csv" / "README.md").read_text("utf-8")
        assert "unrated-set" in tables_card and "CC-BY-NC-4.0" in tables_card and "demo-set" in tables_card
        rows = pd.read_csv(tmp_path / "out" / "tables_csv" / "generations.csv")
        assert "unrated-set" in set(rows["dataset"])
        # an export without the tables holds only rated replies: its card names only their datasets
        export_from_store(store, ["sft"], tmp_path / "sft-only")
        sft_card = (tmp_path / "sft-only" / "README.md").read_text("utf-8")
        assert "demo-set" in sft_card and "unrated-set" not in sft_card
    finally:
        store.dispose()


def test_the_preview_of_a_tables_format_names_its_file_and_columns(world, tmp_path):
    """Walk of session 71: tables_csv's preview put the generations table under the training formats' column names
    (Input, Target) and a title counting the rows of all its tables as if they were the rows shown. It now names the
    file it shows and says which reply each row is and its text; a training format keeps Input and Target."""
    from workbench.ui.export_tab import side_by_side_html

    reports = export_from_store(world["store"], ["tables_csv", "sft"], tmp_path)
    tables, sft = reports["tables_csv"], reports["sft"]
    generations = len(pd.read_csv(tmp_path / "tables_csv" / "generations.csv"))
    assert 0 < generations < tables.rows  # the format's rows count its other tables too
    for lang, (which, text, inp, target) in {"en": ("Which reply", "Text", "Input", "Target"),
                                             "zh": ("哪条回复", "文本", "输入", "目标")}.items():
        page = side_by_side_html({"tables_csv": tables, "sft": sft}, lang)
        head_tables, head_sft = page.split('id="export-preview-sft-title"')
        assert "generations.csv" in head_tables and f"{which}</th>" in head_tables and f"{text}</th>" in head_tables
        assert f"{inp}</th>" not in head_tables
        assert f"{inp}</th>" in head_sft and f"{target}</th>" in head_sft and "generations.csv" not in head_sft
