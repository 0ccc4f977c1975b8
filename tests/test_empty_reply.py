"""A column whose model answers nothing: a real T5 (the demo checkpoint, its head rewired) whose every step is the
end token or <unk>, so each reply decodes to no text. The reply is stored as what the model did (ok, empty, 0
characters: metrics score it 0), and the chat says so in the bubble instead of showing a blank one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from gradio_clients import Client
from safetensors.torch import load_file, save_file
from sqlalchemy import select

from tests.ui_server import running_app
from workbench.config import parse_config
from workbench.services import build_services
from workbench.store.schema import Generation
from workbench.ui import i18n


def silent_t5(demo_v1: Path, dest: Path) -> Path:
    """A copy of the demo T5 whose head only scores </s> and <unk>: one of them wins every step by a mile."""
    shutil.copytree(demo_v1, dest)
    w = load_file(dest / "model.safetensors")
    norm = w["decoder.final_layer_norm.weight"]
    norm.zero_()
    norm[0] = 1.0  # the head sees one feature of the decoder's state, never zero
    head = torch.zeros_like(w["shared.weight"])
    head[1, 0], head[2, 0] = 1000.0, -1000.0  # </s> when it is positive, <unk> (a special token) when negative
    w["lm_head.weight"] = head
    save_file({k: v.contiguous() for k, v in w.items()}, dest / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((dest / "config.json").read_text(encoding="utf-8"))
    config["tie_word_embeddings"] = False
    (dest / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return dest


@pytest.fixture
def empty_app(demo_models, tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    silent = silent_t5(demo_models.v1_path, tmp_path / "silent-t5")
    columns = [{"name": name, "backend": "bianque-v1", "greeting": None,
                "model": {"path": str(path), "device": "cpu", "dtype": "float32"},
                "generation": {"do_sample": False, "max_new_tokens": 16}}
               for name, path in (("Silent", silent), ("BianQue-1.0", demo_models.v1_path))]
    cfg = parse_config({"database_url": f"sqlite:///{tmp_path / 'empty.db'}", "columns": columns,
                        "annotation": {"users_file": None, "annotators_per_item": 1}}, "<empty reply>")
    svc = build_services(cfg)
    with running_app(svc) as url:
        yield svc, Client(url, verbose=False, analytics_enabled=False, download_files=False, headers=url.headers)
    svc.close()


def _bubbles(outputs: tuple) -> list[list[dict]]:
    return [o for o in outputs if isinstance(o, list) and o and all(isinstance(m, dict) for m in o)]


def test_an_empty_reply_is_stored_as_is_and_the_chat_says_so(empty_app):
    svc, client = empty_app
    client.predict("我咳嗽三天了，晚上更厉害", api_name="/send")
    with svc.store.session() as s:
        gens = {g.column_name: g for g in s.scalars(select(Generation))}
    silent, normal = gens["Silent"], gens["BianQue-1.0"]
    assert silent.status == "ok" and silent.output == "" and silent.error is None and silent.length_chars == 0
    assert normal.status == "ok" and normal.output.strip()
    marker = i18n.t("chat.bubble.empty", "en")
    # The dialogue as the Chat tab shows it, every column at once (what a reload or "Open" renders).
    chats = _bubbles(client.predict(str(silent.dialogue_id), api_name="/open_dialogue"))
    assert len(chats) == 2
    replies = ["".join(part["text"] for part in c[-1]["content"]) for c in chats]
    assert sum(marker in r for r in replies) == 1  # the silent column's bubble, and only that one
    assert any(normal.output in r and marker not in r for r in replies)
    # The next message still works in both columns.
    client.predict("没有发烧", api_name="/send")
    with svc.store.session() as s:
        assert {g.column_name for g in s.scalars(select(Generation).where(Generation.turn_index == 3))} == {
            "Silent", "BianQue-1.0"}
