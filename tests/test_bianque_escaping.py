"""The BianQue format is lossless: any text (backslashes, literal ``\\n``, tabs, quotes, formulas...)
exports and re-imports exactly; CSV cells cannot run as spreadsheet formulas; metadata types are as the
README states."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.csv_safety import neutralise, restore
from workbench.datasets import parse_dataset
from workbench.dialogue import Turn
from workbench.export import ExportCandidate, RatingInfo, export
from workbench.prompts import escape_training_text, unescape_training_text

P, D = "patient", "doctor"
FORMATS = [("bianque_csv", "train.csv"), ("bianque_jsonl", "train.jsonl")]


def candidates(dialogues: dict[str, list[Turn]]) -> list[ExportCandidate]:
    """Each doctor turn of each dialogue as the rated (score 5) target of its own position."""
    out = []
    for did, turns in dialogues.items():
        for i, t in enumerate(turns):
            if t.role == D:
                out.append(ExportCandidate(f"{did}-{i}", did, "demo", i, turns[:i], "ref", "ref/model", t.text,
                                           "question", [RatingInfo("ann", 5.0, 4.5)], 0.75))
    return out


def roundtrip(dialogues: dict[str, list[Turn]], fmt: str, file: str, folder: Path):
    export(candidates(dialogues), fmt, folder, deidentify=False)
    res = parse_dataset(folder / file)
    return {d.external_id: d for d in res.dialogues}


@pytest.mark.parametrize("fmt,file", FORMATS)
def test_backslashes_survive(tmp_path, fmt, file):
    turns = [Turn(P, "文件在路径C:\\new\\test里，\\t不是制表符"), Turn(D, "请把C:\\new\\test发给我\\"),
             Turn(P, "好的\\\\n两个反斜杠"), Turn(D, "收到：\\n病人：这不是新的一轮")]
    got = roundtrip({"d": turns}, fmt, file, tmp_path)
    assert got["d"].turns == turns


def test_escaping_is_its_own_inverse_on_awkward_strings():
    for t in ["", "\\", "\\\\", "\\n", "\n", "\\\n", "a\\tb\tc", "end\\", "\\\\\\n\\", "C:\\new\\test"]:
        assert unescape_training_text(escape_training_text(t)) == t
    # files written by the original code (no doubled backslashes) read as before
    assert unescape_training_text("第一行\\n第二行\\t缩进") == "第一行\n第二行\t缩进"


# Characters that break naive escaping or CSV: backslash, n, t, quotes, separators, markers, formulas.
AWKWARD = st.sampled_from(["\\", "n", "t", "\n", "\t", "\r", '"', "'", ",", ";", "病人：", "医生：", "病人:",
                           "=", "+", "-", "@", "：", " ", "？", "\u3000", "😀", "é"])
TEXT = st.lists(AWKWARD | st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).map("".join)
# The one thing the format cannot carry: a line of a turn that starts with a role marker is a new turn.
GOOD_TEXT = TEXT.filter(lambda t: t.strip() and not re.search(r"\n(病人|医生)[：:]", t))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(GOOD_TEXT, GOOD_TEXT), min_size=1, max_size=3))
def test_any_dialogue_round_trips_in_both_formats(rounds):
    turns = [Turn(role, text) for p, d in rounds for role, text in ((P, p), (D, d))]
    for fmt, file in FORMATS:
        with tempfile.TemporaryDirectory() as tmp:
            got = roundtrip({"d": turns}, fmt, file, Path(tmp))
        assert list(got) == ["d"] and got["d"].turns == turns, fmt


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", "1"]), max_size=6))
def test_neutralise_is_reversible_and_never_leaves_a_formula(cell):
    safe = neutralise(cell)
    assert restore(safe) == cell
    assert not safe or safe[0] not in "=+-@\t\r"


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "=cmd|' /C calc'!A0", "+SUM(A1:A2)", "@SUM(A1)",
            "-2+3", "\t=1+1", "\r=1+1"]


def test_csv_exports_neutralise_formulas_and_jsonl_keeps_them(tmp_path):
    turns = []
    for f in FORMULAS:
        turns += [Turn(P, f), Turn(D, f)]
    dialogues = {"d": turns}
    export(candidates(dialogues), "bianque_csv", tmp_path / "csv", deidentify=False)
    export(candidates(dialogues), "tables_csv", tmp_path / "tables", deidentify=False)
    for path in [tmp_path / "csv" / "train.csv", *sorted((tmp_path / "tables").glob("*.csv"))]:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                assert all(not c or c[0] not in "=+-@\t\r" for c in row), (path.name, row)
    assert "formula" in (tmp_path / "csv" / "README.md").read_text("utf-8").lower()
    # the BianQue CSV still re-imports exactly
    assert parse_dataset(tmp_path / "csv" / "train.csv").dialogues[0].turns == turns
    export(candidates(dialogues), "bianque_jsonl", tmp_path / "jsonl", deidentify=False)
    assert '"target":"=cmd|' in (tmp_path / "jsonl" / "train.jsonl").read_text("utf-8")


def test_metadata_types_after_a_round_trip(tmp_path):
    turns = [Turn(P, "头痛"), Turn(D, "多久了？"), Turn(P, "三天"), Turn(D, "建议测血压。")]
    jsonl = roundtrip({"d": turns}, "bianque_jsonl", "train.jsonl", tmp_path / "j")["d"].metadata
    # JSONL keeps JSON types; a value that differs between a dialogue's rows becomes the list of them
    assert jsonl["turn_index"] == [1, 3] and jsonl["questioning"] == 5.0 and jsonl["agreement"] == 0.75
    assert jsonl["annotators"] == ["ann"] and jsonl["n_ratings"] == 1 and jsonl["column"] == "ref"
    csv_meta = roundtrip({"d": turns}, "bianque_csv", "train.csv", tmp_path / "c")["d"].metadata
    # CSV cells are text: numbers come back as their decimal strings, lists joined by ";"
    assert csv_meta["turn_index"] == ["1", "3"] and csv_meta["questioning"] == "5.0"
    assert csv_meta["annotators"] == "ann" and csv_meta["agreement"] == "0.75"
