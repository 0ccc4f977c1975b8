"""The shipped standardized-patient cases and the case schema's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.simulate.cases import CaseError, load_case, load_cases, parse_case

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "annotations" / "cases"


@pytest.fixture(scope="module")
def shipped():
    return load_cases(CASES)


def _good() -> dict:
    return yaml.safe_load((CASES / "child-fever-39.yaml").read_text(encoding="utf-8"))


def test_at_least_forty_cases_in_chinese_with_hidden_facts(shipped):
    assert len(shipped) >= 40
    for c in shipped:
        assert len(c.facts) >= 3 and c.advice_key_points, c.id
        # Written in Chinese: every patient-facing string holds CJK characters.
        for text in (c.opening, *(f.patient for f in c.facts), *(f.fact for f in c.facts)):
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (c.id, text)


def test_cases_cover_the_seed_examples_and_primary_care(shipped):
    text = {c.id: c.title + c.opening + c.category for c in shipped}
    joined = "".join(text.values())
    # The seed's three examples: insomnia, exhaustion from working late, a 6-year-old passing stool every 7-10 days.
    assert any("失眠" in t for t in text.values())
    assert any("熬夜" in t and ("累" in t or "疲" in t) for t in text.values())
    assert any("六岁" in t and "大便" in t for t in text.values())
    for topic in ("发烧", "咳嗽", "头", "肚子", "疹", "怀孕", "高血压", "糖尿病"):
        assert topic in joined, topic
    assert {c.category for c in shipped} >= {"儿科", "孕期", "慢病随访", "呼吸", "头痛", "腹痛", "皮肤"}
    assert any(f.present for c in shipped for f in c.red_flags)  # some patients have a red flag now


def test_a_bad_case_names_the_file_and_the_field(tmp_path):
    bad = _good()
    bad["facts"][1]["keywords"] = []
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseError) as e:
        load_case(p)
    assert str(p) in str(e.value) and "facts.1.keywords" in str(e.value)

    bad = _good()
    bad["advice"] = bad.pop("advice_key_points")
    with pytest.raises(CaseError, match=r"advice_key_points: Field required\n  advice: unknown field"):
        parse_case(bad, "x.yaml")
    bad = _good()
    bad["facts"][2]["id"] = bad["facts"][0]["id"]
    with pytest.raises(CaseError, match="facts: ids must be unique"):
        parse_case(bad, "x.yaml")
    with pytest.raises(CaseError, match="x.yaml: a case must be a mapping"):
        parse_case(["not", "a", "case"], "x.yaml")


def test_loading_a_folder_reports_every_bad_file_and_duplicate_ids(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_good(), allow_unicode=True), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(_good(), allow_unicode=True), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(CaseError) as e:
        load_cases(tmp_path)
    msg = str(e.value)
    assert "b.yaml: id: 'child-fever-39' is already used by a.yaml" in msg and "c.yaml: not valid YAML" in msg
    with pytest.raises(CaseError, match="no case files"):
        load_cases(_empty(tmp_path))
    with pytest.raises(CaseError, match="not a folder"):
        load_cases(tmp_path / "nowhere")


def _empty(tmp_path: Path) -> Path:
    d = tmp_path / "empty"
    d.mkdir()
    return d
