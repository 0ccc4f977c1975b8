"""The one token sampler of the project: every decode loop (T5, causal LMs, the native ChatGLM) calls it.

It turns one step's logits into token ids with transformers' processors, in transformers' order (invalid
score repair, repetition penalty, no-repeat n-grams, minimum length, caller processors, then temperature,
top-k, top-p) and their exact arithmetic, so greedy and seeded outputs equal ``model.generate``'s. It is
written in plain torch so that the native ChatGLM never imports transformers. Every draw comes from a
``torch.Generator`` owned by the call: ``model.generate`` samples from torch's *global* RNG, and three
columns streaming at once in threads would disturb each other's seeds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from workbench.errors import InputError

# A caller's extra step: ``(ids so far, scores) -> scores``, as transformers' LogitsProcessor.
LogitsProcessor = Callable[[Tensor, Tensor], Tensor]

INVALID_SCORE_TOKEN = 5  # the original ChatGLM's fallback token ("▁") when scores are NaN/inf
INVALID_SCORE_VALUE = 5e4


@dataclass(frozen=True)
class Sampling:
    """How to pick each token (transformers' generation settings of the same names)."""

    do_sample: bool = True
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    max_new_tokens: int = 512


def make_generator(seed: int | None, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator for one call: seeded, or from fresh entropy when ``seed`` is None."""
    g = torch.Generator(device=device)
    if seed is None:
        g.seed()
    else:
        g.manual_seed(seed)
    return g


def generator_for(seed: int | None, device: torch.device) -> torch.Generator:
    """The per-call generator on the model's device (CPU generators for CPU models)."""
    return make_generator(seed, "cpu" if device.type == "cpu" else device)


def repair_invalid_scores(scores: Tensor) -> Tensor:
    """ChatGLM chat()'s guard: NaN/inf scores would make sampling fail, so the original forces token 5."""
    if not bool(torch.isfinite(scores).all()):
        scores = torch.zeros_like(scores)
        scores[..., INVALID_SCORE_TOKEN] = INVALID_SCORE_VALUE
    return scores


def apply_repetition_penalty(scores: Tensor, seen: Tensor, penalty: float) -> Tensor:
    """transformers' RepetitionPenaltyLogitsProcessor: divide positive, multiply negative seen scores."""
    vocab = scores.shape[-1]
    # One spare column absorbs ids beyond the logits (an embedding larger than lm_head), as transformers does.
    padded = torch.nn.functional.pad(scores, (0, 1))
    seen = seen.clamp(max=vocab)
    picked = padded.gather(1, seen)
    picked = torch.where(picked < 0, picked * penalty, picked / penalty)
    return padded.scatter(1, seen, picked)[..., :vocab]


def ban_repeated_ngrams(scores: Tensor, seen: Tensor, size: int) -> Tensor:
    """transformers' NoRepeatNGramLogitsProcessor: no n-gram of ``size`` tokens may occur twice."""
    cur_len = seen.shape[-1]
    if cur_len < size:
        return scores
    # A window whose first size-1 tokens equal the current suffix bans its own last token.
    prefix = seen[:, cur_len + 1 - size:]
    windows = seen.unfold(dimension=1, size=size, step=1)
    matches = (windows[..., :-1] == prefix.unsqueeze(1)).all(dim=-1)
    vocab = scores.shape[-1]
    banned = scores.new_zeros((scores.shape[0], vocab + 1), dtype=torch.bool)
    banned.scatter_(1, torch.where(matches, windows[..., -1].clamp(max=vocab), vocab), True)
    return scores.masked_fill(banned[:, :vocab], float("-inf"))


def keep_top_k(scores: Tensor, k: int) -> Tensor:
    """transformers' TopKLogitsWarper."""
    k = min(k, scores.shape[-1])
    threshold = torch.topk(scores, k, dim=-1).values[..., -1:]
    return scores.masked_fill(scores < threshold, float("-inf"))


def keep_top_p(scores: Tensor, top_p: float) -> Tensor:
    """transformers' TopPLogitsWarper (the most likely token always stays)."""
    sorted_scores, order = torch.sort(scores, descending=False, dim=-1)
    cumulative = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p)
    remove_sorted[..., -1:] = False
    remove = remove_sorted.scatter(1, order, remove_sorted)
    return scores.masked_fill(remove, float("-inf"))


class Sampler:
    """Turns one step's logits [batch, vocab] into token ids [batch].

    ``eos_token_ids`` are masked while a row is shorter than ``min_length`` (prompt included) or has fewer
    than ``min_new_tokens`` after ``prompt_length``. ``repair_invalid_scores`` is ChatGLM chat()'s guard.
    """

    def __init__(
        self,
        sampling: Sampling,
        *,
        generator: torch.Generator | None = None,
        eos_token_ids: Sequence[int] = (),
        min_new_tokens: int = 0,
        min_length: int = 0,
        prompt_length: int = 0,
        logits_processor: Sequence[LogitsProcessor] | None = None,
        repair_invalid_scores: bool = False,
    ) -> None:
        s = sampling
        if s.do_sample and s.temperature <= 0:
            raise InputError(f"temperature must be > 0 when sampling, got {s.temperature}")
        if not 0 < s.top_p <= 1:
            raise InputError(f"top_p must be in (0, 1], got {s.top_p}")
        if s.repetition_penalty <= 0:
            raise InputError(f"repetition_penalty must be > 0, got {s.repetition_penalty}")
        self.sampling = s
        self.generator = generator
        self.eos = list(eos_token_ids)
        self.min_new = max(min_new_tokens, 0)
        self.min_total = max(min_length or 0, 0)
        self.prompt_length = prompt_length
        self.processors = list(logits_processor or [])
        self.repair = repair_invalid_scores
        self._eos_indices: dict[torch.device, Tensor] = {}

    def _eos_index(self, device: torch.device) -> Tensor:
        index = self._eos_indices.get(device)
        if index is None:
            index = self._eos_indices[device] = torch.tensor(self.eos, dtype=torch.long, device=device)
        return index

    def process(self, scores: Tensor, ids: Tensor) -> Tensor:
        """The processed scores (what argmax or the draw sees) for ids [batch, length] so far."""
        s = self.sampling
        cur_len = ids.shape[1]
        if self.repair:
            # Before the min-length rule on purpose: the original checked after it, saw its -inf and forced
            # token 5 for the first min_new_tokens steps of chat() (a bug we do not reproduce).
            scores = repair_invalid_scores(scores)
        if s.repetition_penalty != 1.0:
            scores = apply_repetition_penalty(scores, ids, s.repetition_penalty)
        if s.no_repeat_ngram_size > 0:
            scores = ban_repeated_ngrams(scores, ids, s.no_repeat_ngram_size)
        if self.eos and (cur_len - self.prompt_length < self.min_new or cur_len < self.min_total):
            # One out-of-place fill by a prepared index: a clone and a list-indexed write cost ~5x more per step.
            scores = scores.index_fill(1, self._eos_index(scores.device), float("-inf"))
        for proc in self.processors:
            scores = proc(ids, scores)
        if not s.do_sample:
            return scores
        if s.temperature != 1.0:
            scores = scores / s.temperature
        if s.top_k and s.top_k > 0:
            scores = keep_top_k(scores, s.top_k)
        if s.top_p < 1.0:
            scores = keep_top_p(scores, s.top_p)
        return scores

    def __call__(self, scores: Tensor, ids: Tensor) -> Tensor:
        scores = self.process(scores, ids)
        if not self.sampling.do_sample:
            return scores.argmax(dim=-1)
        return torch.multinomial(scores.softmax(dim=-1), 1, generator=self.generator).squeeze(1)
