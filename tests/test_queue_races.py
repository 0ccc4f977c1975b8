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
from workbench.annotate.ratings import RatingForm, preference_from_choice
from workbench.annotate.rubric import NA, load_rubric
from workbench.config import REPO_ROOT
from workbench.store.engine import Store
from workbench.store.schema import Assignment, Preference, Rating
from workbench.vocab import AnswerStatus

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


def test_overlap_targets_hold_when_every_annotator_asks_at_once(url):
    """k annotators per item, never k+1, never one annotator twice, with six annotators claiming at the same
    moment (the items already taken fill first)."""
    store = Store(url)
    users = make_users(store, *[f"racer{i}" for i in range(6)])
    for i in range(2):
        add_item(store, [f"回复甲{i}", f"回复乙{i}"])
    claims = at_once(url, [lambda st, u=u: workflow.claim_next(st, u, 2) for u in users])
    assert not [c for c in claims if isinstance(c, Exception)], claims
    assert sorted(c.item_id for c in claims if c is not None) == [1, 1, 2, 2]
    with store.read() as s:
        rows = s.execute(select(Assignment.item_id, Assignment.slot, Assignment.user_id)).all()
    assert sorted((i, slot) for i, slot, _ in rows) == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert len({(i, uid) for i, _, uid in rows}) == len(rows)
    store.dispose()


def test_one_item_submitted_from_several_tabs_at_once_is_stored_once(url):
    """A double submit (two tabs, a double key press) stores one answer per reply, one preference, one completed
    assignment; every tab is told it was stored."""
    rubric = load_rubric(REPO_ROOT / "annotations" / "rubric.yaml")
    form = RatingForm(turn_type="question", scores={"questioning": 4, "suggestion": NA})
    store = Store(url)
    (bob,) = make_users(store, "bob")
    add_item(store, ["回复甲", "回复乙"])
    first = workflow.claim_next(store, bob, 1)
    assert first is not None

    def answers(item):
        return {r.generation_id: form for r in item.replies}, preference_from_choice(item, "tie")

    results = at_once(url, [lambda st: workflow.submit(st, bob, first.item_id, answers, rubric=rubric, blind=True,
                                                       k=1)] * 4)
    assert all(isinstance(r, workflow.Submitted) for r in results), results
    with store.read() as s:
        stored = s.execute(select(Rating.generation_id, Rating.status, Rating.version)).all()
        assert sorted((status, version) for _, status, version in stored) == [(AnswerStatus.SUBMITTED, 1)] * 2
        assert [p.status for p in s.scalars(select(Preference))] == [AnswerStatus.SUBMITTED]
        done = s.scalars(select(Assignment).where(Assignment.user_id == bob.id)).all()
    assert [a.completed_at is not None for a in done] == [True]
    store.dispose()
