"""The queue under real concurrency: threads, each with its own engine, on one SQLite file (and on PostgreSQL
when WORKBENCH_TEST_PG_URL is set), as annotators' pages and tabs run at the same moment."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rate_ui_support import add_item
from rating_fixtures import make_users
from sqlalchemy import create_engine, select, text

from workbench.annotate import queue, workflow
from workbench.store.engine import Store
from workbench.store.schema import Assignment

PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def url(request, tmp_path) -> Iterator[str]:
    """A fresh database's URL: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'race.db'}"
        return
    assert PG_URL is not None
    schema = "t_" + uuid.uuid4().hex[:10]
    eng = create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with eng.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        eng.dispose()


def at_once(url: str, calls: list[Callable[[Store], Any]]) -> list[Any]:
    """Run each call in its own thread with its own engine, all released together; their results (or errors)."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        own = Store(url)  # its own connection pool: the database is the only thing the threads share
        try:
            barrier.wait()
            out[i] = calls[i](own)
        except Exception as e:  # noqa: BLE001 - returned to the test, which says what it expects
            out[i] = e
        finally:
            own.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


def test_next_pressed_in_several_tabs_at_once_gives_one_item(url):
    """One open item at a time, however many of the annotator's tabs ask at the same moment: on PostgreSQL each
    tab's transaction saw no open item and claimed its own (4 tabs, 4 open items, 4 slots taken from others)."""
    store = Store(url)
    (bob,) = make_users(store, "bob")
    for i in range(6):
        add_item(store, [f"回复甲{i}", f"回复乙{i}"])
    with store.session() as s:
        queue.sync_queue(s)
    claims = at_once(url, [lambda st: workflow.claim_next(st, bob, 2, sync=False)] * 4)
    assert not [c for c in claims if isinstance(c, Exception)], claims
    assert len({c.item_id for c in claims}) == 1, claims
    with store.read() as s:
        assert len(s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).all()) == 1
    store.dispose()
