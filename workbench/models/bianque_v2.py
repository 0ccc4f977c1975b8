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
from collections import deque
from collections.abc import Iterator, Sequence
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
    if source.trust_remote_code:  # only when a config says so explicitly: it executes downloaded code
        from workbench.models.chatglm.remote_code import load_remote_code_model

        model, remote_tokenizer = load_remote_code_model(
            folder, trust_remote_code=True, dtype=source.dtype, device=str(device)
        )
        return GLMModel(remote_tokenizer, model, device, weights_fingerprint(folder), remote_code=True)
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
    batches = True

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
        if m.remote_code:
            yield from self._stream_remote(m, query, trace, seed, stop)
            return
        gen = make_generator(seed, "cpu" if m.device.type == "cpu" else m.device)
        new: list[int] = []
        reply = ""
        eop = m.tokenizer.eos_token_id
        try:
            for step in m.model.stream_generate(ids, generator=gen, stop_event=stop, **kwargs):
                new = step[0].tolist()
                trace.output_tokens = len(new) - (1 if new and new[-1] == eop else 0)
                reply = process_response(m.tokenizer.decode(new))
                yield reply
        except torch.OutOfMemoryError as e:
            raise GenerationError(f"{self.name}: out of memory while generating") from e
        if not new:
            yield reply

    def _begin(self, plan: Plan, trace: Trace, seed: int | None) -> None:
        trace.route, trace.reason, trace.seed = plan.route, plan.reason, seed
        trace.params = self.params()
        trace.model_name = self.source.path

    def generate_batch(self, dialogues: Sequence[Dialogue], *, seed: int | None = None) -> list[tuple[str, Trace]]:
        """Replies for several dialogues in one left-padded batch on the native ChatGLM (greetings need no model)."""
        results: list[tuple[str, Trace] | None] = [None] * len(dialogues)
        pending: list[tuple[int, str, Trace]] = []
        for i, d in enumerate(dialogues):
            plan = self.plan(d)
            trace = Trace()
            self._begin(plan, trace, seed)
            if plan.input is None:
                trace.input_text, trace.prompt_tokens, trace.output_tokens = None, 0, 0
                results[i] = (self.greeting or "", trace)
            else:
                pending.append((i, plan.input, trace))
        if pending:
            texts = self.generate_queries([q for _, q, _ in pending], [tr for _, _, tr in pending], seed=seed)
            for (i, _, trace), text in zip(pending, texts, strict=True):
                results[i] = (text, trace)
        return [r for r in results if r is not None]

    def generate_queries(self, queries: Sequence[str], traces: Sequence[Trace], *, seed: int | None) -> list[str]:
        """Batched :meth:`stream_text` to the end: ``chat(query, history=None)`` for each query.

        ``max_length`` counts each row's own prompt, as one by one: the batch runs to the longest
        row's budget and each row is cut to its own. Repetition penalty (off in BianQue-2's settings)
        would also see a padded row's pad tokens; it only lowers the pad token's score.
        """
        from workbench.models.chatglm import process_response
        from workbench.models.chatglm.generation import resolve_new_token_limit

        m = self._model.get()
        if m.remote_code:  # the checkpoint's own code: no guarantee it pads correctly, so one by one
            out = []
            for q, trace in zip(queries, traces, strict=True):
                last = deque(self.stream_text(q, trace, seed=seed), maxlen=1)
                out.append(last[0] if last else "")
            return out
        tok, g = m.tokenizer, self.gen
        enc = tok.build_inputs_for_batch(list(queries))
        ids = enc["input_ids"].to(m.device)
        padded = int(ids.shape[1])
        lengths = (ids != tok.pad_token_id).sum(dim=1).tolist()
        limits = [resolve_new_token_limit(int(n), g.max_length, g.max_new_tokens) for n in lengths]
        for trace, q, n in zip(traces, queries, lengths, strict=True):
            trace.input_text, trace.model_revision, trace.prompt_tokens = q, m.revision, int(n)
        try:
            gen_ids = m.model.generate(
                ids, attention_mask=enc["attention_mask"].to(m.device), position_ids=enc["position_ids"].to(m.device),
                max_new_tokens=max(limits), do_sample=g.do_sample, temperature=g.temperature, top_p=g.top_p,
                top_k=g.top_k, repetition_penalty=g.repetition_penalty,
                generator=make_generator(seed, "cpu" if m.device.type == "cpu" else m.device),
            )
        except torch.OutOfMemoryError as e:
            raise GenerationError(f"{self.name}: out of memory while generating a batch of {len(queries)}") from e
        eos = m.model.config.eos_token_id
        texts = []
        for row, limit, trace in zip(gen_ids[:, padded:].tolist(), limits, traces, strict=True):
            new = row[:limit]
            ended = eos in new
            if ended:  # <eop> ends the row; decoded with it, not counted, as in the one-by-one stream
                new = new[: new.index(eos) + 1]
            trace.output_tokens = len(new) - (1 if ended else 0)
            texts.append(process_response(tok.decode(new)))
        return texts

    def _stream_remote(
        self, m: GLMModel, query: str, trace: Trace, seed: int | None, stop: threading.Event | None
    ) -> Iterator[str]:
        """The checkpoint's own ``stream_chat`` (old transformers only); it samples from torch's global RNG."""
        g = self.gen
        if seed is not None:
            torch.manual_seed(seed)
        reply = ""
        for reply, _ in m.model.stream_chat(m.tokenizer, query, history=None, max_length=g.max_length,
                                            do_sample=g.do_sample, top_p=g.top_p, temperature=g.temperature):
            if stop is not None and stop.is_set():
                break
            yield reply
        trace.output_tokens = len(m.tokenizer.encode(reply, add_special_tokens=False)) if reply else 0
        if not reply:
            yield ""
