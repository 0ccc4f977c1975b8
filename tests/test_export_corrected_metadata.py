"""A corrected reply is an annotator's text, not a model's: the training rows (BianQue, SFT) say so as the card
does (`generation_id` null, `model` `corrected`), and their per-model counts do not credit a model with it.
Every row whose `generation_id` is set has that stored reply's text as its target."""

from __future__ import annotations

import sqlite3

import pytest
from rating_fixtures import add_positions, claim, make_users

from workbench.annotate import workflow
from workbench.annotate.ratings import PreferenceForm, RatingForm
from workbench.annotate.rubric import load_rubric
from workbench.config import REPO_ROOT
from workbench.export import ExportFilters
from workbench.export.from_store import export_from_store
from workbench.store.engine import Store

CORRECTION = "-3 days 以来是否发烧？体温多少？"


@pytest.fixture
def exported(tmp_path):
    db = tmp_path / "w.db"
    store = Store(f"sqlite:///{db}")
    try:
        add_positions(store, 2)
        rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
        for u in make_users(store, "rater_a", "rater_b"):
            while (item_id := claim(store, u, 2)) is not None:
                def answers(item):
                    first = item.replies[0].generation_id
                    forms = {r.generation_id: RatingForm("question", {"questioning": 5, "suggestion": "na"}, False,
                                                         None, CORRECTION if r.generation_id == first else None)
                             for r in item.replies}
                    return forms, PreferenceForm("best", item.groups[1][0].generation_id)
                workflow.submit(store, u, item_id, answers, rubric=rubric, blind=True, k=2, claim=False)
        reports = export_from_store(store, ["bianque_jsonl", "sft"], tmp_path / "out", ExportFilters(),
                                    deidentify=False)
    finally:
        store.dispose()
    with sqlite3.connect(db) as c:
        outputs = dict(c.execute("select id, output from generations"))
    return tmp_path / "out", reports, outputs


def test_corrected_rows_name_no_model_reply(exported, tmp_path):
    from datasets import load_dataset

    out, reports, outputs = exported
    bq = load_dataset("json", data_files=str(out / "bianque_jsonl" / "train.jsonl"), split="train",
                      cache_dir=str(tmp_path / "hf"))
    sft = load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train",
                       cache_dir=str(tmp_path / "hf"))
    assert len(bq) == len(sft) == 2
    metas = [dict(r) for r in bq] + [r["metadata"] for r in sft]
    for m in metas:
        assert m["target_source"] == "corrected"
        assert m["generation_id"] is None and m["model"] == "corrected", m
    assert [r["target"] for r in bq] == [CORRECTION] * 2
    # what the card's "per model" figures read
    assert reports["sft"].by_model == {"corrected": 2} and reports["bianque_jsonl"].by_model == {"corrected": 2}


def test_a_row_with_a_generation_id_has_that_replys_text(exported, tmp_path):
    import pandas as pd

    out, _, outputs = exported
    rows = pd.read_json(out / "bianque_jsonl" / "train.jsonl", lines=True)
    for r in rows.itertuples():
        if pd.notna(r.generation_id):
            assert outputs[int(r.generation_id)] == r.target
