"""Databases made before Alembic: copies of tests/data/legacy_e0d258c.db (made by main at e0d258c, rows
in every table; tests/data/make_legacy_db.py), taken back to an older ``schema_version`` if asked."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

LEGACY_DB = Path(__file__).parent / "data" / "legacy_e0d258c.db"


def legacy_copy(folder: Path, version: int = 4, name: str = "legacy.db") -> Path:
    """A copy of the legacy database as the former migrations left it at ``version`` (1-4)."""
    path = folder / name
    shutil.copyfile(LEGACY_DB, path)
    raw = sqlite3.connect(path)  # foreign keys off: no cascade while undoing the steps
    try:
        if version < 4:  # step 4 added the batch runs' status, owner and heartbeat
            for column in ("status", "owner", "heartbeat_at"):
                raw.execute(f"ALTER TABLE batch_runs DROP COLUMN {column}")
        if version < 3:
            raw.execute("DROP TABLE preference_versions")
        if version < 2:
            raw.execute("DROP TABLE gold_answers")
        raw.execute("DELETE FROM schema_version WHERE version > ?", (version,))
        raw.commit()
    finally:
        raw.close()
    return path


def table_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of a SQLite file, sorted, by table."""
    raw = sqlite3.connect(path)
    try:
        names = [n for (n,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(raw.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        raw.close()
