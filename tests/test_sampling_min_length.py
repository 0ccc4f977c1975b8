"""The sampler's minimum-length rule (end-of-sequence ids banned until enough tokens exist) against
transformers' own processors, with the same arithmetic as before it became one indexed fill."""

from __future__ import annotations

import pytest
import torch
from transformers import MinLengthLogitsProcessor, MinNewTokensLengthLogitsProcessor

from workbench.sampling import Sampler, Sampling


@pytest.mark.parametrize("eos", [(7,), (7, 2, 7), (0, 19)])
def test_min_new_tokens_bans_eos_as_transformers_does(eos: tuple[int, ...]) -> None:
    gen = torch.Generator().manual_seed(0)
    scores = torch.randn(3, 20, generator=gen)
    prompt = 4
    sampler = Sampler(Sampling(do_sample=False), eos_token_ids=eos, min_new_tokens=3, prompt_length=prompt)
    reference = MinNewTokensLengthLogitsProcessor(prompt, 3, list(eos))
    for length in range(prompt, prompt + 5):
        ids = torch.randint(0, 20, (3, length), generator=gen)
        got = sampler.process(scores, ids)
        expected = reference(ids, scores.clone())
        assert torch.equal(got, expected), length
        assert torch.equal(sampler(scores, ids), expected.argmax(dim=-1))
    assert torch.isfinite(scores).all()  # the caller's scores are never written


def test_min_length_counts_the_prompt_as_transformers_does() -> None:
    gen = torch.Generator().manual_seed(1)
    scores = torch.randn(2, 12, generator=gen)
    scores[:, 5] = 10.0  # eos would win
    sampler = Sampler(Sampling(do_sample=False), eos_token_ids=(5,), min_length=6, prompt_length=3)
    reference = MinLengthLogitsProcessor(6, [5])
    for length in (3, 5, 6, 7):
        ids = torch.zeros(2, length, dtype=torch.long)
        assert torch.equal(sampler.process(scores, ids), reference(ids, scores.clone()))
    assert sampler(scores, torch.zeros(2, 5, dtype=torch.long)).tolist() != [5, 5]
    assert sampler(scores, torch.zeros(2, 6, dtype=torch.long)).tolist() == [5, 5]


def test_an_eos_id_outside_the_vocabulary_fails_as_indexing_does() -> None:
    sampler = Sampler(Sampling(do_sample=False), eos_token_ids=(30,), min_new_tokens=2)
    with pytest.raises(IndexError):
        sampler.process(torch.zeros(1, 20), torch.zeros(1, 1, dtype=torch.long))
