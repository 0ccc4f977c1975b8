"""Inference writes GELU, rotary and the scaled residuals into buffers it owns (fewer temporaries in a
prompt pass); the values must stay bit-equal to the expressions that autograd runs."""

from __future__ import annotations

import pytest
import torch

from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig
from workbench.chatglm.modeling import apply_rotary, gelu_tanh

CONFIG = ChatGLMConfig(vocab_size=300, hidden_size=96, num_layers=3, num_attention_heads=4, inner_hidden_size=200,
                       max_sequence_length=256, bos_token_id=290, eos_token_id=291, mask_token_id=288,
                       gmask_token_id=289, pad_token_id=3)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gelu_and_rotary_in_inference_equal_the_autograd_expressions(dtype: torch.dtype) -> None:
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(2, 33, 200, generator=gen) * 4).to(dtype)
    x[0, 0, :3] = torch.tensor([float("inf"), float("-inf"), float("nan")])
    with torch.enable_grad():
        expected = gelu_tanh(x)
    with torch.inference_mode():
        torch.testing.assert_close(gelu_tanh(x), expected, rtol=0, atol=0, equal_nan=True)
    assert torch.isinf(x[0, 0, 0])  # the input is never written

    qk = torch.randn(2, 7, 4, 2, 24, generator=gen).to(dtype)
    cos = torch.randn(2, 7, 1, 1, 24, generator=gen).to(dtype)
    sin = torch.randn(2, 7, 1, 1, 24, generator=gen).to(dtype)
    before = qk.clone()
    with torch.enable_grad():
        expected = apply_rotary(qk, cos, sin)
    with torch.no_grad():
        assert torch.equal(apply_rotary(qk, cos, sin), expected)
    assert torch.equal(qk, before)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_forward_in_inference_is_bit_equal_to_the_autograd_forward(dtype: torch.dtype) -> None:
    model = random_chatglm(CONFIG, seed=4).to(dtype)
    ids = torch.randint(6, 280, (2, 40), generator=torch.Generator().manual_seed(1))
    ids[:, -2], ids[:, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
    with torch.enable_grad():
        reference = model(ids, use_cache=True, output_hidden_states=True)
    assert reference.logits.requires_grad  # the autograd expressions ran
    with torch.inference_mode():
        ours = model(ids, use_cache=True, output_hidden_states=True)
    assert torch.equal(ours.logits, reference.logits.detach())
    for a, b in zip(ours.hidden_states, reference.hidden_states, strict=True):
        assert torch.equal(a, b.detach())
    for (k, v), (rk, rv) in zip(ours.past_key_values, reference.past_key_values, strict=True):
        assert torch.equal(k, rk.detach()) and torch.equal(v, rv.detach())
