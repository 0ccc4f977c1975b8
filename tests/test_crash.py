"""Crash safety: SIGKILL the real server in the middle of a stream of rating writes and of a generation.

The server (``launch.py`` in a subprocess, SQLite in WAL mode) takes rating submits from four annotators
while a chat reply is streaming from a slow model server. It is killed with SIGKILL. Then: the database
passes ``PRAGMA integrity_check``, every rating a client saw acknowledged is there, the generation that
was streaming is marked as an interrupted error (never left 'running', never passed off as a reply), and
the restarted server takes new submits.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time

import pytest
from fake_openai import FakeOpenAI
from gradio_clients import Client
from sqlalchemy import select

from workbench.store.engine import Store
from workbench.store.schema import Generation
from workbench.testing import load as harness

pytestmark = pytest.mark.slow  # starts servers and drives many clients

ANNOTATORS = 4
K = 2


def _wait(cond, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_sigkill_mid_stream_loses_nothing_acknowledged(tmp_path):
    db = tmp_path / "crash.db"
    url = f"sqlite:///{db}"
    store = Store(url)
    harness.seed_items(store, 400)
    store.dispose()
    users, logins = harness.write_users(tmp_path, ANNOTATORS, admin=True)
    with FakeOpenAI([f"第{i}句。" for i in range(400)], delay_s=0.05) as model:
        config = harness.write_config(tmp_path, url, K, concurrency=8, base_url=model.base_url, timeout_s=60)
        server = harness.start_server(config, users, log_path=tmp_path / "server1.log")
        try:
            # A reply starts streaming (the column's model server sends a chunk every 50 ms).
            chat = Client(server.url, auth=("boss", "boss-pass-1"), verbose=False, analytics_enabled=False,
                          download_files=False)
            chat.submit("我咳嗽三天了", api_name="/send")
            _wait(lambda: model.chunks_sent >= 5, 60, "the reply to start streaming")
            # Annotators write as fast as they can.
            stop = threading.Event()
            results = [harness.AnnotatorResult(u) for u, _ in logins]
            threads = [threading.Thread(target=harness.annotate, args=(server.url, u, p, 10_000, None, r, stop, "api"),
                                        daemon=True) for (u, p), r in zip(logins, results, strict=True)]
            for t in threads:
                t.start()
            _wait(lambda: sum(len(r.acknowledged) for r in results) >= 40, 90, "40 acknowledged ratings")
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(10)
            stop.set()
            for t in threads:
                t.join(30)
        finally:
            server.stop()
        acked = {(r.username, item) for r in results for item in r.acknowledged}
        assert len(acked) >= 40

        # The file is sound before anything reopens it.
        con = sqlite3.connect(db)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            running = con.execute("SELECT count(*) FROM generations WHERE status = 'running'").fetchone()[0]
        finally:
            con.close()
        assert running == 1, "the streaming reply should have been cut off by the kill"

        # Restart on the same database.
        server = harness.start_server(config, users, log_path=tmp_path / "server2.log")
        try:
            store = Store(url)
            lost = [key for key in acked if not _submitted(store, *key)]
            assert not lost, f"acknowledged but missing after the crash: {lost[:5]}"
            with store.session() as s:
                gens = list(s.scalars(select(Generation).where(Generation.column_name == harness.COLUMN,
                                                               Generation.backend == "openai-compatible")))
            assert len(gens) == 1
            g = gens[0]
            assert g.status == "error" and "interrupted" in (g.error or "")
            assert "interrupted" not in (g.output or "")  # the error is not passed off as model text
            # The restarted server works: one more submit is acknowledged and stored.
            again = harness.AnnotatorResult(logins[0][0])
            harness.annotate(server.url, *logins[0], 1, None, again, None, "api")
            assert not again.errors and len(again.acknowledged) == 1
            assert _submitted(store, logins[0][0], again.acknowledged[0])
            store.dispose()
        finally:
            server.stop()
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def _submitted(store: Store, username: str, item_id: int) -> bool:
    from sqlalchemy import text

    with store.session() as s:
        row = s.execute(text(
            "SELECT r.status FROM ratings r JOIN users u ON u.id = r.user_id "
            "JOIN generations g ON g.id = r.generation_id "
            "JOIN queue_items q ON q.dialogue_id = g.dialogue_id AND q.turn_index = g.turn_index "
            "WHERE u.username = :u AND q.id = :i"), {"u": username, "i": item_id}).first()
    return row is not None and row[0] == "submitted"


def test_interrupted_marking_is_idempotent(tmp_path):
    """Reopening a database marks only rows still 'running'; finished rows are untouched."""
    from workbench.store.dialogues import create_dialogue, mark_interrupted

    store = Store(f"sqlite:///{tmp_path / 'i.db'}")
    with store.session() as s:
        d = create_dialogue(s, ())
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="c", backend="t", status="running"))
        s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="c", backend="t", status="ok", output="好"))
    with store.session() as s:
        assert mark_interrupted(s) == 1
    with store.session() as s:
        assert mark_interrupted(s) == 0
        rows = {g.status: g for g in s.scalars(select(Generation))}
    assert rows["ok"].output == "好" and rows["ok"].error is None
    assert json.dumps(sorted(rows)) == json.dumps(["error", "ok"])
    store.dispose()
