"""A caller's own candidates that the store never produces still export: times that mix naive and aware
values, and a reply to a history that ends with a doctor turn. One odd row must not fail a format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from workbench.dialogue import Turn
from workbench.export import ExportCandidate, RatingInfo
from workbench.export.api import export

PATIENT = Turn("patient", "医生您好，我头痛三天了。")


def _candidate(gid: int, output: str, ratings: list[RatingInfo], history: list[Turn] | None = None,
               dialogue_id: int = 1) -> ExportCandidate:
    return ExportCandidate(generation_id=gid, dialogue_id=dialogue_id, dataset="d", turn_index=1,
                           history=history or [PATIENT], column="bianque2", model="BianQue-2.0", output=output,
                           ratings=ratings, created_at=datetime(2025, 1, 1))


def test_corrections_with_naive_and_aware_times_pick_the_latest_instant(tmp_path: Path):
    # Two texts with two votes each: the one corrected at the later instant wins. Each text has a naive and
    # an aware time (Python cannot compare them); naive times are UTC, as the store keeps times.
    def cands(b_aware: datetime) -> list[ExportCandidate]:
        return [_candidate(1, "请多休息。", [
            RatingInfo("ann1", 2, 2, corrected_reply="头痛是持续性的吗？", created_at=datetime(2025, 3, 1, 10, 0)),
            RatingInfo("ann2", 2, 2, corrected_reply="有没有发热？", created_at=b_aware),
            RatingInfo("ann3", 2, 2, corrected_reply="头痛是持续性的吗？",
                       created_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
            RatingInfo("ann4", 2, 2, corrected_reply="有没有发热？", created_at=datetime(2025, 3, 1, 9, 0)),
        ])]

    def target(name: str, b_aware: datetime) -> str:
        rep = export(cands(b_aware), "sft", tmp_path / name, deidentify=False)
        row = json.loads((tmp_path / name / rep.files[0].name).read_text(encoding="utf-8").splitlines()[0])
        return row["messages"][-1]["content"]

    assert target("a", datetime(2025, 3, 1, 9, 30, tzinfo=UTC)) == "头痛是持续性的吗？"  # 09:30 < 10:00
    # 12:00 at UTC-03:00 is 15:00 UTC: after the naive 10:00
    assert target("b", datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-3)))) == "有没有发热？"


def test_the_annotators_table_compares_naive_and_aware_rating_times_as_utc(tmp_path: Path):
    cands = [_candidate(1, "请多休息。", [
        RatingInfo("ann1", 4, 4, created_at=datetime(2025, 3, 1, 10, 0)),
        RatingInfo("ann2", 3, 3, created_at=datetime(2025, 3, 1, 8, 0)),
    ]), _candidate(2, "头痛多久了？", [
        RatingInfo("ann1", 5, 2, created_at=datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=5)))),
    ], dialogue_id=2)]
    for fmt in ("tables_csv", "tables_parquet"):
        rep = export(cands, fmt, tmp_path / fmt, deidentify=False)
        assert rep.rows > 0
    annotators = pd.read_csv(tmp_path / "tables_csv" / "annotators.csv")
    ann1 = annotators.set_index("annotator").loc["ann1"]
    assert ann1["n_ratings"] == 2
    # 12:00 at UTC+05:00 is 07:00 UTC: before the naive 10:00
    assert pd.Timestamp(ann1["first_rating"]) == pd.Timestamp("2025-03-01 07:00")
    assert pd.Timestamp(ann1["last_rating"]) == pd.Timestamp("2025-03-01 10:00")
    assert len(pd.read_csv(tmp_path / "tables_csv" / "ratings.csv")) == 3


def test_a_reply_to_a_doctor_turn_is_left_out_of_the_bianque_format_only(tmp_path: Path):
    doctor_last = [PATIENT, Turn("doctor", "头痛在哪个部位？"), Turn("doctor", "还有别的症状吗？")]
    cands = [_candidate(1, "请多休息。", [RatingInfo("ann1", 4, 4)]),
             _candidate(2, "建议测量血压。", [RatingInfo("ann1", 5, 5)], history=doctor_last, dialogue_id=2)]
    for fmt in ("bianque_csv", "bianque_jsonl"):
        rep = export(cands, fmt, tmp_path / fmt, deidentify=False)
        assert rep.rows == 1
        assert any("1 target left out" in n for n in rep.notes), rep.notes
        assert "left out" in (tmp_path / fmt / "README.md").read_text(encoding="utf-8")
    back = pd.read_csv(tmp_path / "bianque_csv" / "train.csv", dtype=str, keep_default_na=False)
    assert back["target"].tolist() == ["请多休息。"]
    assert back["dialogue_id"].tolist() == ["1"]
    lines = (tmp_path / "bianque_jsonl" / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["generation_id"] for x in lines] == [1]
    assert json.loads(lines[0])["input"] == "病人：医生您好，我头痛三天了。\\n医生："

    rep = export(cands, "sft", tmp_path / "sft", deidentify=False)  # messages can hold it: kept
    assert rep.rows == 2
