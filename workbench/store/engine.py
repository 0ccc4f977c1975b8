"""Engine and session setup. SQLite gets WAL, a busy timeout and foreign keys."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from workbench.errors import StoreError

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "workbench_read_only"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except Exception:  # a read-only database cannot switch journal mode; reads still work
        log.warning("could not enable WAL (read-only database?)")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL (None for in-memory databases)."""
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    path = path.removeprefix("file:")
    return Path(path) if path and path != ":memory:" else None


def create_private_file(path: Path) -> None:
    """Create a new database file readable by its owner only, in folders created 0700.

    SQLite gives its -wal, -shm and journal files the permissions of the database file.
    """
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def tighten_existing(path: Path) -> None:
    """A database (and its -wal/-shm) that others can read, made owner-only when this user owns it."""
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            st = f.stat()
            if st.st_uid == os.getuid() and st.st_mode & 0o077:
                os.chmod(f, 0o600)
                log.warning("%s was readable by other users: now 0600", f)
        except OSError:  # missing (-wal/-shm) or not ours to change: leave it
            continue


def make_engine(url: str) -> Engine:
    """Create an engine for any SQLAlchemy URL; a new SQLite file is created 0600 (folders 0700)."""
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None and "mode=ro" not in url:
            if path.exists():
                tighten_existing(path)
            else:
                create_private_file(path)
        # Gradio handlers run in a thread pool; each connection is still used by one thread at a time.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take the write lock at BEGIN so that concurrent writers queue on busy_timeout
        # instead of failing with "database is locked" when a read upgrades to a write.
        @event.listens_for(engine, "begin")
        def _begin_immediate(conn) -> None:
            # Read-only sessions (Store.read) take no write lock, so a long export never blocks a rating.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None

    return engine


class Store:
    """Owns the engine and hands out one session per user action."""

    def __init__(self, url: str) -> None:
        from workbench.store.migrate import upgrade_to_head

        self.url = url
        try:
            self.engine = make_engine(url)
        except ArgumentError:
            raise StoreError(f"{url!r} is not a database URL (e.g. sqlite:///annotations/workbench.db)") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        try:
            upgrade_to_head(self.engine)  # Alembic: a new database is created, an older one upgraded
        except OperationalError as e:
            raise StoreError(f"cannot open the database at {self.display_url}: {e.orig}") from e
        except DatabaseError as e:  # "file is not a database": a CSV or any other file named by the URL
            self.engine.dispose()
            raise StoreError(f"{self.display_url} is not a database this workbench can open: {e.orig}") from e

    @property
    def display_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed on success, rolled back on any error.

        Database errors become :class:`StoreError`, so that nothing is
        acknowledged to the user that was not written.
        """
        s = self._sessions()
        try:
            yield s
            s.commit()
        except SQLAlchemyError as e:
            s.rollback()
            raise StoreError(_explain(e), _driver_text(e)) from e
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it does not take the write lock (WAL readers never wait)."""
        s = self._read_sessions()
        try:
            yield s  # close() ends the transaction and detaches what was loaded, still readable
        except SQLAlchemyError as e:
            s.rollback()
            raise StoreError(_explain(e), _driver_text(e)) from e
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _driver_text(e: SQLAlchemyError) -> str:
    return str(getattr(e, "orig", e))


def _explain(e: SQLAlchemyError) -> str:
    msg = _driver_text(e)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return "the database is read-only: nothing was saved"
    if "disk is full" in low or "database or disk is full" in low:
        return "the database disk is full: nothing was saved; free space on that disk, then try again"
    if "disk i/o error" in low:
        # What SQLite reports when a write fails with EFBIG (a file size limit: ulimit -f, a file system's
        # largest file) or EIO, where ENOSPC reads "disk is full"; the generic message said nothing to do.
        return ("the database could not write to its file (disk I/O error): nothing was saved; check the free space "
                "and any file size limit where the database is, then try again")
    if "locked" in low:
        return "the database is busy (locked): nothing was saved; try again"
    # The driver's text names tables, SQL and values: it goes to the log, not to the user.
    log.error("database error: %s", msg)
    return "database error: nothing was saved (the details are in the server log)"
