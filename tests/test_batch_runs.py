"""Batch run rows: a killed run is marked interrupted by the next run; a live one never is."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from workbench.store import batch_runs
from workbench.store.engine import Store
from workbench.store.migrate import current_revision, head_revision
from workbench.store.schema import BatchRun, Dataset, utcnow


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'runs.db'}")
    yield s
    s.dispose()


def _dataset(store) -> int:
    with store.session() as s:
        d = Dataset(name="d", format="bianque_csv")
        s.add(d)
        s.flush()
        return d.id


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _run(store, ds: int, owner: str | None, seen_ago: timedelta) -> int:
    with store.session() as s:
        r = batch_runs.start_run(s, ds, ["A"], "all")
        r.owner, r.heartbeat_at = owner, utcnow() - seen_ago
        return r.id


def test_dead_or_silent_runs_are_interrupted_live_ones_are_not(store):
    ds = _dataset(store)
    host = socket.gethostname()
    killed = _run(store, ds, f"{host}:{_dead_pid()}", timedelta(seconds=5))
    alive_here = _run(store, ds, batch_runs.this_owner(), timedelta(hours=5))  # a slow chunk, still alive
    silent_elsewhere = _run(store, ds, "other-host:123", timedelta(hours=1))
    recent_elsewhere = _run(store, ds, "other-host:456", timedelta(minutes=1))
    legacy = _run(store, ds, None, timedelta(hours=2))  # from before owners were recorded
    finished = _run(store, ds, f"{host}:{_dead_pid()}", timedelta(hours=3))
    batch_runs.end_run(store, finished, batch_runs.FINISHED)

    with store.session() as s:
        marked = batch_runs.mark_interrupted_runs(s, ds)
    assert sorted(marked) == sorted([killed, silent_elsewhere, legacy])
    with store.session() as s:
        runs = {r.id: r for r in s.scalars(select(BatchRun))}
        assert runs[alive_here].status == runs[recent_elsewhere].status == "running"
        assert runs[finished].status == "finished"
        for i in marked:
            assert runs[i].status == "interrupted" and runs[i].finished_at == runs[i].heartbeat_at
    with store.session() as s:
        assert batch_runs.mark_interrupted_runs(s, ds) == []  # idempotent


def test_migration_adds_the_columns_and_leaves_unfinished_runs_to_be_judged(tmp_path):
    import sqlite3

    from legacy_db import legacy_copy

    # A database of the version-1 schema (made by the code of then): no status, owner or heartbeat.
    path = legacy_copy(tmp_path, version=1)
    raw = sqlite3.connect(path)
    ds = raw.execute("INSERT INTO datasets (name, format, created_at, meta) VALUES ('d', 'f', '2026-01-01', '{}')"
                     ).lastrowid
    now = utcnow().isoformat(sep=" ")
    for finished in (None, now):
        raw.execute("INSERT INTO batch_runs (dataset_id, columns, turn_selection, created_at, finished_at) "
                    "VALUES (?, '[\"A\"]', 'all', ?, ?)", (ds, now, finished))
    raw.commit()
    raw.close()
    url = f"sqlite:///{path}"
    again = Store(url)
    with again.session() as s:
        assert current_revision(s.connection()) == head_revision()
        runs = list(s.scalars(select(BatchRun).where(BatchRun.dataset_id == ds).order_by(BatchRun.id)))
        assert [r.status for r in runs] == ["running", "finished"]
        assert all(r.heartbeat_at == r.created_at for r in runs)
        # No owner is known: the old unfinished run counts as interrupted once silent for too long.
        assert batch_runs.mark_interrupted_runs(s, ds) == []
        later = utcnow() + batch_runs.DEFAULT_STALE_AFTER + timedelta(seconds=1)
        assert batch_runs.mark_interrupted_runs(s, ds, now=later) == [runs[0].id]
    again.dispose()
