"""A BianQue-format export re-imports through the dataset import into the same dialogues."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from workbench.datasets import parse_dataset
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, RatingInfo, export

P, D = "patient", "doctor"

DIALOGUES = {
    "d1": [Turn(P, "头痛三天\n伴恶心"), Turn(D, "是哪个部位痛？\t前额还是后脑？"), Turn(P, "后脑\n一跳一跳的"),
           Turn(D, "建议：\n1. 测血压140/90以上及时就医；\n2. 布洛芬0.2g每天3次。")],
    "d2": [Turn(P, "孩子6岁，发烧38.5℃"), Turn(D, "精神怎么样？"), Turn(P, "还好"), Turn(D, "先物理降温。"),
           Turn(P, "要吃药吗"), Turn(D, "体温超过38.5℃可以用退烧药。")],
    "d3": [Turn(P, "失眠\t两周"), Turn(D, "入睡困难吗？")],
}


def candidates(reply=lambda did, i, gold: gold) -> list[ExportCandidate]:
    """Per doctor turn: a 'reference' column rated 5 whose output is ``reply(...)`` and a worse column."""
    out = []
    for did, turns in DIALOGUES.items():
        for i, t in enumerate(turns):
            if t.role != D:
                continue
            for col, text, score in (("ref", reply(did, i, t.text), 5.0), ("v1", "请多喝水。", 2.0)):
                out.append(ExportCandidate(f"{did}-{i}-{col}", did, "demo", i, turns[:i], col, col, text,
                                           "question", [RatingInfo("ann", score, score)], None))
    return out


@pytest.mark.parametrize("fmt,file", [("bianque_csv", "train.csv"), ("bianque_jsonl", "train.jsonl")])
@pytest.mark.parametrize("deid", [True, False])
def test_export_reimports_identically(tmp_path, fmt, file, deid):
    rep = export(candidates(), fmt, tmp_path, deidentify=deid)
    assert rep.rows == 6
    res = parse_dataset(tmp_path / file)
    assert res.warnings == []
    got = {d.external_id: d for d in res.dialogues}
    assert set(got) == set(DIALOGUES)
    for did, turns in DIALOGUES.items():
        assert got[did].turns == turns  # whole records: roles and texts with newlines and tabs
        assert len(got[did].source_rows) == sum(t.role == D for t in turns)
        assert got[did].metadata["column"] == "ref"


def test_prefix_grouping_without_ids(tmp_path):
    export(candidates(), "bianque_csv", tmp_path, deidentify=False)
    with (tmp_path / "train.csv").open(encoding="utf-8", newline="") as f:
        rows = [(r["input"], r["target"]) for r in csv.DictReader(f)]
    plain = tmp_path / "plain.csv"
    with plain.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["input", "target"])
        w.writerows(rows)
    res = parse_dataset(plain)
    assert sorted((d.turns for d in res.dialogues), key=len) == sorted(DIALOGUES.values(), key=len)
    assert all(d.external_id is None for d in res.dialogues)


def test_non_reference_targets_reimport_as_their_own_records(tmp_path):
    # The chosen reply differs from the gold one, so a later row does not continue an earlier row:
    # every exported record must come back as history + its target.
    export(candidates(lambda did, i, gold: f"改写{did}-{i}：\n{gold}"), "bianque_jsonl", tmp_path, deidentify=False)
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text("utf-8").splitlines()]
    res = parse_dataset(tmp_path / "train.jsonl")
    expected = sorted(
        ((str(did), tuple(turns[:i]) + (Turn(D, f"改写{did}-{i}：\n{t.text}"),))
         for did, turns in DIALOGUES.items() for i, t in enumerate(turns) if t.role == D),
        key=lambda x: (x[0], len(x[1])),
    )
    got = sorted(((d.external_id.split("#")[0], tuple(d.turns)) for d in res.dialogues),
                 key=lambda x: (x[0], len(x[1])))
    assert got == expected
    assert len(res.dialogues) == len(rows)


def test_deidentified_export_reimports_with_tokens(tmp_path):
    turns = [Turn(P, "我叫李明，手机13912345678，血压150/95"), Turn(D, "李明您好，请问头晕吗？")]
    cands = [ExportCandidate("g", "x", None, 1, turns[:1], "ref", "ref", turns[1].text, None,
                             [RatingInfo("a", 5.0, 5.0)])]
    export(cands, "bianque_csv", tmp_path)
    [d] = parse_dataset(Path(tmp_path) / "train.csv").dialogues
    assert d.turns == [Turn(P, "我叫[姓名]，手机[电话]，血压150/95"), Turn(D, "[姓名]您好，请问头晕吗？")]
