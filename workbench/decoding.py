"""The token-by-token decode loop for transformers models (T5 and decoder-only causal LMs).

One loop serves streaming (one row, a stop event checked between steps) and batches (padded rows, a
finished row fed the pad token until the whole batch ends). Tokens are chosen by the project's one
:class:`~workbench.sampling.Sampler`, drawing from a generator owned by the call.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

from workbench.sampling import Sampler, Sampling


def _cache_keyword(model: Any) -> str:
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _cache_of(out: Any) -> object:
    return getattr(out, "cache", None) if hasattr(out, "cache") else getattr(out, "past_key_values", None)


@torch.inference_mode()
def decode_steps(
    model: Any,
    input_ids: Tensor,
    attention_mask: Tensor | None,
    sampler: Sampler,
    *,
    max_new_tokens: int,
    eos_token_ids: set[int],
    pad_token_id: int,
    stop: threading.Event | None = None,
) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield (tokens [batch], ended [batch]) after each step; ``ended`` marks an eos drawn at this step.

    Encoder-decoder models see right-padded inputs with their attention mask, so each row's encoding is
    that of the row alone. Decoder-only models take one row (no left padding is built here). A row that
    ended is fed the pad token while the batch goes on; what it draws afterwards means nothing. The loop
    ends when every row has ended, after ``max_new_tokens`` steps, or before a step once ``stop`` is set.
    """
    cache_kw = _cache_keyword(model)
    device = input_ids.device
    bsz = input_ids.shape[0]
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
    if encoder_decoder:
        enc = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask)
        seq = torch.full((bsz, 1), model.config.decoder_start_token_id, dtype=torch.long, device=device)
    else:
        seq = input_ids
    feed = seq
    eos = torch.tensor(sorted(eos_token_ids), dtype=torch.long, device=device)
    done = torch.zeros(bsz, dtype=torch.bool, device=device)
    cache = None
    for _ in range(max_new_tokens):
        if stop is not None and stop.is_set():
            return
        kwargs = {cache_kw: cache, "use_cache": True}
        if encoder_decoder:
            out = model(encoder_outputs=enc, attention_mask=attention_mask, decoder_input_ids=feed, **kwargs)
        else:
            out = model(input_ids=feed, attention_mask=attention_mask, **kwargs)
        cache = _cache_of(out)
        token = sampler(out.logits[:, -1, :].float(), seq)
        ended = torch.isin(token, eos)
        yield token, ended
        done |= ended
        if bool(done.all()):
            return
        token = torch.where(done, torch.full_like(token, pad_token_id), token)[:, None]
        seq = torch.cat([seq, token], dim=-1)
        feed = token
        if not encoder_decoder:
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones((bsz, 1))], dim=-1)


def stream_tokens(
    model: Any,
    input_ids: Tensor,
    attention_mask: Tensor | None,
    sampling: Sampling,
    *,
    eos_token_ids: set[int],
    generator: torch.Generator,
    stop: threading.Event | None = None,
) -> Iterator[list[int]]:
    """Yield the list of new token ids after each step (one sequence); eos ends it and is not yielded."""
    new: list[int] = []
    steps = decode_steps(
        model, input_ids, attention_mask, Sampler(sampling, generator=generator),
        max_new_tokens=sampling.max_new_tokens, eos_token_ids=eos_token_ids,
        pad_token_id=min(eos_token_ids), stop=stop,
    )
    for token, ended in steps:
        if bool(ended[0]):
            return
        new.append(int(token[0]))
        yield new


def decode_batch(
    model: Any,
    input_ids: Tensor,
    attention_mask: Tensor,
    sampling: Sampling,
    *,
    eos_token_ids: set[int],
    pad_token_id: int,
    generator: torch.Generator,
) -> list[list[int]]:
    """The new token ids of each row (eos excluded), each row taking the steps it would take alone.

    With ``do_sample`` the rows draw in turn from one generator, so a row's sample depends on its batch.
    """
    rows: list[list[int]] = [[] for _ in range(input_ids.shape[0])]
    done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
    steps = decode_steps(
        model, input_ids, attention_mask, Sampler(sampling, generator=generator),
        max_new_tokens=sampling.max_new_tokens, eos_token_ids=eos_token_ids, pad_token_id=pad_token_id,
    )
    for token, ended in steps:
        for i in (~done & ~ended).nonzero()[:, 0].tolist():
            rows[i].append(int(token[i]))
        done |= ended
    return rows
