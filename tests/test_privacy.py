from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.privacy import TOKENS, DeidReport, deidentify, find_names, names_in

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "deid_cases.jsonl").open(encoding="utf-8")]


def test_case_file_is_large_and_balanced():
    assert len(CASES) >= 60
    kinds = {c["type"] for c in CASES}
    assert kinds == {"positive", "negative"}
    assert sum(c["type"] == "negative" for c in CASES) >= 30
    # Every positive really expects a change, every negative expects none.
    for c in CASES:
        assert (c["expected"] != c["text"]) == (c["type"] == "positive"), c


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:20] for c in CASES])
def test_deid_cases(case):
    clean, reds = deidentify(case["text"])
    assert clean == case["expected"]
    assert bool(reds) == (case["type"] == "positive")


@pytest.mark.parametrize("case", [c for c in CASES if c["type"] == "positive"], ids=lambda c: c["text"][:20])
def test_redaction_offsets_point_into_the_input(case):
    text = case["text"]
    clean, reds = deidentify(text)
    rebuilt, pos = [], 0
    for r in reds:
        assert text[r.start : r.end] == r.original
        assert r.replacement == TOKENS[r.kind]
        rebuilt += [text[pos : r.start], r.replacement]
        pos = r.end
    rebuilt.append(text[pos:])
    assert "".join(rebuilt) == clean


def test_kinds_are_reported():
    text = "我叫王小明，手机13912345678，座机010-88886666，身份证110101199003074514，邮箱a.b@qq.com"
    _, reds = deidentify(text)
    assert [r.kind for r in reds] == ["name", "phone", "phone", "id_number", "email"]
    report = DeidReport()
    report.add("history", reds)
    report.add("output", [])
    d = report.to_dict()
    assert d["by_kind"] == {"email": 1, "id_number": 1, "name": 1, "phone": 2}
    assert d["texts_seen"] == 2 and d["texts_changed"] == 1
    assert "[证件号]" in report.to_markdown()
    # The report never carries the personal data itself.
    assert "13912345678" not in report.to_json() + report.to_markdown()


def test_id_card_requires_a_birth_date_and_is_not_split_into_a_phone():
    # 18 digits whose "birth date" is impossible (month 13): left alone, and no phone found inside it.
    assert deidentify("单号 110101199013071234")[0] == "单号 110101199013071234"
    # 19 digits: not an ID card, and the digits are not eaten piecemeal either.
    assert deidentify("流水号 1101011990030745141")[0] == "流水号 1101011990030745141"
    assert deidentify("身份证 110101 19900307 4514")[0] == "身份证 [证件号]"


def test_phone_inside_longer_numbers_is_not_matched():
    for text in ["订单 913812345678", "编号 138123456789", "1381234567", "0.13812345678"]:
        assert deidentify(text)[0] == text


def test_known_names_are_replaced_elsewhere():
    names = names_in(["您好，我叫李建华，头晕三天。"])
    assert names == {"李建华"}
    clean, reds = deidentify("李建华您好，建议测血压。", names)
    assert clean == "[姓名]您好，建议测血压。"
    assert reds[0].original == "李建华"
    # A one-character surname (我姓黄) is not propagated: it would hit every 黄 in 黄疸.
    assert names_in(["我姓黄"]) == set()


def test_find_names_spans():
    text = "患者张伟，男，45岁"
    assert [text[a:b] for a, b in find_names(text)] == ["张伟"]
    assert find_names("我是医生，患者自诉头痛") == []
