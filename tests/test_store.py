"""Store round-trips on a real SQLite file (and on PostgreSQL when WORKBENCH_TEST_PG_URL is set)."""

from __future__ import annotations

import os
import sqlite3
import uuid

import pytest
from sqlalchemy import select, text

from workbench.dialogue import Dialogue, Turn
from workbench.store.dialogues import (
    add_turn,
    column_thread,
    create_dialogue,
    mark_interrupted,
    shared_turns,
)
from workbench.store.engine import Store
from workbench.store.migrate import current_revision, head_revision
from workbench.store.schema import Generation, Suggestion

PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'wb.db'}")
    else:
        # A fresh schema per test: the same code, unchanged, on PostgreSQL.
        from sqlalchemy import create_engine

        schema = "t_" + uuid.uuid4().hex[:10]
        eng = create_engine(PG_URL)
        with eng.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        eng.dispose()
        s = Store(PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}")
    yield s
    s.dispose()


def test_sqlite_pragmas(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'p.db'}")
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_schema_version_is_stamped_and_reopen_is_idempotent(store):
    with store.engine.connect() as c:
        assert current_revision(c) == head_revision()
    again = Store(store.url)
    with again.engine.connect() as c:
        assert current_revision(c) == head_revision()
        assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    again.dispose()


def test_dialogue_and_generation_round_trip(store):
    turns = (Turn("patient", "我最近经常失眠\n两周了"), Turn("doctor", "失眠多久了？"), Turn("patient", "两周"))
    with store.session() as s:
        d = create_dialogue(s, turns, source="dataset", reference=True, meta={"k": "v"})
        did = d.id
        g = Generation(dialogue_id=did, turn_index=3, column_name="BianQue-1.0", backend="bianque-v1",
                       model_name="scutcyr/BianQue-1.0", model_revision="sha256:abc", input_text="病人：…\\n医生：",
                       params={"top_p": 1.0, "temperature": 0.7}, seed=42, output="睡眠怎么样？", status="ok",
                       latency_ms=12.5, ttft_ms=3.0, prompt_tokens=10, output_tokens=5, route="v1",
                       route_reason="second turn", asks_question=True, question_count=1, length_chars=6)
        s.add(g)
        s.flush()
        s.add(Suggestion(generation_id=g.id, question="turn_type", value="question", score=0.9, agent="rules"))
        gid = g.id
    with store.session() as s:
        rows = shared_turns(s, did)
        assert [(t.role, t.text, t.is_reference) for t in rows] == [
            ("patient", "我最近经常失眠\n两周了", False), ("doctor", "失眠多久了？", True), ("patient", "两周", False)]
        g = s.get(Generation, gid)
        assert g.params == {"top_p": 1.0, "temperature": 0.7}
        assert (g.seed, g.status, g.output, g.input_text) == (42, "ok", "睡眠怎么样？", "病人：…\\n医生：")
        assert s.scalar(select(Suggestion.value).where(Suggestion.generation_id == gid)) == "question"
        thread = column_thread(s, did, "BianQue-1.0")
        assert thread == Dialogue(turns + (Turn("doctor", "睡眠怎么样？"),))
        # Another column has not answered: its thread ends with the patient.
        assert column_thread(s, did, "BianQue-2.0") == Dialogue(turns)


def test_column_thread_uses_latest_finished_reply(store):
    with store.session() as s:
        d = create_dialogue(s, (Turn("patient", "头疼"),))
        for out, status in [("第一次", "ok"), ("第二次", "stopped"), ("", "error"), ("", "running")]:
            s.add(Generation(dialogue_id=d.id, turn_index=1, column_name="c", backend="x", output=out, status=status))
        did = d.id
    with store.session() as s:
        assert column_thread(s, did, "c").turns[-1] == Turn("doctor", "第二次")
        assert mark_interrupted(s) == 1
    with store.session() as s:
        statuses = s.scalars(select(Generation.status).order_by(Generation.id)).all()
        assert statuses == ["ok", "stopped", "error", "error"]


def test_unique_turn_positions_and_rollback(store):
    with store.session() as s:
        did = create_dialogue(s, (Turn("patient", "a"),)).id
    from workbench.errors import StoreError

    with pytest.raises(StoreError):
        with store.session() as s:
            add_turn(s, did, 1, "doctor", "ok")
            add_turn(s, did, 0, "patient", "duplicate position")
    with store.session() as s:
        assert [t.idx for t in shared_turns(s, did)] == [0]  # the whole action rolled back


def test_read_only_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "ro.db"
    Store(f"sqlite:///{path}").dispose()
    s = Store(f"sqlite:///file:{path}?mode=ro&uri=true")  # root ignores chmod; open read-only
    from workbench.errors import StoreError

    with pytest.raises(StoreError, match="read-only|nothing was saved"):
        with s.session() as se:
            create_dialogue(se, (Turn("patient", "x"),))
    s.dispose()
    con = sqlite3.connect(path)
    assert con.execute("select count(*) from dialogues").fetchone()[0] == 0


def test_read_sessions_do_not_block_writers(tmp_path):
    """A long read (an export) must not hold SQLite's write lock: a writer commits meanwhile."""
    import threading

    s = Store(f"sqlite:///{tmp_path / 'r.db'}")
    with s.session() as se:
        create_dialogue(se, (Turn("patient", "a"),))
    wrote = threading.Event()
    with s.read() as r:
        assert r.scalar(text("select count(*) from dialogues")) == 1

        def writer():
            other = Store(s.url)
            with other.session() as w:
                create_dialogue(w, (Turn("patient", "b"),))
            other.dispose()
            wrote.set()

        t = threading.Thread(target=writer)
        t.start()
        assert wrote.wait(10), "the writer waited for the reader"
        t.join()
    with s.read() as r:
        assert r.scalar(text("select count(*) from dialogues")) == 2
    s.dispose()


def test_a_url_that_is_no_database_is_refused_in_words(tmp_path, capsys, monkeypatch):
    """A typo in WORKBENCH_DB_URL or a URL naming a CSV gave SQLAlchemy's traceback in every command."""
    from workbench.cli import main
    from workbench.errors import StoreError

    with pytest.raises(StoreError, match="'garbage' is not a database URL"):
        Store("garbage")
    csv = tmp_path / "data.csv"
    csv.write_text("input,target\n", encoding="utf-8")
    with pytest.raises(StoreError, match="is not a database this workbench can open: file is not a database"):
        Store(f"sqlite:///{csv}")
    assert csv.read_text(encoding="utf-8") == "input,target\n"  # untouched
    monkeypatch.setenv("WORKBENCH_DB_URL", "garbage")
    assert main(["users", "list"]) != 0
    assert "error: 'garbage' is not a database URL" in capsys.readouterr().err
