"""BianQue-1.0: a T5 (ChatYuan-large-v2) fine-tune, reproduced as the original app runs it.

One deliberate fix: when the prompt exceeds ``max_input_tokens`` (768), the
original tokenizer call cut the *end* of the prompt, so the model never saw
the latest message. We drop the oldest rounds instead and always keep the
latest patient message and the trailing ``医生：``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from workbench.checkpoints import require_readable
from workbench.config import ModelSource, V1Column, V1Params
from workbench.decoding import decode_batch, stream_tokens
from workbench.devices import ALLOCATION_ERRORS, is_out_of_memory
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Trace
from workbench.models.bianque_common import BianQueBackend
from workbench.models.registry import ModelPool
from workbench.models.resources import (
    LoadedModel,
    check_vocabulary,
    hub_file,
    hub_where,
    load_error,
    load_hf_model,
    require_local_or_hub,
)
from workbench.models.transformers_lock import one_at_a_time
from workbench.prompts import Rounds, bianque_v1_input, unescape_v1
from workbench.sampling import Sampling, generator_for

#: a T5 tokenizer needs one of these; without them transformers 5 builds an empty 4-token tokenizer
#: that encodes every prompt to [3, 2, 1], and replies are stored as if the model had read the prompt
TOKENIZER_FILES = ("spiece.model", "tokenizer.json")


def _require_tokenizer_file(source: ModelSource) -> None:
    folder = Path(source.path).expanduser()
    if folder.is_dir():
        present = [folder / name for name in TOKENIZER_FILES if (folder / name).is_file()]
        if not present:
            raise ModelLoadError(f"no spiece.model or tokenizer.json in {folder}: not a T5 tokenizer folder")
        for path in present:  # transformers reads an unreadable spiece.model as a tiktoken file and asks for tiktoken
            require_readable(path)
    elif hub_file(source, TOKENIZER_FILES) is None:
        raise ModelLoadError(f"no spiece.model or tokenizer.json for {source.path} found on {hub_where()}")


@one_at_a_time
def load_tokenizer(source: ModelSource) -> Any:
    from transformers import T5Tokenizer

    require_local_or_hub(source.path)
    if (Path(source.path).expanduser() / "config.json").is_file():
        _t5_config(source)  # another model's folder is named as such, not as one that lacks a T5 tokenizer
    _require_tokenizer_file(source)
    try:
        return T5Tokenizer.from_pretrained(source.path, revision=source.revision or "main")
    except Exception as e:
        raise ModelLoadError(f"cannot load the T5 tokenizer from {source.path}: {e}") from e


#: what T5ForConditionalGeneration runs; any other model_type (a ChatGLM folder, a BERT) it would build as a
#: random T5 whose every reply fails
T5_MODEL_TYPES = ("t5", "mt5")


def _t5_config(source: ModelSource) -> dict[str, Any]:
    """The checkpoint's config.json, read before any weight is; refused unless it describes a T5."""
    from transformers import PretrainedConfig

    folder = Path(source.path).expanduser()
    if folder.is_dir() and not (folder / "config.json").is_file():  # else read as a config of type None
        raise ModelLoadError(f"no config.json in {folder}")
    try:
        config, _ = PretrainedConfig.get_config_dict(source.path, revision=source.revision)
    except Exception as e:
        raise load_error(source, "T5 config", e) from e
    model_type = config.get("model_type")
    if model_type not in T5_MODEL_TYPES:
        raise ModelLoadError(
            f"{source.path} holds a model of type {model_type!r} (config.json), not T5: a bianque-v1 column needs "
            "a T5 checkpoint such as BianQue-1.0")
    return config


@one_at_a_time
def load_model(source: ModelSource, tokenizer: Any) -> LoadedModel:
    from transformers import T5ForConditionalGeneration

    require_local_or_hub(source.path)  # a file or missing path is named as such, not as a config it is not
    config = _t5_config(source)
    check_vocabulary(source, tokenizer, int(config.get("vocab_size", 32128)))
    # The original runs T5 in float32 on GPU too: T5 overflows in float16.
    return load_hf_model(T5ForConditionalGeneration, source, tokenizer, cuda_auto=torch.float32, what="T5 model")


class BianQueV1(BianQueBackend[V1Params]):
    kind = "bianque-v1"
    route = "v1"
    description = "BianQue-1.0 (T5)"

    def render(self, rounds: Rounds, last: str) -> str:
        return bianque_v1_input(rounds, last)

    def input_limit(self) -> int:
        return self.gen.max_input_tokens

    # -- generation ----------------------------------------------------------
    def sampling(self) -> Sampling:
        g = self.gen
        return Sampling(
            do_sample=g.do_sample,
            temperature=g.temperature,
            top_p=g.top_p,
            top_k=g.top_k,
            repetition_penalty=g.repetition_penalty,
            no_repeat_ngram_size=g.no_repeat_ngram_size,
            max_new_tokens=g.max_new_tokens,
        )

    def stream_text(
        self, text: str, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """Generate from an already-built (escaped) input text."""
        m = self._model.get()
        trace.input_text = text
        trace.model_revision = m.revision
        enc = m.tokenizer(text, return_tensors="pt")
        input_ids = enc["input_ids"].to(m.device)
        trace.prompt_tokens = int(input_ids.shape[1])
        eos = {m.tokenizer.eos_token_id}
        new: list[int] = []
        reply = ""
        try:
            for new in stream_tokens(
                m.model,
                input_ids,
                enc.get("attention_mask").to(m.device),
                self.sampling(),
                eos_token_ids=eos,
                generator=generator_for(seed, m.device),
                stop=stop,
            ):
                trace.output_tokens = len(new)
                reply = unescape_v1(m.tokenizer.decode(new, skip_special_tokens=True))
                yield reply
        except ALLOCATION_ERRORS as e:  # torch.OutOfMemoryError, a failed CPU allocation, Python's MemoryError
            if not is_out_of_memory(e):
                raise
            raise GenerationError(f"{self.name}: out of memory while generating") from e
        trace.output_tokens = len(new)
        if not new:
            yield ""

    def generate_texts(self, texts: Sequence[str], traces: Sequence[Trace], *, seed: int | None) -> list[str]:
        """Batched :meth:`stream_text` to the end: one reply per already-built (escaped) input."""
        m = self._model.get()
        enc = m.tokenizer(list(texts), return_tensors="pt", padding=True, padding_side="right")
        input_ids, mask = enc["input_ids"].to(m.device), enc["attention_mask"].to(m.device)
        for trace, text, n in zip(traces, texts, mask.sum(dim=1).tolist(), strict=True):
            trace.input_text, trace.model_revision, trace.prompt_tokens = text, m.revision, int(n)
        try:
            rows = decode_batch(
                m.model, input_ids, mask, self.sampling(), eos_token_ids={m.tokenizer.eos_token_id},
                pad_token_id=m.tokenizer.pad_token_id,
                generator=generator_for(seed, m.device),
            )
        except ALLOCATION_ERRORS as e:  # torch.OutOfMemoryError, a failed CPU allocation, Python's MemoryError
            if not is_out_of_memory(e):
                raise
            raise GenerationError(f"{self.name}: out of memory while generating a batch of {len(texts)}") from e
        out = []
        for trace, ids in zip(traces, rows, strict=True):
            trace.output_tokens = len(ids)
            out.append(unescape_v1(m.tokenizer.decode(ids, skip_special_tokens=True)))
        return out


def build(col: V1Column, pool: ModelPool, built: Mapping[str, Backend]) -> BianQueV1:
    """The registry's builder: the column's tokenizer and weights come from the shared pool."""
    return BianQueV1(
        col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
        col.generation, col.greeting,
    )
