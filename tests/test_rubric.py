"""Tests for the rubric file, its loader, version ids and score validation."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from workbench.annotate.rubric import (
    PREFERENCE_KEYS,
    STORED_AXES,
    TURN_TYPE_KEYS,
    Rubric,
    load_rubric,
    parse_rubric,
    validate_scores,
)
from workbench.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = ROOT / "annotations" / "rubric.yaml"
GUIDELINES = ROOT / "annotations" / "guidelines.md"


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))


@pytest.fixture
def rubric() -> Rubric:
    return load_rubric(RUBRIC)


def _write(tmp_path: Path, content: dict | str, name: str = "rubric.yaml") -> Path:
    p = tmp_path / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- the shipped rubric


def test_shipped_rubric_defines_the_issue_axes_and_options(rubric: Rubric) -> None:
    assert [a.key for a in rubric.axes] == ["questioning", "suggestion"]
    for axis in rubric.axes:
        assert (axis.scale.min, axis.scale.max) == (1, 5)
        assert axis.allow_na
        assert sorted(axis.levels) == [1, 2, 3, 4, 5]
        assert all(level.zh and level.en for level in axis.levels.values())
    assert {c.key for c in rubric.axis("questioning").criteria} == {"relevant", "informative", "not_repeating"}
    assert {c.key for c in rubric.axis("suggestion").criteria} == {"correct", "safe", "actionable"}
    assert sorted(o.key for o in rubric.turn_types) == sorted(TURN_TYPE_KEYS)
    assert [o.key for o in rubric.preference.options] == list(PREFERENCE_KEYS)
    assert rubric.safety_flag.zh and rubric.comment.en and rubric.corrected_reply.zh


def test_version_id_is_version_plus_hash_and_fits_the_store(rubric: Rubric) -> None:
    assert re.fullmatch(re.escape(rubric.version) + r"\+[0-9a-f]{8}", rubric.version_id)
    assert len(rubric.version_id) <= 80  # ratings.rubric_version is String(80)
    assert load_rubric(RUBRIC).version_id == rubric.version_id


def test_changed_content_without_version_bump_gets_a_new_id(tmp_path: Path, data: dict) -> None:
    before = parse_rubric(data).version_id
    changed = copy.deepcopy(data)
    changed["axes"][0]["levels"][3]["en"] = "Fair: something else"
    after = load_rubric(_write(tmp_path, changed)).version_id
    assert changed["version"] == data["version"]
    assert after != before
    assert after.split("+")[0] == before.split("+")[0]


def test_formatting_and_comments_do_not_change_the_id(tmp_path: Path, rubric: Rubric) -> None:
    text = "# a new comment\n" + RUBRIC.read_text(encoding="utf-8").replace("\n\n", "\n\n\n")
    assert load_rubric(_write(tmp_path, text)).version_id == rubric.version_id


# ---------------------------------------------------------------- invalid files


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["axes"][1]["levels"].pop(3), r"axes\[suggestion\].*levels"),
        (lambda d: d["axes"][0]["scale"].update(maxx=7), r"axes\[questioning\]\.scale\.maxx"),
        (lambda d: d.update(version=1.0), r"version"),
        (lambda d: d.pop("safety_flag"), r"safety_flag"),
        (lambda d: d["turn_types"].pop(), r"turn_types"),
        (lambda d: d["turn_types"][0].update(key="greeting"), r"turn_types\[greeting\]\.key"),
        (lambda d: d["preference"]["options"].append({"key": "tie", "zh": "平", "en": "Tie"}), r"options"),
        (lambda d: d["axes"].append(dict(d["axes"][0])), r"axes.*distinct keys"),
        (lambda d: d["axes"].append({**d["axes"][0], "key": "turn_type"}), r"axes.*taken by other answers"),
        (lambda d: d["axes"][0]["scale"].update(min=5, max=1), r"axes\[questioning\]\.scale"),
        (lambda d: d["axes"][0].pop("na_label"), r"na_label"),
        (lambda d: d["title"].update(zh=""), r"title\.zh"),
    ],
)
def test_invalid_content_names_file_and_key(tmp_path: Path, data: dict, mutate, expected: str) -> None:
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError, match=expected) as info:
        load_rubric(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_rubric(tmp_path / "nope.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: '1'\naxes: [unclosed\n")
    with pytest.raises(ConfigError, match="invalid YAML") as info:
        load_rubric(path)
    assert str(path) in str(info.value)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_rubric(_write(tmp_path, "- 1\n- 2\n"))


# ---------------------------------------------------------------- scores


def test_validate_scores_accepts_scale_and_na(rubric: Rubric) -> None:
    assert validate_scores(rubric, {"questioning": 1, "suggestion": None}) == {"questioning": 1, "suggestion": None}
    assert validate_scores(rubric, {"suggestion": 5}) == {"suggestion": 5}
    assert validate_scores(rubric, {"suggestion": 4.0}) == {"suggestion": 4}  # numeric widgets send floats


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, True, "3", [3]])
def test_validate_scores_rejects_off_scale(rubric: Rubric, bad) -> None:
    with pytest.raises(InputError, match="questioning"):
        validate_scores(rubric, {"questioning": bad})


def test_validate_scores_unknown_axis_and_require_all(rubric: Rubric) -> None:
    with pytest.raises(InputError, match="empathy"):
        validate_scores(rubric, {"empathy": 3})
    with pytest.raises(InputError, match="suggestion"):
        validate_scores(rubric, {"questioning": 3}, require_all=True)
    assert validate_scores(rubric, {"questioning": None, "suggestion": 2}, require_all=True)["suggestion"] == 2


def test_na_refused_where_not_allowed(data: dict) -> None:
    data["axes"][1]["allow_na"] = False
    r = parse_rubric(data)
    with pytest.raises(InputError, match="suggestion.*N/A"):
        validate_scores(r, {"suggestion": None})
    assert validate_scores(r, {"questioning": None}) == {"questioning": None}


def test_a_further_axis_needs_only_the_rubric(data: dict) -> None:
    """Answers are JSON keyed by axis: the store has no column per axis, so a rubric may add one."""
    from workbench.store.schema import Rating

    data["axes"].append({**data["axes"][0], "key": "empathy"})
    r = parse_rubric(data)
    assert r.axis_keys == (*STORED_AXES, "empathy")
    assert validate_scores(r, {"empathy": 4}) == {"empathy": 4}
    assert not {f"{k}_na" for k in r.axis_keys} & set(Rating.__table__.columns.keys())


# ---------------------------------------------------------------- guidelines


def test_guidelines_cover_axes_types_and_shortcuts(rubric: Rubric) -> None:
    text = GUIDELINES.read_text(encoding="utf-8")
    for axis in rubric.axes:
        assert axis.name.zh in text and axis.name.en in text
    for option in rubric.turn_types:
        assert option.key in text
    # the keys themselves: tests/test_rate_flow.py::test_the_guidelines_list_the_keys_the_app_has
    assert "N/A" in text and "盲评" in text
