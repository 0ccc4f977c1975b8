"""Who may list, open and continue which Chat dialogue: the rules of workbench/chat_dialogues.py, on SQLite,
and the same rules enforced on the server for direct API calls."""

from __future__ import annotations

import pytest
from gradio_clients import Client
from sqlalchemy import select

from tests.chat_browser_support import remote_config
from tests.fake_openai import FakeOpenAI
from tests.ui_login import password_of
from tests.ui_server import running_app
from workbench import chat, chat_dialogues
from workbench.auth import upsert_user
from workbench.dialogue import Turn
from workbench.errors import AuthError, InputError
from workbench.services import build_services
from workbench.store.dialogues import create_dialogue
from workbench.store.schema import Turn as TurnRow


@pytest.fixture
def svc(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    s = build_services(remote_config(tmp_path, "http://127.0.0.1:9/v1"), auth_enabled=True)
    yield s
    s.close()


def users(svc):
    return {name: upsert_user(svc.store, name, password_of(name), role)
            for name, role in {"ann1": "annotator", "ann2": "annotator", "rita": "researcher"}.items()}


def test_annotators_list_their_own_researchers_everyones_with_filters(svc):
    u = users(svc)
    d1, _ = chat.send(svc, None, "头晕三天了", user_id=u["ann1"].id)
    chat.send(svc, d1, "还有点100%恶心_", user_id=u["ann1"].id)
    d2, _ = chat.send(svc, None, "胃疼", user_id=u["ann2"].id)
    with svc.store.session() as s:  # imported data is not a Chat dialogue
        create_dialogue(s, (Turn("patient", "头晕"),), source="dataset")
    mine = chat_dialogues.list_dialogues(svc, u["ann1"])
    assert [(r.id, r.owner, r.patient_messages, r.first_message) for r in mine] == [(d1, "ann1", 2, "头晕三天了")]
    # An annotator's owner filter cannot widen the list.
    assert [r.id for r in chat_dialogues.list_dialogues(svc, u["ann1"], owner="ann2")] == [d1]
    assert [r.id for r in chat_dialogues.list_dialogues(svc, u["rita"])] == [d2, d1]
    assert [r.id for r in chat_dialogues.list_dialogues(svc, u["rita"], owner="ann2")] == [d2]
    # Text search is literal: % and _ are characters, not wildcards.
    assert [r.id for r in chat_dialogues.list_dialogues(svc, u["rita"], text="100%恶心_")] == [d1]
    assert chat_dialogues.list_dialogues(svc, u["rita"], text="1%恶") == []
    assert chat_dialogues.owners(svc, u["rita"]) == ["ann1", "ann2"]
    assert chat_dialogues.owners(svc, u["ann1"]) == ["ann1"]


def test_open_and_continue_rights(svc):
    u = users(svc)
    d1, _ = chat.send(svc, None, "头晕", user_id=u["ann1"].id)
    assert chat_dialogues.require_continuable(svc, u["ann1"], d1).mine
    with pytest.raises(AuthError, match=f"dialogue #{d1} is not one you may open"):
        chat_dialogues.access(svc, u["ann2"], d1)
    with pytest.raises(AuthError, match="#999 is not one you may open"):  # same answer: ids reveal nothing
        chat_dialogues.access(svc, u["ann2"], 999)
    acc = chat_dialogues.access(svc, u["rita"], d1)
    assert (acc.owner, acc.mine) == ("ann1", False)
    with pytest.raises(InputError, match="started by ann1"):
        chat_dialogues.require_continuable(svc, u["rita"], d1)


@pytest.mark.parametrize("value", ["", "abc", "-3", "0", "1.5", "1e3", None])
def test_a_bad_dialogue_number_is_a_clear_error(value):
    with pytest.raises(InputError, match="dialogue number"):
        chat_dialogues.parse_dialogue_id(value)


@pytest.mark.parametrize(("value", "number"), [("12", 12), (" #7 ", 7), (3, 3), (4.0, 4)])
def test_dialogue_numbers(value, number):
    assert chat_dialogues.parse_dialogue_id(value) == number


def test_the_server_refuses_direct_api_calls_on_others_dialogues(tmp_path, monkeypatch):
    """The hidden rules hold for a script calling the API: no opening, sending or regenerating elsewhere."""
    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    with FakeOpenAI(["好的"]) as model:
        svc = build_services(remote_config(tmp_path, model.base_url), auth_enabled=True)
        u = users(svc)
        d1, _ = chat.send(svc, None, "头晕", user_id=u["ann1"].id)
        try:
            with running_app(svc, auth=True) as url:
                ann2 = Client(url, auth=("ann2", password_of("ann2")), verbose=False, analytics_enabled=False)
                # Refused with a warning: nothing of the dialogue comes back, and ann2's session stays where it was.
                assert "头晕" not in str(ann2.predict(str(d1), api_name="/open_dialogue"))
                ann2.predict(api_name="/regenerate_all")
                listed = ann2.predict("", None, api_name="/list_dialogues")
                assert "头晕" not in str(listed)
                rita = Client(url, auth=("rita", password_of("rita")), verbose=False, analytics_enabled=False)
                rita.predict(str(d1), api_name="/open_dialogue")
                rita.predict("研究员插话", api_name="/send")  # refused with a warning; the text stays
                rita.predict(api_name="/regenerate_all")
        finally:
            svc.close()
    with svc.store.read() as s:
        assert [t.text for t in s.scalars(select(TurnRow).where(TurnRow.dialogue_id == d1))] == ["头晕"]
    assert model.requests == []
