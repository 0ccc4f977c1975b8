"""Append-only schema migrations.

A fresh database is created from the current models and stamped with the
latest version. An older database gets each missing step in order. To change
the schema: edit ``schema.py`` *and* append a step here; never edit a step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine

from workbench.store.schema import Base, GoldAnswer, SchemaVersion


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    Base.metadata.create_all(conn)


def _gold_answers(conn: Connection) -> None:
    GoldAnswer.__table__.create(conn, checkfirst=True)


def _preference_versions(conn: Connection) -> None:
    from workbench.store.schema import PreferenceVersion

    PreferenceVersion.__table__.create(conn, checkfirst=True)


def _batch_run_status(conn: Connection) -> None:
    have = {c["name"] for c in inspect(conn).get_columns("batch_runs")}
    # Only what is missing: a database may already have a column that a later model added.
    for name, ddl in (("status", "ALTER TABLE batch_runs ADD COLUMN status VARCHAR(20)"),
                      ("owner", "ALTER TABLE batch_runs ADD COLUMN owner VARCHAR(200)"),
                      ("heartbeat_at", "ALTER TABLE batch_runs ADD COLUMN heartbeat_at TIMESTAMP")):
        if name not in have:
            conn.exec_driver_sql(ddl)
    # Unfinished runs of before this step get judged (interrupted or not) by the next run.
    conn.exec_driver_sql("UPDATE batch_runs SET status = CASE WHEN finished_at IS NULL THEN 'running' "
                         "ELSE 'finished' END, heartbeat_at = created_at")


def _assignment_skip_flag(conn: Connection) -> None:
    have = {c["name"] for c in inspect(conn).get_columns("assignments")}
    for name, ddl in (("skipped_at", "ALTER TABLE assignments ADD COLUMN skipped_at TIMESTAMP"),
                      ("flagged_at", "ALTER TABLE assignments ADD COLUMN flagged_at TIMESTAMP"),
                      ("flag_reason", "ALTER TABLE assignments ADD COLUMN flag_reason TEXT")):
        if name not in have:
            conn.exec_driver_sql(ddl)


MIGRATIONS: list[Migration] = [
    Migration(1, "dialogues, turns, generations, suggestions, ratings, preferences, queue, users, datasets", _initial),
    Migration(2, "gold_answers: expected answers of gold items", _gold_answers),
    Migration(3, "preference_versions: the submitted history of preferences", _preference_versions),
    Migration(4, "batch_runs.status, owner, heartbeat_at: interrupted runs are marked", _batch_run_status),
    Migration(5, "assignments.skipped_at, flagged_at, flag_reason: skip and flag-as-broken", _assignment_skip_flag),
]
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(SchemaVersion.__tablename__):
        return 0
    versions = conn.execute(select(SchemaVersion.version)).scalars().all()
    return max(versions, default=0)


def ensure_schema(engine: Engine) -> int:
    """Bring the database to the latest schema; returns the version."""
    with engine.begin() as conn:
        have = current_version(conn)
        if have == 0:
            Base.metadata.create_all(conn)
            for m in MIGRATIONS:
                conn.execute(SchemaVersion.__table__.insert().values(version=m.version, description=m.description))
            return LATEST
        for m in MIGRATIONS:
            if m.version > have:
                m.apply(conn)
                conn.execute(SchemaVersion.__table__.insert().values(version=m.version, description=m.description))
    return LATEST
