"""One model, several threads generating at once (the demo's BianQue-2.0 and hybrid columns share one
model object): each call must give the tokens it gives alone. Inference writes into buffers of its own
(GELU, rotary, scores, residuals; the C step's cache and hidden state), never into the model's."""

from __future__ import annotations

import threading

import pytest
import torch

from tests.chatglm_kernels import needs_native, use_native_decode
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, native_step
from workbench.chatglm.generation import generate

CONFIG = ChatGLMConfig(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=4, inner_hidden_size=344,
                       max_sequence_length=512, bos_token_id=390, eos_token_id=391, mask_token_id=388,
                       gmask_token_id=389, pad_token_id=3)
THREADS = 4


def _prompts() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    prompts = []
    for length in (5, 23, 40, 11):  # different lengths: different cache sizes and rotary positions
        ids = torch.randint(6, 380, (1, length), generator=gen)
        ids[0, -2], ids[0, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
        prompts.append(ids)
    return prompts


def _run(model, ids: torch.Tensor, seed: int) -> torch.Tensor:
    # Sampling with a per-call generator: any value another thread wrote into this call's buffers
    # changes the draws of every later token.
    return generate(model, ids, max_new_tokens=24, do_sample=True, temperature=1.3, top_p=0.95,
                    generator=torch.Generator().manual_seed(seed))


def _concurrently(model, prompts: list[torch.Tensor]) -> list[torch.Tensor | BaseException]:
    results: list[torch.Tensor | BaseException | None] = [None] * len(prompts)
    start = threading.Barrier(len(prompts))

    def worker(i: int) -> None:
        try:
            start.wait()
            results[i] = _run(model, prompts[i], seed=100 + i)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a generating thread hung"
    return [r for r in results if r is not None]


def _check(model) -> None:
    prompts = _prompts()
    alone = [_run(model, ids, seed=100 + i) for i, ids in enumerate(prompts)]
    assert len({tuple(a[0].tolist()) for a in alone}) == len(prompts)  # distinct work per thread
    for _ in range(2):
        together = _concurrently(model, prompts)
        for a, b in zip(alone, together, strict=True):
            assert not isinstance(b, BaseException), repr(b)
            assert torch.equal(a, b)
    # ...and the model is unchanged by it all: the same tokens again, one at a time.
    for i, ids in enumerate(prompts):
        assert torch.equal(_run(model, ids, seed=100 + i), alone[i])


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_threads_sharing_a_float_model_get_their_own_tokens(dtype: torch.dtype) -> None:
    _check(random_chatglm(CONFIG, seed=3).to(dtype))


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
def test_threads_sharing_a_quantized_model_get_their_own_tokens(monkeypatch, bits: int) -> None:
    use_native_decode(monkeypatch, True)  # one-sequence decode steps run the whole C step
    decoders = []
    real = native_step.decoder_for

    def recorded(model, cache):
        decoder = real(model, cache)
        decoders.append(decoder)
        return decoder

    monkeypatch.setattr(native_step, "decoder_for", recorded)
    model = random_chatglm(CONFIG, seed=3)
    model.quantize(bits)
    _check(model)
    assert decoders and all(d is not None for d in decoders)  # every call decoded in C
