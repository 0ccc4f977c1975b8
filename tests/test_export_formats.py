from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from workbench.dialogue import Turn
from workbench.export import (
    WRITERS,
    ExportCandidate,
    ExportContext,
    ExportFilters,
    PreferenceOutcome,
    RatingInfo,
    export,
    export_all,
)
from workbench.export.dpo import dpo_pairs
from workbench.export.registry import UnknownFormatError

P, D = "patient", "doctor"
TRACE = ("dialogue_id", "turn_index", "annotators")


def world() -> list[ExportCandidate]:
    """Two dialogues, two doctor turns each, three columns per turn, with personal data in one history."""
    out = []
    gold = {
        1: [Turn(P, "我叫王建国，电话13812345678。\n头痛三天"), Turn(D, "头痛在哪个部位？"), Turn(P, "后脑勺\t胀痛")],
        2: [Turn(P, "孩子发烧38.5℃"), Turn(D, "孩子几岁？"), Turn(P, "6岁")],
    }
    for did, turns in gold.items():
        for turn_index, hist in ((1, turns[:1]), (3, turns)):
            for j, (col, model) in enumerate([("v1", "BianQue-1.0"), ("v2", "BianQue-2.0"), ("hy", "hybrid")]):
                score = [5.0, 3.0, 1.0][j]
                out.append(ExportCandidate(
                    generation_id=f"{did}-{turn_index}-{col}", dialogue_id=did, dataset="demo", turn_index=turn_index,
                    history=list(hist), column=col, model=model,
                    output=f"{model}的回复：\n请问王建国还有别的症状吗？" if did == 1 else f"{model}：多喝水",
                    turn_type_auto="question",
                    ratings=[RatingInfo("ann1", score, score, "question", j == 2, "好" if j == 0 else None, None,
                                        datetime(2025, 1, 2)),
                             RatingInfo("ann2", score, score - 1 if score > 1 else 1, "question", False, None,
                                        "请描述头痛的性质。" if (j == 2 and did == 1) else None, datetime(2025, 1, 3))],
                    agreement=0.7, preferred_by=["ann1"] if j == 0 else [],
                    dispreferred_by=["ann1"] if j else [], created_at=datetime(2025, 1, 1),
                ))
    return out


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("exports")
    reports = export_all(world(), list(WRITERS), out, ExportFilters(), system_prompt="你是医生")
    return out, reports


def test_every_format_writes_files_and_a_card(exported):
    out, reports = exported
    assert set(reports) == set(WRITERS)
    for name, rep in reports.items():
        assert rep.rows > 0, name
        for f in rep.files:
            assert f.exists() and f.stat().st_size > 0
        card = (out / name / "README.md").read_text("utf-8")
        assert "Counts per model" in card and "Counts per turn type" in card
        assert '"score_threshold": 4.0' in card  # the exact filters
        assert "De-identification: **on**" in card
        deid = json.loads((out / name / "deid_report.json").read_text("utf-8"))
        assert deid["by_kind"]["phone"] >= 1 and deid["by_kind"]["name"] >= 1


def test_bianque_files_load_with_pandas_and_datasets(exported, tmp_path):
    import datasets

    out, reports = exported
    df = pd.read_csv(out / "bianque_csv" / "train.csv", dtype=str, keep_default_na=False)
    assert len(df) == reports["bianque_csv"].rows == 4
    assert all(s.endswith("医生：") for s in df["input"])
    assert not any("\n" in s or "\t" in s for s in list(df["input"]) + list(df["target"]))
    assert "\\n" in df["input"].iloc[0] and "\\t" in df.loc[df.turn_index == "3", "input"].iloc[0]
    for k in ("dialogue_id", "column", "model", "annotators", "questioning", "suggestion", "agreement"):
        assert k in df.columns and (df[k] != "").all(), k
    ds = datasets.load_dataset("json", data_files=str(out / "bianque_jsonl" / "train.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 4 and list(ds["input"]) == list(df["input"])


def test_deidentification_applies_everywhere_by_default(exported):
    out, _ = exported
    for name in ("bianque_csv", "bianque_jsonl", "sft", "dpo", "kto", "tables_csv"):
        text = "".join(f.read_text("utf-8") for f in (out / name).iterdir() if f.suffix in (".csv", ".jsonl"))
        assert "13812345678" not in text and "王建国" not in text, name
        assert "[电话]" in text and "[姓名]" in text, name
    # Medical text is unchanged.
    assert "38.5℃" in (out / "sft" / "train.jsonl").read_text("utf-8")


def test_deidentify_false_keeps_texts(tmp_path):
    rep = export(world(), "sft", tmp_path, deidentify=False)
    assert "13812345678" in (tmp_path / "train.jsonl").read_text("utf-8")
    assert rep.deid.enabled is False


def test_sft_is_trl_conversational(exported, tmp_path):
    import datasets

    out, _ = exported
    rows = load_jsonl(out / "sft" / "train.jsonl")
    for row in rows:
        roles = [m["role"] for m in row["messages"]]
        assert roles[0] == "system" and roles[-1] == "assistant"
        assert roles[1:] == ["user", "assistant"] * (len(roles[1:]) // 2)
        assert all(k in row["metadata"] for k in TRACE)
    ds = datasets.load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == len(rows) == 4
    # The corrected reply wins at dialogue 1 turn 1 (ann2 corrected the hybrid reply).
    d1t1 = [r for r in rows if r["metadata"]["dialogue_id"] == 1 and r["metadata"]["turn_index"] == 1][0]
    assert d1t1["messages"][-1]["content"] == "请描述头痛的性质。"
    assert d1t1["metadata"]["target_source"] == "corrected"


def test_kto_labels_follow_scores(exported):
    out, _ = exported
    cut = ExportFilters().kto_cut
    by_id = {c.generation_id: c for c in world()}
    rows = load_jsonl(out / "kto" / "train.jsonl")
    rated = [r for r in rows if r["metadata"]["target_source"] == "rated"]
    assert len(rated) == len(by_id)
    for r in rated:
        c = by_id[r["metadata"]["generation_id"]]
        q = sum(x.questioning for x in c.ratings) / len(c.ratings)
        s = sum(x.suggestion for x in c.ratings) / len(c.ratings)
        assert r["label"] is (((q + s) / 2 >= cut) and not any(x.safety_flag for x in c.ratings))
        assert r["completion"][0]["role"] == "assistant"
    assert any(r["label"] for r in rows) and not all(r["label"] for r in rows)
    assert all(r["label"] for r in rows if r["metadata"]["target_source"] == "corrected")


def test_tables_load_back(exported):
    out, _ = exported
    for ext, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        folder = out / f"tables_{ext}"
        gens = read(folder / f"generations.{ext}")
        ratings = read(folder / f"ratings.{ext}")
        dialogues = read(folder / f"dialogues.{ext}")
        annotators = read(folder / f"annotators.{ext}")
        assert len(gens) == 12 and len(ratings) == 24 and len(dialogues) == 6
        assert sorted(annotators["annotator"]) == ["ann1", "ann2"]
        assert set(annotators["n_ratings"]) == {12}
        assert "[姓名]" in " ".join(dialogues["text"])


def test_tables_from_lead_dataframes_are_deidentified(tmp_path):
    tables = {"ratings": pd.DataFrame({"generation_id": ["13812345678"], "comment": ["病人电话13812345678"]})}
    export([], "tables_csv", tmp_path, tables=tables)
    df = pd.read_csv(tmp_path / "ratings.csv", dtype=str)
    assert df["comment"][0] == "病人电话[电话]"
    assert df["generation_id"][0] == "13812345678"  # identifier columns are left alone


def test_unknown_format(tmp_path):
    with pytest.raises(UnknownFormatError):
        export(world(), "alpaca", tmp_path)


def _random_turns(rng: random.Random, n_turns: int, n_cols: int):
    cands, prefs = [], []
    for t in range(n_turns):
        ids = [f"t{t}c{j}" for j in range(n_cols)]
        for j, gid in enumerate(ids):
            cands.append(ExportCandidate(gid, t, "demo", 1, [Turn(P, f"问题{t}")], f"c{j}", f"m{j}", f"回答{t}-{j}",
                                         "question", [RatingInfo("a", 4.0, 4.0)], 0.5))
        for ann in ("x", "y", "z"):
            order = ids[:]
            rng.shuffle(order)
            if rng.random() < 0.5:
                prefs.append(PreferenceOutcome.winner(ann, t, 1, order[0], order[1:]))
            else:
                prefs.append(PreferenceOutcome(ann, t, 1, [[g] for g in order]))
    return cands, prefs


def test_dpo_pairs_follow_the_preferences(tmp_path):
    rng = random.Random(7)
    cands, prefs = _random_turns(rng, 40, 4)
    # Independent count: rank position per annotator (a "winner" outcome ties all losers).
    beats: dict[tuple, int] = defaultdict(int)
    for p in prefs:
        pos = {g: i for i, tier in enumerate(p.ranking) for g in tier}
        for a in pos:
            for b in pos:
                if pos[a] < pos[b]:
                    beats[(a, b)] += 1
    expected = {(a, b) for (a, b), n in beats.items() if n > beats.get((b, a), 0)}
    ctx = ExportContext.build(cands, ExportFilters(), deidentify=False, preferences=prefs)
    got = {(p.chosen[0].generation_id, p.rejected[0].generation_id) for p in dpo_pairs(ctx)}
    assert got == expected
    rep = export(cands, "dpo", tmp_path, preferences=prefs, deidentify=False)
    rows = load_jsonl(tmp_path / "train.jsonl")
    assert rep.rows == len(rows) == len(expected)
    for row in rows:
        ch, rj = row["metadata"]["chosen"]["generation_id"], row["metadata"]["rejected"]["generation_id"]
        assert (ch, rj) in expected
        assert len(row["metadata"]["annotators"]) > len(row["metadata"]["annotators_against"])
        assert row["prompt"] == [{"role": "user", "content": f"问题{row['metadata']['dialogue_id']}"}]
        assert row["chosen"][0]["content"] == f"回答{ch.split('c')[0][1:]}-{ch.split('c')[1]}"


def test_dpo_from_candidate_votes_and_corrections(exported):
    out, _ = exported
    rows = load_jsonl(out / "dpo" / "train.jsonl")
    pref = [r for r in rows if r["metadata"]["pair_source"] == "preference"]
    # ann1 preferred v1 over v2 and hy at each of the 4 turns.
    assert {(r["metadata"]["chosen"]["column"], r["metadata"]["rejected"]["column"]) for r in pref} == {
        ("v1", "v2"), ("v1", "hy")}
    assert len(pref) == 8
    corr = [r for r in rows if r["metadata"]["pair_source"] == "correction"]
    assert corr and all(r["chosen"][0]["content"] == "请描述头痛的性质。" for r in corr)
    # The corrected reply beats the reply it corrects and the low-rated (<= 2.5) replies of that turn only.
    assert {r["metadata"]["rejected"]["column"] for r in corr} == {"hy"}


def test_bianque_csv_metadata_columns(exported):
    out, _ = exported
    with (out / "bianque_csv" / "train.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["column"] for r in rows} == {"v1", "hy"}
    assert all(r["annotators"] for r in rows)


def test_dpo_never_pairs_answers_to_different_threads():
    """In a live chat each column has its own history: v1 and v2 answered different conversations."""
    cands = [c for c in world() if c.dialogue_id == 2 and c.turn_index == 3 and c.column in ("v1", "v2")]
    own = [Turn(P, "孩子发烧38.5℃"), Turn(D, "v2 asked something else"), Turn(P, "6岁")]
    diverged = [cands[0], ExportCandidate(**{**cands[1].__dict__, "history": own})]
    same = ExportContext.build(cands, ExportFilters(), deidentify=False)
    split = ExportContext.build(diverged, ExportFilters(), deidentify=False)
    assert [(p.chosen[0].column, p.rejected[0].column) for p in dpo_pairs(same)] == [("v1", "v2")]
    assert dpo_pairs(split) == []


def test_an_empty_reply_is_no_target_pair_or_completion_but_its_correction_is(tmp_path):
    """A model wrote nothing (stored as ok); an annotator preferred it and scored it high anyway: it was exported as
    an SFT target, a KTO completion and an empty BianQue target (a file the importer refuses). Now an empty reply
    is never training text; the next best reply of its turn is the target, and a correction of it still counts."""
    from dataclasses import replace

    def emptied(c: ExportCandidate) -> ExportCandidate:
        if c.generation_id == "1-1-v1":
            return replace(c, output="  \n")
        if c.generation_id == "2-3-v1":
            return replace(c, output="", ratings=[replace(c.ratings[0], corrected_reply="孩子精神怎么样？"),
                                                  *c.ratings[1:]])
        return c

    cands = [emptied(c) for c in world()]
    reports = export_all(cands, list(WRITERS), tmp_path, ExportFilters(), system_prompt="你是医生")
    assert all(r.rows > 0 for r in reports.values())
    rows = load_jsonl(tmp_path / "bianque_jsonl" / "train.jsonl")
    assert rows and all(r["target"].strip() for r in rows)
    assert "孩子精神怎么样？" in {r["target"] for r in rows}  # the correction of the empty reply
    with (tmp_path / "bianque_csv" / "train.csv").open(encoding="utf-8-sig", newline="") as f:
        assert all(r["target"].strip() for r in csv.DictReader(f))
    for r in load_jsonl(tmp_path / "sft" / "train.jsonl"):
        assert all(m["content"].strip() for m in r["messages"] if m["role"] == "assistant")
    for r in load_jsonl(tmp_path / "kto" / "train.jsonl"):
        assert "".join(m["content"] for m in r["completion"]).strip()
    for r in load_jsonl(tmp_path / "dpo" / "train.jsonl"):
        assert "".join(m["content"] for m in r["chosen"]).strip() and "".join(m["content"] for m in r["rejected"]).strip()
