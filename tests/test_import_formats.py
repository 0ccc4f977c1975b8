from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.datasets import PARSERS, detect_format, parse_dataset
from workbench.dialogue import Turn
from workbench.errors import DatasetError

DATA = Path(__file__).parent / "data"
P, D = "patient", "doctor"


def test_messages_jsonl():
    res = parse_dataset(DATA / "import_messages.jsonl")
    assert res.format == "messages_jsonl"
    a, b = res.dialogues
    assert a.external_id == "m1"
    assert a.turns == [Turn(P, "我头痛"), Turn(D, "头痛多久了？"), Turn(P, "三天\n晚上更重"), Turn(D, "建议测量血压。")]
    assert a.metadata == {"source": "test", "system": ["你是医生"]}
    assert a.source_rows == [1]
    assert b.external_id is None and b.source_rows == [2]


def test_messages_errors_are_collected(tmp_path):
    p = tmp_path / "m.jsonl"
    lines = [
        {"messages": [{"role": "user", "content": "a"}]},
        {"messages": [{"role": "nurse", "content": "a"}]},
        {"messages": [{"role": "user", "content": 3}]},
        {"msgs": []},
        {"messages": [{"role": "system", "content": "only system"}]},
    ]
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n", encoding="utf-8")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(p, "messages")
    errs = ei.value.row_errors
    assert errs[0] == "line 2: message 1: unknown role 'nurse'"
    assert errs[1] == "line 3: message 1: 'content' must be a string"
    assert errs[2] == "line 4: missing column 'messages'"
    assert errs[3] == "line 5: no user/assistant messages"
    assert errs[4].startswith("line 6: invalid JSON")
    assert len(errs) == 5


def test_turns_json_shapes(tmp_path):
    res = parse_dataset(DATA / "import_turns.json")
    assert res.format == "turns_json"
    assert res.dialogues[0].external_id == "d1"
    assert res.dialogues[1].turns == [Turn(P, "皮肤痒"), Turn(D, "起疹子了吗？"), Turn(P, "有")]
    single = tmp_path / "one.json"
    single.write_text(json.dumps([{"role": "patient", "text": "a"}, {"role": "doctor", "text": "b"}]), "utf-8")
    assert parse_dataset(single).dialogues[0].turns == [Turn(P, "a"), Turn(D, "b")]
    lists = tmp_path / "lists.json"
    lists.write_text(json.dumps([[{"role": "patient", "text": "a"}], [{"role": "patient", "text": "c"}]]), "utf-8")
    assert [d.turns[0].text for d in parse_dataset(lists).dialogues] == ["a", "c"]
    jl = tmp_path / "t.jsonl"
    jl.write_text('{"turns": [{"role": "patient", "text": "x"}]}\n{"turns": [{"role": "doctor", "text": "y"}]}\n',
                  "utf-8")
    assert parse_dataset(jl).format == "turns_json"
    assert [d.source_rows for d in parse_dataset(jl).dialogues] == [[1], [2]]


def test_turns_json_errors(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps([{"turns": [{"role": "patient", "text": "a"}, {"role": "x", "text": "b"}]},
                             {"turns": [{"role": "doctor"}]}, {"id": 3}]), "utf-8")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(p)
    assert ei.value.row_errors == [
        "dialogue 1, turn 2: unknown role 'x'",
        "dialogue 2, turn 1: missing or non-string 'text'",
        "dialogue 3: missing key 'turns'",
    ]
    p.write_text('[{"role": "patient", "text": "a"},', "utf-8")
    with pytest.raises(DatasetError, match="invalid JSON"):
        parse_dataset(p)


def test_detection(tmp_path):
    assert detect_format(DATA / "import_bianque_sample.csv") == "bianque_csv"
    assert detect_format(DATA / "import_bianque_sample.jsonl") == "bianque_jsonl"
    assert detect_format(DATA / "import_messages.jsonl") == "messages_jsonl"
    assert detect_format(DATA / "import_turns.json") == "turns_json"
    # Content decides, not only the extension.
    odd = tmp_path / "data.txt"
    odd.write_text((DATA / "import_messages.jsonl").read_text("utf-8"), "utf-8")
    assert detect_format(odd) == "messages_jsonl"
    unknown = tmp_path / "u.jsonl"
    unknown.write_text('{"foo": 1}\n', "utf-8")
    with pytest.raises(DatasetError):
        detect_format(unknown)
    with pytest.raises(DatasetError, match="unknown dataset format"):
        parse_dataset(DATA / "import_turns.json", "nope")
    assert set(PARSERS) == {"bianque_csv", "bianque_jsonl", "messages_jsonl", "turns_json"}


def test_missing_file():
    with pytest.raises(DatasetError, match="not found"):
        parse_dataset(DATA / "does_not_exist.csv")
