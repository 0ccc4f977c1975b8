from __future__ import annotations

import os

# Tests never reach a hub or send telemetry.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Nor do they touch the developer's store or accounts: WORKBENCH_DB_URL overrides every config, so an app a test
# builds on its own temporary file would otherwise open the database the shell names (and add the test accounts
# to it). A test that wants either variable sets it itself (tests/test_suite_isolation.py).
for _name in ("WORKBENCH_DB_URL", "WORKBENCH_AUTH"):
    os.environ.pop(_name, None)

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_models():
    """The tiny demo checkpoints, built once into the repository's cache (reused by later runs)."""
    from workbench.demo import DEMO_CACHE_DEFAULT, ensure_demo_models

    return ensure_demo_models(DEMO_CACHE_DEFAULT)


@pytest.fixture(scope="session")
def demo_config(demo_models):
    from workbench.config import load_config

    return load_config(REPO / "configs" / "demo.yaml")


def config_with_db(cfg, url: str):
    """The same config on another database (configs are immutable)."""
    return cfg.model_copy(update={"database_url": url})


@pytest.fixture
def store(tmp_path):
    """A fresh store on its own SQLite file (a module needing another kind defines its own ``store``)."""
    from workbench.store.engine import Store

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.dispose()


@pytest.fixture
def services(demo_config, tmp_path, monkeypatch):
    """A complete workbench on the demo models and a fresh SQLite file."""
    from workbench.services import build_services

    monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
    svc = build_services(config_with_db(demo_config, f"sqlite:///{tmp_path / 'wb.db'}"))
    yield svc
    svc.close()


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The child pids this process forks while the test runs (the export's second lane and de-identification's
    second core fork: a test counts them here)."""
    made: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return made


def pytest_collection_modifyitems(config, items):
    """Every browser test is also ``slow``: ``-m "not slow"`` gives a quick run, the plain command runs all."""
    for item in items:
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.slow)
