"""The CPU paths of the native ChatGLM: fused int8/int4 kernels with activations in their fast dtype,
torch's packed int4 layout (converted at load, original layout in checkpoints), and the prompt pass
through fp32 GEMMs on bounded weight blocks. Correctness only: speed is measured by bench/chatglm_decode.py.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.chatglm_kernels import break_bf16, choose_fused_prompt, use_native_decode
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, ChatGLMForConditionalGeneration, cpu_gemm, native_prompt
from workbench.chatglm import quantization as q

needs_int8_kernel = pytest.mark.skipif(q.cpu_kernel_dtype(8) is None, reason="no fused int8 CPU kernel here")
needs_int4_kernel = pytest.mark.skipif(q.cpu_kernel_dtype(4) is None, reason="no fused int4 CPU kernel here")


def _linear(out_features: int, in_features: int, dtype: torch.dtype, seed: int = 0) -> torch.nn.Linear:
    torch.manual_seed(seed)
    return torch.nn.Linear(in_features, out_features).to(dtype)


def _reference(layer: q.QuantizedLinear, x: torch.Tensor) -> torch.Tensor:
    w = q.dequantize(layer.chatglm_weight(), layer.weight_scale, layer.bits, torch.float32)
    return F.linear(x.float(), w, None if layer.bias is None else layer.bias.float())


@needs_int8_kernel
def test_int8_decode_runs_the_kernel_in_its_dtype_and_casts_back(monkeypatch) -> None:
    use_native_decode(monkeypatch, False)  # torch's kernels are under test
    act = q.cpu_kernel_dtype(8)
    layer = q.QuantizedLinear.from_linear(_linear(96, 128, torch.float32), 8)
    x = torch.randn(1, 1, 128, generator=torch.Generator().manual_seed(3))
    got = layer(x)
    assert got.dtype == torch.float32 and got.shape == (1, 1, 96)
    # What the fp32 model must compute: the kernel on activations in its dtype with unit scales, then the
    # fp32 row scales and the bias at full precision.
    # When this machine's check chose fp32 activations, the kernel takes the fp32 row scales itself.
    if act == torch.float32:
        expected = (torch._weight_int8pack_mm(x.reshape(1, 128), layer.weight, layer.weight_scale)
                    + layer.bias).view(1, 1, 96)
    else:
        raw = torch._weight_int8pack_mm(x.reshape(1, 128).to(act), layer.weight, torch.ones(96, dtype=act))
        expected = (raw.float() * layer.weight_scale + layer.bias).view(1, 1, 96)
    assert torch.equal(got, expected)
    ref = _reference(layer, x)
    assert torch.allclose(got, ref, atol=0.02 * ref.abs().max().item())


@needs_int8_kernel
@pytest.mark.parametrize("in_features", [344, 200, 4104])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_int8_layers_whose_inputs_are_not_a_multiple_of_16_never_reach_torchs_kernel(
        monkeypatch, in_features: int, dtype: torch.dtype) -> None:
    # torch 2.13's AVX-512 int8 kernel crashed the process (or summed wrong) on these shapes with bfloat16
    # activations and 2+ rows: such layers take the dequantized path, whatever this machine's choices.
    use_native_decode(monkeypatch, False)
    kernel = q._KERNELS[8]
    assert not kernel.supports(in_features) and kernel.supports(4096)
    calls: list[int] = []
    real = kernel.run
    monkeypatch.setattr(kernel, "run", lambda x2, w, s: calls.append(x2.shape[-1]) or real(x2, w, s))
    layer = q.QuantizedLinear.from_linear(_linear(64, in_features, dtype), 8)
    for rows in (1, 2, 5, 37):
        x = torch.randn(1, rows, in_features, generator=torch.Generator().manual_seed(rows)).to(dtype)
        got = layer(x)
        ref = _reference(layer, x)
        assert got.shape == (1, rows, 64) and torch.isfinite(got).all()
        assert torch.allclose(got.float(), ref, atol=0.02 * ref.abs().max().item())
    assert not calls
    # A multiple of 16 still runs the kernel (where this machine has one in a correct dtype).
    wide = q.QuantizedLinear.from_linear(_linear(64, 4096, dtype), 8)
    wide(torch.randn(1, 1, 4096).to(dtype))
    assert calls == [4096]


def test_kernel_dtype_is_verified_before_it_is_used(monkeypatch) -> None:
    kernel = q._CpuKernel(8)
    break_bf16(monkeypatch, kernel)
    assert kernel.activation_dtype() != torch.bfloat16
    calls = []
    monkeypatch.setattr(kernel, "_choose", lambda: calls.append(1))
    kernel.activation_dtype()
    assert not calls  # checked once, then remembered


@needs_int4_kernel
def test_int4_layout_matches_torch_packing_both_ways() -> None:
    layout = q.INT4_LAYOUT
    values = torch.randint(-8, 8, (3 * layout.block, 160), dtype=torch.int8,
                           generator=torch.Generator().manual_seed(5))
    packed = layout.pack(values)
    torch_packed = torch._convert_weight_to_int4pack_for_cpu((values.to(torch.int32) + 8).contiguous(), 2)
    assert torch.equal(packed, torch_packed.view(torch.uint8))
    assert torch.equal(layout.unpack(packed), values)


@needs_int4_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_int4_linear_uses_the_kernel_layout_and_keeps_the_original_in_state_dict(dtype: torch.dtype, monkeypatch) -> None:
    use_native_decode(monkeypatch, False)  # torch's kernels are under test
    linear = _linear(128, 256, dtype)
    layer = q.QuantizedLinear.from_linear(linear, 4)
    assert layer.layout == q.CPU_INT4_LAYOUT
    original, scale = q.quantize_weight(linear.weight, 4)
    assert not torch.equal(layer.weight, original)  # really converted
    assert torch.equal(layer.state_dict()["weight"], original)
    assert torch.equal(layer.chatglm_weight(), original)
    gen = torch.Generator().manual_seed(1)
    for rows in (1, 3, cpu_gemm.PREFILL_MIN_ROWS + 4):  # decode, a few rows, a prompt pass
        x = torch.randn(rows, 256, generator=gen).to(dtype)
        ref = _reference(layer, x)
        got = layer(x)
        assert got.dtype == dtype
        assert torch.allclose(got.float(), ref, atol=0.03 * ref.abs().max().item()), rows


@needs_int4_kernel
def test_int4_falls_back_to_dequantizing_where_the_kernel_is_missing(monkeypatch) -> None:
    use_native_decode(monkeypatch, False)  # torch's kernels are under test
    linear = _linear(128, 256, torch.float32)
    with_kernel = q.QuantizedLinear.from_linear(linear, 4)
    monkeypatch.setattr(q._KERNELS[4], "_dtype", None)
    without = q.QuantizedLinear.from_linear(linear, 4)
    assert without.layout == q.CHATGLM_LAYOUT
    assert torch.equal(without.weight, with_kernel.chatglm_weight())
    x = torch.randn(2, 256, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(without(x), _reference(without, x), atol=1e-5)
    # A module converted while the kernel worked still computes through its layout's dequantization.
    assert torch.allclose(with_kernel(x), _reference(with_kernel, x), atol=1e-5)


def _small_config() -> ChatGLMConfig:
    return ChatGLMConfig(vocab_size=1536, hidden_size=256, num_layers=2, num_attention_heads=4,
                         inner_hidden_size=1024, bos_token_id=1160, eos_token_id=1161, mask_token_id=1156,
                         gmask_token_id=1157)


def _random_model(config: ChatGLMConfig, seed: int = 0) -> ChatGLMForConditionalGeneration:
    return random_chatglm(config, seed)


def _safetensors_tensor(path: Path, key: str) -> torch.Tensor:
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    info = json.loads(raw[8:8 + size])[key]
    begin, end = info["data_offsets"]
    assert info["dtype"] == "I8"
    return torch.frombuffer(bytearray(raw[8 + size + begin:8 + size + end]), dtype=torch.int8).reshape(info["shape"])


@needs_int4_kernel
def test_int4_checkpoint_keeps_the_original_layout(tmp_path: Path, monkeypatch) -> None:
    use_native_decode(monkeypatch, False)  # torch's kernels are under test
    model = _random_model(_small_config())
    model.save_pretrained(tmp_path / "fp")
    loaded = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "fp", quantization_bit=4)
    qkv = loaded.transformer.layers[0].attention.query_key_value
    assert qkv.layout == q.CPU_INT4_LAYOUT
    loaded.save_pretrained(tmp_path / "q")
    on_disk = _safetensors_tensor(tmp_path / "q" / "model.safetensors",
                                  "transformer.layers.0.attention.query_key_value.weight")
    expected, _ = q.quantize_weight(model.transformer.layers[0].attention.query_key_value.weight, 4)
    assert torch.equal(on_disk, expected)
    again = ChatGLMForConditionalGeneration.from_pretrained(tmp_path / "q")
    assert again.transformer.layers[0].attention.query_key_value.layout == q.CPU_INT4_LAYOUT
    ids = torch.tensor([[10, 20, 30, 40, 1157, 1160]])
    assert torch.equal(again.generate(ids, max_new_tokens=6, eos_token_id=-1),
                       loaded.generate(ids, max_new_tokens=6, eos_token_id=-1))


def _force_upcast(monkeypatch, on: bool) -> None:
    """fp32 GEMMs the fast ones (``on``: a CPU without native bf16) or bf16 ones; prompt passes on the blocks
    either way, whatever this machine chose (the fused products: test_chatglm_native_prompt*)."""
    rates = {torch.float32: 50.0, torch.bfloat16: 20.0} if on else {torch.float32: 20.0, torch.bfloat16: 50.0}
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", rates)
    monkeypatch.setattr(native_prompt.BF16_UPCAST_CHOICE, "_chosen", False)
    choose_fused_prompt(monkeypatch, False)


def _spy_blocks(monkeypatch) -> list[tuple[int, int]]:
    """Record the weight blocks the upcast path builds (rows, columns)."""
    blocks: list[tuple[int, int]] = []
    real = cpu_gemm.blocked_linear

    def spy(x, out_features, fill, bias, row_align=1, dtype=torch.float32):
        assert dtype == torch.float32
        def rows(buffer, r0, r1):
            w = fill(buffer, r0, r1)
            blocks.append((r1 - r0, x.shape[-1]))
            assert w.dtype == torch.float32 and w.numel() == (r1 - r0) * x.shape[-1]
            assert w.data_ptr() == buffer.data_ptr()  # written into the reused buffer, not a new tensor
            return w
        return real(x, out_features, rows, bias, row_align, dtype)

    monkeypatch.setattr(cpu_gemm, "blocked_linear", spy)
    return blocks


def _greedy(model, ids: torch.Tensor, new: int = 12) -> torch.Tensor:
    return model.generate(ids, max_new_tokens=new, eos_token_id=-1)


def test_bf16_prompt_pass_upcasts_bounded_blocks_and_keeps_greedy_output(monkeypatch, demo_models) -> None:
    models = [ChatGLMForConditionalGeneration.from_pretrained(demo_models.v2_path, dtype="bfloat16"),
              _random_model(ChatGLMConfig(vocab_size=1536, hidden_size=512, num_layers=4, num_attention_heads=8,
                                          inner_hidden_size=2048, bos_token_id=1160, eos_token_id=1161,
                                          mask_token_id=1156, gmask_token_id=1157), seed=4).to(torch.bfloat16)]
    # Blocks of at most 64k floats: several per weight, so "no full fp32 copy" is really exercised.
    monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 64 * 1024)
    for model in models:
        cfg = model.config
        gen = torch.Generator().manual_seed(7)
        for length in (cpu_gemm.PREFILL_MIN_ROWS + 9, 70):
            ids = torch.randint(6, min(cfg.mask_token_id, cfg.vocab_size) - 1, (1, length), generator=gen)
            ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
            _force_upcast(monkeypatch, False)
            today = _greedy(model, ids)
            _force_upcast(monkeypatch, True)
            blocks = _spy_blocks(monkeypatch)
            upcast = _greedy(model, ids)
            assert torch.equal(upcast, today), (cfg.hidden_size, length)
            # Only the prompt pass upcasts (4 Linear layers per block), decode steps stay bf16.
            widths = {w for _, w in blocks}
            assert widths == {cfg.hidden_size, cfg.ffn_hidden_size}
            assert max(r * w for r, w in blocks) <= 64 * 1024
            assert len(blocks) >= 4 * cfg.num_layers
            monkeypatch.undo()
            monkeypatch.setattr(cpu_gemm, "UPCAST_BLOCK_ELEMENTS", 64 * 1024)


def test_short_inputs_and_fp32_models_never_upcast(monkeypatch) -> None:
    _force_upcast(monkeypatch, True)
    blocks = _spy_blocks(monkeypatch)
    layer = ChatGLMForConditionalGeneration(_small_config()).transformer.layers[0].mlp.dense_h_to_4h
    layer(torch.randn(1, cpu_gemm.PREFILL_MIN_ROWS - 1, 256).to(torch.bfloat16).float())  # fp32 weight
    layer.to(torch.bfloat16)(torch.randn(1, cpu_gemm.PREFILL_MIN_ROWS - 1, 256).to(torch.bfloat16))
    assert blocks == []
    x = torch.randn(1, cpu_gemm.PREFILL_MIN_ROWS, 256).to(torch.bfloat16)
    got = layer(x)
    assert blocks and got.dtype == torch.bfloat16
    ref = F.linear(x.float(), layer.weight.float(), layer.bias.float())
    assert torch.allclose(got.float(), ref, atol=1e-2 * ref.abs().max().item())


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_prompt_pass_through_dequantized_fp32_blocks(monkeypatch, bits: int) -> None:
    model = _random_model(_small_config(), seed=2).to(torch.bfloat16)
    model.quantize(bits)
    cfg = model.config
    ids = torch.randint(6, 1150, (1, 40), generator=torch.Generator().manual_seed(3))
    ids[0, -2], ids[0, -1] = cfg.gmask_token_id, cfg.bos_token_id
    # Today's path: the kernel (or per-matmul dequantization) for every row count. fp32 GEMMs, as on a CPU
    # without fast bf16 (bf16 blocks are tested in test_chatglm_prefill.py).
    _force_upcast(monkeypatch, True)
    kernel = q._KERNELS[bits]
    monkeypatch.setattr(kernel, "_prefill_fits", {torch.float32: ((0.0, 0.0), (1.0, 1.0))})
    today = _greedy(model, ids)
    monkeypatch.setattr(kernel, "_prefill_fits", {torch.float32: ((1.0, 1.0), (0.0, 0.0))})
    blocks = _spy_blocks(monkeypatch)
    upcast = _greedy(model, ids)
    assert blocks, "the prompt pass did not use fp32 blocks"
    assert torch.equal(upcast, today)
