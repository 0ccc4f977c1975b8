"""The backend registry: one line per backend, naming where its settings and its builder live.

Entries are ``"module:attribute"`` strings, imported only when a config names the backend (as
lm-evaluation-harness does), so validating a config never imports torch, and a config without ChatGLM
never imports it. This module imports nothing from the workbench: ``workbench.config`` reads it to
accept exactly the registered backend names, and ``workbench.models.registry`` to build them.

A new backend is one new file under ``workbench/models/`` holding its settings (a
``workbench.config.ColumnSettings`` subclass with ``backend: Literal["name"]``) and a
``build(column, pool, built) -> Backend`` function, plus one line in :data:`BACKENDS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BackendSpec:
    """Where one backend's column settings and builder live, as ``"module:attribute"`` strings."""

    settings: str
    build: str

    @property
    def module(self) -> str:
        """The module of the builder; backends with local weights also define ``load_tokenizer`` and
        ``load_model`` there, for the shared model pool."""
        return self.build.partition(":")[0]


#: backend name (the ``backend:`` key of a column) -> its spec
BACKENDS: dict[str, BackendSpec] = {
    "bianque-v1": BackendSpec("workbench.config:V1Column", "workbench.models.bianque_v1:build"),
    "bianque-v2": BackendSpec("workbench.config:V2Column", "workbench.models.bianque_v2:build"),
    "hybrid": BackendSpec("workbench.config:HybridColumn", "workbench.models.hybrid:build"),
    "hf-causal": BackendSpec("workbench.config:HFCausalColumn", "workbench.models.hf_causal:build"),
    "openai-compatible": BackendSpec("workbench.config:OpenAIColumn", "workbench.models.openai_compat:build"),
}


def resolve(target: str) -> Any:
    """The object a ``"module:attribute"`` string names."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
