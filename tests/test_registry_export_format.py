"""An export format is one writer plus one registry line: a format defined here, registered in
``workbench.export.registry.WRITERS``, is offered and accepted by the CLI, the UI and the API, written,
previewed and described in the card, with nothing else changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_export_formats import world

from workbench.dialogue import Dialogue
from workbench.errors import InputError
from workbench.export import WRITERS, export_all
from workbench.export.cli import parse_formats
from workbench.export.context import WRITE_BUFFER, ExportContext, FormatResult
from workbench.ui.export_tab import ExportActions, input_and_target, preview_rows


def write(ctx: ExportContext, out_dir: Path) -> FormatResult:
    """Alpaca with history (LLaMA-Factory): `instruction` = the patient's message, `output` = the reply,
    `history` = the earlier [patient, doctor] rounds."""
    path = out_dir / "train.jsonl"
    res = FormatResult([path], 0)
    with path.open("w", encoding="utf-8", buffering=WRITE_BUFFER) as f:
        for s in ctx.selected:
            meta = s.metadata()
            res.count(meta["model"], meta["turn_type"], meta["target_source"])
            rounds, message = Dialogue(tuple(s.candidate.history)).pairs()
            row = {"instruction": message, "output": s.target, "history": [list(r) for r in rounds]}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return res


@pytest.fixture
def alpaca_registered(monkeypatch):
    monkeypatch.setitem(WRITERS, "alpaca", f"{__name__}:write")


def test_an_unregistered_format_is_refused_everywhere():
    with pytest.raises(InputError, match="unknown format 'alpaca'"):
        parse_formats("alpaca")
    with pytest.raises(InputError, match="unknown format"):
        ExportActions._formats(["alpaca"])


def test_a_registered_format_is_offered_written_previewed_and_described(tmp_path, alpaca_registered):
    assert parse_formats("sft,alpaca") == ["sft", "alpaca"] and "alpaca" in parse_formats("all")
    assert ExportActions._formats(["alpaca"]) == ["alpaca"]
    reports = export_all(world(), ["alpaca"], tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "alpaca" / "train.jsonl").read_text("utf-8").splitlines()]
    assert reports["alpaca"].rows == len(rows) == 4
    later = next(r for r in rows if r["history"])
    assert later["history"][0][1] == "头痛在哪个部位？" and later["instruction"].startswith("后脑勺")
    # the shared context de-identified the history for this format too
    assert not any("13812345678" in json.dumps(r, ensure_ascii=False) for r in rows)
    # the Export tab previews its main file, input beside target
    shown = preview_rows(reports["alpaca"])
    assert [input_and_target(r) for r in shown][0] == (rows[0]["instruction"], rows[0]["output"])
    # the card describes it from the writer's docstring
    card = (tmp_path / "alpaca" / "README.md").read_text("utf-8")
    assert "Alpaca with history (LLaMA-Factory)" in card
