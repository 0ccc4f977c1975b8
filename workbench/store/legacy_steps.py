"""Steps 2-4 of the former append-only migrations, frozen: they bring a database stamped with an
older ``schema_version`` to version 4, which is Alembic's baseline revision. Never edit them; a new
schema change is a new Alembic revision.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, MetaData, Table, Text, inspect
from sqlalchemy.engine import Connection


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# The two tables as steps 2 and 3 created them (unnamed constraints, as in the baseline).
_frozen = MetaData()
Table("users", _frozen, Column("id", Integer, primary_key=True))
Table("generations", _frozen, Column("id", Integer, primary_key=True))
Table("preferences", _frozen, Column("id", Integer, primary_key=True))
_gold_answers = Table(
    "gold_answers", _frozen,
    Column("id", Integer, primary_key=True),
    Column("generation_id", Integer, ForeignKey("generations.id", ondelete="CASCADE"), unique=True,
           nullable=False),
    Column("answer", JSON, nullable=False),
    Column("tolerance", Integer, nullable=False),
    Column("note", Text),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False, default=_utcnow),
)
_preference_versions = Table(
    "preference_versions", _frozen,
    Column("id", Integer, primary_key=True),
    Column("preference_id", Integer, ForeignKey("preferences.id", ondelete="CASCADE"), index=True,
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False, default=_utcnow),
)


def _gold_answers_step(conn: Connection) -> None:
    _gold_answers.create(conn, checkfirst=True)


def _preference_versions_step(conn: Connection) -> None:
    _preference_versions.create(conn, checkfirst=True)


def _batch_run_status_step(conn: Connection) -> None:
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


STEPS = {2: _gold_answers_step, 3: _preference_versions_step, 4: _batch_run_status_step}


def finish(conn: Connection, version: int) -> None:
    """Apply the old steps after ``version`` (1-4), in order."""
    for number in sorted(STEPS):
        if number > version:
            STEPS[number](conn)
