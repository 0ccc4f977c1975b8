"""Shared by the load, crash and hardening tests: the database parameters (the harness itself is
:mod:`workbench.testing.load`, which ``bench/annotator_load.py`` runs too)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.testing import load as harness

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL")
#: sqlite always; postgresql when WORKBENCH_TEST_PG_URL is set (.ci/postgres prints one)
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def database_url(kind: str, tmp_path: Path) -> str:
    """A fresh database of the given kind: a new SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'wb.db'}"
    if not PG_URL:
        pytest.skip("WORKBENCH_TEST_PG_URL is not set")
    return harness.fresh_pg_url(PG_URL)
