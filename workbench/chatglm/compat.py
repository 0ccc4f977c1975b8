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
from workbench.chatglm.tokenization import NO_MAX_LENGTH, BatchEncoding, ChatGLMTokenizer, TokenizerInputError
from workbench.errors import ConfigError
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
        quantize_embeddings: bool | None = None,
    ) -> Self:
        """Load an original checkpoint folder; see :func:`workbench.chatglm.loading.load_model`."""
        model = load_model(folder, dtype=dtype, device=device, quantization_bit=quantization_bit,
                           quantize_embeddings=quantize_embeddings, model_class=cls)
        assert isinstance(model, cls)
        return model

    def save_pretrained(self, folder: str | Path, safe_serialization: bool = True) -> None:
        """Write config.json and the weights under the original key names."""
        save_model(self, folder, safe_serialization=safe_serialization)

    def quantize(self, bits: int, embeddings: bool = False) -> Self:
        """Replace the blocks' Linear layers by weight-only int8/int4 ones, in place (``embeddings``: the
        tied embedding / lm_head table too, int8 per row)."""
        quantize_model(self, bits, embeddings=embeddings)
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
    return model, ChatGLMTokenizerCompat.from_pretrained(folder)


class ChatGLMTokenizerCompat(ChatGLMTokenizer):
    """The tokenizer with the rest of the original's call signature, for code written against it: text
    pairs (``tok(a, b)`` = ``a + [gMASK, <sop>] + b + [<eop>]``) and transformers' truncation strategies
    (``truncation=True | "longest_first" | "only_first" | "only_second"``, ``truncation_side``). The
    workbench itself never calls these, so they live here rather than in ``tokenization.py``."""

    CONFIG_KEYS = (*ChatGLMTokenizer.CONFIG_KEYS, "truncation_side")
    TRUNCATION_STRATEGIES: dict[bool | str, str] = {
        True: "longest_first",
        "longest_first": "longest_first",
        "only_first": "only_first",
        "only_second": "only_second",
    }
    NO_TRUNCATION = (False, None, "do_not_truncate")

    def __init__(self, *args: Any, truncation_side: str = "right", **kwargs: Any) -> None:
        if truncation_side not in ("left", "right"):
            raise ConfigError(f"truncation_side must be 'left' or 'right', got {truncation_side!r}")
        super().__init__(*args, **kwargs)
        self.truncation_side = truncation_side

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        """2 for ``[gMASK] <sop>``; 3 with a pair (``<eop>`` closes the second text)."""
        return 3 if pair else 2

    def build_inputs_with_special_tokens(self, token_ids_0: list[int], token_ids_1: list[int] | None = None
                                         ) -> list[int]:
        """``a + [gMASK, <sop>]``, or ``a + [gMASK, <sop>] + b + [<eop>]`` for a pair."""
        ids = super().build_inputs_with_special_tokens(token_ids_0)
        return ids if token_ids_1 is None else [*ids, *token_ids_1, self.eos_token_id]

    def __call__(
        self,
        text: str | Sequence[str],
        text_pair: str | Sequence[str] | None = None,
        *,
        add_special_tokens: bool = True,
        padding: bool | str = False,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        pad_to_multiple_of: int | None = None,
        return_tensors: str | None = None,
        return_attention_mask: bool | None = None,
        return_token_type_ids: bool | None = None,
        verbose: bool = True,
    ) -> BatchEncoding:
        """As the original through transformers 4.33, pairs and truncation included (``verbose`` is accepted
        and has no effect: this tokenizer never warns about lengths)."""
        batched, texts = self._texts(text)
        pairs: list[str] | None = None
        if text_pair is not None:
            pairs = list(text_pair) if isinstance(text_pair, (list, tuple)) else [str(text_pair)]
            if batched != isinstance(text_pair, (list, tuple)) or len(pairs) != len(texts):
                raise TokenizerInputError("text_pair must match text: one string each, or lists of equal length")
            if not all(isinstance(t, str) for t in pairs):
                raise TokenizerInputError("text_pair must be a string or a list of strings")
        pad_strategy = self._padding_strategy(padding)
        strategy = self._truncation_strategy(truncation)
        if strategy is None and max_length is not None and pad_strategy is None and truncation is None:
            # transformers' rule: a max_length without padding or an explicit truncation means longest_first
            strategy = "longest_first"
        self._check_tensor_type(return_tensors)
        encoded = self._encode_texts(texts + (pairs or []))
        firsts, seconds = encoded[: len(texts)], (encoded[len(texts):] if pairs is not None else None)
        n_special = self.num_special_tokens_to_add(pairs is not None) if add_special_tokens else 0
        limit = max_length if max_length is not None else self.model_max_length
        rows: list[list[int]] = []
        for i, a in enumerate(firsts):
            b = seconds[i] if seconds is not None else None
            if strategy is not None and limit < NO_MAX_LENGTH:
                a, b = self._truncate(a, b, limit, strategy, n_special)
            if add_special_tokens:
                rows.append(self.build_inputs_with_special_tokens(a, b))
            else:
                rows.append(a + b if b is not None else a)
        return self._batch(rows, pad_strategy, max_length, pad_to_multiple_of, batched, return_tensors)

    def encode(
        self,
        text: str,
        text_pair: str | None = None,
        *,
        add_special_tokens: bool = True,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        padding: bool | str = False,
        return_tensors: str | None = None,
    ) -> Any:
        """The ``input_ids`` of one text (or pair): a list, or a ``[1, L]`` tensor with ``return_tensors``."""
        if not isinstance(text, str):
            raise TokenizerInputError("encode() takes one string; call the tokenizer for a batch")
        out = self(text, text_pair, add_special_tokens=add_special_tokens, truncation=truncation,
                   max_length=max_length, padding=padding, return_tensors=return_tensors)
        return out["input_ids"]

    def build_inputs_for_batch(
        self, texts: Sequence[str], *, max_length: int | None = None, truncation: bool | str | None = None
    ) -> dict[str, Any]:
        """Left-padded batch for generation, optionally truncated (see the core tokenizer)."""
        if isinstance(texts, str) or not texts:
            raise TokenizerInputError("build_inputs_for_batch() takes a non-empty list of strings")
        return dict(self(list(texts), padding=True, truncation=truncation, max_length=max_length,
                         return_tensors="pt"))

    @classmethod
    def _truncation_strategy(cls, truncation: bool | str | None) -> str | None:
        if truncation is None or truncation in cls.NO_TRUNCATION:
            return None
        try:
            return cls.TRUNCATION_STRATEGIES[truncation]
        except (KeyError, TypeError):
            raise TokenizerInputError(f"truncation={truncation!r} is not a known strategy") from None

    def _truncate(
        self, a: list[int], b: list[int] | None, max_length: int, strategy: str, n_special: int
    ) -> tuple[list[int], list[int] | None]:
        excess = len(a) + (len(b) if b is not None else 0) + n_special - max_length
        if excess <= 0:
            return a, b
        if max_length < n_special:
            raise TokenizerInputError(f"max_length={max_length} leaves no room for {n_special} special tokens")
        cut_a = cut_b = 0
        if strategy == "only_first" or b is None:
            if strategy == "only_second":
                raise TokenizerInputError("truncation='only_second' needs a text pair")
            cut_a = excess
        elif strategy == "only_second":
            cut_b = excess
        else:  # longest_first: take one id at a time from the longer text (the pair on ties)
            la, lb = len(a), len(b)
            for _ in range(excess):
                if la > lb:
                    la -= 1
                else:
                    lb -= 1
            cut_a, cut_b = len(a) - la, len(b) - lb
        if cut_a > len(a) or (b is not None and cut_b > len(b)):
            raise TokenizerInputError(f"cannot truncate to max_length={max_length}: the text to cut is too short")
        return self._cut(a, cut_a), (self._cut(b, cut_b) if b is not None else None)

    def _cut(self, ids: list[int], n: int) -> list[int]:
        if n == 0:
            return ids
        return ids[n:] if self.truncation_side == "left" else ids[:-n]
