"""Prompt passes through the fused fp32 C product (``native_prompt.NATIVE_PROMPT_GEMM_F32``), for CPUs whose fp32
GEMMs are the fast ones: each weight the blocked path's fp32 fill writes, to the bit; fp32 sums within their
rounding bound on odd row, column and tile counts and one or two threads; a quantized or bf16 model's prompt pass
runs it where it was chosen and keeps the blocked path's logits and first token; the per-machine choice is
honoured; a build with wrong sums is refused (the same bits on any thread count and from concurrent callers:
test_chatglm_native_prompt). Speed is measured by bench/chatglm_decode.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import choose_fused_prompt, record_applied, use_native_decode
from tests.chatglm_random import random_chatglm
from tests.test_chatglm_native_gemv import REAL_CC, _broken_build, _fresh
from tests.test_chatglm_native_prompt import LAYOUTS, MID, _layer
from workbench.chatglm import cpu_gemm, machine_choice, native_prompt, native_step
from workbench.chatglm import quantization as q
from workbench.chatglm.native_prompt import NATIVE_PROMPT_GEMM_F32

needs_fused = pytest.mark.skipif(
    not NATIVE_PROMPT_GEMM_F32.available(),
    reason=f"the fused fp32 prompt product is not usable here: {NATIVE_PROMPT_GEMM_F32.reason}")


def _fp32_gemms(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a CPU without native bf16 arithmetic: prompt passes run fp32 products."""
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 50.0, torch.bfloat16: 20.0})


def _fp32_weight(layer: q.QuantizedLinear) -> torch.Tensor:
    """The weight as the blocked path's fp32 fill writes it."""
    buffer = torch.empty(layer.out_features * layer.in_features, dtype=torch.float32)
    return q._dequantize_rows_into(buffer, layer, 0, layer.out_features).clone()


def _product(layer: q.QuantizedLinear, x: torch.Tensor) -> torch.Tensor | None:
    scale32, bias32 = layer.native_operands()
    return NATIVE_PROMPT_GEMM_F32.linear(x, layer.weight, q._fused_prompt_layout(layer), scale32, bias32)


def _rounding_bound(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """A bound on fp32's error for sums of x's rows times w's rows plus the bias, in any order: (k + 2) units of
    2^-24 of the sum of |terms| (each product rounded once, k sums, the bias added). A wrong weight, scale or
    row is off by the size of the terms."""
    k = x.shape[-1]
    return (k + 2) * 2.0**-24 * (x.double().abs() @ w.double().abs().T + bias.double().abs()) + 1e-30


@needs_fused
@pytest.mark.parametrize(("bits", "layout"), LAYOUTS)
@pytest.mark.parametrize("out_features", [1, 6, 37])
def test_each_weight_is_the_blocked_paths_fp32_weight_bit_for_bit(bits: int, layout: str, out_features: int) -> None:
    # One-hot activation rows: each output is one exact product, weight x 1, plus the fp32 bias once.
    in_features = 192
    layer = _layer(bits, out_features, in_features, layout, seed=out_features + bits)
    eye = torch.eye(in_features).view(1, in_features, in_features)
    with torch.inference_mode():
        got = _product(layer, eye)
    assert got is not None and got.dtype == torch.float32 and got.shape == (1, in_features, out_features)
    assert torch.equal(got[0], _fp32_weight(layer).T + layer.bias.float())


@needs_fused
@pytest.mark.parametrize("in_features", [192, 77])
def test_a_bf16_weight_is_widened_exactly_at_any_width(in_features: int) -> None:
    w = (torch.randn(13, in_features, generator=torch.Generator().manual_seed(in_features)) * 5).to(torch.bfloat16)
    eye = torch.eye(in_features)
    with torch.inference_mode():
        got = NATIVE_PROMPT_GEMM_F32.linear(eye, w, native_prompt.BF16, None, None)
    assert got is not None and torch.equal(got, w.float().T)


@needs_fused
@pytest.mark.parametrize(("bits", "layout"), LAYOUTS)
@pytest.mark.parametrize("rows", [16, 64, 79, 130])
@pytest.mark.parametrize("threads", [1, 2])
def test_the_products_are_fp32_sums_of_the_blocked_paths_terms(bits: int, layout: str, rows: int,
                                                              threads: int) -> None:
    out_features, in_features = 43, 640
    layer = _layer(bits, out_features, in_features, layout, seed=rows)
    gen = torch.Generator().manual_seed(rows + bits)
    x = torch.randn(2, rows, in_features, generator=gen) * 3
    x[..., 7] *= 50.0  # an outlier column, as LayerNorm outputs have
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            got = _product(layer, x)
            blocked = cpu_gemm.blocked_linear(x, out_features,
                                              lambda b, r0, r1: q._dequantize_rows_into(b, layer, r0, r1), layer.bias)
    finally:
        torch.set_num_threads(before)
    assert got is not None and got.shape == (2, rows, out_features) and got.dtype == torch.float32
    w = _fp32_weight(layer)
    exact = x.double() @ w.double().T + layer.bias.double()
    bound = _rounding_bound(x, w, layer.bias)
    assert ((got.double() - exact).abs() <= bound).all()
    assert ((blocked.double() - exact).abs() <= bound).all()


def test_it_applies_only_where_it_can() -> None:
    layer = _layer(8, 16, 128, q.CHATGLM_LAYOUT, seed=1)
    scale32, _ = layer.native_operands()
    x = torch.randn(1, 20, 128)
    with torch.enable_grad():  # a loss being trained through the layer's input
        assert NATIVE_PROMPT_GEMM_F32.linear(x.requires_grad_(), layer.weight, native_prompt.INT8, scale32,
                                             None) is None
    odd = _layer(8, 16, 127, q.CHATGLM_LAYOUT, seed=2)
    # fp32 products need no bf16 pairs: an odd int8 width is taken (where the routine is usable here).
    assert NATIVE_PROMPT_GEMM_F32.takes(odd.weight, native_prompt.INT8, 127)
    assert not native_prompt.NATIVE_PROMPT_GEMM.takes(odd.weight, native_prompt.INT8, 127)
    stored = q.pack_int4(torch.randint(-8, 8, (16, 96), dtype=torch.int8))
    assert not NATIVE_PROMPT_GEMM_F32.takes(stored, native_prompt.INT4_INTERLEAVED, 96)  # 64-column groups
    assert native_prompt.prompt_gemm(torch.float32) is NATIVE_PROMPT_GEMM_F32
    assert native_prompt.prompt_gemm(torch.bfloat16) is native_prompt.NATIVE_PROMPT_GEMM


@needs_fused
def test_an_odd_int8_width_runs_fused_and_matches_the_blocks() -> None:
    layer = _layer(8, 29, 127, q.CHATGLM_LAYOUT, seed=4)
    x = torch.randn(33, 127, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        got = _product(layer, x)
    w = _fp32_weight(layer)
    exact = x.double() @ w.double().T + layer.bias.double()
    assert got is not None and ((got.double() - exact).abs() <= _rounding_bound(x, w, layer.bias)).all()


@needs_fused
@pytest.mark.parametrize(("bits", "interleaved"), [(8, False), (4, False), (4, True)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_quantized_prompt_pass_runs_fused_and_keeps_the_blocked_paths_logits(monkeypatch, bits: int,
                                                                                interleaved: bool,
                                                                                dtype: torch.dtype) -> None:
    if interleaved and not q.NATIVE_GEMV.interleaved_available():
        pytest.skip(f"the interleaved int4 layout is not used here: {q.NATIVE_GEMV.interleaved_reason}")
    _fp32_gemms(monkeypatch)
    use_native_decode(monkeypatch, True, interleaved=interleaved)  # int4 layers in a layout it reads
    model = random_chatglm(MID, seed=11).to(dtype)
    model.quantize(bits)
    wanted = q.INTERLEAVED_INT4_LAYOUT if interleaved else q.CHATGLM_LAYOUT
    assert {m.layout for m in model.modules() if isinstance(m, q.QuantizedLinear)} == {wanted}
    monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {torch.float32: ((1.0, 1.0), (0.0, 0.0))})
    ids = torch.randint(6, 1150, (1, 70), generator=torch.Generator().manual_seed(bits))
    ids[0, -2], ids[0, -1] = MID.gmask_token_id, MID.bos_token_id
    choose_fused_prompt(monkeypatch, False)
    with torch.inference_mode():
        blocked = model(ids).logits.float()
    choose_fused_prompt(monkeypatch, True)
    calls = record_applied(monkeypatch, NATIVE_PROMPT_GEMM_F32, "linear")
    with torch.inference_mode():
        fused = model(ids).logits.float()
    assert calls.count(True) == 4 * MID.num_layers, "the prompt pass did not run the fused product"
    scale = blocked.abs().max().item()
    # fp32 sums in another order: a few ulps per layer for a float32 model; a bf16 model rounds each output to
    # bf16 once on both paths, so an ulp there, now and then, carried through three layers.
    assert (fused - blocked).abs().max().item() <= (1e-5 if dtype == torch.float32 else 2e-2) * scale
    assert torch.equal(fused[0, -1].argmax(), blocked[0, -1].argmax())
    # A decode step's one row never reaches it (the prompt pass through the forward).
    calls.clear()
    monkeypatch.setattr(native_step.NativeDecoder, "prompt", lambda *_args: None)
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=3, eos_token_id=-1)
    assert calls.count(True) == 4 * MID.num_layers


@needs_fused
def test_a_bf16_models_prompt_pass_runs_fused_in_fp32_and_keeps_the_upcast_blocks_logits(monkeypatch) -> None:
    _fp32_gemms(monkeypatch)
    model = random_chatglm(MID, seed=12).to(torch.bfloat16)
    ids = torch.randint(6, 1150, (1, 70), generator=torch.Generator().manual_seed(6))
    ids[0, -2], ids[0, -1] = MID.gmask_token_id, MID.bos_token_id
    monkeypatch.setattr(native_prompt.BF16_UPCAST_CHOICE, "_chosen", False)
    upcast: list[int] = []
    real = cpu_gemm.upcast_linear
    monkeypatch.setattr(cpu_gemm, "upcast_linear", lambda *a: upcast.append(1) or real(*a))
    with torch.inference_mode():
        blocks = model(ids).logits.float()
    assert len(upcast) == 4 * MID.num_layers
    monkeypatch.setattr(native_prompt.BF16_UPCAST_CHOICE, "_chosen", True)
    calls = record_applied(monkeypatch, NATIVE_PROMPT_GEMM_F32, "linear")
    upcast.clear()
    with torch.inference_mode():
        fused = model(ids).logits.float()
    assert calls.count(True) == 4 * MID.num_layers and not upcast
    scale = blocks.abs().max().item()
    assert (fused - blocks).abs().max().item() <= 2e-2 * scale
    assert torch.equal(fused[0, -1].argmax(), blocks[0, -1].argmax())


@needs_fused
def test_the_choices_saved_for_this_machine_are_honoured(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    key = machine_choice.machine_key()
    for saved, chosen in (("blocks", False), ("fused", True)):
        machine_choice.save_choice("int8_prompt_product_f32", key, saved, {"blocks": 1.0, "fused": 2.0})
        machine_choice.save_choice("int8_prompt_product", key, "blocks" if chosen else "fused",
                                   {"blocks": 1.0, "fused": 2.0})
        monkeypatch.setattr(q, "_FUSED_PROMPT_CHOICE", {})
        assert q._fused_prompt_chosen(8, torch.float32) is chosen
        if native_prompt.NATIVE_PROMPT_GEMM.available():  # each dtype keeps its own choice
            assert q._fused_prompt_chosen(8, torch.bfloat16) is not chosen
        machine_choice.save_choice("bf16_prompt_product_f32", key, saved, {"blocks": 1.0, "fused": 2.0})
        choice = native_prompt._Bf16Choice(torch.float32)
        assert choice.chosen() is chosen


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_fused_fp32_product_with_wrong_sums_is_not_used(monkeypatch, tmp_path: Path, caplog) -> None:
    old = "j->bias ? tile[r * PF_BLOCK + i] + j->bias[n0 + r] : tile[r * PF_BLOCK + i];"
    cc = _broken_build(tmp_path, old, old.replace("tile[r * PF_BLOCK + i];", "tile[r * PF_BLOCK + i] * 1.0001f;"))
    kernel = _fresh(monkeypatch, tmp_path, cc)
    assert kernel.available()
    fused = native_prompt.NativePromptGemmF32(kernel)
    with caplog.at_level(logging.WARNING, logger="workbench.chatglm.native_gemv"):
        assert not fused.available()
    assert "wrong results" in fused.reason
    assert any("fused fp32 prompt-pass product not used" in r.getMessage() for r in caplog.records)
    # The bf16 routine of the same build does not share the mistake.
    if native_prompt.NATIVE_PROMPT_GEMM.available():
        assert native_prompt.NativePromptGemm(kernel).available()
    layer = _layer(8, 16, 128, q.CHATGLM_LAYOUT, seed=3)
    with torch.inference_mode():
        assert fused.linear(torch.randn(20, 128), layer.weight, native_prompt.INT8, layer.native_operands()[0],
                            None) is None
