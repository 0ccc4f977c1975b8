from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path

import pytest

from workbench.datasets import parse_dataset
from workbench.datasets.bianque import parse_history
from workbench.dialogue import Turn
from workbench.errors import DatasetError

DATA = Path(__file__).parent / "data"
P, D = "patient", "doctor"


def write_csv(path: Path, rows: list[list[str]], header=("input", "target"), encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_parse_history_literal_and_half_width():
    assert parse_history("病人：头痛\\n还恶心\\n医生：多久了？\\n病人:三天\\n医生:") == [
        Turn(P, "头痛\n还恶心"), Turn(D, "多久了？"), Turn(P, "三天")
    ]
    assert parse_history("病人：a\\tb\n医生：") == [Turn(P, "a\tb")]
    for bad, msg in [("病人：头痛", "does not end"), ("头痛\\n医生：", "does not start"), ("医生：", "no patient")]:
        with pytest.raises(ValueError, match=msg):
            parse_history(bad)


def test_sample_csv_groups_rows_into_dialogues():
    res = parse_dataset(DATA / "import_bianque_sample.csv")
    assert res.format == "bianque_csv"
    assert len(res.dialogues) == 2
    fever, sleep = res.dialogues
    assert fever.source_rows == [1, 2, 4]
    assert [t.role for t in fever.turns] == [P, D, P, D, P, D]
    assert fever.turns[0].text == "宝宝发烧两天了，38.5℃"
    assert fever.turns[4].text == "精神还可以\n吃奶少了一点"
    assert fever.turns[5].text.startswith("建议：\n1. 体温超过38.5℃")
    # Row 5 uses half-width colons and still continues row 3.
    assert sleep.source_rows == [3, 5]
    assert sleep.turns[-1] == Turn(D, "可以先调整作息，睡前不要看手机，必要时到睡眠门诊就诊。")


def test_jsonl_gives_the_same_dialogues_as_csv():
    a = parse_dataset(DATA / "import_bianque_sample.csv")
    b = parse_dataset(DATA / "import_bianque_sample.jsonl")
    assert b.format == "bianque_jsonl"
    assert [d.turns for d in a.dialogues] == [d.turns for d in b.dialogues]


def test_every_row_target_is_a_doctor_turn(tmp_path):
    res = parse_dataset(DATA / "import_bianque_sample.csv")
    with (DATA / "import_bianque_sample.csv").open(encoding="utf-8") as f:
        targets = [r["target"].replace("\\n", "\n") for r in csv.DictReader(f)]
    doctor = [t.text for d in res.dialogues for t in d.turns if t.role == D]
    assert sorted(doctor) == sorted(targets)


def test_explicit_dialogue_id_and_metadata(tmp_path):
    rows = [
        ["病人：你好\\n医生：", "您好，哪里不舒服？", "A", "x"],
        ["病人：你好\\n医生：", "您好，哪里不舒服？", "B", "y"],
        ["病人：你好\\n医生：您好，哪里不舒服？\\n病人：头痛\\n医生：", "多久了？", "B", "y2"],
        ["病人：你好\\n医生：您好，哪里不舒服？\\n病人：咳嗽\\n医生：", "有痰吗？", "A", "x2"],
    ]
    p = write_csv(tmp_path / "d.csv", rows, header=("input", "target", "dialogue_id", "note"))
    res = parse_dataset(p)
    by_id = {d.external_id: d for d in res.dialogues}
    assert set(by_id) == {"A", "B"}
    assert by_id["A"].source_rows == [1, 4] and by_id["A"].turns[-1].text == "有痰吗？"
    assert by_id["B"].source_rows == [2, 3] and by_id["B"].turns[2].text == "头痛"
    assert by_id["A"].metadata == {"note": ["x", "x2"]}


def test_identical_first_rows_of_two_dialogues_without_ids(tmp_path):
    rows = [
        ["病人：你好\\n医生：", "您好，哪里不舒服？"],
        ["病人：你好\\n医生：", "您好，哪里不舒服？"],
        ["病人：你好\\n医生：您好，哪里不舒服？\\n病人：头痛\\n医生：", "多久了？"],
        ["病人：你好\\n医生：您好，哪里不舒服？\\n病人：咳嗽\\n医生：", "有痰吗？"],
    ]
    res = parse_dataset(write_csv(tmp_path / "d.csv", rows))
    assert sorted(d.turns[2].text for d in res.dialogues) == sorted(["头痛", "咳嗽"])
    assert sorted(r for d in res.dialogues for r in d.source_rows) == [1, 2, 3, 4]


def test_branch_keeps_the_longest_chain(tmp_path):
    rows = [
        ["病人：头痛\\n医生：", "多久了？"],
        ["病人：头痛\\n医生：多久了？\\n病人：两天\\n医生：", "发烧吗？"],
        ["病人：头痛\\n医生：多久了？\\n病人：两天\\n医生：发烧吗？\\n病人：不烧\\n医生：", "注意休息。"],
        ["病人：头痛\\n医生：多久了？\\n病人：一周\\n医生：", "建议就医。"],
    ]
    res = parse_dataset(write_csv(tmp_path / "d.csv", rows))
    assert len(res.dialogues) == 2
    longest, branch = sorted(res.dialogues, key=lambda d: -len(d.turns))
    assert longest.source_rows == [1, 2, 3] and len(longest.turns) == 6
    assert branch.source_rows == [4]
    assert [t.text for t in branch.turns] == ["头痛", "多久了？", "一周", "建议就医。"]


def test_bad_rows_are_all_listed_and_nothing_is_returned():
    with pytest.raises(DatasetError) as ei:
        parse_dataset(DATA / "import_bianque_bad.csv")
    errs = ei.value.row_errors
    assert errs == [
        "row 2: input does not end with '医生：'",
        "row 3: empty target",
        "row 4: input does not start with '病人：' or '医生：'",
    ]


def test_missing_column_and_invalid_json(tmp_path):
    with pytest.raises(DatasetError) as ei:
        parse_dataset(write_csv(tmp_path / "a.csv", [["病人：a\\n医生："]], header=("input",)))
    assert ei.value.row_errors == ["header: missing column 'target'"]
    p = tmp_path / "b.jsonl"
    p.write_text('{"input": "病人：a\\\\n医生：", "target": "b"}\n{"input": "病人：a\\\\n医生："}\nnot json\n',
                 encoding="utf-8")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(p, "bianque_jsonl")
    assert ei.value.row_errors[0] == "line 2: missing column 'target'"
    assert ei.value.row_errors[1].startswith("line 3: invalid JSON")


def test_bom_and_utf16_are_read(tmp_path):
    rows = [["病人：头痛\\n医生：", "多久了？"]]
    # UTF-32 LE's BOM starts with UTF-16 LE's: that file was read as UTF-16 and refused at "row 0"
    for enc in ("utf-8-sig", "utf-16", "utf-32"):
        res = parse_dataset(write_csv(tmp_path / f"{enc}.csv", rows, encoding=enc))
        assert res.dialogues[0].turns == [Turn(P, "头痛"), Turn(D, "多久了？")]
    big_endian = tmp_path / "utf-32-be.csv"
    big_endian.write_bytes(codecs.BOM_UTF32_BE + "input,target\n病人：头痛\\n医生：,多久了？\n".encode("utf-32-be"))
    assert parse_dataset(big_endian).dialogues[0].turns == [Turn(P, "头痛"), Turn(D, "多久了？")]


def test_gbk_file_is_reported(tmp_path):
    p = write_csv(tmp_path / "gbk.csv", [["病人：头痛\\n医生：", "多久了？"]], encoding="gbk")
    with pytest.raises(DatasetError, match="GB18030") as ei:
        parse_dataset(p)
    # The file's own name (an upload's path is the server's temporary folder) and the line the bad bytes are on:
    # the header is line 1, the GBK text starts line 2 (the decoder's read-ahead had said "row 0").
    assert str(ei.value).startswith("gbk.csv: not valid UTF-8 (line 2, byte 1 of that line") and str(tmp_path) not in str(ei.value)
    assert ei.value.row_errors == ["line 2: not valid UTF-8"]


def test_empty_files(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(DatasetError, match="^e.csv: the file is empty$"):
        parse_dataset(tmp_path / "e.csv")
    (tmp_path / "h.csv").write_text("input,target\n", encoding="utf-8")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(tmp_path / "h.csv")
    assert ei.value.row_errors == ["file: no data rows"]


def test_many_rows_stream(tmp_path):
    # 3000 dialogues x 4 cumulative rows: grouped back exactly.
    p = tmp_path / "big.jsonl"
    with p.open("w", encoding="utf-8") as f:
        for d in range(3000):
            hist = ""
            for k in range(4):
                inp = f"{hist}病人：第{d}号 问题{k}\\n医生："
                tgt = f"回答{d}-{k}"
                f.write(json.dumps({"input": inp, "target": tgt}, ensure_ascii=False) + "\n")
                hist = f"{inp}{tgt}\\n"
    res = parse_dataset(p)
    assert len(res.dialogues) == 3000
    assert all(len(d.turns) == 8 for d in res.dialogues)
    assert res.dialogues[1234].turns[-1].text == "回答1234-3"
    assert res.dialogues[1234].source_rows == [4 * 1234 + k + 1 for k in range(4)]


def test_a_binary_file_is_called_one_and_utf16_without_a_bom_is_named(tmp_path):
    """Walk 11: a 17-byte picture named .csv was told it "decodes as GB18030/GBK: re-save it as UTF-8" (GB18030
    decodes almost any short run of bytes)."""
    from workbench.ui import i18n

    picture = tmp_path / "fake.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(picture)
    assert "not a text file" in str(ei.value) and "GB18030" not in str(ei.value)
    assert "不是文本文件" in i18n.catalogue().translate(str(ei.value), "zh")
    no_bom = tmp_path / "utf16.csv"
    no_bom.write_bytes("input,target\n病人：头痛\\n医生：,多久了？\n".encode("utf-16-le"))
    with pytest.raises(DatasetError, match="UTF-16 without a byte-order mark") as ei:
        parse_dataset(no_bom)
    assert "没有字节顺序标记" in i18n.catalogue().translate(str(ei.value), "zh")


def test_exact_repeats_are_merged_and_said(tmp_path):
    """300,000 identical rows read back as "1 dialogues" with no word of the rest: the merge is now said."""
    from workbench.ui import i18n

    same = ["病人：头痛\\n医生：", "多久了？"]
    p = write_csv(tmp_path / "rep.csv", [same] * 13 + [["病人：咳嗽\\n医生：", "有痰吗？"], same])
    res = parse_dataset(p)  # data rows count from 1 (as in row errors): the repeats are rows 2 to 13 and 15
    assert len(res.dialogues) == 2
    assert res.warnings == ["exact repeats of an earlier row, merged into it: 13 rows "
                            "(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …)"]
    zh = i18n.catalogue().translate(res.warnings[0], "zh")
    assert zh.startswith("与前面某行完全相同、已并入该行的重复行：13 行") and "第 2, 3" in zh
    assert parse_dataset(write_csv(tmp_path / "once.csv", [same])).warnings == []


def test_a_header_without_the_columns_is_one_problem_of_the_file_in_either_language(tmp_path):
    """Walk s62: a CSV whose header lacks input and target was "2 bad rows … header: missing column 'input';
    header: missing column 'target'", as if two rows were bad. It is one problem, said of the header."""
    from workbench.ui.i18n import catalogue

    p = tmp_path / "nocols.csv"
    p.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(DatasetError) as ei:
        parse_dataset(p)
    message = str(ei.value)
    assert message.startswith("nocols.csv: the header lacks 'input', 'target', nothing imported") and "bad row" not in message
    assert ei.value.row_errors == ["header: missing column 'input'", "header: missing column 'target'"]
    zh = catalogue().translate(message, "zh")
    assert zh.startswith("nocols.csv：表头缺少 'input', 'target' 列，未导入任何内容") and "header" not in zh
    with pytest.raises(DatasetError, match=r"the header lacks 'target', nothing imported"):
        parse_dataset(write_csv(tmp_path / "a.csv", [["病人：a\\n医生："]], header=("input",)))
