"""The transformers-style face of the native ChatGLM: a thin class whose methods call the package's functions.

Code written for the original checkpoint (``model.chat(tokenizer, query)``, ``from_pretrained``,
``quantize``...) runs on :class:`ChatGLMForConditionalGeneration` unchanged. Nothing else in the package
imports this module: the chain is configuration -> modeling -> quantization -> loading / generation -> compat.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import torch
from torch import Tensor

from workbench.chatglm import generation
from workbench.chatglm.loading import load_model, save_model
from workbench.chatglm.modeling import ChatGLM
from workbench.chatglm.quantization import quantize_model
from workbench.chatglm.tokenization import ChatGLMTokenizer
from workbench.sampling import LogitsProcessor


class ChatGLMForConditionalGeneration(ChatGLM):
    """ChatGLM-6B (v1) with the original's generation, chat, loading and quantization methods."""

    def generate(self, input_ids: Tensor, **kwargs: Any) -> Tensor:
        """HF-style generation; see :func:`workbench.chatglm.generation.generate`."""
        return generation.generate(self, input_ids, **kwargs)

    def stream_generate(self, input_ids: Tensor, **kwargs: Any) -> Iterator[Tensor]:
        """Yield the new ids so far ([batch, n]) after each step; see ``generation.stream_generate``."""
        return generation.stream_generate(self, input_ids, **kwargs)

    def chat(
        self,
        tokenizer: Any,
        query: str,
        history: list[tuple[str, str]] | None = None,
        max_length: int = 2048,
        num_beams: int = 1,
        do_sample: bool = True,
        top_p: float = 0.7,
        temperature: float = 0.95,
        logits_processor: Sequence[LogitsProcessor] | None = None,
        **kwargs: Any,
    ) -> tuple[str, list[tuple[str, str]]]:
        """The original ``chat()``: returns (response, history + [(query, response)])."""
        return generation.chat(
            self, tokenizer, query, history=history, max_length=max_length, num_beams=num_beams,
            do_sample=do_sample, top_p=top_p, temperature=temperature, logits_processor=logits_processor,
            **kwargs,
        )

    def stream_chat(
        self,
        tokenizer: Any,
        query: str,
        history: list[tuple[str, str]] | None = None,
        max_length: int = 2048,
        do_sample: bool = True,
        top_p: float = 0.7,
        temperature: float = 0.95,
        logits_processor: Sequence[LogitsProcessor] | None = None,
        stop_event: threading.Event | None = None,
        **kwargs: Any,
    ) -> Iterator[tuple[str, list[tuple[str, str]]]]:
        """Yield (response_so_far, history); the last yield always equals ``chat()``'s response."""
        return generation.stream_chat(
            self, tokenizer, query, history=history, max_length=max_length, do_sample=do_sample,
            top_p=top_p, temperature=temperature, logits_processor=logits_processor,
            stop_event=stop_event, **kwargs,
        )

    @staticmethod
    def build_chat_prompt(query: str, history: list[tuple[str, str]] | None = None) -> str:
        """The original chat prompt (raw query without history, ``[Round i]`` template with it)."""
        return generation.build_chat_prompt(query, history)

    @classmethod
    def from_pretrained(
        cls,
        folder: str | Path,
        *,
        dtype: str | torch.dtype = "auto",
        device: str | torch.device = "cpu",
        quantization_bit: int | None = None,
    ) -> Self:
        """Load an original checkpoint folder; see :func:`workbench.chatglm.loading.load_model`."""
        model = load_model(folder, dtype=dtype, device=device, quantization_bit=quantization_bit, model_class=cls)
        assert isinstance(model, cls)
        return model

    def save_pretrained(self, folder: str | Path, safe_serialization: bool = True) -> None:
        """Write config.json and the weights under the original key names."""
        save_model(self, folder, safe_serialization=safe_serialization)

    def quantize(self, bits: int) -> Self:
        """Replace the blocks' Linear layers by weight-only int8/int4 ones, in place."""
        quantize_model(self, bits)
        return self


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
        from workbench.chatglm.remote_code import load_remote_code_model

        return load_remote_code_model(folder, trust_remote_code=True, dtype=dtype, device=device)
    model = ChatGLMForConditionalGeneration.from_pretrained(
        folder, dtype=dtype, device=device, quantization_bit=quantization_bit
    )
    return model, ChatGLMTokenizer.from_pretrained(folder)
