"""Weight-only int8/int4 quantization of the native ChatGLM on CPU.

Accuracy is checked in two places. int8 (> 0.99 cosine) on every fixture checkpoint: those weights are
deliberately extreme (Linear std 0.4 at hidden 64, so every matmul amplifies ~3x and the logits react
chaotically to any perturbation), and int8 still holds there. int4 (> 0.95) is checked on a randomly
initialised model of moderate size with variance-preserving weights (std = 1/sqrt(fan_in), the regime of
a trained network): per-row int4 on tiny-a gives cosines of only ~0.6-0.8, a property of that chaotic
random network rather than of the quantizer, so it would not tell a good quantizer from a bad one.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests import chatglm_fixtures as fx
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration
from workbench.chatglm import quantization as q
from workbench.errors import UnsupportedModelError


def _moderate_model() -> ChatGLMForConditionalGeneration:
    config = ChatGLMConfig(vocab_size=1536, hidden_size=512, num_layers=4, num_attention_heads=8,
                           inner_hidden_size=2048, bos_token_id=1160, eos_token_id=1161, mask_token_id=1156,
                           gmask_token_id=1157)
    return random_chatglm(config, 0)


def _prompts(config: ChatGLMConfig, n: int = 3, length: int = 40) -> torch.Tensor:
    ids = torch.randint(6, 1150, (n, length), generator=torch.Generator().manual_seed(2))
    ids[:, -2], ids[:, -1] = config.gmask_token_id, config.bos_token_id
    return ids


def _last_logits(model, ids: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(row[None]).logits[0, -1:] for row in ids]).float()


def test_int4_packing_roundtrip_and_nibble_order() -> None:
    values = torch.arange(-8, 8, dtype=torch.int8).repeat(3, 2)  # [3, 32]
    packed = q.pack_int4(values)
    assert packed.shape == (3, 16) and packed.dtype == torch.int8
    assert torch.equal(q.unpack_int4(packed), values)
    # Even column in the high nibble, odd column in the low one (the original int4 checkpoint layout).
    one = q.pack_int4(torch.tensor([[3, -2]], dtype=torch.int8))
    assert one.view(torch.uint8).item() == (3 << 4) | (-2 & 0xF)


@pytest.mark.parametrize("bits", [8, 4])
def test_quantize_error_is_within_half_a_step(bits: int) -> None:
    w = torch.randn(64, 96, generator=torch.Generator().manual_seed(0))
    w[5] = 0.0  # an all-zero row must not divide by zero
    qw, scale = q.quantize_weight(w, bits)
    deq = q.dequantize(qw, scale, bits)
    assert torch.all((deq - w).abs() <= scale[:, None] / 2 + 1e-6)
    assert torch.equal(deq[5], torch.zeros(96))
    assert qw.shape[1] == (96 if bits == 8 else 48)


@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_quantized_linear_matches_dequantized_matmul(bits: int, dtype: torch.dtype, monkeypatch) -> None:
    gen = torch.Generator().manual_seed(0)
    linear = torch.nn.Linear(128, 200).to(dtype)
    layer = q.QuantizedLinear.from_linear(linear, bits)
    x = torch.randn(2, 5, 128, generator=gen).to(dtype)
    ref = F.linear(x.float(), q.dequantize(layer.chatglm_weight(), layer.weight_scale, bits, torch.float32),
                   linear.bias.float())
    # The fused kernels run their activations in bf16 when that is their fast dtype here.
    fast_tol = 1e-4 if dtype == torch.float32 and q.cpu_kernel_dtype(bits) in (None, torch.float32) else 0.05
    # Few rows decode through the compiled kernel's int8 activations where this machine chose it (6.7e-3 of
    # the output measured on the demo model).
    q8_tol = 1e-2 if q._KERNELS[bits].decode_kernel_name() in (q.NATIVE_INT8, q.NATIVE_INTERLEAVED) else 0.0
    assert torch.allclose(layer(x).float(), ref, atol=max(fast_tol, q8_tol) * ref.abs().max().item())
    monkeypatch.setattr(q, "_BLOCK_ELEMENTS", 128 * 7)  # force the blocked path with a ragged last block
    monkeypatch.setattr(q._KERNELS[bits], "_dtype", None)
    tol = 1e-4 if dtype == torch.float32 else 0.05
    assert torch.allclose(layer(x).float(), ref, atol=max(tol, q8_tol) * ref.abs().max().item())


@pytest.mark.parametrize("name", fx.case_params())
def test_int8_close_to_fp32_on_fixture(name: str) -> None:
    base = fx.model(name)
    ids = torch.tensor([max(fx.expected(name)["prompts"].values(), key=lambda p: len(p["input_ids"]))["input_ids"]])
    quant = copy.deepcopy(base).quantize(8)
    cos = F.cosine_similarity(_last_logits(quant, ids), _last_logits(base, ids), dim=-1)
    assert cos.min().item() > 0.99


def test_int8_and_int4_close_to_fp32_on_moderate_model() -> None:
    model = _moderate_model()
    ids = _prompts(model.config)
    ref = _last_logits(model, ids)
    errors = {}
    for bits, threshold in ((8, 0.99), (4, 0.95)):
        quant = copy.deepcopy(model).quantize(bits)
        assert all(isinstance(layer.mlp.dense_h_to_4h, q.QuantizedLinear) for layer in quant.transformer.layers)
        got = _last_logits(quant, ids)
        cos = F.cosine_similarity(got, ref, dim=-1)
        assert cos.min().item() > threshold, (bits, cos.tolist())
        errors[bits] = (got - ref).abs().max().item()
    assert 0 < errors[8] < errors[4]  # quantization really happened, and 4 bits lose more than 8


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_load_save_and_reload(tmp_path: Path, bits: int) -> None:
    model = _moderate_model()
    model.save_pretrained(tmp_path / "fp")
    loaded = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "fp", dtype="float32", quantization_bit=bits)
    reference = copy.deepcopy(model).quantize(bits)
    ids = _prompts(model.config, n=1)
    assert torch.allclose(_last_logits(loaded, ids), _last_logits(reference, ids), atol=1e-4)
    full = sum(p.numel() * p.element_size() for p in model.parameters())
    small = sum(t.numel() * t.element_size() for t in loaded.state_dict().values())
    assert small < full * (0.5 if bits == 8 else 0.4)
    # Saved pre-quantized (int8 weight + weight_scale, quantization_bit in config.json) and read back as is.
    loaded.save_pretrained(tmp_path / "q")
    again = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q", dtype="float32")
    assert again.config.quantization_bit == bits
    assert torch.equal(again.transformer.layers[0].attention.query_key_value.weight,
                       loaded.transformer.layers[0].attention.query_key_value.weight)
    assert torch.equal(_last_logits(again, ids), _last_logits(loaded, ids))
    other = 4 if bits == 8 else 8
    with pytest.raises(UnsupportedModelError):
        ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q", quantization_bit=other)


def test_quantized_generation_in_bfloat16(tmp_path: Path) -> None:
    model = _moderate_model()
    model.save_pretrained(tmp_path)
    quant = ChatGLMForConditionalGeneration.from_pretrained(tmp_path, dtype="bfloat16", quantization_bit=4)
    ids = _prompts(model.config, n=1)
    out = quant.generate(ids, max_new_tokens=5, eos_token_id=-1)
    assert out.shape == (1, ids.shape[1] + 5)
    cos = F.cosine_similarity(_last_logits(quant, ids), _last_logits(model, ids), dim=-1)
    assert cos.min().item() > 0.95
