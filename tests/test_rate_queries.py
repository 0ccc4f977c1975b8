"""How many SQL statements one submit-and-next costs through the real Rate tab, and that opening an item
only reads. A count is not a timing: it is the same on a quiet and a loaded machine (timings are in
bench/rate_ui_latency.py)."""

from __future__ import annotations

from contextlib import contextmanager

from rate_ui_support import add_item
from rating_fixtures import make_users
from rating_fixtures import test_config as app_config
from sqlalchemy import event, func, select

from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.store.schema import Suggestion

#: statements (BEGIN and SAVEPOINTs included) for one submit of a three-reply item plus the next item
#: shown: 85 before the read path was redesigned, 68 after it.
MAX_STATEMENTS_PER_SUBMIT_AND_NEXT = 70
WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def counting(engine):
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.lstrip().upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _submit_values() -> list:
    """The submit's one input as the page sends it (workbench/ui/rate_payload.py): per reply box the turn type,
    two scores, safety, comment and correction, then the preference."""
    import json

    return [json.dumps({"preference": "tie", "ranking": "", "answers": [["question", "4", "3", False, "", ""]] * 3})]


def test_submit_and_next_through_the_real_tab_stays_within_its_query_budget(tmp_path):
    from ui_server import client, running_app

    from workbench.services import build_services

    svc = build_services(app_config(tmp_path / "rate.db", k=1))
    for i in range(4):
        add_item(svc.store, [f"咳嗽{i}天了吗？", f"建议多喝水（{i}）。", f"建议先量体温。咳嗽有痰吗？（{i}）"])
    try:
        with running_app(svc) as url:
            c = client(url)
            c.predict(api_name="/rate_next")
            counts = []
            for _ in range(2):
                with counting(svc.store.engine) as statements:
                    out = c.predict(*_submit_values(), api_name="/rate_submit")
                counts.append(len(statements))
                shown = next(v for v in out if isinstance(v, str) and v.isdigit())  # the item reference box
                assert any(s.startswith("INSERT INTO RATING_VERSIONS") for s in statements)  # it did submit
                assert any(s.startswith("INSERT INTO ASSIGNMENTS") for s in statements)  # and claimed the next
            assert int(shown) >= 3
    finally:
        svc.close()
    assert max(counts) <= MAX_STATEMENTS_PER_SUBMIT_AND_NEXT, counts


def test_opening_an_item_only_reads(tmp_path):
    """Suggestions are stored when a reply is written (or backfilled by the queue's sync), never on open."""
    from workbench.store.engine import Store

    store = Store(f"sqlite:///{tmp_path / 'read.db'}")
    add_item(store, ["咳嗽多久了？", "建议多喝水。", "建议多喝水。"])
    (ann,) = make_users(store, "ann")
    with store.session() as s:
        sync_queue(s)
        claim = take_next(s, ann, 1)
    assert claim is not None
    with counting(store.engine) as statements, store.read() as s:
        view = open_item(s, ann, claim.item_id)
    assert not [x for x in statements if x.startswith(WRITES)], statements
    assert all(r.suggestion is not None for r in view.replies)
    with store.read() as s:
        assert s.scalar(select(func.count(Suggestion.id))) == 3  # stored once each, by the sync
    store.dispose()
