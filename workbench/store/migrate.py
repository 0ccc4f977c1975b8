"""Schema upgrades with Alembic: the revisions live in ``workbench/store/alembic/versions/``.

:func:`upgrade_to_head` runs on every start (``Store``): a new database gets every revision, an
existing one the missing ones. A database made before Alembic carries the old ``schema_version``
table (versions 1-4 of the former ``store/migrations.py``): its missing steps are applied here,
frozen as they were, then it is stamped with the baseline revision (which is schema version 4) and
upgraded like any other.

On SQLite the foreign keys are switched off while migrating: a batch migration copies a table and
drops the old one, and a DROP with foreign keys on would cascade into the rows referring to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection, Engine

from workbench.errors import StoreError
from workbench.plural import counted

ALEMBIC_DIR = Path(__file__).with_name("alembic")
#: The revision equal to the last schema of the former migrations (schema_version 4).
BASELINE = "0001"
LEGACY_TABLE = "schema_version"
LEGACY_LATEST = 4
MIGRATION_LOCK = 0x5EB1A9  # the PostgreSQL advisory lock id held while migrating


def alembic_config(connection: Connection | None = None) -> Config:
    """The project's Alembic configuration; with ``connection`` its commands run on that connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _sqlite_pragma(conn: Connection, sql: str) -> None:
    """Run a pragma on the DBAPI connection itself: SQLAlchemy would open a transaction first."""
    driver = conn.connection.driver_connection
    if driver is None:  # only a detached or invalidated connection has none
        raise StoreError("the database connection was lost during the upgrade; nothing was changed")
    driver.execute(sql)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for migrating, in one transaction; on SQLite with foreign keys off meanwhile."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:  # only outside a transaction does SQLite accept this pragma
            _sqlite_pragma(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                if engine.dialect.name == "postgresql":  # two servers starting at once migrate one by one
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"the upgrade would break {counted(len(broken), 'reference')} "
                                         f"(first: table {broken[0][0]}); nothing was changed")
        finally:
            if sqlite:
                _sqlite_pragma(conn, "PRAGMA foreign_keys=ON")


def upgrade_to_head(engine: Engine) -> str:
    """Bring the database to the newest revision (adopting a pre-Alembic database); returns it.

    An empty database is created from the model and stamped with head, as Alembic's cookbook does:
    replaying every revision copies each table on SQLite, seconds per new database.
    tests/test_migrations_alembic.py checks that the revisions build the same schema.
    """
    with migration_connection(engine) as conn:
        if not set(inspect(conn).get_table_names()) - {"alembic_version"}:
            _model_copy().create_all(conn)
            command.stamp(alembic_config(conn), "head")
            return current_revision(conn) or ""
        adopt_legacy(conn)
        have = current_revision(conn)
        script = ScriptDirectory.from_config(alembic_config())
        if have is not None and have not in {r.revision for r in script.walk_revisions()}:
            raise StoreError(f"the database is at schema revision {have}, which this workbench does not know "
                             "(made by a newer version?): nothing was changed")
        command.upgrade(alembic_config(conn), "head")
        return current_revision(conn) or ""


def _model_copy() -> MetaData:
    """The model's tables, copied: creating them on PostgreSQL marks the ``use_alter`` foreign keys
    (dialogues/turns -> generations) as added by ALTER on the shared objects, and a later CREATE TABLE on
    SQLite, in the same process, would then leave them out."""
    from workbench.store.schema import Base

    copy = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def adopt_legacy(conn: Connection) -> bool:
    """A database with the old ``schema_version`` table and no Alembic stamp: finish its old steps,
    stamp it with the baseline and drop the old table. Returns whether it was one."""
    tables = set(inspect(conn).get_table_names())
    if LEGACY_TABLE not in tables or "alembic_version" in tables:
        return False
    have = max(conn.exec_driver_sql(f"SELECT version FROM {LEGACY_TABLE}").scalars().all(), default=0)
    if have > LEGACY_LATEST:
        raise StoreError(f"the database has schema version {have}, newer than this workbench knows")
    from workbench.store import legacy_steps

    if have < 1:  # an empty stamp table: nothing was created by the old code, start from nothing
        conn.exec_driver_sql(f"DROP TABLE {LEGACY_TABLE}")
        return False
    legacy_steps.finish(conn, have)
    command.stamp(alembic_config(conn), BASELINE)
    conn.exec_driver_sql(f"DROP TABLE {LEGACY_TABLE}")
    return True
