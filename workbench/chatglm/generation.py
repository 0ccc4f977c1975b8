"""Generation for the native ChatGLM: functions that take a model (greedy/sampling with a KV cache,
streaming and the original chat()); tokens are picked by the project's one sampler (``workbench.sampling``).

Length and stopping rules follow transformers 4.33's ``generate`` as recorded in the fixtures: ``max_length``
counts the prompt, ``max_new_tokens`` does not and wins when both are given, neither means a total of 20,
at least one token is always generated, ``<eop>`` ends a row (and is kept), and rows that finished early
are padded with ``pad_token_id`` while the batch goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor

from workbench.chatglm import cuda_graph, native_step
from workbench.chatglm.modeling import ChatGLM, build_position_ids_and_mask
from workbench.chatglm.process_response import process_response
from workbench.errors import InputError
from workbench.sampling import LogitsProcessor, Sampler, Sampling

DEFAULT_MAX_LENGTH = 20  # transformers' generation-config default (prompt included)


def build_chat_prompt(query: str, history: Sequence[Sequence[str]] | None = None) -> str:
    """The original chat prompt: the raw query without history, else the ``[Round i]`` template."""
    if not history:
        return query
    parts = [f"[Round {i}]\n问：{q}\n答：{r}\n" for i, (q, r) in enumerate(history)]
    parts.append(f"[Round {len(history)}]\n问：{query}\n答：")
    return "".join(parts)


def resolve_new_token_limit(prompt_length: int, max_length: int | None, max_new_tokens: int | None) -> int:
    """How many tokens to generate at most (``max_new_tokens`` wins; at least one)."""
    if max_new_tokens is not None:
        if max_new_tokens < 1:
            raise InputError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        return int(max_new_tokens)
    total = DEFAULT_MAX_LENGTH if max_length is None else int(max_length)
    return max(total - prompt_length, 1)


def _steps(
    model: ChatGLM,
    input_ids: Tensor,
    *,
    attention_mask: Tensor | None = None,
    position_ids: Tensor | None = None,
    max_length: int | None = None,
    max_new_tokens: int | None = None,
    min_new_tokens: int = 0,
    min_length: int = 0,
    do_sample: bool = False,
    temperature: float = 1.0,
    top_p: float = 1.0,
    top_k: int = 0,
    repetition_penalty: float = 1.0,
    eos_token_id: int | None = None,
    pad_token_id: int | None = None,
    logits_processor: Sequence[LogitsProcessor] | None = None,
    generator: torch.Generator | None = None,
    stop_event: threading.Event | None = None,
    on_token: Callable[[list[int]], None] | None = None,
    num_beams: int = 1,
    repair_invalid_scores: bool = False,
) -> Iterator[tuple[Tensor, int]]:
    """Yield (ids buffer, current length) after each generated token.

    Inference mode is entered per step and left before each yield, so a consumer that runs between
    steps (a UI thread, a test) never finds itself inside inference mode.
    """
    if num_beams != 1:
        raise InputError("beam search (num_beams > 1) is not supported by the native ChatGLM")
    if input_ids.dim() == 1:
        input_ids = input_ids[None]
    config = model.config
    eos = config.eos_token_id if eos_token_id is None else eos_token_id
    pad = config.pad_token_id if pad_token_id is None else pad_token_id
    if pad is None:
        pad = eos
    device = model.device
    bsz, plen = input_ids.shape
    if plen == 0:
        raise InputError("the prompt is empty")
    limit = resolve_new_token_limit(plen, max_length, max_new_tokens)
    total = plen + limit
    sampler = Sampler(
        Sampling(do_sample=do_sample, temperature=temperature, top_p=top_p, top_k=top_k,
                 repetition_penalty=repetition_penalty, max_new_tokens=limit),
        generator=generator, eos_token_ids=() if eos is None else (eos,), min_new_tokens=min_new_tokens,
        min_length=min_length, prompt_length=plen, logits_processor=logits_processor,
        repair_invalid_scores=repair_invalid_scores,
    )

    with torch.inference_mode():
        input_ids = input_ids.to(device)
        ids = torch.full((bsz, total), pad if pad is not None else 0, dtype=torch.long, device=device)
        ids[:, :plen] = input_ids
        if position_ids is None:
            position_ids, built_mask = build_position_ids_and_mask(input_ids, config)
            if attention_mask is None:
                attention_mask = built_mask
        position_ids = position_ids.to(device)
        if attention_mask is not None:
            attention_mask = attention_mask.to(device)
            if attention_mask.dim() == 3:
                attention_mask = attention_mask[:, None]
            if attention_mask.dtype != torch.bool:
                attention_mask = attention_mask != 0
        cache = model.new_cache(bsz, total)
        # Each new token keeps the [gMASK] position in row 0 and advances the block position in row 1.
        step_pos = position_ids[:, :, -1:].clone()
        # The new token's mask row is the prompt's last row plus visible generated columns.
        step_mask = None
        if attention_mask is not None and bool(attention_mask[:, :, -1:].any()):
            step_mask = torch.zeros(bsz, 1, 1, total, dtype=torch.bool, device=device)
            step_mask[..., :plen] = attention_mask[:, :, -1:, :plen]
        unfinished = torch.ones(bsz, dtype=torch.bool, device=device)
        # One sequence of a quantized fp32 model on CPU: whole steps in C (None where a condition fails), and a
        # short prompt pass too where it applies; on a GPU, steps replayed from a CUDA graph.
        fast: native_step.NativeDecoder | cuda_graph.GraphDecoder | None = None
        if bsz == 1 and step_mask is None:
            fast = native_step.decoder_for(model, cache) or cuda_graph.decoder_for(model, cache)
        logits = fast.prompt(input_ids, position_ids, attention_mask) if fast is not None else None
        if logits is None:
            out = model(
                input_ids, position_ids=position_ids, attention_mask=attention_mask,
                past_key_values=cache, use_cache=True, logits_to_keep=1,
            )
            logits = out.logits[:, -1].float()
        if fast is not None:
            fast_pos = [int(p) for p in step_pos[0, :, 0].tolist()]

    cur = plen
    while True:
        with torch.inference_mode():
            tokens = sampler(logits, ids[:, :cur])
            if bsz == 1:
                # One row is unfinished while the loop runs (its <eop> ends it): no padding to apply, and
                # Python ints spare the per-step tensor ops of the batch bookkeeping below.
                new_ids = tokens.tolist()
                ids[0, cur] = new_ids[0]
                cur += 1
                done = cur >= total or new_ids[0] == eos
            else:
                if eos is not None:
                    tokens = torch.where(unfinished, tokens, torch.full_like(tokens, pad))
                ids[:, cur] = tokens
                cur += 1
                if eos is not None:
                    unfinished &= tokens != eos
                done = cur >= total or not bool(unfinished.any())
                new_ids = tokens.tolist()
        if on_token is not None:
            on_token(new_ids)
        yield ids, cur
        if done or (stop_event is not None and stop_event.is_set()):
            return
        with torch.inference_mode():
            if fast is not None:
                fast_pos[1] += 1
                logits = fast.step(new_ids[0], fast_pos[0], fast_pos[1])
                continue
            step_pos[:, 1] += 1
            out = model(
                tokens[:, None], position_ids=step_pos,
                attention_mask=None if step_mask is None else step_mask[..., :cur],
                past_key_values=cache, use_cache=True,
            )
            logits = out.logits[:, -1].float()


def generate(model: ChatGLM, input_ids: Tensor, **kwargs: Any) -> Tensor:
    """Generate and return ids [batch, prompt + new] (finished rows padded after ``<eop>``).

    Keyword arguments: attention_mask, position_ids, max_length, max_new_tokens, min_new_tokens,
    min_length, do_sample, temperature, top_p, top_k, repetition_penalty, eos_token_id, pad_token_id,
    logits_processor (callables ``(ids, scores) -> scores``), generator, stop_event (stops after the
    current token), on_token (called with the list of new ids, one per row, after each step), num_beams=1.
    """
    final = None
    for ids, cur in _steps(model, input_ids, **kwargs):
        final = (ids, cur)
    assert final is not None
    ids, cur = final
    return ids[:, :cur].clone()


def stream_generate(model: ChatGLM, input_ids: Tensor, **kwargs: Any) -> Iterator[Tensor]:
    """Like :func:`generate`, but yield the new ids so far ([batch, n]) after every step."""
    plen = input_ids.shape[-1]
    for ids, cur in _steps(model, input_ids, **kwargs):
        yield ids[:, plen:cur].clone()


def _chat_inputs(model: ChatGLM, tokenizer: Any, query: str, history: Any) -> Tensor:
    prompt = build_chat_prompt(query, history)
    encoded = tokenizer([prompt], return_tensors="pt")
    return encoded["input_ids"].to(model.device)


def _history_with(history: Any, query: str, response: str) -> list[tuple[str, str]]:
    return [tuple(turn) for turn in (history or [])] + [(query, response)]


def chat(
    model: ChatGLM,
    tokenizer: Any,
    query: str,
    history: Sequence[Sequence[str]] | None = None,
    max_length: int = 2048,
    num_beams: int = 1,
    do_sample: bool = True,
    top_p: float = 0.7,
    temperature: float = 0.95,
    logits_processor: Sequence[LogitsProcessor] | None = None,
    **kwargs: Any,
) -> tuple[str, list[tuple[str, str]]]:
    """The original chat(): (post-processed reply, history + [(query, reply)]). Sampling is on by default."""
    input_ids = _chat_inputs(model, tokenizer, query, history)
    out = generate(
        model, input_ids, max_length=max_length, num_beams=num_beams, do_sample=do_sample, top_p=top_p,
        temperature=temperature, logits_processor=logits_processor, repair_invalid_scores=True, **kwargs,
    )
    response = process_response(tokenizer.decode(out[0, input_ids.shape[1]:].tolist()))
    return response, _history_with(history, query, response)


def stream_chat(
    model: ChatGLM,
    tokenizer: Any,
    query: str,
    history: Sequence[Sequence[str]] | None = None,
    max_length: int = 2048,
    do_sample: bool = True,
    top_p: float = 0.7,
    temperature: float = 0.95,
    logits_processor: Sequence[LogitsProcessor] | None = None,
    **kwargs: Any,
) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Yield (reply so far, history) after each token. Unlike the original, the last yield is always the
    complete reply, equal to chat()'s, also when the run is cut by ``max_length``."""
    input_ids = _chat_inputs(model, tokenizer, query, history)
    for new_ids in stream_generate(
        model, input_ids, max_length=max_length, do_sample=do_sample, top_p=top_p, temperature=temperature,
        logits_processor=logits_processor, repair_invalid_scores=True, **kwargs,
    ):
        response = process_response(tokenizer.decode(new_ids[0].tolist()))
        yield response, _history_with(history, query, response)
