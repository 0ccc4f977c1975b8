"""While a new reply is on its way, each column's status line says so from the first update: never the
previous reply's "done" (a reader, or a browser test, that waits for "done" must see the new reply)."""

from __future__ import annotations

import pytest
from gradio_clients import Client

from tests.ui_server import running_app


@pytest.fixture
def client(services):
    with running_app(services) as url:
        yield Client(url, verbose=False, analytics_enabled=False, headers=url.headers)


def _statuses(output) -> list[str]:
    return [v for v in output if isinstance(v, str) and ("`done`" in v or "streaming" in v)]


def _first_statuses(job) -> list[str]:
    """The status lines of the job's first update that carries any (the client may also report an empty one)."""
    return next(found for found in map(_statuses, job) if found)


def test_first_update_of_a_send_marks_every_column_as_streaming(client, services):
    client.predict("你好", api_name="/send")
    client.predict("头疼三天了", api_name="/send")  # every column now has a finished ("done") reply
    job = client.submit("晚上更厉害", api_name="/send")
    first = _first_statuses(job)
    assert len(first) == len(services.columns), first
    assert all("streaming" in s and "`done`" not in s for s in first), first
    job.result()
    # ...and "done" once each reply is stored: the last status line each column received.
    last = {}
    for output in job.outputs():
        for i, value in enumerate(output):
            if value in _statuses([value]):
                last[i] = value
    assert len(last) == len(services.columns) and all("`done`" in s for s in last.values()), last


def test_first_update_of_a_regeneration_marks_its_columns_as_streaming(client, services):
    client.predict("你好", api_name="/send")
    client.predict("头疼三天了", api_name="/send")
    job = client.submit(api_name="/regenerate_all")
    first = _first_statuses(job)
    assert len(first) == len(services.columns), first
    assert all("streaming" in s and "`done`" not in s for s in first), first
