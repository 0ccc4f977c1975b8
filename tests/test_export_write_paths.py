"""The export's fast write paths against straightforward references, on random hostile inputs (issue 18).

* DPO lines are spliced from JSON pieces encoded once (``dpo._write_pairs``); the reference encodes each
  line's whole dict at once, as the writer did before.
* The BianQue CSV is built a column at a time (``csv_columns.csv_bytes``); the reference is ``csv.writer``
  with ``neutralise`` on every text cell, here on larger columns than the unit tests use: long texts,
  emoji, formula starts, quotes and line breaks in a few cells only, str enums, NaN and signed zeros.
* The tables' columns are read from each record's ``__dict__`` (``tables.table_columns``); the reference
  reads every attribute by name.

Each output is also read back as its consumers read it (pandas, ``datasets``).
"""

from __future__ import annotations

import io
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from tests.csv_reference import csv_writer_bytes
from workbench.csv_safety import neutralise
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, ExportContext, ExportFilters, RatingInfo, dpo, tables
from workbench.export._json import dumpb
from workbench.export.csv_columns import csv_bytes
from workbench.vocab import TurnType

HOSTILE = ("=1+1", "+", "-", "@x", "'=y", '"quoted"', "a,b", "line\nbreak", "cr\rhere", "\ttab", "😀👩‍⚕️",
           "", " ", "C:\\new", "None", "nan", "医生您好", "长" * 3000, '=HYPERLINK("http://x")', "\u2028sep")


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 3)))


def _world(rng: random.Random, text_ids: bool) -> list[ExportCandidate]:
    out = []
    for d in range(40):
        did = f"d{d}" if text_ids else d
        history: list[Turn] = []
        for k in range(3):
            history.append(Turn("patient", _text(rng) + f"第{k}次"))
            hist = tuple(history)
            turn = []
            for j in range(rng.randint(1, 4)):
                ratings = [RatingInfo(a, rng.choice([None, 1.0, 2.0, 3.5, 5.0, float("nan"), -0.0]),
                                      rng.choice([None, 1.0, 4.0, 5.0]),
                                      rng.choice([None, "question", TurnType.SUGGESTION, _text(rng)]),
                                      rng.random() < 0.1, rng.choice([None, _text(rng)]),
                                      _text(rng) + "改" if rng.random() < 0.2 else None,
                                      datetime(2025, 1, 1) + timedelta(hours=rng.randint(0, 99)),
                                      (("empathy", rng.choice([None, 2.0])),) if rng.random() < 0.2 else ())
                           for a in rng.sample(["ann1", "ann2", "x,y", "=evil", "😀"], rng.randint(0, 3))]
                gid = f"g{d}-{k}-{j}" if text_ids else 100 * d + 10 * k + j
                turn.append(ExportCandidate(gid, did, rng.choice([None, "set", "=set"]), 2 * k + 1,
                                            hist if rng.random() < 0.8 else list(hist), rng.choice(["c1", "c,2"]),
                                            rng.choice(["m1", '"m2"']), _text(rng) + f"r{j}" * (rng.random() < 0.8),
                                            rng.choice([None, "question"]), ratings,
                                            rng.choice([None, 0.25, float("nan")]),
                                            created_at=datetime(2025, 1, 1) + timedelta(minutes=d)))
            winner = rng.randrange(len(turn))
            voters = rng.sample(["ann1", "ann2", "ann3"], rng.randint(0, 2))
            out.extend(ExportCandidate(**{**c.__dict__, "preferred_by": voters if i == winner else [],
                                          "dispreferred_by": [] if i == winner else voters})
                       for i, c in enumerate(turn))
            history.append(Turn("doctor", _text(rng)))
    return out


def _reference_lines(pairs: list[dpo.PreferencePair]) -> bytes:
    """Each DPO line as one encoding of its whole dict (the writer before it spliced pieces)."""
    lines = []
    for p in pairs:
        meta = {"dialogue_id": p.dialogue_id, "turn_index": p.turn_index, "dataset": p.prompt_candidate.dataset,
                "pair_source": p.source, "turn_type": p.turn_type, "annotators": list(p.votes_for),
                "annotators_against": list(p.votes_against), "chosen": dpo._side(p.chosen),
                "rejected": dpo._side(p.rejected)}
        line = {"prompt": json.loads(p.prompt), "chosen": [{"role": "assistant", "content": p.chosen_text}],
                "rejected": [{"role": "assistant", "content": p.rejected[0].output}], "metadata": meta}
        lines.append(dumpb(line) + b"\n")
    return b"".join(lines)


def test_dpo_lines_spliced_from_pieces_equal_one_encoding_per_line(tmp_path):
    for seed, text_ids in ((1, False), (2, True), (3, False)):
        rng = random.Random(seed)
        cands = _world(rng, text_ids)
        ctx = ExportContext.build(cands, ExportFilters(), deidentify=False,
                                  system_prompt='系统 "提示", =1' if seed == 3 else None)
        pairs = dpo.dpo_pairs(ctx)
        assert {p.source for p in pairs} == {"preference", "correction"}, "both kinds of pair are exercised"
        buf = io.BytesIO()
        dpo._write_pairs(buf, pairs)
        assert buf.getvalue() == _reference_lines(pairs)
    # as TRL's DPOTrainer reads it: conversational prompt/chosen/rejected columns
    from datasets import load_dataset

    path = tmp_path / "train.jsonl"
    path.write_bytes(buf.getvalue())
    ds = load_dataset("json", data_files=str(path), split="train")
    assert len(ds) == len(pairs)
    row = ds[0]
    assert row["chosen"][0]["role"] == "assistant" and row["rejected"][0]["role"] == "assistant"
    assert row["prompt"][-1]["role"] == "user"
    assert row["chosen"][0]["content"] == pairs[0].chosen_text


def test_large_hostile_csv_columns_are_written_as_csv_writer_writes_them(tmp_path):
    rng = random.Random(11)
    n = 3000
    plain = [f"text {i}" for i in range(n)]
    rare = list(plain)
    for i in rng.sample(range(n), 3):  # one hostile cell among thousands of harmless ones
        rare[i] = rng.choice(['=SUM(A1)', 'a "quote"', "a,b", "x\ny", "\r", "''-1"])
    columns = [
        [_text(rng) for _ in range(n)],
        rare,
        plain,
        [rng.choice([None, 1.0, 2.5, 1 / 3, float("nan"), -0.0, 0.0, 1e20, 1e-7]) for _ in range(n)],
        [rng.random() for _ in range(n)],  # distinct floats
        [rng.choice([1.0, 2.0, 3.0, None]) for _ in range(n)],  # repeated floats
        [rng.randint(-10**12, 10**12) for _ in range(n)],
        [rng.choice([None, 3, 4]) for _ in range(n)],
        [rng.choice([TurnType.QUESTION, "question", None, "=x"]) for _ in range(n)],
        [rng.choice([TurnType.QUESTION, TurnType.MIXED]) for _ in range(n)],
        [rng.choice([True, False, None, 1.5, "-2"]) for _ in range(n)],
        [None] * n,
    ]
    header = [f"h{i}" for i in range(len(columns) - 1)] + ["a,\"b\""]
    for protect in (False, True):
        got = csv_bytes(header, columns, protect)
        assert got == csv_writer_bytes(header, columns, protect)
    path = tmp_path / "t.csv"
    path.write_bytes(got)
    back = pd.read_csv(path, keep_default_na=False, dtype=str)
    assert back.shape == (n, len(columns))
    assert back.iloc[:, 2].tolist() == plain


def _reference_fields(objects: list, names: tuple[str, ...]) -> dict[str, list]:
    return {name: [getattr(o, name) for o in objects] for name in names}


def _same(got: list, want: list) -> bool:
    """The same objects in the same order (``==`` would call two NaNs different)."""
    return len(got) == len(want) and all(a is b for a, b in zip(got, want, strict=True))


def test_table_columns_read_from_records_equal_attribute_reads():
    rng = random.Random(5)
    cands = _world(rng, text_ids=True)
    cols = tables.table_columns(cands)
    gen_fields = ("generation_id", "dialogue_id", "dataset", "turn_index", "column", "model", "output",
                  "turn_type_auto", "agreement", "created_at")
    want = _reference_fields(cands, gen_fields)
    for name in gen_fields:
        assert _same(cols["generations"][name], want[name]), name
    ratings = [r for c in cands for r in c.ratings]
    assert cols["ratings"]["generation_id"] == [c.generation_id for c in cands for _ in c.ratings]
    rating_fields = ("annotator", "questioning", "suggestion", "turn_type", "safety_flag", "comment",
                     "corrected_reply", "created_at")
    want = _reference_fields(ratings, rating_fields)
    for name in rating_fields:
        assert _same(cols["ratings"][name], want[name]), name

    class Slotted:
        __slots__ = ("a",)

        def __init__(self, a: object) -> None:
            self.a = a

    assert tables._fields([Slotted(1), Slotted("x")], ("a",)) == {"a": [1, "x"]}


def test_the_bianque_csv_reads_back_with_pandas(tmp_path: Path):
    rng = random.Random(8)
    cands = _world(rng, text_ids=False)
    ctx = ExportContext.build(cands, ExportFilters(score_threshold=1.0), deidentify=False)
    from workbench.export import bianque

    bianque.write_csv(ctx, tmp_path)
    back = pd.read_csv(tmp_path / "train.csv", keep_default_na=False, dtype=str)
    rows = bianque._rows(ctx)
    inputs, targets = rows.inputs, rows.targets
    assert len(back) == len(inputs) > 10
    assert back["target"].tolist() == [str(neutralise(t)) for t in targets]
    assert back["input"].tolist() == [str(neutralise(t)) for t in inputs]
