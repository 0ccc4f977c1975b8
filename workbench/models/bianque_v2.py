"""BianQue-2.0: a full fine-tune of ChatGLM-6B, run on the project's native ChatGLM.

The original app calls ``model.chat(tokenizer, query=<病人/医生 text>,
history=None, max_length=2048, top_p=0.7, temperature=0.95)``: with no
history the transcript itself is the whole prompt, followed by
``[gMASK]<sop>``. We stream the same generation and post-process the reply
exactly as ``chat()`` does.

Deliberate difference: the original generates one token and stops when the
prompt already fills ``max_length``; we drop the oldest rounds so that at
least ``MIN_REPLY_TOKENS`` remain for the reply.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from workbench.config import ModelSource, V2Params
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.hf_sampling import make_generator
from workbench.models.resources import LazyResource, require_local_or_hub, resolve_device
from workbench.prompts import bianque_v2_input, fit_rounds

MIN_REPLY_TOKENS = 128


@dataclass
class GLMModel:
    tokenizer: Any
    model: Any
    device: torch.device
    revision: str
    remote_code: bool = False


def local_folder(source: ModelSource) -> Path:
    """A local checkpoint folder: the path itself, or the hub snapshot (offline cache allowed)."""
    p = Path(source.path).expanduser()
    if p.is_dir():
        return p
    require_local_or_hub(source.path)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source.path, revision=source.revision))
    except Exception as e:
        raise ModelLoadError(f"cannot find or download {source.path}: {e}") from e


def load_tokenizer(source: ModelSource) -> Any:
    from workbench.models.chatglm import ChatGLMTokenizer

    folder = local_folder(source)
    try:
        return ChatGLMTokenizer.from_pretrained(folder)
    except Exception as e:
        raise ModelLoadError(f"cannot load the ChatGLM tokenizer from {folder}: {e}") from e


def load_model(source: ModelSource, tokenizer: Any) -> GLMModel:
    from workbench.models.chatglm import ChatGLMForConditionalGeneration, weights_fingerprint

    folder = local_folder(source)
    device = resolve_device(source.device)
    if source.trust_remote_code:
        from workbench.models.chatglm.remote_code import load_remote_model

        model = load_remote_model(folder, device=str(device), dtype=source.dtype)
        return GLMModel(tokenizer, model, device, weights_fingerprint(folder), remote_code=True)
    try:
        model = ChatGLMForConditionalGeneration.from_pretrained(
            folder, dtype=source.dtype, device=str(device), quantization_bit=source.quantization_bit
        )
    except ModelLoadError:
        raise
    except torch.OutOfMemoryError as e:
        raise ModelLoadError(f"out of memory loading {folder} on {device}") from e
    except Exception as e:
        raise ModelLoadError(f"cannot load the ChatGLM model from {folder}: {type(e).__name__}: {e}") from e
    return GLMModel(tokenizer, model, device, weights_fingerprint(folder))


class BianQueV2(Backend):
    kind = "bianque-v2"

    def __init__(
        self,
        name: str,
        source: ModelSource,
        tokenizer: LazyResource[Any],
        model: LazyResource[GLMModel],
        params: V2Params,
        greeting: str | None = None,
    ) -> None:
        super().__init__(name)
        self.source = source
        self._tokenizer = tokenizer
        self._model = model
        self.gen = params
        self.greeting = greeting

    def params(self) -> dict[str, Any]:
        return self.gen.model_dump()

    def check_ready(self) -> None:
        self._model.get()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.get()(text)["input_ids"])

    def prompt_limit(self) -> int:
        return max(16, self.gen.max_length - MIN_REPLY_TOKENS) if self.gen.max_new_tokens is None else max(
            16, self.gen.max_length - self.gen.max_new_tokens
        )

    def model_input(self, rounds: list[tuple[str, str]], last: str) -> tuple[str, str]:
        limit = self.prompt_limit()
        kept, dropped = fit_rounds(rounds, last, bianque_v2_input, self.count_tokens, limit)
        text = bianque_v2_input(kept, last)
        note = f"dropped the {dropped} oldest round(s) to fit {limit} tokens" if dropped else ""
        if self.count_tokens(text) > limit:
            lo, hi = 0, len(last)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self.count_tokens(bianque_v2_input([], last[-mid:])) <= limit:
                    lo = mid
                else:
                    hi = mid - 1
            text = bianque_v2_input([], last[-lo:] if lo else "")
            note = f"the latest message alone exceeds {limit} tokens: kept its last {lo} characters"
        return text, note

    def plan(self, dialogue: Dialogue) -> Plan:
        rounds, last = dialogue.pairs()
        if not rounds and self.greeting is not None:
            return Plan(None, "greeting", None, "first turn: the original app greets without calling a model")
        text, note = self.model_input(rounds, last)
        return Plan(text, "v2", None, note or "BianQue-2.0 (ChatGLM-6B) chat(history=None)")

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        plan = self.plan(dialogue)
        trace.route, trace.reason, trace.seed = plan.route, plan.reason, seed
        trace.params = self.params()
        trace.model_name = self.source.path
        if plan.input is None:
            trace.input_text, trace.prompt_tokens, trace.output_tokens = None, 0, 0
            yield self.greeting or ""
            return
        yield from self.stream_text(plan.input, trace, seed=seed, stop=stop)

    def stream_text(
        self, query: str, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """Stream ``chat(query, history=None)`` with this column's settings."""
        from workbench.models.chatglm import process_response

        m = self._model.get()
        trace.input_text = query
        trace.model_revision = m.revision
        g = self.gen
        ids = m.tokenizer(query, return_tensors="pt")["input_ids"].to(m.device)
        trace.prompt_tokens = int(ids.shape[1])
        kwargs: dict[str, Any] = dict(
            do_sample=g.do_sample,
            temperature=g.temperature,
            top_p=g.top_p,
            top_k=g.top_k,
            repetition_penalty=g.repetition_penalty,
        )
        if g.max_new_tokens is not None:
            kwargs["max_new_tokens"] = g.max_new_tokens
        else:
            kwargs["max_length"] = g.max_length
        gen = make_generator(seed, "cpu" if m.device.type == "cpu" else m.device)
        new: list[int] = []
        reply = ""
        try:
            for new in m.model.stream_generate(ids, generator=gen, stop_event=stop, **kwargs):
                trace.output_tokens = len(new)
                reply = process_response(m.tokenizer.decode(new))
                yield reply
        except torch.OutOfMemoryError as e:
            raise GenerationError(f"{self.name}: out of memory while generating") from e
        if not new:
            yield reply
