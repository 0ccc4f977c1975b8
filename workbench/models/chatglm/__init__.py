"""Native ChatGLM-6B (v1): configuration, tokenizer, model, generation, loading and quantization.

Importing this package never imports cpm_kernels or touches CUDA; the remote-code path is opt-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.models.chatglm.configuration import ChatGLMConfig
from workbench.models.chatglm.generation import build_chat_prompt
from workbench.models.chatglm.loading import weights_fingerprint
from workbench.models.chatglm.modeling import ChatGLMCache, ChatGLMForConditionalGeneration, ChatGLMOutput
from workbench.models.chatglm.process_response import process_response
from workbench.models.chatglm.tokenization import ChatGLMTokenizer

__all__ = [
    "ChatGLMCache",
    "ChatGLMConfig",
    "ChatGLMForConditionalGeneration",
    "ChatGLMOutput",
    "ChatGLMTokenizer",
    "build_chat_prompt",
    "load_chatglm",
    "process_response",
    "weights_fingerprint",
]


def load_chatglm(
    folder: str | Path,
    *,
    dtype: str = "auto",
    device: str = "cpu",
    quantization_bit: int | None = None,
    trust_remote_code: bool = False,
) -> tuple[Any, Any]:
    """Load (model, tokenizer) from a checkpoint folder.

    Native implementation by default; ``trust_remote_code=True`` (only from an explicit config flag) runs
    the checkpoint's own code through transformers instead, and then ``quantization_bit`` is not applied.
    """
    if trust_remote_code:
        from workbench.models.chatglm.remote_code import load_remote_code_model

        return load_remote_code_model(folder, trust_remote_code=True, dtype=dtype, device=device)
    model = ChatGLMForConditionalGeneration.from_pretrained(
        folder, dtype=dtype, device=device, quantization_bit=quantization_bit
    )
    tokenizer = ChatGLMTokenizer.from_pretrained(folder)
    return model, tokenizer
