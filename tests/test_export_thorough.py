"""The exports' thorough de-identification (the rules plus the learned tagger's names and accounts): opt-in from the
API, the command line and the Export tab; it redacts a name the rules miss, says in the report and the card which
method ran, and refuses (never falls back to the rules) when the tagger cannot be read. Off, an export is as before."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_export_store import build_world

from workbench import privacy_model
from workbench.cli import main
from workbench.dialogue import Turn
from workbench.errors import InputError
from workbench.export import ExportCandidate, RatingInfo, export
from workbench.export.from_store import export_from_store
from workbench.privacy import detect
from workbench.privacy_model import BLEND_LABELS, ModelUnavailable, default_model
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store

# Written for this test (in no labelled set): a child's given name with no cue, which the rules miss.
SENTENCE = "雨桐这两天又开始流鼻涕了。"
NAME = "雨桐"


def _cands() -> list[ExportCandidate]:
    rating = RatingInfo("ann", questioning=5, suggestion=5, turn_type="suggestion")
    return [ExportCandidate("g1", 1, "demo", 1, (Turn("patient", SENTENCE),), "c", "m", "多喝水，注意休息。",
                            ratings=[rating])]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_rules_miss_the_name_the_tagger_finds() -> None:
    assert not any(s.label == "name" for s in detect(SENTENCE))


def test_thorough_export_redacts_the_name_and_says_which_method_ran(tmp_path: Path) -> None:
    export(_cands(), "sft", tmp_path / "rules")
    export(_cands(), "sft", tmp_path / "rules-again", thorough=False)
    report = export(_cands(), "sft", tmp_path / "thorough", thorough=True)
    rules, thorough = _files(tmp_path / "rules"), _files(tmp_path / "thorough")
    assert NAME in rules["train.jsonl"].decode() and NAME not in thorough["train.jsonl"].decode()
    assert "[姓名]" in thorough["train.jsonl"].decode()
    # off: the same files as an export that never heard of the mode (the card's date aside)
    strip = lambda b: re.sub(rb"20\d\d-\d\d-\d\dT[\d:]+", b"", b)  # noqa: E731
    assert {k: strip(v) for k, v in rules.items()} == {k: strip(v) for k, v in _files(tmp_path / "rules-again").items()}
    assert b"method" not in rules["deid_report.json"] and b"thorough" not in rules["README.md"]
    method = json.loads(thorough["deid_report.json"])["method"]
    assert method == {"name": "rules+tagger", "labels": sorted(BLEND_LABELS), "threshold": default_model().threshold,
                      "data_hash": default_model().data_hash}
    assert report.deid.by_kind["name"] == 1
    card = thorough["README.md"].decode()
    assert "**thorough**" in card and default_model().data_hash in card


def test_thorough_mode_refuses_without_the_tagger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def absent() -> None:
        raise ModelUnavailable("privacy_model.npz: cannot read the de-identification model: absent")

    monkeypatch.setattr(privacy_model, "default_model", absent)
    with pytest.raises(ModelUnavailable, match="thorough de-identification needs the learned tagger.*train-deid"):
        export(_cands(), "sft", tmp_path / "out", thorough=True)
    assert not (tmp_path / "out").exists()
    export(_cands(), "sft", tmp_path / "rules")  # the default needs no tagger
    with pytest.raises(InputError, match="needs de-identification on"):
        export(_cands(), "sft", tmp_path / "off", deidentify=False, thorough=True)


@pytest.fixture(scope="module")
def store_db(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("thorough") / "wb.db"
    store = Store(f"sqlite:///{db}")
    build_world(store)
    with store.session() as s:
        create_dialogue(s, (Turn("patient", SENTENCE),), source="live")
    yield store, db
    store.dispose()


def test_the_store_exports_tables_thoroughly(store_db, tmp_path: Path) -> None:
    store, _ = store_db
    plain = export_from_store(store, ["tables_csv"], tmp_path / "rules")["tables_csv"]
    deep = export_from_store(store, ["tables_csv"], tmp_path / "thorough", thorough=True)["tables_csv"]
    assert NAME in (tmp_path / "rules" / "dialogues.csv").read_text("utf-8")
    assert NAME not in (tmp_path / "thorough" / "dialogues.csv").read_text("utf-8")
    assert plain.deid.thorough is None and deep.deid.thorough and deep.deid.by_kind["name"] > plain.deid.by_kind["name"]


def test_the_command_line_flag_reaches_the_export(store_db, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, db = store_db
    url = f"sqlite:///{db}"
    assert main(["export", "--format", "tables_csv", "--db", url, "--out", str(tmp_path / "t"),
                 "--deidentify-with-model"]) == 0
    assert "de-identification: on (rules+tagger" in capsys.readouterr().out
    assert json.loads((tmp_path / "t" / "deid_report.json").read_text("utf-8"))["method"]["name"] == "rules+tagger"
    assert NAME not in (tmp_path / "t" / "dialogues.csv").read_text("utf-8")
    assert main(["export", "--format", "tables_csv", "--db", url, "--out", str(tmp_path / "r")]) == 0
    assert "method" not in json.loads((tmp_path / "r" / "deid_report.json").read_text("utf-8"))
    assert main(["export", "--format", "sft", "--db", url, "--out", str(tmp_path / "x"), "--no-deidentify",
                 "--deidentify-with-model"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_the_export_tabs_checkbox_reaches_the_export(store_db) -> None:
    import gradio as gr
    from rating_fixtures import test_config

    from workbench.services import build_services
    from workbench.ui.export_tab import build_export_tab
    from workbench.ui.i18n import Localizer

    _, db = store_db
    svc = build_services(test_config(db), auth_enabled=True)
    with gr.Blocks():
        tab = build_export_tab(svc, Localizer())
    admin = SimpleNamespace(username="boss")
    values = (["tables_csv"], None, None, None, 4.0, [], False, [], [], "", "", True, "", "mean")
    for on in (False, True):
        out = tab["on_export"](admin, *values, on)
        key = re.search(r'href="workbench-export/([^"]+)"', out[tab["download"]]).group(1)
        with zipfile.ZipFile(svc.exports.find(key, "boss").path) as z:
            report = json.loads(z.read("deid_report.json"))
            dialogues = z.read("dialogues.csv").decode("utf-8")
        assert ("method" in report) is on and (NAME in dialogues) is not on
        assert ("method: thorough" in out[tab["summary"]]) is on


@pytest.mark.parametrize("text", ["BianQue-1.0 (T5)", "BianQue-2.0 (ChatGLM-6B) chat(history=None)",
                                  "Kevin Chat-GPT Lambda-7B", "route v1; fallback v2 (T5 reply not a question)"])
def test_latin_words_alone_are_never_the_taggers_names(text: str) -> None:
    """Walk s67: thorough exports wrote [姓名] (T5) for BianQue-1.0 (T5) in the tables' route reasons. The tagger's
    names hold a CJK character; Latin names are the rules' (after Dr., Mr., My wife …)."""
    assert not [s for s in privacy_model.detect_thorough(text) if s.label == "name"]
    both = text + "，" + SENTENCE
    assert [both[s.start:s.end] for s in privacy_model.detect_thorough(both)] == [NAME]


def test_the_store_tables_technical_text_is_the_same_in_both_modes(store_db, tmp_path: Path) -> None:
    from sqlalchemy import update

    from workbench.store.schema import Generation

    store, _ = store_db
    with store.session() as s:  # as the app stores a route reason (walk s67)
        s.execute(update(Generation).values(route_reason="BianQue-2.0 (ChatGLM-6B) chat(history=None)"))
    export_from_store(store, ["tables_csv"], tmp_path / "rules")
    export_from_store(store, ["tables_csv"], tmp_path / "thorough", thorough=True)
    import pandas as pd

    plain = pd.read_csv(tmp_path / "rules" / "generations.csv", dtype=str)
    deep = pd.read_csv(tmp_path / "thorough" / "generations.csv", dtype=str)
    assert plain["route_reason"].notna().any()
    assert plain["route_reason"].tolist() == deep["route_reason"].tolist()


def test_the_card_states_the_limits_of_the_method_that_ran(tmp_path: Path) -> None:
    export(_cands(), "sft", tmp_path / "rules")
    export(_cands(), "sft", tmp_path / "thorough", thorough=True)
    rules = (tmp_path / "rules" / "README.md").read_text("utf-8")
    thorough = (tmp_path / "thorough" / "README.md").read_text("utf-8")
    assert rules.count("Limits:") == 1 and "rule-based" in rules  # one paragraph (there were two)
    assert thorough.count("Limits:") == 1 and "learned tagger" in thorough.split("Limits:")[1]
    assert "rule-based" not in thorough and "personal health data" in thorough
