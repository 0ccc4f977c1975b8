"""Config -> backends. Each model is loaded once and shared by every column that uses it.

Which backends exist is the registry in ``workbench/models/catalog.py`` (name -> settings and builder,
as ``"module:attribute"`` strings imported only when a column needs them, as lm-evaluation-harness
does), so a config without ChatGLM never imports it. A new backend is one module plus one line there.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from workbench.config import ColumnSettings, ModelSource, WorkbenchConfig
from workbench.errors import ConfigError
from workbench.models.base import Backend
from workbench.models.catalog import BACKENDS, BackendSpec, resolve
from workbench.models.resources import LazyResource

log = logging.getLogger(__name__)

DEMO_SCHEME = "demo://"


class ModelPool:
    """Shared, lazily loaded tokenizers and models, keyed by everything that changes the weights."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._tokenizers: dict[tuple, LazyResource[Any]] = {}
        self._models: dict[tuple, LazyResource[Any]] = {}
        self._lock = threading.Lock()
        self._demo: Any = None

    def resolve(self, source: ModelSource) -> ModelSource:
        """Turn ``demo://v1`` into the folder of the locally built demo checkpoint."""
        if not source.path.startswith(DEMO_SCHEME):
            return source
        which = source.path[len(DEMO_SCHEME) :]
        if which not in ("v1", "v2"):
            raise ConfigError(f"unknown demo model {source.path!r}; use demo://v1 or demo://v2")
        with self._lock:
            if self._demo is None:
                from workbench.demo import ensure_demo_models

                # The build's progress goes to the log: launch.py otherwise says only "loading models…" for minutes.
                self._demo = ensure_demo_models(self.cache_dir / "demo-models",
                                                progress=lambda m: logging.getLogger(__name__).info("%s", m))
        path = self._demo.v1_path if which == "v1" else self._demo.v2_path
        return source.model_copy(update={"path": str(path)})

    @staticmethod
    def _key(backend: str, source: ModelSource, *, weights: bool) -> tuple:
        base = (backend, source.path, source.revision, source.trust_remote_code)
        return base + ((source.device, source.dtype, source.quantization_bit) if weights else ())

    def tokenizer(self, backend: str, source: ModelSource) -> LazyResource[Any]:
        key = self._key(backend, source, weights=False)
        with self._lock:
            if key not in self._tokenizers:
                module = _spec(backend).module  # it provides load_tokenizer(source), load_model(source, tok)

                def load() -> Any:
                    return importlib.import_module(module).load_tokenizer(self.resolve(source))

                self._tokenizers[key] = LazyResource(f"tokenizer {source.path}", load)
            return self._tokenizers[key]

    def model(self, backend: str, source: ModelSource) -> LazyResource[Any]:
        key = self._key(backend, source, weights=True)
        tok = self.tokenizer(backend, source)
        with self._lock:
            if key not in self._models:
                module = _spec(backend).module  # it provides load_tokenizer(source), load_model(source, tok)

                def load() -> Any:
                    return importlib.import_module(module).load_model(self.resolve(source), tok.get())

                self._models[key] = LazyResource(f"model {source.path} ({source.device}, {source.dtype})", load)
            return self._models[key]

    def all_models(self) -> list[LazyResource[Any]]:
        return list(self._models.values())


class BackendBuilder(Protocol):
    """The ``build`` function of a backend module."""

    def __call__(self, col: Any, pool: ModelPool, built: Mapping[str, Backend], /) -> Backend: ...


def _spec(backend: str) -> BackendSpec:
    try:
        return BACKENDS[backend]
    except KeyError:
        raise ConfigError(f"unknown backend {backend!r} (allowed: {', '.join(BACKENDS)})") from None


def build_backend(col: ColumnSettings, pool: ModelPool, built: Mapping[str, Backend]) -> Backend:
    """One column's backend, by the builder the registry names; ``built`` holds the columns it depends on."""
    builder: BackendBuilder = resolve(_spec(col.backend).build)
    return builder(col, pool, built)


def build_backends(cfg: WorkbenchConfig, pool: ModelPool) -> dict[str, Backend]:
    """One backend per column, in config order; a column after the columns it depends on (the hybrid)."""
    built: dict[str, Backend] = {}
    pending = list(cfg.columns)
    while pending:
        ready = [c for c in pending if all(ref in built for ref in c.depends_on())]
        if not ready:
            raise ConfigError(f"columns depend on each other in a cycle: {[c.name for c in pending]}")
        for col in ready:
            built[col.name] = build_backend(col, pool, built)
        pending = [c for c in pending if c.name not in built]
    return {c.name: built[c.name] for c in cfg.columns}
