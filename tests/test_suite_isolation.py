"""The suite never writes to the database the developer's shell names.

Walk: with ``WORKBENCH_DB_URL`` exported (as the README's walk-throughs and the CLI's examples do), a test whose
fixture builds the app from its own config (``RunningApp``) opened that database instead, since the variable
overrides every config: it added the test accounts, an admin ``boss`` with a password written in the tests among
them, to the developer's real store. The suite now runs with the variable (and ``WORKBENCH_AUTH``) unset; a test
that wants either sets it itself.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_a_run_started_with_workbench_db_url_leaves_that_database_alone(tmp_path):
    sentinel = tmp_path / "developers.db"
    env = {**os.environ, "WORKBENCH_DB_URL": f"sqlite:///{sentinel}", "WORKBENCH_AUTH": "intruder:pass-intruder-1"}
    # a module-scoped app with logins and four accounts (made before any function-scoped fixture runs)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_login_guard.py::test_gradios_monitoring_is_refused_to_everyone"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    if sentinel.exists():
        with sqlite3.connect(sentinel) as db:
            tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
            users = list(db.execute("select username from users")) if "users" in tables else []
        assert users == [], users


def test_the_tests_see_neither_variable():
    assert "WORKBENCH_DB_URL" not in os.environ and "WORKBENCH_AUTH" not in os.environ
