"""A bf16 weight times one decode row in C (``native_head``: the lm_head and a bf16 model's block Linears):
torch's values up to fp32 summation order (then one bf16 rounding, the bias added before it), odd sizes and both
thread counts; it applies only to one-row bf16 inference; a bf16 model's decode steps run it in every block
Linear and its greedy tokens are unchanged; a routine with wrong sums is refused at its check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.chatglm_kernels import record_applied
from tests.chatglm_random import random_chatglm
from tests.test_chatglm_native_gemv import REAL_CC, _broken_build, _fresh
from workbench.chatglm import ChatGLMConfig, native_head
from workbench.chatglm.generation import generate
from workbench.chatglm.native_head import NATIVE_HEAD

needs_native_head = pytest.mark.skipif(not NATIVE_HEAD.available(),
                                       reason=f"native bf16 lm_head unavailable: {NATIVE_HEAD.reason}")

CONFIG = ChatGLMConfig(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=4, inner_hidden_size=344,
                       max_sequence_length=512, bos_token_id=390, eos_token_id=391, mask_token_id=388,
                       gmask_token_id=389, pad_token_id=3)


@needs_native_head
@pytest.mark.parametrize(("out", "n"), [(1, 8), (400, 128), (1031, 4096), (9, 77)])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_c_product_gives_torchs_logits(out: int, n: int, threads: int) -> None:
    gen = torch.Generator().manual_seed(out + n)
    w = (torch.randn(out, n, generator=gen) * 0.05).to(torch.bfloat16)
    x = torch.randn(1, 1, n, generator=gen).to(torch.bfloat16)
    exact = (x.double().view(n) @ w.double().T).view(1, 1, out)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            got = native_head.lm_head_decode(x, w)
            ref = F.linear(x, w)
    finally:
        torch.set_num_threads(before)
    assert got is not None and got.dtype == torch.bfloat16 and got.shape == (1, 1, out)
    # Both sum the same exact products in fp32 and round once to bf16: each is the exact value's nearest bf16
    # but for sums within fp32 noise of a rounding boundary.
    assert torch.equal(got, exact.to(torch.bfloat16)) or (got != exact.to(torch.bfloat16)).float().mean() < 0.01
    ulp = exact.abs().float().clamp_min(1e-30) * 2.0**-7
    assert ((got.float() - ref.float()).abs() <= ulp).all()


@needs_native_head
@pytest.mark.parametrize(("out", "n"), [(12, 64), (1031, 4096), (300, 1030)])
@pytest.mark.parametrize("threads", [1, 2])
def test_a_block_linears_row_gives_torchs_values_with_its_bias(out: int, n: int, threads: int) -> None:
    gen = torch.Generator().manual_seed(out * n)
    w = (torch.randn(out, n, generator=gen) * n**-0.5).to(torch.bfloat16)
    b = torch.randn(out, generator=gen).to(torch.bfloat16)
    x = torch.randn(1, 1, n, generator=gen).to(torch.bfloat16)
    exact = (x.double().view(n) @ w.double().T + b.double()).view(1, 1, out)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            got = native_head.bf16_decode_linear(x, w, b)
            ref = F.linear(x, w, b)
    finally:
        torch.set_num_threads(before)
    assert got is not None and got.dtype == torch.bfloat16 and got.shape == (1, 1, out)
    # The bias joins the fp32 sum before the one rounding: the exact value's nearest bf16 but near a boundary.
    assert (got != exact.to(torch.bfloat16)).float().mean() < 0.01
    terms = (x.double().abs().view(n) @ w.double().abs().T + b.double().abs()).view(1, 1, out)
    bound = exact.abs().float() * 2.0**-8 + terms.float() * 1e-6
    assert ((got.float() - ref.float()).abs() <= 2 * bound).all()


def test_it_applies_only_to_one_bf16_inference_row() -> None:
    w = torch.randn(64, 32).to(torch.bfloat16)
    one = torch.randn(1, 1, 32).to(torch.bfloat16)
    with torch.inference_mode():
        assert native_head.lm_head_decode(one.expand(1, 2, 32), w) is None  # a prompt's rows
        assert native_head.lm_head_decode(one.float(), w.float()) is None  # an fp32 model
        assert native_head.lm_head_decode(one, w.T.contiguous().T) is None  # a strided weight
        assert native_head.bf16_decode_linear(one, w, torch.zeros(63).to(torch.bfloat16)) is None  # a wrong bias
        assert native_head.bf16_decode_linear(one.expand(1, 2, 32), w, None) is None  # a prompt's rows
    with torch.enable_grad():
        assert native_head.lm_head_decode(one, w.requires_grad_()) is None
        assert native_head.bf16_decode_linear(one, w, None) is None  # training keeps torch's autograd


@needs_native_head
def test_a_bf16_models_greedy_tokens_are_unchanged(monkeypatch) -> None:
    model = random_chatglm(CONFIG, seed=7).to(torch.bfloat16)
    ids = torch.randint(6, 380, (1, 19), generator=torch.Generator().manual_seed(13))
    ids[0, -2], ids[0, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
    with monkeypatch.context() as m:
        calls = record_applied(m, native_head.NATIVE_HEAD, "linear")
        with_c = generate(model, ids, max_new_tokens=24, do_sample=False)
    # 23 decode steps (the first token comes from the prompt pass), each the lm_head and 4 Linears a block.
    assert calls.count(True) >= 23 * (1 + 4 * CONFIG.num_layers), "the decode steps did not run the C products"
    with monkeypatch.context() as m:
        m.setattr(native_head, "lm_head_decode", lambda *args: None)
        m.setattr(native_head, "bf16_decode_linear", lambda *args: None)
        with_torch = generate(model, ids, max_new_tokens=24, do_sample=False)
    assert torch.equal(with_c, with_torch)


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_product_with_wrong_sums_is_not_used(monkeypatch, tmp_path: Path, caplog) -> None:
    cc = _broken_build(tmp_path, "        j->y[o] = s;\n", "        j->y[o] = s * 1.001f;\n")
    kernel = _fresh(monkeypatch, tmp_path, cc)
    assert kernel.available()
    head = native_head.NativeHead(kernel)
    assert not head.available()
    assert "wrong results" in head.reason
    with torch.inference_mode():
        assert head.linear(torch.randn(1, 1, 32).to(torch.bfloat16), torch.randn(64, 32).to(torch.bfloat16)) is None
