"""The KTO and BianQue writers against straightforward references on random hostile inputs (issue 18).

* KTO streams its rows and encodes each as it comes (``kto.write``); the reference encodes every row of
  ``kto.kto_rows`` whole: ``{"prompt", "completion", "label", "metadata"}`` with orjson.
* The BianQue CSV reads the metadata dicts in one pass and transposes them; the reference is ``csv.writer``
  over the rows, each cell neutralised.

The files are read back as their users read them: KTO with ``datasets`` (labels booleans), the CSV with pandas.
"""

from __future__ import annotations

import dataclasses
import random

import orjson
from csv_reference import csv_writer_bytes
from test_export_dpo_kto_paths import _world

from workbench.csv_safety import neutralise
from workbench.export import ExportContext, ExportFilters, bianque, kto
from workbench.export.api import write_format
from workbench.scope import Scope

OPTIONS = {
    "plain": {"filters": ExportFilters(), "deidentify": False},
    "deid_system_prompt": {"filters": ExportFilters(), "system_prompt": '系统 "提示"\n=1+1'},
    "annotators": {"filters": ExportFilters(scope=Scope(annotators=("ann1", "x,y", "😀")), kto_threshold=2.0)},
    "turn_types": {"filters": ExportFilters(scope=Scope(turn_types=("question",)), use_preferences=False)},
    "no_corrections": {"filters": ExportFilters(use_corrections=False, score_threshold=None)},
}


def _with_axes(cands: list, names: tuple[str, ...], seed: int) -> list:
    """Further rubric axes on some ratings (names that clash with the metadata's keys too)."""
    rng = random.Random(seed)
    return [dataclasses.replace(c, ratings=[dataclasses.replace(r, extra_scores=tuple(
        (n, rng.choice([None, 1.0, -0.0, 4.5])) for n in names)) for r in c.ratings]) if rng.random() < 0.5 else c
        for c in cands]


def _self_corrected(cands: list, seed: int) -> list:
    """Some low ratings whose correction is the reply itself: rows the ratings call undesirable and a correction
    wrote (contradictions, left out)."""
    rng = random.Random(seed)
    return [dataclasses.replace(c, ratings=[dataclasses.replace(c.ratings[0], questioning=1.0, suggestion=1.0,
                                                                corrected_reply=c.output), *c.ratings[1:]])
            if c.ratings and c.output.strip() and rng.random() < 0.2 else c for c in cands]


def _contexts():
    for seed in (11, 12):
        for name, opt in OPTIONS.items():
            yield f"{seed}/{name}", ExportContext.build(_world(seed), opt["filters"], deidentify=opt.get("deidentify", True),
                                                        system_prompt=opt.get("system_prompt"))
    yield "self_corrected", ExportContext.build(_self_corrected(_world(15), 15), deidentify=False)
    yield "axes", ExportContext.build(_with_axes(_world(13), ("empathy", "label", "model"), 13), deidentify=False)


def _kto_reference(ctx: ExportContext) -> tuple[bytes, int, int]:
    rows, contradictions = kto.kto_rows(ctx)
    lines = [orjson.dumps({"prompt": orjson.loads(prompt), "completion": [{"role": "assistant", "content": completion}],
                           "label": label, "metadata": meta}) + b"\n" for prompt, completion, label, meta in rows]
    return b"".join(lines), sum(label for _, _, label, _ in rows), contradictions


def test_kto_file_equals_its_rows_encoded_whole(tmp_path):
    seen_contradictions = seen_pooled = 0
    for tag, ctx in _contexts():
        out = tmp_path / tag.replace("/", "_")
        rep = write_format(ctx, "kto", out)
        want, desirable, contradictions = _kto_reference(ctx)
        assert (out / "train.jsonl").read_bytes() == want, tag
        assert rep.rows == want.count(b"\n")
        assert f"{desirable} desirable / {rep.rows - desirable} undesirable" in rep.notes[0]
        assert any(f"{contradictions} completion(s) left out" in n for n in rep.notes) == bool(contradictions)
        seen_contradictions += contradictions
        seen_pooled += sum(1 for row in kto._distinct_completions(ctx).values() if len(row) == 3 and len(row[1]) > 1)
    assert seen_contradictions > 0 and seen_pooled > 20, "contradictions and pooled rows are exercised"


def test_bianque_csv_equals_csv_writer_over_its_rows(tmp_path):
    for tag, ctx in _contexts():
        out = tmp_path / tag.replace("/", "_")
        write_format(ctx, "bianque_csv", out)
        rows = bianque._rows(ctx)
        columns = [rows.inputs, rows.targets,
                   *([";".join(m[k]) if k == "annotators" else m[k] for m in rows.metadata] for k in bianque.META_COLUMNS)]
        want = csv_writer_bytes(["input", "target", *bianque.META_COLUMNS], columns, protect=True)
        assert (out / "train.csv").read_bytes() == want, tag


def test_files_read_back_as_their_users_read_them(tmp_path):
    import pandas as pd
    from datasets import load_dataset

    ctx = ExportContext.build(_world(14), ExportFilters(), deidentify=True, system_prompt="系统")
    write_format(ctx, "kto", tmp_path / "kto")
    write_format(ctx, "bianque_csv", tmp_path / "bq")
    rows, _ = kto.kto_rows(ctx)
    ds = load_dataset("json", data_files=str(tmp_path / "kto" / "train.jsonl"), split="train")
    assert ds.features["label"].dtype == "bool" and len(ds) == len(rows) > 50
    assert ds["label"] == [label for _, _, label, _ in rows]
    assert [m["annotators"] for m in ds["metadata"]] == [meta["annotators"] for *_, meta in rows]
    frame = pd.read_csv(tmp_path / "bq" / "train.csv", dtype=str, keep_default_na=False)
    bq = bianque._rows(ctx)
    assert list(frame.columns) == ["input", "target", *bianque.META_COLUMNS]
    assert len(frame) == len(bq.inputs) > 50
    assert list(frame["annotators"]) == [neutralise(";".join(m["annotators"])) for m in bq.metadata]
    assert list(frame["model"]) == [m["model"] for m in bq.metadata]
