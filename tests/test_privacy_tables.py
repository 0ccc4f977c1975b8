"""De-identification of the flat export tables lives in workbench.privacy: free-text columns are cleaned,
identifiers and categories are not, and a name introduced in one text of a dialogue is removed from the
dialogue's other texts (and only from that dialogue's)."""

from __future__ import annotations

import pandas as pd

from workbench.privacy import TOKENS, DeidReport, deidentify, deidentify_table, redact_dialogue_names

NAME, PHONE = TOKENS["name"], TOKENS["phone"]


def test_free_text_columns_are_cleaned_and_keys_are_kept():
    df = pd.DataFrame({"generation_id": [1, 2, 3], "annotator": ["王小明", "ann2", "ann2"],
                       "comment": ["电话13812345678不应出现", None, "电话13812345678不应出现"],
                       "created_at": ["2025-01-01", "2025-01-02", "2025-01-03"]})
    report = DeidReport()
    out = deidentify_table("ratings", df, report)
    comments = out["comment"].tolist()
    assert comments[0] == comments[2] == f"电话{PHONE}不应出现" and pd.isna(comments[1])
    assert out["annotator"].tolist() == ["王小明", "ann2", "ann2"]  # a category, never free text
    assert df["comment"][0] == "电话13812345678不应出现"  # the caller's frame is left as it was
    # each distinct text counted once, under <table>.<column>
    assert (report.texts_seen, report.texts_changed, dict(report.by_field)) == (1, 1, {"ratings.comment": 1})


def test_a_name_introduced_in_a_dialogue_is_removed_from_its_other_texts():
    tables = {
        "dialogues": pd.DataFrame({"dialogue_id": [1, 1, 2], "title": [None, None, None],
                                   "text": ["我叫王小明，头痛三天了", "还有点发烧", "王小明是谁？"]}),
        "generations": pd.DataFrame({"generation_id": [10, 20], "dialogue_id": [1, 2],
                                     # no cue in dialogue 2 (请转告王小明 would be one: an errand names a person)
                                     "output": ["王小明您好，头痛持续多久了？", "记得让王小明多喝水"],
                                     "error": [None, None], "route_reason": [None, None]}),
        "ratings": pd.DataFrame({"generation_id": [10, 20], "comment": ["提到了王小明", "提到了王小明"],
                                 "corrected_reply": [None, None]}),
    }
    report = DeidReport()
    out = redact_dialogue_names(tables, report)
    assert out["generations"]["output"].tolist() == [f"{NAME}您好，头痛持续多久了？", "记得让王小明多喝水"]
    assert out["ratings"]["comment"].tolist() == [f"提到了{NAME}", "提到了王小明"]  # dialogue 2 never named anyone
    assert out["dialogues"]["text"].tolist()[0] == f"我叫{NAME}，头痛三天了"
    assert tables["generations"]["output"][0] == "王小明您好，头痛持续多久了？"  # copies, not the input
    assert report.by_kind["name"] >= 3


def test_report_counts_a_recurring_text_in_bulk_as_one_call_per_text():
    one_by_one, bulk = DeidReport(), DeidReport()
    _, reds = deidentify("我叫王小明，电话13812345678。")
    for _ in range(3):
        one_by_one.add("history", reds)
    bulk.add("history", reds, times=3)
    assert one_by_one.to_dict() == bulk.to_dict()
