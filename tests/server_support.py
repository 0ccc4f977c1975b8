"""Shared by the load, crash and hardening tests: the bench harness and the database parameters."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("WORKBENCH_TEST_PG_URL")
#: sqlite always; postgresql when WORKBENCH_TEST_PG_URL is set (.ci/postgres prints one)
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def load_bench() -> ModuleType:
    """``bench/annotator_load.py`` as a module: the same harness the benchmark runs."""
    name = "annotator_load"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "annotator_load.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def database_url(kind: str, tmp_path: Path) -> str:
    """A fresh database of the given kind: a new SQLite file, or a new PostgreSQL schema."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'wb.db'}"
    if not PG_URL:
        pytest.skip("WORKBENCH_TEST_PG_URL is not set")
    return load_bench().fresh_pg_url(PG_URL)
