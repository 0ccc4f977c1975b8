"""A token-by-token sampling loop for Hugging Face models, with a per-call RNG.

``model.generate`` samples from torch's *global* RNG, so three columns
streaming at once in threads would disturb each other's seeds. This loop
reuses transformers' own logits processors but draws every token from a
``torch.Generator`` owned by the call, and checks a stop event between steps.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from transformers import (
    LogitsProcessorList,
    NoRepeatNGramLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)


@dataclass(frozen=True)
class Sampling:
    do_sample: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    max_new_tokens: int = 512


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    if seed is None:
        g.seed()
    else:
        g.manual_seed(seed)
    return g


def _processors(s: Sampling) -> LogitsProcessorList:
    procs = LogitsProcessorList()
    if s.repetition_penalty != 1.0:
        procs.append(RepetitionPenaltyLogitsProcessor(s.repetition_penalty))
    if s.no_repeat_ngram_size > 0:
        procs.append(NoRepeatNGramLogitsProcessor(s.no_repeat_ngram_size))
    if s.do_sample:
        # Same order as transformers' generate: temperature, top-k, top-p.
        if s.temperature != 1.0:
            procs.append(TemperatureLogitsWarper(s.temperature))
        if s.top_k > 0:
            procs.append(TopKLogitsWarper(s.top_k))
        if s.top_p < 1.0:
            procs.append(TopPLogitsWarper(s.top_p))
    return procs


def _cache_kw(model: torch.nn.Module) -> str:
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _cache_of(out) -> object:
    return getattr(out, "cache", None) if hasattr(out, "cache") else getattr(out, "past_key_values", None)


@torch.inference_mode()
def stream_tokens(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None,
    sampling: Sampling,
    *,
    eos_token_ids: set[int],
    generator: torch.Generator,
    stop: threading.Event | None = None,
) -> Iterator[list[int]]:
    """Yield the list of new token ids after each step (single sequence, batch 1).

    Works for encoder-decoder models (T5) and decoder-only causal LMs. The
    eos token ends the loop and is not included in what is yielded.
    """
    procs = _processors(sampling)
    cache_kw = _cache_kw(model)
    device = input_ids.device
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
    new: list[int] = []
    if encoder_decoder:
        enc = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask)
        start = model.config.decoder_start_token_id
        seq = torch.tensor([[start]], device=device)
        feed = seq
    else:
        seq = input_ids
        feed = input_ids
    cache = None
    for _ in range(sampling.max_new_tokens):
        if stop is not None and stop.is_set():
            return
        kwargs = {cache_kw: cache, "use_cache": True}
        if encoder_decoder:
            out = model(encoder_outputs=enc, attention_mask=attention_mask, decoder_input_ids=feed, **kwargs)
        else:
            out = model(input_ids=feed, attention_mask=attention_mask, **kwargs)
        cache = _cache_of(out)
        scores = out.logits[:, -1, :].float()
        scores = procs(seq, scores)
        if sampling.do_sample:
            probs = torch.softmax(scores, dim=-1)
            token = torch.multinomial(probs, 1, generator=generator)
        else:
            token = scores.argmax(dim=-1, keepdim=True)
        tid = int(token)
        if tid in eos_token_ids:
            return
        new.append(tid)
        seq = torch.cat([seq, token], dim=-1)
        feed = token
        if not encoder_decoder:
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones((1, 1))], dim=-1)
        yield new
