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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from workbench.config import ModelSource, V2Column, V2Params
from workbench.devices import ALLOCATION_ERRORS, is_out_of_memory, resolve_device
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Trace
from workbench.models.bianque_common import BianQueBackend
from workbench.models.registry import ModelPool
from workbench.models.resources import check_vocabulary, require_local_or_hub
from workbench.models.transformers_lock import one_at_a_time
from workbench.prompts import Rounds, bianque_v2_input
from workbench.sampling import generator_for

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
    require_local_or_hub(source.path)  # a file, or a folder that cannot be listed, is named as such here
    if p.is_dir():
        return p
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source.path, revision=source.revision))
    except Exception as e:
        raise ModelLoadError(f"cannot find or download {source.path}: {e}") from e


def load_tokenizer(source: ModelSource) -> Any:
    from workbench.chatglm import ChatGLMTokenizer

    folder = local_folder(source)
    try:
        return ChatGLMTokenizer.from_pretrained(folder)
    except Exception as e:
        raise ModelLoadError(f"cannot load the ChatGLM tokenizer from {folder}: {e}") from e


def load_model(source: ModelSource, tokenizer: Any) -> GLMModel:
    from workbench.chatglm import ChatGLMForConditionalGeneration
    from workbench.chatglm.loading import read_config
    from workbench.checkpoints import weights_fingerprint

    folder = local_folder(source)
    device = resolve_device(source.device)
    if source.trust_remote_code:  # only when a config says so explicitly: it executes downloaded code
        from workbench.chatglm.remote_code import load_remote_code_model

        model, remote_tokenizer = one_at_a_time(load_remote_code_model)(  # transformers loads it
            folder, trust_remote_code=True, dtype=source.dtype, device=str(device)
        )
        return GLMModel(remote_tokenizer, model, device, weights_fingerprint(folder), remote_code=True)
    try:
        if tokenizer is not None:
            # Before the weights are read: a message with a piece beyond the embedding table fails its reply
            # ("IndexError: index out of range in self"), though every other message works.
            check_vocabulary(source, tokenizer, read_config(folder).vocab_size)
        # The transformers-style class, so that code written for the original (``m.model.chat``) runs on it.
        model = ChatGLMForConditionalGeneration.from_pretrained(
            folder, dtype=source.dtype, device=str(device), quantization_bit=source.quantization_bit
        )
    except ModelLoadError:
        raise
    except Exception as e:
        if is_out_of_memory(e):
            raise ModelLoadError(f"out of memory loading {folder} on {device}") from e
        raise ModelLoadError(f"cannot load the ChatGLM model from {folder}: {type(e).__name__}: {e}") from e
    return GLMModel(tokenizer, model, device, weights_fingerprint(folder))


class BianQueV2(BianQueBackend[V2Params]):
    kind = "bianque-v2"
    route = "v2"
    description = "BianQue-2.0 (ChatGLM-6B) chat(history=None)"

    def render(self, rounds: Rounds, last: str) -> str:
        return bianque_v2_input(rounds, last)

    def input_limit(self) -> int:
        reserve = MIN_REPLY_TOKENS if self.gen.max_new_tokens is None else self.gen.max_new_tokens
        return max(16, self.gen.max_length - reserve)

    def stream_text(
        self, query: str, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """Stream ``chat(query, history=None)`` with this column's settings."""
        from workbench.chatglm import process_response
        from workbench.chatglm.generation import stream_generate

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
        gen = generator_for(seed, m.device)
        new: list[int] = []
        reply = ""
        eop = m.tokenizer.eos_token_id
        try:
            for step in stream_generate(m.model, ids, generator=gen, stop_event=stop, **kwargs):
                new = step[0].tolist()
                trace.output_tokens = len(new) - (1 if new and new[-1] == eop else 0)
                reply = process_response(m.tokenizer.decode(new))
                yield reply
        except ALLOCATION_ERRORS as e:  # torch.OutOfMemoryError, a failed CPU allocation, Python's MemoryError
            if not is_out_of_memory(e):
                raise
            raise GenerationError(f"{self.name}: out of memory while generating") from e
        if not new:
            yield reply

    def generate_texts(self, texts: Sequence[str], traces: Sequence[Trace], *, seed: int | None) -> list[str]:
        """Batched :meth:`stream_text` to the end: ``chat(query, history=None)`` for each query.

        ``max_length`` counts each row's own prompt, as one by one: the batch runs to the longest
        row's budget and each row is cut to its own. Repetition penalty (off in BianQue-2's settings)
        would also see a padded row's pad tokens; it only lowers the pad token's score.
        """
        from workbench.chatglm import process_response
        from workbench.chatglm.generation import generate, resolve_new_token_limit

        m = self._model.get()
        if m.remote_code:  # the checkpoint's own code: no guarantee it pads correctly, so one by one
            out = []
            for q, trace in zip(texts, traces, strict=True):
                last = deque(self.stream_text(q, trace, seed=seed), maxlen=1)
                out.append(last[0] if last else "")
            return out
        tok, g = m.tokenizer, self.gen
        enc = tok.build_inputs_for_batch(list(texts))
        ids = enc["input_ids"].to(m.device)
        padded = int(ids.shape[1])
        lengths = (ids != tok.pad_token_id).sum(dim=1).tolist()
        limits = [resolve_new_token_limit(int(n), g.max_length, g.max_new_tokens) for n in lengths]
        for trace, q, n in zip(traces, texts, lengths, strict=True):
            trace.input_text, trace.model_revision, trace.prompt_tokens = q, m.revision, int(n)
        try:
            gen_ids = generate(
                m.model, ids, attention_mask=enc["attention_mask"].to(m.device), position_ids=enc["position_ids"].to(m.device),
                max_new_tokens=max(limits), do_sample=g.do_sample, temperature=g.temperature, top_p=g.top_p,
                top_k=g.top_k, repetition_penalty=g.repetition_penalty,
                generator=generator_for(seed, m.device),
            )
        except ALLOCATION_ERRORS as e:  # torch.OutOfMemoryError, a failed CPU allocation, Python's MemoryError
            if not is_out_of_memory(e):
                raise
            raise GenerationError(f"{self.name}: out of memory while generating a batch of {len(texts)}") from e
        eos = m.model.config.eos_token_id
        replies = []
        for row, limit, trace in zip(gen_ids[:, padded:].tolist(), limits, traces, strict=True):
            new = row[:limit]
            ended = eos in new
            if ended:  # <eop> ends the row; decoded with it, not counted, as in the one-by-one stream
                new = new[: new.index(eos) + 1]
            trace.output_tokens = len(new) - (1 if ended else 0)
            replies.append(process_response(tok.decode(new)))
        return replies

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


def build(col: V2Column, pool: ModelPool, built: Mapping[str, Backend]) -> BianQueV2:
    """The registry's builder: the column's tokenizer and weights come from the shared pool."""
    return BianQueV2(
        col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
        col.generation, col.greeting,
    )
