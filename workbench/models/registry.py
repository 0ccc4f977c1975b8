"""Config -> backends. Each model is loaded once and shared by every column that uses it.

Backend modules are named by string and imported only when a column needs
them (as lm-evaluation-harness does), so a config without ChatGLM never
imports it. A new backend is one module plus one line in ``MODEL_MODULES``
(or in ``build_backend`` for backends without local weights).
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any

from workbench.config import (
    HFCausalColumn,
    HybridColumn,
    ModelSource,
    OpenAIColumn,
    V1Column,
    V2Column,
    WorkbenchConfig,
)
from workbench.errors import ConfigError
from workbench.models.base import Backend
from workbench.models.resources import LazyResource

log = logging.getLogger(__name__)

#: backend -> module providing ``load_tokenizer(source)`` and ``load_model(source, tokenizer)``
MODEL_MODULES = {
    "bianque-v1": "workbench.models.bianque_v1",
    "bianque-v2": "workbench.models.bianque_v2",
    "hf-causal": "workbench.models.hf_causal",
}
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

                self._demo = ensure_demo_models(self.cache_dir / "demo-models")
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
                module = MODEL_MODULES[backend]

                def load() -> Any:
                    return importlib.import_module(module).load_tokenizer(self.resolve(source))

                self._tokenizers[key] = LazyResource(f"tokenizer {source.path}", load)
            return self._tokenizers[key]

    def model(self, backend: str, source: ModelSource) -> LazyResource[Any]:
        key = self._key(backend, source, weights=True)
        tok = self.tokenizer(backend, source)
        with self._lock:
            if key not in self._models:
                module = MODEL_MODULES[backend]

                def load() -> Any:
                    return importlib.import_module(module).load_model(self.resolve(source), tok.get())

                self._models[key] = LazyResource(f"model {source.path} ({source.device}, {source.dtype})", load)
            return self._models[key]

    def all_models(self) -> list[LazyResource[Any]]:
        return list(self._models.values())


def build_backend(col: Any, pool: ModelPool, built: dict[str, Backend]) -> Backend:
    if isinstance(col, V1Column):
        from workbench.models.bianque_v1 import BianQueV1

        return BianQueV1(
            col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
            col.generation, col.greeting,
        )
    if isinstance(col, V2Column):
        from workbench.models.bianque_v2 import BianQueV2

        return BianQueV2(
            col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
            col.generation, col.greeting,
        )
    if isinstance(col, HybridColumn):
        from workbench.models.hybrid import Hybrid

        # The same v1/v2 backend objects as their own columns: one model in memory, not two.
        return Hybrid(col.name, built[col.v1_column], built[col.v2_column], col.routing)  # type: ignore[arg-type]
    if isinstance(col, HFCausalColumn):
        from workbench.models.hf_causal import HFCausal

        return HFCausal(
            col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
            col.generation, col.system_prompt,
        )
    if isinstance(col, OpenAIColumn):
        from workbench.models.openai_compat import OpenAICompatible

        return OpenAICompatible(col)
    raise ConfigError(f"column {col.name!r}: unknown backend {col.backend!r}")


def build_backends(cfg: WorkbenchConfig, pool: ModelPool) -> dict[str, Backend]:
    """One backend per column, in config order; hybrids after the columns they chain."""
    built: dict[str, Backend] = {}
    for col in sorted(cfg.columns, key=lambda c: isinstance(c, HybridColumn)):
        built[col.name] = build_backend(col, pool, built)
    return {c.name: built[c.name] for c in cfg.columns}
