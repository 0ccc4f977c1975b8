"""A dialogue generates one set of replies at a time: a Regenerate (or a send from a second tab) while a send's
replies stream is refused with a message, instead of generating a reply from a thread that lacks the one still
on its way. Once the replies are stored, Regenerate works again."""

from __future__ import annotations

import pytest
from gradio_clients import Client
from sqlalchemy import func, select

from tests.ui_server import running_app
from workbench.store.schema import Generation


@pytest.fixture
def app(services):
    with running_app(services) as url:
        yield url


def _client(url) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, headers=url.headers)


def _attempts(services, position: int) -> dict[str, int]:
    """How many replies each column has at ``position`` (finished or not)."""
    with services.store.read() as s:
        rows = s.execute(select(Generation.column_name, func.count()).where(Generation.turn_index == position)
                         .group_by(Generation.column_name)).all()
    return dict(rows)


def _first_update(job) -> None:
    """Wait for the job's first streamed update (the send is running: its message stored, replies pending)."""
    next(iter(job))


def test_regenerate_while_a_send_streams_is_refused_and_works_after(app, services):
    client = _client(app)
    client.predict("你好", api_name="/send")
    client.predict("头疼三天了", api_name="/send")
    job = client.submit("晚上更厉害", api_name="/send")
    _first_update(job)
    refused = client.predict(api_name="/regenerate_all")  # refused at once: it returns while the send still runs
    running = not job.done()
    # ... and changes nothing on the page: a handler that yielded nothing set every output to None, which
    # blanked the dialogue line
    assert refused and all(out == {"__type__": "update"} for out in refused), refused
    job.result()
    # The refused regeneration generated nothing: one reply per column at the send's position.
    assert _attempts(services, 5) == {c: 1 for c in services.columns}, f"send still running: {running}"
    assert running, "the send had finished before Regenerate was pressed: nothing tested"
    # Once the send is over the dialogue is free again: Regenerate makes a second reply per column.
    assert _client(app).predict(api_name="/regenerate_all") == refused  # a new tab: nothing to regenerate yet
    client.predict(api_name="/regenerate_all")
    assert _attempts(services, 5) == {c: 2 for c in services.columns}


def test_a_send_from_a_second_tab_waits_its_turn(tmp_path):
    """Two sessions on one dialogue (one user, two tabs): the second's send while the first's streams is refused,
    and its message is not stored (it stays in that tab's box). The model holds every reply after its first piece
    until the test lets it go (an OpenAI-compatible server on a gate), so the first send is still running when the
    second arrives however loaded the machine is. (It failed once in four runs under load: the dialogue was read
    from the replies' rows, which the first update may precede, so the second tab opened nothing and its send
    started a dialogue of its own, whose replies outlasted the first send's.)"""
    from chat_browser_support import remote_app

    from workbench.store.schema import Turn as StoredTurn

    with remote_app(tmp_path, ["好"] * 4, hold_after=1, columns=("Remote-A", "Remote-B")) as (svc, url, model):
        first = _client(url)
        job = first.submit("头疼三天了", api_name="/send")
        try:
            _first_update(job)
            # The dialogue of the message just stored: its replies' rows may not be written yet (read from them, the
            # dialogue was now and then None, and the second tab's send started a dialogue of its own)
            with svc.store.read() as s:
                did = s.scalar(select(StoredTurn.dialogue_id).where(StoredTurn.text == "头疼三天了"))
            assert did is not None
            second = _client(url)
            second.predict(str(did), api_name="/open_dialogue")
            out = second.predict("还有点发烧", api_name="/send")
            assert not job.done(), "the first send ended while its replies were held"
        finally:
            model.release()
        job.result()
        with svc.store.read() as s:
            texts = s.scalars(select(StoredTurn.text).where(StoredTurn.dialogue_id == did)).all()
            replies = s.scalar(select(func.count()).select_from(Generation).where(Generation.dialogue_id == did))
            finished = s.scalars(select(Generation.output).where(Generation.dialogue_id == did)).all()
    assert "还有点发烧" not in texts and replies == len(svc.columns), (texts, replies)
    assert finished == ["好" * 4] * len(svc.columns), finished  # the first send's replies, whole once let go
    assert "还有点发烧" in out  # the refused message stays in the box
