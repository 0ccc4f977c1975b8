"""Alembic environment of the workbench store.

The app runs migrations on its own connection (``config.attributes["connection"]``, see
workbench/store/migrate.py). From the command line the database is ``-x url=…``, else
``WORKBENCH_DB_URL``, else the ``database_url`` of ``-x config=…`` (default configs/default.yaml).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from workbench.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _command_line_url() -> str:
    from workbench.config import load_config

    args = context.get_x_argument(as_dictionary=True)
    if args.get("url"):
        return args["url"]
    return load_config(args.get("config", "configs/default.yaml")).effective_database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from workbench.store.engine import make_engine
    from workbench.store.migrate import migration_connection

    engine = make_engine(_command_line_url())
    try:
        with migration_connection(engine) as conn:
            _run(conn)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_command_line_url(), target_metadata=target_metadata, render_as_batch=True,
                      literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
