"""The CPU prompt pass: weight blocks upcast or dequantized into one reused fp32 buffer, int4 unpacked from
torch's kernel layout without a transpose, bf16 attention values multiplied in fp32, and the choice between
the fused kernel and dequantized blocks by prompt length. Correctness and memory only: speed is measured
by bench/chatglm_decode.py.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.chatglm_kernels import choose_fused_prompt
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration, cpu_gemm
from workbench.chatglm import quantization as q
from workbench.chatglm.loading import current_rss_bytes

MID = ChatGLMConfig(vocab_size=1536, hidden_size=1024, num_layers=4, num_attention_heads=16, inner_hidden_size=4096,
                    bos_token_id=1160, eos_token_id=1161, mask_token_id=1156, gmask_token_id=1157)
needs_int8_kernel = pytest.mark.skipif(q.cpu_kernel_dtype(8) is None, reason="no fused int8 CPU kernel here")


def _quantized(out_features: int, in_features: int, bits: int, dtype: torch.dtype, layout: str) -> q.QuantizedLinear:
    torch.manual_seed(out_features + bits)
    layer = q.QuantizedLinear.from_linear(torch.nn.Linear(in_features, out_features).to(dtype), bits)
    if layout == q.CHATGLM_LAYOUT and layer.layout != q.CHATGLM_LAYOUT:
        layer.weight, layer.layout = layer.chatglm_weight(), q.CHATGLM_LAYOUT
    if layout == q.CPU_INT4_LAYOUT and layer.layout != q.CPU_INT4_LAYOUT:
        # Where the compiled decode kernel was chosen, int4 layers keep the ChatGLM layout: convert.
        layer.weight, layer.layout = layer._to_cpu_int4(layer.weight), q.CPU_INT4_LAYOUT
    assert layer.layout == layout
    return layer


def _fp32_gemms(monkeypatch) -> None:
    """As on a CPU without fast bf16 arithmetic: quantized prompt passes run fp32 GEMMs."""
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 50.0, torch.bfloat16: 20.0})
    choose_fused_prompt(monkeypatch, False)  # the blocks (the fused fp32 product: test_chatglm_native_prompt)


def _bf16_gemms(monkeypatch) -> None:
    """As on a CPU with AVX512_BF16 or AMX: quantized prompt passes run bf16 GEMMs, here on dequantized blocks
    (the fused C product that replaces them where it was timed faster: test_chatglm_native_prompt)."""
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 1.0, torch.bfloat16: 50.0})
    choose_fused_prompt(monkeypatch, False)


def _layouts() -> list[tuple[int, str]]:
    cases = [(8, q.CHATGLM_LAYOUT), (4, q.CHATGLM_LAYOUT)]
    if q.cpu_kernel_dtype(4) is not None:
        cases.append((4, q.CPU_INT4_LAYOUT))
    return cases


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("buffer_dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize(("bits", "layout"), _layouts())
def test_dequantizing_into_the_buffer_gives_the_dequantized_rows_bit_for_bit(
        monkeypatch, bits: int, layout: str, dtype: torch.dtype, buffer_dtype: torch.dtype, native: bool) -> None:
    # The compiled dequantizer where it passed its check here, and torch's ops: the same bits, fp32 or bf16.
    if native and not q.NATIVE_GEMV.dequantize_available():
        pytest.skip("no compiled dequantizer here")
    monkeypatch.setattr(q, "_DEQUANTIZER_CHOICE", {bits: native})
    # cpu-int4 rows slice out in whole blocks of torch's packing (32 rows on AVX2, 64 on AVX-512).
    b = q.INT4_LAYOUT.block if layout == q.CPU_INT4_LAYOUT else 32
    layer = _quantized(4 * b, 96, bits, dtype, layout)
    if layout == q.CPU_INT4_LAYOUT:
        with pytest.raises(ValueError, match="blocks"):
            q._dequantize_rows_into(torch.empty(b * 96), layer, b // 2, b // 2 + b)
    for r0, r1 in ((0, 4 * b), (b, 3 * b), (2 * b, 4 * b)):
        buffer = torch.full(((r1 - r0) * 96,), float("nan"), dtype=buffer_dtype)
        got = q._dequantize_rows_into(buffer, layer, r0, r1)
        assert got.data_ptr() == buffer.data_ptr() and got.dtype == buffer_dtype
        rows = got if got.dim() == 2 else got.permute(0, 2, 1).reshape(r1 - r0, 96)  # [groups, in, g] -> rows
        expected = q.dequantize(layer.chatglm_weight()[r0:r1], layer.weight_scale[r0:r1], bits, torch.float32)
        assert torch.equal(rows, expected.to(buffer_dtype)), (r0, r1)


@pytest.mark.parametrize(("bits", "layout"), _layouts())
def test_blocked_prompt_pass_equals_the_dequantized_linear(monkeypatch, bits: int, layout: str) -> None:
    layer = _quantized(256, 128, bits, torch.float32, layout)
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 64 * 128)  # four blocks
    x = torch.randn(2, 24, 128)
    align = q.INT4_LAYOUT.block if layout == q.CPU_INT4_LAYOUT else 1
    with torch.inference_mode():
        got = cpu_gemm.blocked_linear(x, 256, lambda b, r0, r1: q._dequantize_rows_into(b, layer, r0, r1),
                                      layer.bias, row_align=align)
    expected = F.linear(x, q.dequantize(layer.chatglm_weight(), layer.weight_scale, bits, torch.float32), layer.bias)
    assert got.shape == expected.shape
    assert torch.allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("bits", "layout"), _layouts())
def test_bf16_blocks_round_each_weight_and_each_output_once(monkeypatch, bits: int, layout: str) -> None:
    # A bf16 model's prompt pass in bf16 GEMMs computes with q * scale rounded once to bf16 (the weight the
    # model holds when dequantized in its own dtype) and rounds each output once, bias included.
    layer = _quantized(256, 128, bits, torch.bfloat16, layout)
    layer.bias = torch.nn.Parameter(torch.randn(256).to(torch.bfloat16) * 8, requires_grad=False)
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 64 * 128)  # four blocks
    monkeypatch.setattr(cpu_gemm, "BF16_BLOCK_ELEMENTS", 64 * 128)
    x = torch.randn(2, 24, 128, generator=torch.Generator().manual_seed(5)).to(torch.bfloat16)
    align = q.INT4_LAYOUT.block if layout == q.CPU_INT4_LAYOUT else 1
    with torch.inference_mode():
        got = cpu_gemm.blocked_linear(x, 256, lambda b, r0, r1: q._dequantize_rows_into(b, layer, r0, r1),
                                      layer.bias, row_align=align, dtype=torch.bfloat16)
    w = q.dequantize(layer.chatglm_weight(), layer.weight_scale, bits, torch.bfloat16)
    want = (x.float() @ w.float().T + layer.bias.float()).to(torch.bfloat16)
    assert got.dtype == torch.bfloat16 and got.shape == want.shape
    # Only the summation order differs: a handful of outputs one bf16 ulp apart (two roundings, or fp32
    # weights, would put a large share of them off).
    off = got != want
    assert off.float().mean().item() < 0.01, off.float().mean().item()
    ulp = want.float().abs().clamp_min(1e-30) * 2.0**-7
    assert ((got.float() - want.float()).abs() <= ulp).all()


def test_gradients_flow_through_the_blocked_prompt_pass(monkeypatch) -> None:
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 16 * 64)
    w = torch.randn(64, 64).to(torch.bfloat16).requires_grad_()
    x = torch.randn(20, 64).to(torch.bfloat16).requires_grad_()
    cpu_gemm.upcast_linear(x, w, None).float().square().sum().backward()
    w_ref, x_ref = w.detach().float().requires_grad_(), x.detach().float().requires_grad_()
    F.linear(x_ref, w_ref).to(torch.bfloat16).float().square().sum().backward()
    assert torch.allclose(w.grad.float(), w_ref.grad, rtol=2e-2, atol=1e-1)
    assert torch.allclose(x.grad.float(), x_ref.grad, rtol=2e-2, atol=1e-1)


def _peak_growth_mb(fn) -> float:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # resets this process's VmHWM
    except OSError:
        pytest.skip("cannot reset the peak RSS here")
    before = current_rss_bytes().get("VmRSS", 0)
    fn()
    return (current_rss_bytes().get("VmHWM", 0) - before) / 2**20


@pytest.mark.parametrize(("kind", "gemm_dtype"), [("bf16", torch.float32), ("int8", torch.float32),
                                                 ("int4", torch.float32), ("int8", torch.bfloat16),
                                                 ("int4", torch.bfloat16)])
def test_prompt_pass_peak_memory_is_bounded_by_the_block_not_the_weight(kind: str, gemm_dtype: torch.dtype) -> None:
    out_features = in_features = 4096
    torch.manual_seed(0)
    linear = torch.nn.Linear(in_features, out_features).to(torch.bfloat16).requires_grad_(False)
    layer = linear if kind == "bf16" else q.QuantizedLinear.from_linear(linear, 8 if kind == "int8" else 4)
    x = torch.randn(1, 64, in_features).to(torch.bfloat16)

    def prompt_pass() -> None:
        with torch.inference_mode():
            if kind == "bf16":
                cpu_gemm.upcast_linear(x, layer.weight, layer.bias)
            else:
                cpu_gemm.blocked_linear(
                    x, out_features, lambda b, r0, r1: q._dequantize_rows_into(b, layer, r0, r1), layer.bias,
                    row_align=q.INT4_LAYOUT.block if layer.layout == q.CPU_INT4_LAYOUT else 1, dtype=gemm_dtype)

    prompt_pass()  # the per-thread buffer exists from here on
    growth = _peak_growth_mb(prompt_pass)
    full_fp32_mb = out_features * in_features * 4 / 2**20  # 64 MB
    block_mb = (cpu_gemm.UPCAST_BLOCK_ELEMENTS * 4 if gemm_dtype == torch.float32
                else cpu_gemm.BF16_BLOCK_ELEMENTS * 2) / 2**20
    activations_mb = 64 * (in_features + 2 * out_features) * 4 / 2**20
    assert growth <= block_mb + activations_mb + 8, (growth, full_fp32_mb)
    assert growth < full_fp32_mb / 4


@needs_int8_kernel
def test_the_kernel_or_dequantized_blocks_by_prompt_length(monkeypatch) -> None:
    layer = _quantized(256, 128, 8, torch.float32, q.CHATGLM_LAYOUT)
    # The kernel costs 1 per row, the blocks 100 up front and 0.1 per row; the kernel must be 15% faster
    # to be chosen, so the blocks run from 96 rows on.
    _fp32_gemms(monkeypatch)
    monkeypatch.setattr(q._KERNELS[8], "_prefill_fits", {torch.float32: ((0.0, 1.0), (100.0, 0.1))})
    blocked: list[int] = []
    real = cpu_gemm.blocked_linear

    def spy(x, *args, **kwargs):
        blocked.append(x.shape[-2])
        return real(x, *args, **kwargs)

    monkeypatch.setattr(cpu_gemm, "blocked_linear", spy)
    for rows in (cpu_gemm.PREFILL_MIN_ROWS, 64, 100, 130, 300):
        with torch.inference_mode():
            layer(torch.randn(1, rows, 128))
    assert blocked == [100, 130, 300]


def _prompt_ids(cfg, length: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(6, min(cfg.mask_token_id, cfg.vocab_size) - 1, (1, length), generator=gen)
    ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
    return ids


def _greedy(model: ChatGLMForConditionalGeneration, length: int, seed: int, new: int = 10) -> torch.Tensor:
    return model.generate(_prompt_ids(model.config, length, seed), max_new_tokens=new, eos_token_id=-1)


def _dequantized_copy(model: ChatGLMForConditionalGeneration) -> ChatGLMForConditionalGeneration:
    """The same model with every QuantizedLinear replaced by an fp32 Linear holding its dequantized weight."""
    import copy

    ref = copy.deepcopy(model)
    for layer in ref.transformer.layers:
        for name in q.QUANTIZED_LINEARS:
            parent_name, _, attr = name.rpartition(".")
            parent = layer.get_submodule(parent_name)
            ql = getattr(parent, attr)
            linear = torch.nn.Linear(ql.in_features, ql.out_features, bias=ql.bias is not None)
            with torch.no_grad():
                linear.weight.copy_(q.dequantize(ql.chatglm_weight(), ql.weight_scale, ql.bits, torch.float32))
                if ql.bias is not None:
                    linear.bias.copy_(ql.bias.float())
            setattr(parent, attr, linear.to(ql.weight_scale.dtype))
    return ref


def _models(demo_models) -> list[ChatGLMForConditionalGeneration]:
    return [ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path), random_chatglm(MID, seed=5)]


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_prompt_pass_keeps_the_greedy_output_of_the_dequantized_model(monkeypatch, demo_models,
                                                                                bits: int) -> None:
    # Only the prompt pass is under test: the decode steps after it run the fused kernel with activations
    # in the dtype this machine was found fast in (bf16 on some CPUs), so later tokens may legitimately
    # differ from an fp32 reference. The prompt pass decides the logits at every prompt position and the
    # first generated token.
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 256 * 1024)  # several blocks per weight
    _fp32_gemms(monkeypatch)  # a CPU without fast bf16 (bf16 GEMMs: the tests below)
    for model in _models(demo_models):
        model.quantize(bits)
        monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {torch.float32: ((1.0, 1.0), (0.0, 0.0))})  # blocks
        reference = _dequantized_copy(model)
        for length, seed in ((cpu_gemm.PREFILL_MIN_ROWS + 7, 1), (90, 2)):
            ids = _prompt_ids(model.config, length, seed)
            with torch.inference_mode():
                got, want = model(ids).logits, reference(ids).logits
            # Summation order differs (blocks vs one GEMM): a few fp32 ulps at the logits' scale (~1e3).
            scale = want.abs().max().item()
            assert (got - want).abs().max().item() <= 1e-6 * scale, (bits, length)
            assert torch.equal(_greedy(model, length, seed, new=1), _greedy(reference, length, seed, new=1))


@pytest.mark.parametrize("bits", [8, 4])
def test_bf16_quantized_prompt_pass_in_bf16_blocks_keeps_the_dequantized_bf16_model(monkeypatch, demo_models,
                                                                                     bits: int) -> None:
    # Where bf16 GEMMs are the fast ones (AVX512_BF16, AMX), a bf16 quantized model's prompt pass runs them
    # on bf16 blocks: it then computes as the same model dequantized to bf16 does with plain bf16 Linears.
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 256 * 1024)  # several blocks per weight
    monkeypatch.setattr(cpu_gemm, "BF16_BLOCK_ELEMENTS", 256 * 1024)
    _bf16_gemms(monkeypatch)
    gemm_dtypes: list[torch.dtype] = []
    real = cpu_gemm.blocked_linear

    def spy(x, *args, dtype=torch.float32, **kwargs):
        gemm_dtypes.append(dtype)
        return real(x, *args, dtype=dtype, **kwargs)

    monkeypatch.setattr(cpu_gemm, "blocked_linear", spy)
    for model in _models(demo_models):
        model = model.to(torch.bfloat16)
        model.quantize(bits)
        monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {torch.bfloat16: ((1.0, 1.0), (0.0, 0.0))})
        reference = _dequantized_copy(model)
        for length, seed in ((cpu_gemm.PREFILL_MIN_ROWS + 7, 1), (90, 2)):
            ids = _prompt_ids(model.config, length, seed)
            gemm_dtypes.clear()
            with torch.inference_mode():
                got, want = model(ids).logits.float(), reference(ids).logits.float()
            assert gemm_dtypes and set(gemm_dtypes) == {torch.bfloat16}
            scale = want.abs().max().item()
            assert (got - want).abs().max().item() <= 2e-2 * scale, (bits, length)
            assert torch.equal(got[0, -1].argmax(), want[0, -1].argmax())


@pytest.mark.parametrize("bits", [8, 4])
def test_fp32_quantized_prompt_pass_in_bf16_blocks_stays_within_bf16_rounding(monkeypatch, demo_models,
                                                                             bits: int) -> None:
    # A float32 quantized model (the app loads one so on CPU when its table is quantized too) also takes
    # bf16 GEMMs where they are the fast ones: its activations rounded to bf16 for the products, its bias
    # added in fp32. Its logits stay within bf16 rounding of the fp32 pass, and each position's choice
    # scores as the fp32 pass's best does, to that rounding.
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 256 * 1024)
    monkeypatch.setattr(cpu_gemm, "BF16_BLOCK_ELEMENTS", 256 * 1024)
    for model in _models(demo_models):
        model.quantize(bits)
        monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {dt: ((1.0, 1.0), (0.0, 0.0))
                                                                 for dt in (torch.float32, torch.bfloat16)})
        for length, seed in ((cpu_gemm.PREFILL_MIN_ROWS + 7, 1), (90, 2)):
            ids = _prompt_ids(model.config, length, seed)
            _fp32_gemms(monkeypatch)
            with torch.inference_mode():
                want = model(ids).logits
            _bf16_gemms(monkeypatch)
            with torch.inference_mode():
                got = model(ids).logits
            assert got.dtype == torch.float32
            scale = want.abs().max().item()
            err = (got - want).abs().max().item() / scale
            assert 0 < err <= 1.5e-2, (bits, length, err)  # 0: the bf16 path did not run
            chosen = got[0].argmax(-1)
            picked = want[0].gather(-1, chosen[:, None])[:, 0]
            assert (picked >= want[0].max(-1).values - 1.5e-2 * scale).all()


def test_bf16_prompt_attention_in_fp32_keeps_greedy_output(monkeypatch, demo_models) -> None:
    for model in _models(demo_models):
        model = model.to(torch.bfloat16)
        for length, seed in ((cpu_gemm.PREFILL_MIN_ROWS + 7, 3), (120, 4)):
            monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 1.0, torch.bfloat16: 50.0})
            today = _greedy(model, length, seed)  # bf16 GEMMs and bf16 attention throughout
            monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {torch.float32: 50.0, torch.bfloat16: 1.0})
            assert cpu_gemm.upcast_bf16_prompt(torch.zeros(1, dtype=torch.bfloat16))
            assert torch.equal(_greedy(model, length, seed), today), (model.config.hidden_size, length)


def test_the_buffer_first_filled_in_inference_mode_serves_no_grad_callers_too() -> None:
    w = torch.randn(64, 48).to(torch.bfloat16)
    x = torch.randn(20, 48).to(torch.bfloat16)
    cpu_gemm._WORKSPACE.buffers.clear()  # this thread's buffers are created by the next call
    with torch.inference_mode():
        first = cpu_gemm.upcast_linear(x, w, None)
    with torch.no_grad():
        again = cpu_gemm.upcast_linear(x, w, None)
    assert torch.equal(first, again)
