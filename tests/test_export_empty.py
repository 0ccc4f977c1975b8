"""An export that finds nothing to write (an empty store, or filters that leave nothing) says so, on the command
line and in the Export tab, in both languages: its files hold no example, and `datasets` cannot read them."""

from __future__ import annotations

import argparse
import re

import pytest

from workbench.export import WRITERS
from workbench.export.cli import add_export_parser
from workbench.store.engine import Store

NO_ROWS = "no rows: nothing in scope passed the filters"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_export_parser(p.add_subparsers())
    return p


@pytest.fixture
def empty_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url).dispose()  # a real, migrated store with nothing in it
    return url


def test_an_empty_export_says_each_format_has_no_rows(empty_db, tmp_path, capsys):
    out = tmp_path / "out"
    args = _parser().parse_args(["export", "--format", "all", "--out", str(out), "--db", empty_db])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    blocks = {b.split(":", 1)[0]: b for b in re.split(r"\n(?=\S)", printed)}  # one block per format
    for fmt in WRITERS:
        assert blocks[fmt].startswith(f"{fmt}: 0 rows") and NO_ROWS in blocks[fmt], blocks.get(fmt)
    # Why the note matters: the consumer cannot read what was written.
    from datasets import load_dataset

    with pytest.raises(Exception):  # noqa: B017 - datasets raises StopIteration/ValueError by file type
        load_dataset("json", data_files=str(out / "sft" / "train.jsonl"), split="train",
                     cache_dir=str(tmp_path / "hf"))
    card = (out / "sft" / "README.md").read_text("utf-8")
    assert NO_ROWS in card
    root = (out / "README.md").read_text("utf-8")
    assert "Nothing was in scope: every file is empty" in root  # loading the top folder stops without a word
    assert "\nconfigs:" not in root.split("---\n")[1]


def test_an_export_with_rows_has_no_such_note(empty_db, tmp_path, capsys):
    from workbench.datasets.store_import import import_dataset

    store = Store(empty_db)
    try:
        src = tmp_path / "d.csv"
        src.write_text("input,target\n病人：头痛\\n医生：,头痛多久了？\n", encoding="utf-8")
        import_dataset(store, src, "d")
    finally:
        store.dispose()
    out = tmp_path / "out"
    args = _parser().parse_args(["export", "--format", "tables_csv", "--out", str(out), "--db", empty_db])
    assert args.func(args) == 0
    printed = capsys.readouterr().out
    assert "dialogues: 2 rows" in printed and NO_ROWS not in printed


def test_the_export_tab_says_it_in_chinese(empty_db, tmp_path):
    from workbench.export import ExportFilters
    from workbench.export.from_store import export_from_store
    from workbench.ui.export_tab import export_summary

    store = Store(empty_db)
    try:
        reports = export_from_store(store, ["sft", "dpo"], tmp_path / "x", ExportFilters())
    finally:
        store.dispose()
    en = export_summary(reports, "en", tmp_path / "x")
    zh = export_summary(reports, "zh", tmp_path / "x")
    assert en.count(NO_ROWS) == 2
    assert NO_ROWS not in zh and zh.count("没有数据行") >= 2


def test_an_empty_format_beside_others_is_declared_nowhere_as_loadable(tmp_path):
    """One rated reply: SFT has a row, DPO none (no pair). The root card's front matter declared dpo, and
    load_dataset(<export>, "dpo") stopped with a bare StopIteration (walk s68); now only what loads is declared,
    and the cards say why the empty one is not."""
    import yaml
    from datasets import load_dataset

    from workbench.dialogue import Turn
    from workbench.export import ExportCandidate, RatingInfo
    from workbench.export.api import export_all

    rating = RatingInfo("ann", questioning=5, suggestion=5, turn_type="suggestion")
    cands = [ExportCandidate("g1", 1, "demo", 1, (Turn("patient", "头痛两天了"),), "c", "m", "多喝水，注意休息。",
                             ratings=[rating])]
    reports = export_all(cands, ["sft", "dpo"], tmp_path / "out")
    assert reports["sft"].rows == 1 and reports["dpo"].rows == 0
    front = lambda p: yaml.safe_load(p.read_text("utf-8").split("---\n")[1])  # noqa: E731
    root = front(tmp_path / "out" / "README.md")
    assert [c["config_name"] for c in root["configs"]] == ["sft"]
    assert "dpo" not in [d["config_name"] for d in root.get("dataset_info", [])]
    assert "configs" not in front(tmp_path / "out" / "dpo" / "README.md")
    assert "an empty file (no rows in scope) cannot be loaded" in (tmp_path / "out" / "README.md").read_text("utf-8")
    assert "- Load: nothing: no rows in scope" in (tmp_path / "out" / "dpo" / "README.md").read_text("utf-8")
    rows = load_dataset(str(tmp_path / "out"), split="train", cache_dir=str(tmp_path / "hf"))
    assert rows.num_rows == 1


def test_the_side_by_side_preview_names_empty_formats_once(empty_db, tmp_path):
    """Walk of session 71: the side-by-side preview gave every empty format a title and "No rows", seven times
    over for an empty export, while the card said it once. Now one sentence when no format has rows, and one line
    naming the empty formats beside those that have some."""
    from workbench.dialogue import Turn
    from workbench.export import ExportCandidate, ExportFilters, RatingInfo
    from workbench.export.api import export_all
    from workbench.export.from_store import export_from_store
    from workbench.ui import i18n
    from workbench.ui.export_tab import side_by_side_html

    store = Store(empty_db)
    try:
        nothing = export_from_store(store, ["sft", "dpo", "kto"], tmp_path / "x", ExportFilters())
    finally:
        store.dispose()
    rating = RatingInfo("ann", questioning=5, suggestion=5, turn_type="suggestion")
    cands = [ExportCandidate("g1", 1, "demo", 1, (Turn("patient", "头痛两天了"),), "c", "m", "多喝水，注意休息。",
                             ratings=[rating])]
    some = export_all(cands, ["sft", "dpo", "kto"], tmp_path / "out")
    assert some["sft"].rows == 1 and some["dpo"].rows == 0
    for lang in ("en", "zh"):
        page = side_by_side_html(nothing, lang)
        assert page.count(i18n.t("export.preview.none_has_rows", lang)) == 1
        assert "-title" not in page and "<table" not in page
        page = side_by_side_html(some, lang)
        empty = [fmt for fmt, r in some.items() if r.rows == 0]
        assert 'id="export-preview-sft"' in page and 'id="export-preview-dpo' not in page
        assert page.count(i18n.t("export.preview.formats_without_rows", lang, formats={"en": ", ", "zh": "、"}[lang].join(empty))) == 1
        assert i18n.t("export.preview.no_rows", lang) not in page
