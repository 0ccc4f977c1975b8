"""The services object: everything a UI handler or CLI command needs, built once and passed in.

No module-level state: tests build as many independent workbenches as they like.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.auth import Authenticator
from workbench.config import WorkbenchConfig
from workbench.export.vault import ExportVault
from workbench.generation import GenerationService
from workbench.models.base import Backend
from workbench.models.registry import ModelPool, build_backends
from workbench.store.dialogues import mark_interrupted
from workbench.store.engine import Store

log = logging.getLogger(__name__)


@dataclass
class Services:
    config: WorkbenchConfig
    store: Store
    pool: ModelPool
    backends: dict[str, Backend]
    generations: GenerationService
    auth: Authenticator
    _vault: ExportVault | None = field(default=None, repr=False)
    _vault_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: the Compare tab's latest views per user, for their plot and table downloads (workbench.ui.downloads)
    results: Any = field(default=None, repr=False)

    @property
    def exports(self) -> ExportVault:
        """The private folder where the UI's export zips wait for their download (created on first use)."""
        with self._vault_lock:
            if self._vault is None:
                self._vault = ExportVault()
            return self._vault

    def __post_init__(self) -> None:
        if self.results is None:
            from workbench.ui.downloads import ResultShelf  # the UI's module; the CLI never imports it

            self.results = ResultShelf()

    @property
    def columns(self) -> list[str]:
        return list(self.backends)

    def warm_up(self) -> dict[str, str | None]:
        """Load every column's models now; returns column -> error message (None = ready)."""
        status: dict[str, str | None] = {}
        for name, b in self.backends.items():
            try:
                b.check_ready()
                status[name] = None
            except Exception as e:  # one broken model must not stop the others from loading
                status[name] = str(e)
                log.error("column %s is not ready: %s", name, e)
        return status

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
        self.store.dispose()


def build_store(config: WorkbenchConfig) -> Store:
    store = Store(config.effective_database_url)
    with store.session() as s:
        n = mark_interrupted(s)
    if n:
        log.warning("%d generation(s) interrupted by the last shutdown were marked as errors", n)
    return store


def build_services(config: WorkbenchConfig, *, store: Store | None = None, auth_enabled: bool = False) -> Services:
    """Everything the app needs; ``auth_enabled`` = logins required (else one local admin)."""
    store = store or build_store(config)
    pool = ModelPool(Path(config.resolve_path(config.cache_dir)))
    backends = build_backends(config, pool)
    return Services(config, store, pool, backends, GenerationService(store), Authenticator(store, enabled=auth_enabled))
