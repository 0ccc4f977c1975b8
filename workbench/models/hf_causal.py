"""Any Hugging Face causal LM with a chat template (Qwen, Llama, HuatuoGPT...)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from workbench.config import CausalParams, HFCausalColumn, ModelSource
from workbench.decoding import stream_tokens
from workbench.devices import ALLOCATION_ERRORS, is_out_of_memory
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError, ModelLoadError
from workbench.models.base import Backend, Plan, Trace
from workbench.models.registry import ModelPool
from workbench.models.resources import (
    LazyResource,
    LoadedModel,
    load_error,
    load_hf_model,
    require_local_or_hub,
)
from workbench.models.transformers_lock import one_at_a_time
from workbench.plural import plural
from workbench.sampling import Sampling, generator_for


@one_at_a_time
def load_tokenizer(source: ModelSource) -> Any:
    from transformers import AutoTokenizer

    require_local_or_hub(source.path)
    try:
        tok = AutoTokenizer.from_pretrained(
            source.path, revision=source.revision, trust_remote_code=source.trust_remote_code
        )
    except Exception as e:
        raise load_error(source, "tokenizer", e) from e
    if not getattr(tok, "chat_template", None):
        raise ModelLoadError(f"{source.path}: the tokenizer has no chat template; use a chat model")
    return tok


@one_at_a_time
def load_model(source: ModelSource, tokenizer: Any) -> LoadedModel:
    from transformers import AutoModelForCausalLM

    return load_hf_model(AutoModelForCausalLM, source, tokenizer, cuda_auto=torch.bfloat16, what="causal LM")


def chat_messages(dialogue: Dialogue, system_prompt: str | None) -> list[dict[str, str]]:
    """Patient -> user, doctor -> assistant; consecutive same-role turns are merged."""
    msgs: list[dict[str, str]] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for t in dialogue.turns:
        role = "user" if t.role == "patient" else "assistant"
        if msgs and msgs[-1]["role"] == role:
            msgs[-1] = {"role": role, "content": msgs[-1]["content"] + "\n" + t.text}
        else:
            msgs.append({"role": role, "content": t.text})
    return msgs


class HFCausal(Backend):
    kind = "hf-causal"

    def __init__(
        self,
        name: str,
        source: ModelSource,
        tokenizer: LazyResource[Any],
        model: LazyResource[LoadedModel],
        params: CausalParams,
        system_prompt: str | None,
    ) -> None:
        super().__init__(name)
        self.source, self._tokenizer, self._model = source, tokenizer, model
        self.gen, self.system_prompt = params, system_prompt

    def params(self) -> dict[str, Any]:
        return self.gen.model_dump()

    def check_ready(self) -> None:
        self._model.get()

    def _render(self, dialogue: Dialogue) -> str:
        tok = self._tokenizer.get()
        return tok.apply_chat_template(
            chat_messages(dialogue, self.system_prompt), tokenize=False, add_generation_prompt=True
        )

    def model_input(self, dialogue: Dialogue) -> tuple[str, str]:
        dialogue.require_patient_last()
        tok = self._tokenizer.get()
        turns = list(dialogue.turns)
        dropped = 0
        text = self._render(dialogue)
        # Drop the oldest turns (never the pending patient message) until the prompt fits.
        while len(tok(text, add_special_tokens=False)["input_ids"]) > self.gen.max_input_tokens and len(turns) > 1:
            turns.pop(0)
            dropped += 1
            while len(turns) > 1 and turns[0].role == "doctor":  # chat templates expect a user turn first
                turns.pop(0)
                dropped += 1
            text = self._render(Dialogue(tuple(turns)))
        note = f"dropped the {dropped} oldest {plural(dropped, 'turn')} to fit {self.gen.max_input_tokens} tokens" if dropped else ""
        return text, note

    def plan(self, dialogue: Dialogue) -> Plan:
        text, note = self.model_input(dialogue)
        return Plan(text, "hf-causal", None, note or f"chat template of {self.source.path}")

    def stream(
        self, dialogue: Dialogue, trace: Trace, *, seed: int | None, stop: threading.Event | None = None
    ) -> Iterator[str]:
        m = self._model.get()
        text, note = self.model_input(dialogue)
        trace.route, trace.reason, trace.seed = "hf-causal", note or None, seed
        trace.params, trace.input_text = self.params(), text
        trace.model_name, trace.model_revision = self.source.path, m.revision
        enc = m.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        ids = enc["input_ids"].to(m.device)
        trace.prompt_tokens = int(ids.shape[1])
        eos = m.tokenizer.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        gen_eos = getattr(getattr(m.model, "generation_config", None), "eos_token_id", None)
        if gen_eos is not None:
            eos_ids |= set(gen_eos if isinstance(gen_eos, list) else [gen_eos])
        g = self.gen
        sampling = Sampling(g.do_sample, g.temperature, g.top_p, g.top_k, g.repetition_penalty, 0, g.max_new_tokens)
        new: list[int] = []
        try:
            for new in stream_tokens(
                m.model, ids, enc.get("attention_mask").to(m.device), sampling,
                eos_token_ids=eos_ids, generator=generator_for(seed, m.device),
                stop=stop,
            ):
                trace.output_tokens = len(new)
                yield m.tokenizer.decode(new, skip_special_tokens=True)
        except ALLOCATION_ERRORS as e:  # torch.OutOfMemoryError, a failed CPU allocation, Python's MemoryError
            if not is_out_of_memory(e):
                raise
            raise GenerationError(f"{self.name}: out of memory while generating") from e
        if not new:
            yield ""


def build(col: HFCausalColumn, pool: ModelPool, built: Mapping[str, Backend]) -> HFCausal:
    """The registry's builder: the column's tokenizer and weights come from the shared pool."""
    return HFCausal(
        col.name, col.model, pool.tokenizer(col.backend, col.model), pool.model(col.backend, col.model),
        col.generation, col.system_prompt,
    )
