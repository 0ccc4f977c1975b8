"""The Chat tab driven through gradio_client against the real server, models and SQLite file."""

from __future__ import annotations

import pytest
from gradio_clients import Client
from sqlalchemy import select

from tests.ui_server import running_app
from workbench.prompts import GREETING
from workbench.store.schema import Generation, Turn


@pytest.fixture
def client(services):
    with running_app(services) as url:
        yield Client(url, verbose=False, analytics_enabled=False, headers=url.headers)


def _generations(svc) -> list[Generation]:
    with svc.store.session() as s:
        return list(s.scalars(select(Generation).order_by(Generation.id)))


def test_messages_lead_to_stored_generations_in_every_column(client, services):
    client.predict("你好", api_name="/send")
    first = _generations(services)
    assert sorted(g.column_name for g in first) == sorted(services.columns)
    assert all(g.status == "ok" and g.output == GREETING and g.input_text is None for g in first)
    assert {g.route for g in first} == {"greeting"}

    client.predict("我最近经常失眠，晚上睡不着", api_name="/send")
    second = [g for g in _generations(services) if g.turn_index == 3]
    assert sorted(g.column_name for g in second) == sorted(services.columns)
    by = {g.column_name: g for g in second}
    for g in second:
        assert g.status == "ok" and g.output and g.input_text
        assert g.params and g.seed is not None and g.latency_ms > 0 and g.ttft_ms is not None
        assert g.prompt_tokens > 0 and g.output_tokens > 0 and g.length_chars == len(g.output.strip())
        assert g.asks_question is not None and g.model_revision
    v1 = by["BianQue-1.0"]
    assert v1.input_text == "病人：你好\\n医生：" + GREETING + "\\n病人：我最近经常失眠，晚上睡不着\\n医生："
    assert v1.params["temperature"] == 0.7 and v1.params["no_repeat_ngram_size"] == 3
    assert by["BianQue-2.0"].input_text == "病人：你好\n医生：" + GREETING + "\n病人：我最近经常失眠，晚上睡不着\n医生："
    assert by["BianQue-2.0"].params["top_p"] == 0.7
    hy = by["Hybrid v1→v2"]
    assert hy.route in ("v1", "v2") and hy.route_reason.startswith("second turn")
    with services.store.session() as s:
        turns = s.scalars(select(Turn).where(Turn.dialogue_id == v1.dialogue_id).order_by(Turn.idx)).all()
        assert [(t.idx, t.role) for t in turns] == [(0, "patient"), (2, "patient")]


def test_empty_message_is_refused_and_nothing_is_stored(client, services):
    client.predict("   \n ", api_name="/send")
    assert _generations(services) == []
    with services.store.session() as s:
        assert s.scalars(select(Turn)).all() == []


def test_regenerate_and_new_dialogue(client, services):
    client.predict("你好", api_name="/send")
    client.predict("头疼三天了", api_name="/send")
    client.predict(api_name="/regenerate_all")
    gens = [g for g in _generations(services) if g.turn_index == 3]
    assert len(gens) == 2 * len(services.columns)
    seeds = {}
    for g in gens:
        seeds.setdefault(g.column_name, []).append(g.seed)
    assert all(len(set(v)) == 2 for v in seeds.values())  # a regeneration samples with a new, stored seed
    client.predict(api_name="/new_dialogue")
    client.predict("你好", api_name="/send")
    dialogues = {g.dialogue_id for g in _generations(services)}
    assert len(dialogues) == 2


def test_a_failed_column_names_its_model_and_server_only_to_those_who_may_see_them():
    from workbench.chat import ReplyStatus
    from workbench.ui import i18n
    from workbench.ui.chat_tab import status_md

    g = ReplyStatus(status="error", error="BianQue-2.0: cannot reach http://bianque2.internal:8000/v1: ConnectError",
                    input_text=None, route="BianQue-2.0", route_reason=None, latency_ms=None, output_tokens=None,
                    seed=None)
    import html

    shown = html.unescape(status_md(g, "en"))  # Markdown-inert character references
    assert "bianque2.internal" in shown and "BianQue-2.0" in shown
    for lang in ("en", "zh"):
        blind = html.unescape(status_md(g, lang, blind=True))
        assert "BianQue" not in blind and "http" not in blind and "bianque2" not in blind
        assert blind == i18n.t("chat.status.error_blind", lang)


def test_the_greetings_status_says_no_model_ran():
    """Walk 10: the greeting's status read "done · 0.00 s · 0 tokens", as if a model had answered in no time."""
    from workbench.chat import ReplyStatus
    from workbench.ui import i18n
    from workbench.ui.chat_tab import status_md

    greeting = ReplyStatus(status="ok", error=None, input_text=None, route="greeting", route_reason=None,
                           latency_ms=0.0, output_tokens=0, seed=None)
    for lang in ("en", "zh"):
        for blind in (False, True):
            shown = status_md(greeting, lang, blind=blind)
            assert i18n.t("chat.status.no_model_call", lang) in shown and "0.00 s" not in shown, shown
    reply = ReplyStatus(status="ok", error=None, input_text="病人：头疼\n医生：", route="BianQue-1.0", route_reason=None,
                        latency_ms=1234.0, output_tokens=17, seed=1)
    assert "1.23 s" in status_md(reply, "en") and "17 tokens" in status_md(reply, "en")
