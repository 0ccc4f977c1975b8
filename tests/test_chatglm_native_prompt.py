"""Quantized prompt passes through the fused C product (``native_prompt``): each weight rounded to bf16 exactly
as the blocked path's fill rounds it, the products summed in fp32; odd row, column and tile counts; a model's
prompt pass runs it where it was chosen and keeps the blocked path's logits and first token; it applies only
where it can; the per-machine choice is honoured; a build with wrong sums, or without AVX512_BF16, is refused.
Speed is measured by bench/chatglm_decode.py."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import choose_fused_prompt, record_applied, use_native_decode
from tests.chatglm_random import random_chatglm
from tests.test_chatglm_native_gemv import REAL_CC, _broken_build, _fake_compiler, _fresh
from workbench.chatglm import ChatGLMConfig, cpu_gemm, machine_choice, native_prompt, native_step
from workbench.chatglm import quantization as q
from workbench.chatglm.native_prompt import NATIVE_PROMPT_GEMM, NATIVE_PROMPT_GEMM_F32

needs_fused = pytest.mark.skipif(not NATIVE_PROMPT_GEMM.available(),
                                 reason=f"the fused prompt product is not usable here: {NATIVE_PROMPT_GEMM.reason}")

MID = ChatGLMConfig(vocab_size=1536, hidden_size=1024, num_layers=3, num_attention_heads=16, inner_hidden_size=2752,
                    bos_token_id=1160, eos_token_id=1161, mask_token_id=1156, gmask_token_id=1157)


def _layer(bits: int, out_features: int, in_features: int, layout: str, seed: int) -> q.QuantizedLinear:
    torch.manual_seed(seed)
    layer = q.QuantizedLinear.from_linear(torch.nn.Linear(in_features, out_features), bits)
    if layout == q.CHATGLM_LAYOUT and layer.layout != q.CHATGLM_LAYOUT:
        layer.weight, layer.layout = layer.chatglm_weight(), q.CHATGLM_LAYOUT
    if layout == q.INTERLEAVED_INT4_LAYOUT and layer.layout != layout:
        layer.weight, layer.layout = q.interleave_int4(layer.chatglm_weight()), layout
    assert layer.layout == layout
    return layer


def _bf16_weight(layer: q.QuantizedLinear) -> torch.Tensor:
    """The weight as the blocked path's bf16 fill writes it."""
    buffer = torch.empty(layer.out_features * layer.in_features, dtype=torch.bfloat16)
    return q._dequantize_rows_into(buffer, layer, 0, layer.out_features).clone()


LAYOUTS = [(8, q.CHATGLM_LAYOUT), (4, q.CHATGLM_LAYOUT), (4, q.INTERLEAVED_INT4_LAYOUT)]


def _product(layer: q.QuantizedLinear, x: torch.Tensor) -> torch.Tensor | None:
    scale32, bias32 = layer.native_operands()
    return NATIVE_PROMPT_GEMM.linear(x, layer.weight, q._fused_prompt_layout(layer), scale32, bias32)


@needs_fused
@pytest.mark.parametrize(("bits", "layout"), LAYOUTS)
@pytest.mark.parametrize("out_features", [1, 6, 37])
def test_each_weight_is_the_blocked_paths_bf16_weight_bit_for_bit(bits: int, layout: str, out_features: int) -> None:
    # One-hot activation rows: each output is one exact product, weight x 1, so the outputs are the weights the
    # routine multiplied (plus the fp32 bias), which must be the fill's bf16 weights to the last bit.
    in_features = 192
    layer = _layer(bits, out_features, in_features, layout, seed=out_features + bits)
    eye = torch.eye(in_features).view(1, in_features, in_features)
    with torch.inference_mode():
        got = _product(layer, eye)
    assert got is not None and got.dtype == torch.float32 and got.shape == (1, in_features, out_features)
    want = _bf16_weight(layer).float().T + layer.bias.float()
    assert torch.equal(got[0], want)


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
                                              lambda b, r0, r1: q._dequantize_rows_into(b, layer, r0, r1),
                                              layer.bias, dtype=torch.bfloat16)
    finally:
        torch.set_num_threads(before)
    assert got is not None and got.shape == (2, rows, out_features)
    w = _bf16_weight(layer).double()
    xb = x.to(torch.bfloat16).double()
    exact = xb @ w.T + layer.bias.double()
    terms = xb.abs() @ w.abs().T
    assert ((got.double() - exact).abs() <= 1e-6 * terms + 1e-30).all()
    # The blocked path rounds each sum to bf16 once before its fp32 bias; the fused one keeps fp32.
    products = exact - layer.bias.double()
    assert ((blocked.double() - exact).abs() <= products.abs() * 2.0**-8 + 1e-6 * terms).all()
    assert not torch.equal(got, blocked)


@pytest.mark.parametrize("routine", [NATIVE_PROMPT_GEMM, NATIVE_PROMPT_GEMM_F32], ids=["bf16", "fp32"])
def test_outputs_are_the_same_bits_on_any_thread_count_and_from_concurrent_callers(
        routine: native_prompt.NativePromptGemm) -> None:
    # Each output is summed inside one tile whichever thread runs it; callers in several threads (columns
    # generating at once) each get their own helpers and row buffers.
    if not routine.available():
        pytest.skip(f"the {routine.WHAT} is not usable here: {routine.reason}")
    layer = _layer(4, 37, 640, q.CHATGLM_LAYOUT, seed=9)
    x = torch.randn(2, 70, 640, generator=torch.Generator().manual_seed(9))
    scale32, bias32 = layer.native_operands()

    def product() -> torch.Tensor | None:
        return routine.linear(x, layer.weight, native_prompt.INT4, scale32, bias32)

    before = torch.get_num_threads()
    results: dict[str, torch.Tensor | None] = {}
    try:
        with torch.inference_mode():
            for threads in (1, 2, 3):
                torch.set_num_threads(threads)
                results[f"{threads} threads"] = product()

            def call(name: str) -> None:
                with torch.inference_mode():
                    for _ in range(5):
                        results[name] = product()

            workers = [threading.Thread(target=call, args=(f"caller {i}",)) for i in range(4)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        torch.set_num_threads(before)
    reference = results.pop("1 threads")
    assert reference is not None and len(results) == 6
    assert all(got is not None and torch.equal(got, reference) for got in results.values())


def test_it_applies_only_where_it_can(monkeypatch) -> None:
    layer = _layer(8, 16, 128, q.CHATGLM_LAYOUT, seed=1)
    scale32, _ = layer.native_operands()
    x = torch.randn(1, 20, 128)
    with torch.enable_grad():  # a loss being trained through the layer's input
        assert NATIVE_PROMPT_GEMM.linear(x.requires_grad_(), layer.weight, native_prompt.INT8, scale32, None) is None
    odd = _layer(8, 16, 127, q.CHATGLM_LAYOUT, seed=2)
    with torch.inference_mode():
        assert NATIVE_PROMPT_GEMM.linear(torch.randn(20, 127), odd.weight, native_prompt.INT8,
                                         odd.native_operands()[0], None) is None  # an odd width: no bf16 pairs
        stored = q.pack_int4(torch.randint(-8, 8, (16, 96), dtype=torch.int8))
        assert NATIVE_PROMPT_GEMM.linear(torch.randn(20, 96), stored, native_prompt.INT4_INTERLEAVED,
                                         torch.ones(16), None) is None  # interleaved rows need 64-column groups
    # torch's packed int4 layout has no fused routine: the blocked path keeps it.
    monkeypatch.setattr(layer, "layout", q.CPU_INT4_LAYOUT)
    assert q._fused_prompt_layout(layer) is None


@needs_fused
@pytest.mark.parametrize(("bits", "interleaved"), [(8, False), (4, False), (4, True)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_quantized_prompt_pass_runs_fused_and_keeps_the_blocked_paths_logits(monkeypatch, bits: int,
                                                                                interleaved: bool,
                                                                                dtype: torch.dtype) -> None:
    if interleaved and not q.NATIVE_GEMV.interleaved_available():
        pytest.skip(f"the interleaved int4 layout is not used here: {q.NATIVE_GEMV.interleaved_reason}")
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 1.0, torch.bfloat16: 50.0})  # bf16 GEMMs
    use_native_decode(monkeypatch, True, interleaved=interleaved)  # int4 layers in a layout it reads
    model = random_chatglm(MID, seed=11).to(dtype)
    model.quantize(bits)
    wanted = q.INTERLEAVED_INT4_LAYOUT if interleaved else q.CHATGLM_LAYOUT
    assert {m.layout for m in model.modules() if isinstance(m, q.QuantizedLinear)} == {wanted}
    monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {torch.bfloat16: ((1.0, 1.0), (0.0, 0.0))})
    gen = torch.Generator().manual_seed(bits)
    ids = torch.randint(6, 1150, (1, 70), generator=gen)
    ids[0, -2], ids[0, -1] = MID.gmask_token_id, MID.bos_token_id
    choose_fused_prompt(monkeypatch, False)
    with torch.inference_mode():
        blocked = model(ids).logits.float()
    choose_fused_prompt(monkeypatch, True)
    calls = record_applied(monkeypatch, NATIVE_PROMPT_GEMM, "linear")
    with torch.inference_mode():
        fused = model(ids).logits.float()
    assert calls.count(True) == 4 * MID.num_layers, "the prompt pass did not run the fused product"
    scale = blocked.abs().max().item()
    # bf16 rounding of the outputs (the blocked path's, and a bf16 model's both) compounds over three layers.
    assert 0 < (fused - blocked).abs().max().item() <= 2e-2 * scale
    assert torch.equal(fused[0, -1].argmax(), blocked[0, -1].argmax())
    # A decode step's one row never reaches it (the prompt pass through the forward: a float32 model's may run
    # whole in one C call, native_step, which calls the same routine from C).
    calls.clear()
    monkeypatch.setattr(native_step.NativeDecoder, "prompt", lambda *_args: None)
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=3, eos_token_id=-1)
    assert calls.count(True) == 4 * MID.num_layers


@needs_fused
@pytest.mark.skipif(q.cpu_kernel_dtype(8) is None, reason="no fused int8 CPU kernel in this torch")
def test_torchs_int8_kernel_is_timed_against_the_fused_product_where_that_was_chosen(monkeypatch) -> None:
    # A prompt pass takes torch's int8 kernel only where it beats the path that would run instead.
    kernel = q._KERNELS[8]
    calls = record_applied(monkeypatch, NATIVE_PROMPT_GEMM, "linear")
    blocked: list[int] = []
    real = cpu_gemm.blocked_linear
    monkeypatch.setattr(cpu_gemm, "blocked_linear", lambda *a, **k: blocked.append(1) or real(*a, **k))
    for chosen in (True, False):
        choose_fused_prompt(monkeypatch, chosen, bits=(8,))
        calls.clear()
        blocked.clear()
        kernel._time_prefill_paths(torch.bfloat16)
        assert (bool(calls) and all(calls), bool(blocked)) == (chosen, not chosen)


@needs_fused
def test_the_choice_saved_for_this_machine_is_honoured(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path))
    timings = {"blocks": 1.0, "fused": 2.0}
    for saved, chosen in (("blocks", False), ("fused", True)):
        machine_choice.save_choice("int8_prompt_product", machine_choice.machine_key(), saved, timings)
        monkeypatch.setattr(q, "_FUSED_PROMPT_CHOICE", {})
        assert q._fused_prompt_chosen(8, torch.bfloat16) is chosen


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_fused_product_with_wrong_sums_is_not_used(monkeypatch, tmp_path: Path, caplog) -> None:
    old = "j->bias ? tile[r * PG_BLOCK + i] + j->bias[n0 + r] : tile[r * PG_BLOCK + i];"
    cc = _broken_build(tmp_path, old, old.replace("tile[r * PG_BLOCK + i];", "tile[r * PG_BLOCK + i] * 1.0001f;"))
    kernel = _fresh(monkeypatch, tmp_path, cc)
    assert kernel.available()
    fused = native_prompt.NativePromptGemm(kernel)
    with caplog.at_level(logging.WARNING, logger="workbench.chatglm.native_gemv"):
        assert not fused.available()
    if NATIVE_PROMPT_GEMM.available():  # a CPU without AVX512_BF16 refuses it for that reason instead
        assert "wrong results" in fused.reason
    assert any("fused prompt-pass product not used" in r.getMessage() for r in caplog.records)
    layer = _layer(8, 16, 128, q.CHATGLM_LAYOUT, seed=3)
    with torch.inference_mode():
        assert fused.linear(torch.randn(20, 128), layer.weight, native_prompt.INT8, layer.native_operands()[0],
                            None) is None


@pytest.mark.skipif(REAL_CC is None, reason="no gcc here")
def test_a_build_without_avx512_bf16_is_refused_and_says_so(monkeypatch, tmp_path: Path) -> None:
    # As on a CPU without native bf16 arithmetic: the library builds, its decode kernels pass, this routine
    # reports it was not built.
    cc = _fake_compiler(tmp_path / "cc", f'exec {REAL_CC} "$@" -mno-avx512bf16')
    kernel = _fresh(monkeypatch, tmp_path, cc)
    assert kernel.available()
    fused = native_prompt.NativePromptGemm(kernel)
    assert not fused.available()
    assert "AVX512_BF16" in fused.reason


@needs_fused
def test_a_bf16_models_prompt_pass_runs_fused_and_keeps_torchs_logits(monkeypatch) -> None:
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 1.0, torch.bfloat16: 50.0})  # bf16 GEMMs
    model = random_chatglm(MID, seed=12).to(torch.bfloat16)
    ids = torch.randint(6, 1150, (1, 70), generator=torch.Generator().manual_seed(6))
    ids[0, -2], ids[0, -1] = MID.gmask_token_id, MID.bos_token_id
    monkeypatch.setattr(native_prompt.BF16_CHOICE, "_chosen", False)
    with torch.inference_mode():
        with_torch = model(ids).logits.float()
    monkeypatch.setattr(native_prompt.BF16_CHOICE, "_chosen", True)
    calls = record_applied(monkeypatch, NATIVE_PROMPT_GEMM, "linear")
    with torch.inference_mode():
        fused = model(ids).logits.float()
    assert calls.count(True) == 4 * MID.num_layers, "the prompt pass did not run the fused product"
    # Both round each output to bf16 once after fp32 sums in different orders: one bf16 ulp here and there,
    # carried through three layers.
    scale = with_torch.abs().max().item()
    assert 0 < (fused - with_torch).abs().max().item() <= 2e-2 * scale
    assert torch.equal(fused[0, -1].argmax(), with_torch[0, -1].argmax())


@pytest.mark.parametrize("fast", [torch.bfloat16, torch.float32])
def test_a_bf16_linear_goes_fused_only_for_bf16_inference(monkeypatch, fast: torch.dtype) -> None:
    # The routine in the dtype whose GEMMs are the fast ones here, each with its own per-machine choice.
    slow = torch.float32 if fast == torch.bfloat16 else torch.bfloat16
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {slow: 1.0, fast: 50.0})
    choice = native_prompt.BF16_CHOICE if fast == torch.bfloat16 else native_prompt.BF16_UPCAST_CHOICE
    other = native_prompt.BF16_UPCAST_CHOICE if fast == torch.bfloat16 else native_prompt.BF16_CHOICE
    monkeypatch.setattr(choice, "_chosen", True)
    monkeypatch.setattr(other, "_chosen", True)
    w = torch.nn.Parameter(torch.randn(32, 64).to(torch.bfloat16))
    x = torch.randn(20, 64).to(torch.bfloat16)
    with torch.enable_grad():  # trainable weights: torch's differentiable product
        assert native_prompt.bf16_prompt_linear(x, w, None) is None
    with torch.inference_mode():
        assert native_prompt.bf16_prompt_linear(x.float(), w, None) is None  # a float32 model's rows
        assert native_prompt.bf16_prompt_linear(x, w.T.contiguous().T, None) is None  # a strided weight
        if native_prompt.prompt_gemm(fast).available():
            got = native_prompt.bf16_prompt_linear(x, w, None)
            assert got is not None and got.dtype == torch.bfloat16
        monkeypatch.setattr(choice, "_chosen", False)  # timed slower here: the other dtype's choice is not asked
        assert native_prompt.bf16_prompt_linear(x, w, None) is None
