"""Discovery and cached loading of the ChatGLM conformance fixture folders (shared/fixtures/chatglm6b)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

DEFAULT_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "chatglm6b"


def fixtures_root() -> Path:
    """$WORKBENCH_CHATGLM_FIXTURES, else the repo's sibling ../shared/fixtures/chatglm6b."""
    env = os.environ.get("WORKBENCH_CHATGLM_FIXTURES")
    return Path(env) if env else DEFAULT_ROOT


def case_names() -> list[str]:
    """Relative names of every folder (recursively) that holds an expected.json."""
    root = fixtures_root()
    if not root.is_dir():
        return []
    return sorted(p.parent.relative_to(root).as_posix() for p in root.rglob("expected.json"))


def case_params() -> list[Any]:
    names = case_names()
    if not names:
        reason = f"no ChatGLM fixture folders with expected.json under {fixtures_root()}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-fixtures")]
    return [pytest.param(name, id=name) for name in names]


@cache
def expected(name: str) -> dict[str, Any]:
    return json.loads((fixtures_root() / name / "expected.json").read_text(encoding="utf-8"))


@cache
def tensors(name: str) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(fixtures_root() / name / "logits.safetensors"))


@cache
def model(name: str) -> Any:
    """The fixture model in float32 (the references were computed in fp32, fp16/ included)."""
    from workbench.chatglm import ChatGLMForConditionalGeneration

    return ChatGLMForConditionalGeneration.from_pretrained(fixtures_root() / name, dtype="float32")


@cache
def tokenizer(name: str) -> Any:
    from workbench.chatglm import ChatGLMTokenizer

    return ChatGLMTokenizer.from_pretrained(fixtures_root() / name)


def tol(name: str, key: str) -> float:
    """A tolerance read from the folder's expected.json."""
    return float(expected(name)["tolerances"][key])
