"""Malformed dataset files: row-level errors naming the row, and nothing stored (issue 11, item 11)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workbench.datasets.store_import import import_dataset
from workbench.errors import DatasetError
from workbench.store.engine import Store
from workbench.store.schema import Dataset, Dialogue, Turn
from workbench.validation import DEFAULT_MAX_TURN_CHARS

GOOD_BIANQUE = {"input": "病人：头痛两天了\\n医生：", "target": "头痛是持续的吗？"}
GOOD_MESSAGES = {"messages": [{"role": "user", "content": "头痛两天了"}, {"role": "assistant", "content": "持续吗？"}]}
DEEP = 100_000  # far past Python's recursion limit


def _bianque_jsonl(bad_target: str) -> str:
    return "\n".join(json.dumps(x, ensure_ascii=True) for x in (GOOD_BIANQUE, {**GOOD_BIANQUE, "target": bad_target}))


def _messages_jsonl(bad: str) -> str:
    second = {"messages": [{"role": "user", "content": bad}, {"role": "assistant", "content": "好的"}]}
    return "\n".join(json.dumps(x, ensure_ascii=True) for x in (GOOD_MESSAGES, second))


def _csv(bad_target: str) -> str:
    return f"input,target\n病人：头痛\\n医生：,多久了？\n病人：发烧\\n医生：,{bad_target}\n"


HUGE = "痛" * 2_000_000
CASES = {
    # name: (file name, content, words the row error must contain)
    "deep nesting, messages line": ("deep.jsonl", json.dumps(GOOD_MESSAGES) + "\n" + "[" * DEEP + "]" * DEEP,
                                    ["line 2", "nested too deeply"]),
    "deep nesting, turns line": ("deep_turns.jsonl",
                                 json.dumps({"turns": [{"role": "patient", "text": "你好"}]}) + "\n"
                                 + '{"turns": ' + "[" * DEEP + "]" * DEEP + "}", ["line 2", "nested too deeply"]),
    "deep nesting, whole JSON file": ("deep.json", "[" * DEEP + "]" * DEEP, ["nested too deeply"]),
    "deep metadata (parses, breaks the encoder)": (
        "deep_meta.jsonl", json.dumps(GOOD_MESSAGES) + "\n"
        + json.dumps({**GOOD_MESSAGES, "metadata": {"x": json.loads("[" * 900 + "]" * 900)}}),
        ["line 2", "nested more than"]),
    "lone surrogate, bianque jsonl": ("sur.jsonl", _bianque_jsonl("好\ud800的"), ["line 2", "target", "surrogate"]),
    "lone surrogate, messages": ("sur_msgs.jsonl", _messages_jsonl("头\udfff痛"), ["line 2", "message 1", "surrogate"]),
    "lone surrogate in metadata key": ("sur_meta.jsonl", json.dumps(GOOD_MESSAGES) + "\n"
                                       + json.dumps({**GOOD_MESSAGES, "metadata": {"k\ud83d": 1}}),
                                       ["line 2", "surrogate"]),
    # Python's json reads NaN and Infinity, which are not JSON: SQLite stored them as they were, PostgreSQL's json
    # type refuses them (final walk s63: the import said ✓ on SQLite and would fail unexplained on PostgreSQL).
    "NaN in a BianQue line's extra field": ("nan.jsonl", json.dumps(GOOD_BIANQUE) + "\n"
                                            + '{"input": "病人：a\\n医生：", "target": "b", "x": [NaN]}',
                                            ["line 2", "NaN", "not JSON"]),
    "Infinity in messages metadata": ("inf.jsonl", json.dumps(GOOD_MESSAGES) + "\n"
                                      + json.dumps(GOOD_MESSAGES)[:-1] + ', "metadata": {"score": -Infinity}}',
                                      ["line 2", "-Infinity", "not JSON"]),
    "NaN in a turns file's metadata": ("nan.json", '[{"turns": [{"role": "patient", "text": "你好"}], "metadata": {"a": NaN}}]',
                                       ["dialogue 1", "NaN"]),
    "NUL escaped in JSON": ("nul.jsonl", _bianque_jsonl("好\x00的"), ["line 2", "NUL"]),
    "NUL byte in CSV": ("nul.csv", _csv("好\x00的"), ["row 2", "NUL"]),
    "NUL in a turns file": ("nul.json", json.dumps([{"turns": [{"role": "patient", "text": "你好"}]},
                                                    {"turns": [{"role": "patient", "text": "a\x00b"}]}]),
                            ["dialogue 2", "turn 1", "NUL"]),
    # An empty turn: an empty reference reply counted as a reference, an empty patient turn made a bare 病人：.
    "empty patient turn, CSV": ("empty.csv", "input,target\n病人：头痛\\n医生：,多久了？\n病人： \\n医生：好的\\n病人：疼\\n医生：,嗯\n",
                                ["row 2", "input turn 1 (patient)", "empty turn"]),
    "empty reference reply, messages": ("empty.jsonl", json.dumps(GOOD_MESSAGES) + "\n" + json.dumps(
        {"messages": [{"role": "user", "content": "头痛"}, {"role": "assistant", "content": "  "}]}),
        ["line 2", "message 2 (assistant)", "empty turn"]),
    # walk s64: a reply of zero-width spaces is as empty as one of spaces, however it reads to str.strip
    "invisible reference reply, messages": ("zw.jsonl", json.dumps(GOOD_MESSAGES) + "\n" + json.dumps(
        {"messages": [{"role": "user", "content": "头痛"}, {"role": "assistant", "content": "\u200b\ufeff"}]}),
        ["line 2", "message 2 (assistant)", "empty turn"]),
    "empty turn, turns file": ("empty.json", json.dumps([{"turns": [{"role": "patient", "text": "你好"}]},
                                                         {"turns": [{"role": "patient", "text": ""}]}]),
                               ["dialogue 2", "turn 1", "empty turn"]),
    "2-million-character turn, CSV": ("huge.csv", _csv(HUGE), ["row 2", "2,000,000 characters", "max_turn_chars"]),
    "2-million-character turn, messages": ("huge.jsonl", _messages_jsonl(HUGE), ["line 2", "2,000,000 characters"]),
    # Two dialogues under one id were both stored: exports, titles and references by id could not tell them apart.
    "repeated id, messages": ("dup.jsonl", "\n".join(json.dumps({**GOOD_MESSAGES, "id": i}) for i in ("a", "b", "a")),
                              ["line 3", "'a' repeats the id of line 1", "unique"]),
    "repeated id, turns file": ("dup.json", json.dumps([{"id": 7, "turns": [{"role": "patient", "text": "你好"}]},
                                                        {"id": "7", "turns": [{"role": "patient", "text": "头痛"}]}]),
                                ["dialogue 2", "'7' repeats the id of dialogue 1"]),
}


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'imp.db'}")
    yield s
    s.dispose()


def _stored(store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) or 0 for t in (Dataset, Dialogue, Turn))


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_rows_are_named_and_nothing_is_stored(case, store, tmp_path):
    name, content, words = CASES[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path, name="bad")
    text = " ".join([str(e.value), *e.value.row_errors])
    for w in words:
        assert w in text, (case, text[:500])
    assert len(text) < 5_000  # the error names the row; it does not echo a 2-million-character turn
    n = len(e.value.row_errors)
    assert (f" {n} bad row," in str(e.value) or f" {n} bad line," in str(e.value) or f" {n} bad dialogue,"
            in str(e.value)) if n == 1 else " bad " in str(e.value)  # "1 bad row", not "1 bad rows"
    assert _stored(store) == (0, 0, 0)


def test_the_turn_limit_is_configurable_and_the_default_is_sane(store, tmp_path, demo_config):
    path = tmp_path / "long.jsonl"
    path.write_text(_messages_jsonl("痛" * 50), encoding="utf-8")
    with pytest.raises(DatasetError, match="line 2.*50 characters, more than the limit of 40"):
        import_dataset(store, path, name="long", max_turn_chars=40)
    assert _stored(store) == (0, 0, 0)
    assert import_dataset(store, path, name="long").dialogues == 2  # the default allows it
    assert 4_000 <= DEFAULT_MAX_TURN_CHARS < 2_000_000
    assert demo_config.limits.max_turn_chars == DEFAULT_MAX_TURN_CHARS


def test_the_limit_comes_from_the_services_config(services, tmp_path):
    limited = services.config.model_copy(update={"limits": services.config.limits.model_copy(
        update={"max_turn_chars": 30})})
    path = tmp_path / "cfg.jsonl"
    path.write_text(_messages_jsonl("痛" * 31), encoding="utf-8")
    services.config = limited
    with pytest.raises(DatasetError, match="limit of 30"):
        import_dataset(services, path, name="cfg")


def test_a_dataset_name_with_a_nul_is_refused(store, tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(GOOD_MESSAGES), encoding="utf-8")
    with pytest.raises(DatasetError, match="NUL"):
        import_dataset(store, path, name="a\x00b")
    assert _stored(store) == (0, 0, 0)


def _zip(path: Path, inner: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(inner, data)
    return path


@pytest.mark.parametrize("kind", ["zip bomb", "gzip", "xlsx", "old xls"])
def test_archives_and_spreadsheets_are_named_as_such_and_never_unpacked(kind, store, tmp_path):
    """Read as text they were refused as "not valid UTF-8 (line 1, byte 12 ...)", which tells the user nothing."""
    csv = "input,target\n病人：头痛\\n医生：,多久了？\n".encode()
    path = {
        # 200 MB of CSV in a file of about 200 KB: nothing inside may be unpacked
        "zip bomb": lambda: _zip(tmp_path / "data.zip", "data.csv", csv + b"0" * (200 << 20)),
        "gzip": lambda: (tmp_path / "data.csv.gz").write_bytes(gzip.compress(csv)) and tmp_path / "data.csv.gz",
        "xlsx": lambda: _zip(tmp_path / "data.xlsx", "xl/workbook.xml", b"<workbook/>"),
        "old xls": lambda: (tmp_path / "data.csv").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
        and tmp_path / "data.csv",
    }[kind]()
    assert path.stat().st_size < 1 << 20
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path, name="archive")
    message = str(e.value)
    if kind in ("zip bomb", "gzip"):
        assert message == (f"{path.name}: a compressed archive ({kind.split()[0]}), not a dataset file: unpack it and "
                           "import the CSV, JSONL or JSON file inside")
    else:
        assert message == f"{path.name}: a spreadsheet, not a dataset file: save it as CSV (UTF-8) and import that"
    assert _stored(store) == (0, 0, 0)


def test_the_count_is_of_bad_rows_not_of_their_problems(store, tmp_path):
    """Walk of session 72: one row with two problems (an input that does not end the doctor's turn, an empty
    target) was "2 bad rows"; both problems are still listed."""
    path = tmp_path / "two_problems.csv"
    path.write_text("input,target\n病人：头痛\\n医生：,多久了？\n病人：咳嗽,\n", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path, name="bad")
    assert len(e.value.row_errors) == 2 and all(p.startswith("row 2:") for p in e.value.row_errors), e.value.row_errors
    assert "two_problems.csv: 1 bad row, nothing imported" in str(e.value)
    path.write_text("input,target\n病人：咳嗽,\n病人：头痛\\n医生：,\n", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path, name="bad")
    assert "two_problems.csv: 2 bad rows, nothing imported" in str(e.value), str(e.value)
    assert _stored(store) == (0, 0, 0)


def test_a_dataset_name_with_markup_is_refused_in_both_languages(store, tmp_path):
    """Walk of session 72: the refusal of a dataset named walk<b> read in English on a Chinese page."""
    from workbench.ui.i18n import catalogue

    path = tmp_path / "good.csv"
    path.write_text("input,target\n病人：头痛\\n医生：,多久了？\n", encoding="utf-8")
    with pytest.raises(DatasetError) as e:
        import_dataset(store, path, name="walk<b>")
    zh = catalogue().translate(str(e.value), "zh")
    assert zh.startswith("数据集名称不能含有") and "markup" not in zh, zh
    assert _stored(store) == (0, 0, 0)
