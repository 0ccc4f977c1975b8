"""A backend is one module plus one registry line: a rule backend defined here is registered through
``workbench.models.catalog.BACKENDS`` and then validated, built and run like any built-in one."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Literal

import pytest
from pydantic import Field
from sqlalchemy import select

from workbench import chat
from workbench.config import ColumnSettings, parse_config
from workbench.dialogue import Dialogue
from workbench.errors import ConfigError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.catalog import BACKENDS, BackendSpec
from workbench.models.registry import ModelPool, build_backends
from workbench.services import build_services
from workbench.store.schema import Generation
from workbench.vocab import GenerationStatus


# --- the whole backend: settings, class, builder (what a new file under workbench/models/ would hold) ---
class EchoColumn(ColumnSettings):
    backend: Literal["echo"]
    question: str = Field("多久了？", min_length=1, description="Appended to the patient's last message")


class EchoBackend(Backend):
    """Asks back about the patient's last message: a rule, no model."""

    kind = "echo"

    def __init__(self, name: str, question: str) -> None:
        super().__init__(name)
        self.question = question

    def plan(self, dialogue: Dialogue) -> Plan:
        return Plan(input=dialogue.patient_texts[-1], route="echo", reason="rule")

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        trace.input_text = dialogue.patient_texts[-1]
        trace.route, trace.model_name = "echo", "echo-rule"
        reply = ""
        for piece in (trace.input_text, "，", self.question):
            reply += piece
            yield reply
        trace.output_tokens = len(reply)


def build(col: EchoColumn, pool: ModelPool, built: Mapping[str, Backend]) -> EchoBackend:
    return EchoBackend(col.name, col.question)


# --- the one registry line ---
@pytest.fixture
def echo_registered(monkeypatch):
    monkeypatch.setitem(BACKENDS, "echo", BackendSpec(f"{__name__}:EchoColumn", f"{__name__}:build"))


def _config(tmp_path, **column) -> dict:
    return {"database_url": f"sqlite:///{tmp_path / 'wb.db'}", "cache_dir": str(tmp_path / "cache"),
            "columns": [{"name": "Echo", "backend": "echo", **column}]}


def test_an_unregistered_backend_is_refused_with_the_registered_names(tmp_path):
    with pytest.raises(ConfigError) as e:
        parse_config(_config(tmp_path), "echo.yaml")
    assert "columns.0" in str(e.value) and "bianque-v1" in str(e.value) and "echo" not in str(e.value).split(
        "allowed:")[-1]


def test_a_registered_backend_is_validated_by_its_own_settings(tmp_path, echo_registered):
    cfg = parse_config(_config(tmp_path, question="有发烧吗？"), "echo.yaml")
    col = cfg.column("Echo")
    assert isinstance(col, EchoColumn) and col.question == "有发烧吗？"
    with pytest.raises(ConfigError) as e:
        parse_config(_config(tmp_path, question=""), "echo.yaml")
    assert "columns.0.echo.question" in str(e.value)
    with pytest.raises(ConfigError) as e:
        parse_config(_config(tmp_path, temperature=0.5), "echo.yaml")
    assert "columns.0.echo.temperature: unknown key" in str(e.value)
    with pytest.raises(ConfigError) as e:
        parse_config(_config(tmp_path, backend="echoo"), "echo.yaml")
    assert "echo" in str(e.value).split("allowed:")[-1]


def test_a_registered_backend_runs_a_chat_turn_through_the_generation_service(tmp_path, echo_registered):
    cfg = parse_config(_config(tmp_path), "echo.yaml")
    assert isinstance(build_backends(cfg, ModelPool(tmp_path))["Echo"], EchoBackend)
    svc = build_services(cfg)
    try:
        dialogue_id, position = chat.send(svc, None, "我头疼三天了", user_id=None)
        updates = list(chat.run(svc, dialogue_id, position, chat.jobs_for(svc, dialogue_id, position, ["Echo"])))
        final = [u for u in updates if u.final]
        assert [(u.column, u.status, u.text) for u in final] == [("Echo", "ok", "我头疼三天了，多久了？")]
        with svc.store.read() as s:
            g = s.scalars(select(Generation)).one()
            assert (g.backend, g.column_name, g.output, g.status) == (
                "echo", "Echo", "我头疼三天了，多久了？", GenerationStatus.OK)
            assert (g.input_text, g.route, g.model_name, g.turn_index) == ("我头疼三天了", "echo", "echo-rule", position)
    finally:
        svc.close()
