"""Opt-in loading of a checkpoint's own (hub) code through transformers' ``trust_remote_code``.

Only for people who keep an old transformers environment (the original code breaks on transformers >= 4.34).
It executes Python shipped with the checkpoint, so it runs only when the caller passes
``trust_remote_code=True``, which the app does only when a model's config says so. Never the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.errors import ConfigError, ModelLoadError


def load_remote_code_model(
    folder: str | Path,
    *,
    trust_remote_code: bool = False,
    dtype: str = "auto",
    device: str = "cpu",
) -> tuple[Any, Any]:
    """Load (model, tokenizer) with transformers' AutoModel/AutoTokenizer and the checkpoint's own code."""
    if trust_remote_code is not True:
        raise ConfigError(
            "loading a checkpoint's own code needs trust_remote_code: true in the model config; "
            "the native ChatGLM implementation is used otherwise"
        )
    try:
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:  # pragma: no cover - transformers is a requirement
        raise ModelLoadError(f"transformers is not importable: {exc}") from exc
    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    kwargs: dict[str, Any] = {"trust_remote_code": True}
    if dtype != "auto":
        if dtype not in dtypes:
            raise ConfigError(f"unsupported dtype {dtype!r}")
        kwargs["torch_dtype"] = dtypes[dtype]
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=True)
        model = AutoModel.from_pretrained(str(folder), **kwargs)
        if device == "auto":
            device = "cuda:0" if torch.cuda.is_available() else "cpu"
        model = model.to(device).eval()
    except Exception as exc:  # noqa: BLE001 - remote code fails in many ways on new stacks
        raise ModelLoadError(f"remote-code loading of {folder} failed: {exc}") from exc
    return model, tokenizer
