"""Adding a rubric axis takes only a rubric.yaml change: the README's ``empathy`` example, end to end.

A three-axis rubric (the shipped one plus the snippet below, exactly as the README shows it) is rated
through the service and through the Rate tab's JSON API, validated, stored, versioned, exported and
analysed, with no migration and no code change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from gradio_clients import Client
from rating_fixtures import add_positions, make_users
from sqlalchemy import select
from ui_server import running_app

from workbench.analysis.agreement import agreement_table
from workbench.analysis.annotator_quality import annotator_quality
from workbench.analysis.from_store import load_frames
from workbench.analysis.scores import column_scores, scores_by_slot
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.ratings import RatingForm, preference_from_choice, rating_history, submit_item
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT, parse_config
from workbench.errors import InputError
from workbench.export.from_store import export_from_store, load_export
from workbench.services import build_services
from workbench.store.engine import Store
from workbench.store.schema import Rating

#: The README's example ("Adding a rubric axis"), verbatim: one more entry under ``axes:``.
EMPATHY_AXIS = """
- key: empathy
  name: {zh: 共情, en: Empathy}
  description:
    zh: 回复是否体谅患者的担忧，语气是否温和。
    en: Does the reply acknowledge the patient's worry, in a kind tone?
  scale: {min: 1, max: 5}
  allow_na: false
  levels:
    1: {zh: 冷漠或生硬, en: Cold or curt}
    2: {zh: 较少体谅, en: Little acknowledgement}
    3: {zh: 一般, en: Neutral}
    4: {zh: 体谅, en: Acknowledges the worry}
    5: {zh: 非常体贴, en: Warm and reassuring}
"""
COLUMNS = ("Col-A", "Col-B")


def three_axis_rubric(folder: Path) -> Path:
    data = yaml.safe_load((REPO_ROOT / "annotations" / "rubric.yaml").read_text(encoding="utf-8"))
    data["axes"] += yaml.safe_load(EMPATHY_AXIS)
    path = folder / "rubric.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def app(tmp_path):
    rubric_path = three_axis_rubric(tmp_path)
    cols = [{"name": c, "backend": "openai-compatible", "base_url": "http://127.0.0.1:9/v1", "model_name": "none",
             "timeout_s": 2} for c in COLUMNS]
    cfg = parse_config({"database_url": f"sqlite:///{tmp_path / 'axes.db'}", "columns": cols,
                        "annotation": {"annotators_per_item": 2, "users_file": None, "gold_rate": 0.0,
                                       "rubric": str(rubric_path),
                                       "guidelines": str(REPO_ROOT / "annotations" / "guidelines.md")}},
                       "<three axes>")
    store = Store(cfg.effective_database_url)
    add_positions(store, 2, COLUMNS)
    svc = build_services(cfg, store=store, auth_enabled=True)
    yield svc, load_rubric(rubric_path)
    svc.close()


def _client(url, user: str) -> Client:
    return Client(url, auth=(user, "secret-pass-" + user), verbose=False, analytics_enabled=False,
                  download_files=False, headers=getattr(url, "headers", {}))


def test_a_third_axis_is_rated_stored_versioned_exported_and_analysed(app, tmp_path):
    svc, rubric = app
    assert rubric.axis_keys == ("questioning", "suggestion", "empathy")
    ann_a, ann_b, admin = make_users(svc.store, "ann_a", "ann_b") + make_users(svc.store, "boss", role="admin")

    # 1. Through the service: empathy is validated (required, on its scale) and stored with the other axes.
    with svc.store.session() as s:
        sync_queue(s)
    with svc.store.session() as s:
        item_id = take_next(s, ann_a, 2).item_id
    with svc.store.session() as s:
        item = open_item(s, ann_a, item_id)
    pref = preference_from_choice(item, "tie")
    without = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA})
    with pytest.raises(InputError, match="reply A: missing empathy; reply B: missing empathy"), svc.store.session() as s:
        submit_item(s, ann_a, item_id, {r.generation_id: without for r in item.replies}, pref, rubric=rubric)
    off_scale = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA, "empathy": 9})
    with pytest.raises(InputError, match="empathy: score 9 is outside 1..5"), svc.store.session() as s:
        submit_item(s, ann_a, item_id, {r.generation_id: off_scale for r in item.replies}, pref, rubric=rubric)
    forms = {r.generation_id: RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA,
                                                                        "empathy": 2 + i})
             for i, r in enumerate(item.replies)}
    with svc.store.session() as s:
        submit_item(s, ann_a, item_id, forms, pref, rubric=rubric)
    first = item.replies[0].generation_id
    with svc.store.session() as s:  # an edit is a new version; the first stays in the history
        edited = RatingForm(turn_type="mixed", scores={"questioning": 3, "suggestion": 2, "empathy": 5})
        submit_item(s, ann_a, item_id, {**forms, first: edited}, pref, rubric=rubric)
        history = rating_history(s, ann_a, first)
    assert [(v, snap["scores"]) for v, snap in history] == [
        (1, {"questioning": 4, "suggestion": NA, "empathy": 2}),
        (2, {"questioning": 3, "suggestion": 2, "empathy": 5})]

    # 2. Through the Rate tab's JSON API: the axis is a key of the reply's answer, checked the same way.
    with running_app(svc, auth=True) as url:
        client = _client(url, "ann_b")
        api = json.dumps(client.view_api(print_info=False, return_format="dict"))
        assert "rate_autosave_0" in api
        claimed = json.loads(client.predict(api_name="/rate_api_next"))["item"]
        labels = [r["label"] for r in claimed["replies"]]
        # The Rate tab's widgets: one score radio per axis, autosaved as a draft (the item shown, then the box's
        # turn type, three scores, safety, comment and corrected reply, as the page sends them: JSON).
        client.predict(json.dumps({"item": str(claimed["item_id"]),
                                   "answer": ["question", "3", "N/A", "2", False, "", ""]}),
                       api_name="/rate_autosave_0")
        with svc.store.session() as s:
            drafts = [r.scores for r in s.scalars(select(Rating).where(Rating.user_id == ann_b.id))]
        assert drafts and all(d == {"questioning": 3, "suggestion": NA, "empathy": 2} for d in drafts)

        def payload(empathy: object) -> str:
            answer = {"turn_type": "suggestion", "questioning": "N/A", "suggestion": 4, "empathy": empathy}
            return json.dumps({"item_id": claimed["item_id"], "ratings": {x: answer for x in labels},
                               "preference": labels[0]})

        for bad, says in ((0, "empathy: score 0 is outside 1..5"), ("N/A", "empathy: N/A is not allowed"),
                          (3.5, "empathy: Input should be a valid integer")):
            with pytest.raises(Exception, match=says):
                client.predict(payload(bad), api_name="/rate_api_submit")
        assert json.loads(client.predict(payload(4), api_name="/rate_api_submit"))["ok"] is True
    with svc.store.session() as s:
        stored = {(r.user_id, r.generation_id): r.scores for r in s.scalars(select(Rating))}
    assert stored[(ann_a.id, first)] == {"questioning": 3, "suggestion": 2, "empathy": 5}
    assert sum(v == {"questioning": NA, "suggestion": 4, "empathy": 4} for v in stored.values()) == len(labels)

    # 3. Exported: a column pair per extra axis after the shipped ones, in the tables and the candidates.
    tables = load_export(svc.store, with_tables=True).tables
    assert tables is not None
    cols = list(tables["ratings"].columns)
    assert cols[cols.index("suggestion_na") + 1 : cols.index("suggestion_na") + 3] == ["empathy", "empathy_na"]
    assert sorted(tables["ratings"]["empathy"].tolist()) == sorted([2.0 + i for i in range(1, len(forms))] +
                                                                   [5.0] + [4.0] * len(labels))
    export_from_store(svc.store, ["tables_csv"], tmp_path / "out")
    (csv,) = (tmp_path / "out").rglob("ratings.csv")
    assert "empathy" in pd.read_csv(csv).columns
    candidates = load_export(svc.store).candidates
    assert {dict(r.extra_scores)["empathy"] for c in candidates for r in c.ratings} >= {4.0, 5.0}
    # ... and in the training formats' metadata, beside questioning and suggestion (each side of a DPO pair).
    export_from_store(svc.store, ["sft", "kto", "dpo"], tmp_path / "train")
    for fmt in ("sft", "kto", "dpo"):
        (path,) = (tmp_path / "train").rglob(f"{fmt}/train.jsonl")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        metas = [m for r in rows for m in ([r["metadata"]["chosen"], r["metadata"]["rejected"]] if fmt == "dpo"
                                           else [r["metadata"]])]
        rated = [m for m in metas if m.get("n_ratings")]
        assert rated, fmt
        assert all(isinstance(m["empathy"], float) and 1 <= m["empathy"] <= 5 for m in rated), fmt

    # 4. Analysed: Compare's scores, agreement and slot tables and the quality view iterate the axis.
    frames = load_frames(svc.store)
    assert "empathy" in frames.ratings.columns
    scores = column_scores(frames.generations, frames.ratings, n_boot=50)
    assert {"n_empathy", "empathy_mean", "empathy_lo", "empathy_hi"} <= set(scores.columns)
    assert scores["n_empathy"].sum() == len(stored)
    assert "empathy" in set(agreement_table(frames.ratings)["axis"])
    assert "empathy" in set(scores_by_slot(frames.ratings, n_boot=50)["axis"])
    with svc.store.session() as s:
        quality = annotator_quality(s, admin)
    assert "reliability_empathy" in quality.columns


def test_a_third_axis_can_be_gold_and_counts_in_gold_accuracy(app, tmp_path):
    """Gold answers are checked against the configured rubric: its new axis is accepted on its own scale
    (and with its own N/A rule), a typo is still refused, and an annotator's empathy answer is scored."""
    from workbench.annotate.gold import gold_accuracy, mark_gold
    from workbench.quality import gold_rows, import_gold_rows

    svc, rubric = app
    ann, admin = make_users(svc.store, "ann_g")[0], make_users(svc.store, "boss_g", role="admin")[0]
    with svc.store.session() as s:
        sync_queue(s)
    with svc.store.session() as s:
        item_id = take_next(s, ann, 2).item_id
    with svc.store.session() as s:
        item = open_item(s, ann, item_id)
    gid = item.replies[0].generation_id

    for bad, why in (({"empathy": 6}, "empathy must be a whole score 1-5"),
                     ({"empathy": "na"}, "N/A is not allowed"),
                     ({"empathie": 3}, "unknown question")):
        with pytest.raises(InputError, match=why), svc.store.session() as s:
            mark_gold(s, admin, {"generation_id": gid, **bad}, rubric=rubric)
    # Without the configured rubric only the two stored axes exist: the new axis is unknown there.
    with pytest.raises(InputError, match="unknown question"), svc.store.session() as s:
        mark_gold(s, admin, {"generation_id": gid, "empathy": 4})

    assert import_gold_rows(svc.store, admin, [{"generation_id": gid, "empathy": 4, "questioning": 3}],
                            rubric=rubric) == 1
    assert [(r["generation_id"], r["empathy"], r["questioning"]) for r in gold_rows(svc.store, admin)] == [(gid, 4, 3)]

    forms = {r.generation_id: RatingForm(turn_type="question",
                                         scores={"questioning": 3, "suggestion": NA, "empathy": 2})
             for r in item.replies}
    with svc.store.session() as s:
        submit_item(s, ann, item_id, forms, preference_from_choice(item, "tie"), rubric=rubric)
    with svc.store.session() as s:
        acc = gold_accuracy(s, admin)["ann_g"]
    assert (acc.checked, acc.correct) == (2, 1)  # questioning right, empathy wrong
