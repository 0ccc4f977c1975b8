"""Whole prompt passes in C (``wb_glm_prompt_pass`` in workbench/chatglm/native_step.c) for quantized fp32 models,
with bf16 products (AVX512_BF16) or fp32 ones (CPUs without native bf16):
the forward's greedy tokens, its cache and last-row logits within float rounding, the same bits on any number of
threads, the forward kept wherever a condition fails, and a library whose pass is wrong refused with its reason.
Speed: bench/chatglm_decode.py --quantization-bit 8|4 (prompt passes of 64 tokens)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import choose_fused_prompt, use_native_decode
from tests.chatglm_random import random_chatglm
from workbench.chatglm import ChatGLMConfig, cpu_gemm, machine_choice, native_gemv, native_step
from workbench.chatglm import quantization as q
from workbench.chatglm.modeling import build_position_ids_and_mask
from workbench.chatglm.native_prompt import NATIVE_PROMPT_GEMM

# head_dim 32; passes of up to 200 tokens run in C (see test_the_forward_runs_the_prompt_where_a_condition_fails).
CONFIG = ChatGLMConfig(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=4, inner_hidden_size=344,
                       max_sequence_length=512, bos_token_id=390, eos_token_id=391, mask_token_id=388,
                       gmask_token_id=389, pad_token_id=3)
ROWS = 40

needs_prompt_pass = pytest.mark.skipif(
    not any(native_step.NATIVE_STEP.prompt_available(dt) for dt in (torch.bfloat16, torch.float32)),
    reason=f"the C prompt pass is not usable here: {native_step.NATIVE_STEP.prompt_reason or native_step.NATIVE_STEP.reason}")


def _ids(rows: int = ROWS, seed: int = 0) -> torch.Tensor:
    ids = torch.randint(6, 380, (1, rows), generator=torch.Generator().manual_seed(seed))
    ids[0, -2], ids[0, -1] = CONFIG.gmask_token_id, CONFIG.bos_token_id
    return ids


@pytest.fixture(params=[torch.bfloat16, torch.float32], ids=["bf16", "fp32"])
def fused_prompt_passes(request, monkeypatch) -> torch.dtype:
    """The forward's prompt passes take the fused products in bf16 (as with AVX512_BF16) or in fp32 (as on a CPU
    without native bf16): that dtype's GEMMs faster, the fused product chosen over the blocks and torch's int8
    kernel, whatever this machine measured. Skips where the C pass with those products is not usable here."""
    products = request.param
    if not native_step.NATIVE_STEP.prompt_available(products):
        pytest.skip(f"the C prompt pass is not usable here: {native_step.NATIVE_STEP.prompt_reason}")
    slow = torch.float32 if products == torch.bfloat16 else torch.bfloat16
    monkeypatch.setattr(cpu_gemm.GEMM_RATES, "_rates", {slow: 1.0, products: 50.0})
    for bits in (8, 4):
        monkeypatch.setattr(q._KERNELS[bits], "_prefill_fits", {products: ((1.0, 1.0), (0.0, 0.0))})
    choose_fused_prompt(monkeypatch, True)
    return products


class _Passes:
    """Counts C prompt passes (wraps NativeDecoder.prompt_hidden)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = native_step.NativeDecoder.prompt_hidden

        def counted(decoder, input_ids, position_ids, context, products=None):
            self.count += 1
            return real(decoder, input_ids, position_ids, context, products)

        monkeypatch.setattr(native_step.NativeDecoder, "prompt_hidden", counted)


def _model(monkeypatch, bits: int, interleaved: bool = False):
    use_native_decode(monkeypatch, True, interleaved=interleaved)
    model = random_chatglm(CONFIG, seed=bits)
    model.quantize(bits)
    return model


def _kinds() -> list:
    return [(8, False), (4, False),
            pytest.param(4, True, marks=pytest.mark.skipif(
                not native_step.NATIVE_STEP.interleaved_available(), reason="interleaved int4 steps are not used here"))]


@needs_prompt_pass
@pytest.mark.parametrize(("bits", "interleaved"), _kinds())
def test_a_short_prompt_pass_runs_in_one_call_with_the_forwards_tokens(monkeypatch, fused_prompt_passes, bits: int,
                                                                       interleaved: bool) -> None:
    model = _model(monkeypatch, bits, interleaved)
    passes = _Passes(monkeypatch)
    fast = [model.generate(_ids(n, n), max_new_tokens=6, eos_token_id=-1) for n in (ROWS, 23)]
    assert passes.count == 2
    with monkeypatch.context() as m:
        m.setattr(native_step, "decoder_for", lambda model, cache: None)
        slow = [model.generate(_ids(n, n), max_new_tokens=6, eos_token_id=-1) for n in (ROWS, 23)]
    assert passes.count == 2
    for a, b in zip(fast, slow, strict=True):
        assert torch.equal(a, b)


@needs_prompt_pass
@pytest.mark.parametrize(("bits", "interleaved"), _kinds())
def test_the_pass_writes_the_forwards_cache_and_logits(monkeypatch, fused_prompt_passes, bits: int,
                                                       interleaved: bool) -> None:
    model = _model(monkeypatch, bits, interleaved)
    ids = _ids()
    position_ids, mask = build_position_ids_and_mask(ids, CONFIG)
    with torch.inference_mode():
        ref = model(ids, use_cache=True)
        cache = model.new_cache(1, ROWS + 4)
        decoder = native_step.decoder_for(model, cache)
        assert decoder is not None
        logits = decoder.prompt(ids, position_ids, mask)
    assert logits is not None and cache.length == ROWS
    # The products are the forward's own bits; LayerNorm, softmax and tanh round differently by float ulps.
    assert native_gemv.relative_error(logits[0], ref.logits[0, -1].float()) < 1e-3
    assert ref.past_key_values is not None
    for (k, v), (k_ref, v_ref) in zip(cache.to_legacy(), ref.past_key_values.to_legacy(), strict=True):
        assert native_gemv.relative_error(k, k_ref) < 1e-3
        assert native_gemv.relative_error(v, v_ref) < 1e-3
    # Decoding goes on from the cache the pass wrote.
    with torch.inference_mode():
        pos = position_ids[0, :, -1].tolist()
        step = decoder.step(17, pos[0], pos[1] + 1)
        ref_step = model(torch.tensor([[17]]), position_ids=torch.tensor([[[pos[0]], [pos[1] + 1]]]),
                         past_key_values=ref.past_key_values, use_cache=True).logits[0, -1]
    assert native_gemv.relative_error(step[0], ref_step.float()) < 1e-3


@needs_prompt_pass
def test_the_pass_gives_the_same_bits_on_any_number_of_threads(monkeypatch, fused_prompt_passes) -> None:
    model = _model(monkeypatch, 4)
    ids = _ids()
    position_ids, mask = build_position_ids_and_mask(ids, CONFIG)
    context = native_step._prefix_context(mask, ROWS)
    assert context == ROWS - 1  # <sop> is the one row after the context
    before = torch.get_num_threads()
    outputs = []
    try:
        for threads in (1, 2, 3):
            torch.set_num_threads(threads)
            cache = model.new_cache(1, ROWS)
            with torch.inference_mode():
                decoder = native_step.decoder_for(model, cache)
                assert decoder is not None
                outputs.append((decoder.prompt_hidden(ids, position_ids, context), cache.to_legacy()))
    finally:
        torch.set_num_threads(before)
    for hidden, layers in outputs[1:]:
        assert torch.equal(hidden, outputs[0][0])
        for (k, v), (k0, v0) in zip(layers, outputs[0][1], strict=True):
            assert torch.equal(k, k0) and torch.equal(v, v0)



@needs_prompt_pass
@pytest.mark.parametrize("heads", [4, 2], ids=["head_dim 32", "head_dim 64"])
def test_a_rows_bits_do_not_depend_on_the_rows_after_it(monkeypatch, fused_prompt_passes, heads: int) -> None:
    """Rows after the context see only the rows before them, so a longer prompt must leave every earlier row's
    hidden state and cache row as they were, to the bit: whichever group of query rows, panel of keys or block of
    product rows a row falls in (attention takes rows in groups and the rest alone; the products in blocks)."""
    use_native_decode(monkeypatch, True)
    config = ChatGLMConfig(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=heads,
                           inner_hidden_size=344, max_sequence_length=512, bos_token_id=390, eos_token_id=391,
                           mask_token_id=388, gmask_token_id=389, pad_token_id=3)
    model = random_chatglm(config, seed=heads)
    model.quantize(4)
    context = 14
    ids = torch.randint(6, 380, (1, 40), generator=torch.Generator().manual_seed(heads))
    ids[0, context - 1], ids[0, context] = config.gmask_token_id, config.bos_token_id
    passes = {}
    for rows in (17, 18, 20, 23, 29, 33, 40):  # the last rows alone or in a group; 16-key panels crossed
        position_ids, mask = build_position_ids_and_mask(ids[:, :rows], config)
        assert native_step._prefix_context(mask, rows) == context
        cache = model.new_cache(1, rows)
        with torch.inference_mode():
            decoder = native_step.decoder_for(model, cache)
            assert decoder is not None
            passes[rows] = (decoder.prompt_hidden(ids[:, :rows], position_ids, context, fused_prompt_passes),
                            cache.to_legacy())
    longest, (hidden, layers) = max(passes.items())
    for rows, (h, cached) in passes.items():
        assert torch.equal(h, hidden[:rows]), rows
        for (k, v), (k_all, v_all) in zip(cached, layers, strict=True):
            assert torch.equal(k, k_all[:rows]) and torch.equal(v, v_all[:rows]), rows  # [seq, batch, heads, hd]

def test_the_prefix_mask_gives_its_context_and_any_other_mask_none() -> None:
    ids = _ids(12)
    _, mask = build_position_ids_and_mask(ids, CONFIG)
    assert native_step._prefix_context(mask, 12) == 11
    assert native_step._prefix_context(None, 12) == 12
    assert native_step._prefix_context(torch.zeros(1, 1, 12, 12, dtype=torch.bool), 12) == 12
    causal = torch.ones(12, 12, dtype=torch.bool).triu_(1)[None, None]
    assert native_step._prefix_context(causal, 12) == 1
    holed = mask.clone()
    holed[0, 0, 5, 2] = True
    assert native_step._prefix_context(holed, 12) is None
    assert native_step._prefix_context(mask[..., :11, :11], 12) is None


@needs_prompt_pass
def test_the_forward_runs_the_prompt_where_a_condition_fails(monkeypatch, fused_prompt_passes) -> None:
    model = _model(monkeypatch, 8)
    ids = _ids()
    position_ids, mask = build_position_ids_and_mask(ids, CONFIG)

    def pass_applies(ids=ids, position_ids=position_ids, mask=mask, filled: bool = False) -> bool:
        cache = model.new_cache(1, ids.shape[1] + 8)
        with torch.inference_mode():
            if filled:
                model(ids[:, :3], use_cache=True, past_key_values=cache)
            decoder = native_step.decoder_for(model, cache)
            assert decoder is not None
            return decoder.prompt(ids, position_ids, mask) is not None

    assert pass_applies()
    assert not pass_applies(filled=True)  # a cache with content
    holed = mask.clone()
    holed[0, 0, 20, 3] = True
    assert not pass_applies(mask=holed)  # not the prefix-LM mask
    short = _ids(cpu_gemm.PREFILL_MIN_ROWS - 1)
    short_pos, short_mask = build_position_ids_and_mask(short, CONFIG)
    assert not pass_applies(short, short_pos, short_mask)  # a decode-sized pass
    with monkeypatch.context() as m:
        choose_fused_prompt(m, False)
        assert not pass_applies()  # the forward would not run the fused products
    with monkeypatch.context() as m:
        m.setattr(q._KERNELS[8], "_prefill_fits", {fused_prompt_passes: ((0.0, 0.0), (1.0, 1.0))})
        if q._kernel_activation_dtype(next(m for m in model.modules() if isinstance(m, q.QuantizedLinear))):
            assert not pass_applies()  # torch's int8 kernel was chosen for prompt passes
    # Attention's FLOPs at most a third of the products': 3 * 4 * rows^2 * 128 <= 2 * rows * 153,600, rows <= 200.
    for rows, applies in ((200, True), (201, False)):
        long = _ids(rows)
        long_pos, long_mask = build_position_ids_and_mask(long, CONFIG)
        assert pass_applies(long, long_pos, long_mask) == applies


@needs_prompt_pass
@pytest.mark.parametrize("fault", ["scaled", "context"])
def test_a_wrong_pass_is_not_used_and_says_why(monkeypatch, fused_prompt_passes, tmp_path: Path, caplog,
                                               fault: str) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    real = native_step.NativeDecoder.prompt_hidden

    def wrong(decoder, input_ids, position_ids, context, products=None):
        if fault == "scaled":
            return real(decoder, input_ids, position_ids, context, products) * 1.01
        # one row sees one row too few (the last context row) or, without a mask, the last row sees one less
        return real(decoder, input_ids, position_ids, context - 1, products)

    monkeypatch.setattr(native_step.NativeDecoder, "prompt_hidden", wrong)
    step = native_step.NativeStep()
    with caplog.at_level(logging.WARNING, logger=native_step.__name__):
        assert step.available()  # decode steps are checked on their own
        assert not step.prompt_available(fused_prompt_passes)
    assert "wrong outputs" in step.prompt_reason
    assert any("prompt passes keep the model's forward" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(native_step, "NATIVE_STEP", step)
    model = _model(monkeypatch, 8)
    passes = _Passes(monkeypatch)
    model.generate(_ids(), max_new_tokens=3, eos_token_id=-1)
    assert passes.count == 0


@needs_prompt_pass
def test_a_cpu_without_the_fused_product_keeps_the_forward(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(NATIVE_PROMPT_GEMM, "available", lambda: False)
    monkeypatch.setattr(NATIVE_PROMPT_GEMM, "reason", "built without AVX512_BF16")
    step = native_step.NativeStep()
    assert step.available() and not step.prompt_available()
    assert "AVX512_BF16" in step.prompt_reason


@needs_prompt_pass
def test_a_pass_that_cannot_allocate_reports_running_out_of_memory(monkeypatch, fused_prompt_passes) -> None:
    # The models turn torch.OutOfMemoryError into their "out of memory while generating" message.
    real_init = native_step.NativeDecoder.__init__

    def failing(decoder, *args, **kwargs):
        real_init(decoder, *args, **kwargs)
        decoder._fn_prompt = lambda *_args: -1  # what wb_glm_prompt_pass returns when an allocation fails

    monkeypatch.setattr(native_step.NativeDecoder, "__init__", failing)
    model = _model(monkeypatch, 8)
    with pytest.raises(torch.OutOfMemoryError, match="native prompt pass: out of memory"):
        model.generate(_ids(), max_new_tokens=2, eos_token_id=-1)
