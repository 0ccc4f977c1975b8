"""Whole decode steps in C (workbench/chatglm/native_step.c) for quantized fp32 ChatGLM models: the same
tokens as the model's forward (greedy, and sampling with the same seed), the same cache, logits within
float rounding, and the forward kept wherever a condition of the fast path fails. Speed:
bench/chatglm_decode.py --quantization-bit 8|4."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from tests.chatglm_kernels import needs_interleaved, needs_native, needs_q8, use_native_decode
from tests.chatglm_random import hold_table_in_bf16, random_chatglm
from workbench.chatglm import ChatGLMConfig, machine_choice, native_gemv, native_step
from workbench.chatglm import quantization as q

CONFIG = dict(vocab_size=400, hidden_size=128, num_layers=3, num_attention_heads=4, inner_hidden_size=344,
              max_sequence_length=512, bos_token_id=390, eos_token_id=391, mask_token_id=388, gmask_token_id=389,
              pad_token_id=3)


def _model(bits: int | None, dtype: torch.dtype = torch.float32, seed: int = 0):
    model = random_chatglm(ChatGLMConfig(**CONFIG), seed=seed).to(dtype)
    if bits:
        model.quantize(bits)
    return model


def _prompt(length: int, seed: int) -> torch.Tensor:
    ids = torch.randint(6, 380, (1, length), generator=torch.Generator().manual_seed(seed))
    ids[0, -2], ids[0, -1] = CONFIG["gmask_token_id"], CONFIG["bos_token_id"]
    return ids


class _Count:
    """Counts C steps (wraps NativeDecoder.step)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        native_step.NATIVE_STEP.available()  # its self-check's steps are not counted
        self.steps = 0
        real = native_step.NativeDecoder.step

        def counted(decoder, token: int, pos0: int, pos1: int) -> torch.Tensor:
            self.steps += 1
            return real(decoder, token, pos0, pos1)

        monkeypatch.setattr(native_step.NativeDecoder, "step", counted)


def _without_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native_step, "decoder_for", lambda model, cache: None)


def _assert_c_steps_give_the_forwards_tokens(monkeypatch: pytest.MonkeyPatch, model, new_tokens: int) -> None:
    """Greedy generation on two prompts runs every step after the prompt pass in C, and gives exactly the
    tokens of the same model with the C step turned off."""
    count = _Count(monkeypatch)
    fast = [model.generate(_prompt(n, n), max_new_tokens=new_tokens, eos_token_id=-1) for n in (5, 37)]
    assert count.steps == 2 * (new_tokens - 1)
    with monkeypatch.context() as m:
        _without_fast_path(m)
        slow = [model.generate(_prompt(n, n), max_new_tokens=new_tokens, eos_token_id=-1) for n in (5, 37)]
    for a, b in zip(fast, slow, strict=True):
        assert torch.equal(a, b)


@needs_native
@pytest.mark.parametrize("activations", [16, pytest.param(8, marks=needs_q8)])
@pytest.mark.parametrize("bits", [8, 4])
def test_greedy_tokens_equal_the_forward_path(monkeypatch, bits: int, activations: int) -> None:
    # The step's products take the activation precision this machine chose for the forward's.
    use_native_decode(monkeypatch, True, activations)
    native_step.NATIVE_STEP.available()  # its self-check's decoders are not counted
    seen: list[int] = []
    real_init = native_step.NativeDecoder.__init__

    def init(decoder, *args, **kwargs) -> None:
        real_init(decoder, *args, **kwargs)
        seen.append(decoder._activations)

    monkeypatch.setattr(native_step.NativeDecoder, "__init__", init)
    model = _model(bits)
    _assert_c_steps_give_the_forwards_tokens(monkeypatch, model, 40)
    assert seen == [activations, activations]


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
def test_sampling_with_the_same_seed_gives_the_same_tokens(monkeypatch, bits: int) -> None:
    use_native_decode(monkeypatch, True)
    model = _model(bits, seed=1)
    kwargs = dict(do_sample=True, top_p=0.7, temperature=0.95, repetition_penalty=1.1, max_new_tokens=30,
                  eos_token_id=-1)
    count = _Count(monkeypatch)
    fast = model.generate(_prompt(11, 2), generator=torch.Generator().manual_seed(9), **kwargs)
    assert count.steps == 29
    with monkeypatch.context() as m:
        _without_fast_path(m)
        slow = model.generate(_prompt(11, 2), generator=torch.Generator().manual_seed(9), **kwargs)
    assert torch.equal(fast, slow)


@needs_native
@pytest.mark.parametrize("bits", [8, 4])
def test_steps_write_the_cache_and_logits_of_the_forward(monkeypatch, bits: int) -> None:
    use_native_decode(monkeypatch, True)
    model = _model(bits, seed=2)
    ids = _prompt(20, 3)
    with torch.inference_mode():
        ref_cache = model(ids, use_cache=True).past_key_values
        ours = model(ids, use_cache=True).past_key_values
        decoder = native_step.decoder_for(model, ours)
        assert decoder is not None
        pos0, pos1 = 18, 1
        for token in (7, 300, 42, 42, 5):
            pos1 += 1
            ref = model(torch.tensor([[token]]), position_ids=torch.tensor([[[pos0], [pos1]]]),
                        past_key_values=ref_cache, use_cache=True).logits[:, -1]
            got = decoder.step(token, pos0, pos1)
            assert got.shape == ref.shape and got.dtype == torch.float32
            # Float rounding of LayerNorm, softmax and tanh only (the products are the same kernel).
            assert (got - ref).abs().max() <= 2e-5 * ref.abs().max()
        assert ours.length == ref_cache.length == 25
        for (k, v), (rk, rv) in zip(ours, ref_cache, strict=True):
            assert torch.allclose(k, rk, rtol=0, atol=2e-5 * rk.abs().max().item())
            assert torch.allclose(v, rv, rtol=0, atol=2e-5 * rv.abs().max().item())


# Wide enough that every product, the lm_head and attention are cut into several chunks, the last ones partial.
WIDE = dict(CONFIG, vocab_size=700, hidden_size=256, num_attention_heads=4, inner_hidden_size=1000, num_layers=2)


@needs_native
@pytest.mark.parametrize("activations", [16, pytest.param(8, marks=needs_q8)])
@pytest.mark.parametrize("bits", [8, 4])
def test_steps_give_the_same_bits_on_any_number_of_threads(monkeypatch, bits: int, activations: int) -> None:
    # Chunks are shared out among the calling thread and its helpers as they come: whoever runs a chunk,
    # each output is computed the same way, so logits and cache are bit-equal for 1, 2 and 3 threads.
    use_native_decode(monkeypatch, True, activations)
    model = random_chatglm(ChatGLMConfig(**WIDE), seed=4)
    model.quantize(bits)
    ids = _prompt(30, 5)
    threads = torch.get_num_threads()
    results = []
    try:
        for count in (1, 2, 3):
            torch.set_num_threads(count)
            with torch.inference_mode():
                cache = model(ids, use_cache=True).past_key_values
                decoder = native_step.decoder_for(model, cache)
                assert decoder is not None and decoder._activations == activations
                logits = [decoder.step(token, 28, 2 + i) for i, token in enumerate((7, 300, 42, 650))]
                results.append((torch.cat(logits), [(k.clone(), v.clone()) for k, v in cache]))
    finally:
        torch.set_num_threads(threads)
    (logits1, cache1), *others = results
    assert logits1.isfinite().all() and logits1.abs().max() > 0
    for logits, cache in others:
        assert torch.equal(logits, logits1)
        for (k, v), (k1, v1) in zip(cache, cache1, strict=True):
            assert torch.equal(k, k1) and torch.equal(v, v1)


@needs_native
def test_a_cache_that_grows_moves_the_steps_to_its_new_buffers(monkeypatch) -> None:
    use_native_decode(monkeypatch, True)
    model = _model(8, seed=3)
    ids = _prompt(6, 4)
    with torch.inference_mode():
        cache = model(ids, use_cache=True).past_key_values
        reference = model(ids, use_cache=True).past_key_values
        assert cache.capacity == 6  # full: the first step must grow it
        decoder = native_step.decoder_for(model, cache)
        assert decoder is not None
        for pos1, token in enumerate((9, 10, 11), start=2):
            got = decoder.step(token, 4, pos1)
            ref = model(torch.tensor([[token]]), position_ids=torch.tensor([[[4], [pos1]]]),
                        past_key_values=reference, use_cache=True).logits[:, -1]
            assert (got - ref).abs().max() <= 2e-5 * ref.abs().max()
        assert cache.capacity >= 9 and cache.length == 9


@needs_native
def test_the_forward_runs_where_a_condition_fails(monkeypatch) -> None:
    use_native_decode(monkeypatch, True)
    quantized = _model(8)
    with torch.inference_mode():
        assert native_step.decoder_for(quantized, quantized.new_cache(1, 8)) is not None
        assert native_step.decoder_for(quantized, quantized.new_cache(2, 8)) is None  # two sequences
        assert native_step.decoder_for(_model(None), _model(None).new_cache(1, 8)) is None  # float weights
        bf16 = _model(8, torch.bfloat16)
        assert native_step.decoder_for(bf16, bf16.new_cache(1, 8)) is None  # bf16 activations
    with torch.no_grad(), torch.enable_grad():
        assert native_step.decoder_for(quantized, quantized.new_cache(1, 8)) is None  # gradients on
    with monkeypatch.context() as m:
        use_native_decode(m, False)  # this machine decodes through torch's kernels
        torch_path = _model(8)
        with torch.inference_mode():
            assert native_step.decoder_for(torch_path, torch_path.new_cache(1, 8)) is None
    # A batch generates through the forward and still gives each row's own greedy tokens.
    count = _Count(monkeypatch)
    batch = torch.cat([_prompt(9, 5), _prompt(9, 6)])
    together = quantized.generate(batch, max_new_tokens=6, eos_token_id=-1)
    assert count.steps == 0
    alone = quantized.generate(batch[1:], max_new_tokens=6, eos_token_id=-1)
    assert count.steps == 5
    assert torch.equal(together[1:], alone)


def test_a_float_model_never_builds_the_step_library(monkeypatch) -> None:
    monkeypatch.setattr(native_step, "NATIVE_STEP", native_step.NativeStep())
    model = _model(None)
    model.generate(_prompt(5, 7), max_new_tokens=3)
    assert not native_step.NATIVE_STEP._checked


@needs_native
def test_a_step_with_wrong_results_is_not_used_and_says_why(monkeypatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    use_native_decode(monkeypatch, True)
    step = native_step.NativeStep()
    real = native_step.NativeDecoder.step
    monkeypatch.setattr(native_step.NativeDecoder, "step", lambda d, t, p0, p1: real(d, t, p0, p1) * 1.01)
    with caplog.at_level(logging.WARNING, logger=native_step.__name__):
        assert not step.available()
    assert "wrong results" in step.reason
    assert any("not used" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(native_step, "NATIVE_STEP", step)
    model = _model(4)
    count = _Count(monkeypatch)
    model.generate(_prompt(5, 8), max_new_tokens=4, eos_token_id=-1)
    assert count.steps == 0


@needs_q8
def test_steps_on_int8_activations_that_fail_their_check_keep_the_forward_for_those_models_only(
        monkeypatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    step = native_step.NativeStep()
    real = native_step.NativeDecoder.step

    def wrong_on_int8_activations(decoder, token: int, pos0: int, pos1: int) -> torch.Tensor:
        logits = real(decoder, token, pos0, pos1)
        return logits * 1.01 if decoder._activations == 8 else logits

    monkeypatch.setattr(native_step.NativeDecoder, "step", wrong_on_int8_activations)
    with caplog.at_level(logging.WARNING, logger=native_step.__name__):
        assert step.available()
        assert not step.q8_available()
    assert any("int8 activations not used" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(native_step, "NATIVE_STEP", step)
    model = _model(8)
    for activations, steps in ((8, 0), (16, 3)):
        use_native_decode(monkeypatch, True, activations)
        count = _Count(monkeypatch)
        model.generate(_prompt(5, 8), max_new_tokens=4, eos_token_id=-1)
        assert count.steps == steps


@needs_native  # the per-Linear kernel is built and checked already: only the step's compilation fails
def test_a_missing_compiler_keeps_the_forward(monkeypatch, tmp_path: Path, caplog) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(native_gemv.COMPILER_ENV, str(tmp_path / "no-such-dir" / "gcc"))
    step = native_step.NativeStep()
    with caplog.at_level(logging.WARNING, logger=native_step.__name__):
        assert not step.available()
    assert "not found" in step.reason
    assert any("not used" in r.getMessage() and "not found" in r.getMessage() for r in caplog.records)


@needs_native
def test_the_library_is_built_once_into_the_cache_by_its_sources(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv(machine_choice.CACHE_DIR_ENV, str(tmp_path / "cache"))
    use_native_decode(monkeypatch, True)
    step = native_step.NativeStep()
    assert step.available(), step.reason
    assert step.path is not None and step.path.parent == tmp_path / "cache" / "native"
    assert step.path.name.startswith("step-") and step.path.is_file()
    built = step.path.stat().st_mtime_ns
    again = native_step.NativeStep()
    assert again.available() and again.path == step.path and step.path.stat().st_mtime_ns == built


# dense_4h_to_h's rows longer than native_gemv.INTERLEAVE_MAX_COLUMNS: stored as is, the other layers interleaved.
LONG_ROWS = dict(CONFIG, inner_hidden_size=native_gemv.INTERLEAVE_MAX_COLUMNS + 64, num_layers=2)


@needs_interleaved
@pytest.mark.parametrize("config", [CONFIG, WIDE, LONG_ROWS])
def test_steps_on_interleaved_int4_weights_equal_the_forward_on_any_number_of_threads(monkeypatch, config) -> None:
    # int4 weights held interleaved wherever their shape allows (dense_4h_to_h's 344 or 1000 input columns
    # are not whole 64-column groups, and 8256 are more than the layout takes: those stay as stored): the
    # step reads both, as the forward does.
    use_native_decode(monkeypatch, True, 8, interleaved=True)
    model = random_chatglm(ChatGLMConfig(**config), seed=6)
    model.quantize(4)
    layouts = [lin.layout for lin in native_step._block_linears(model)[0]]
    assert layouts == [q.INTERLEAVED_INT4_LAYOUT] * 3 + [q.CHATGLM_LAYOUT]
    _assert_c_steps_give_the_forwards_tokens(monkeypatch, model, 30)
    threads = torch.get_num_threads()
    results = []
    try:
        for n in (1, 2, 3):
            torch.set_num_threads(n)
            with torch.inference_mode():
                cache = model(_prompt(30, 5), use_cache=True).past_key_values
                decoder = native_step.decoder_for(model, cache)
                assert decoder is not None and decoder._interleaved and decoder._activations == 8
                results.append(torch.cat([decoder.step(token, 28, 2 + i) for i, token in enumerate((7, 300, 42))]))
    finally:
        torch.set_num_threads(threads)
    assert results[0].isfinite().all()
    assert all(torch.equal(r, results[0]) for r in results[1:])


@needs_interleaved
def test_a_model_whose_layouts_disagree_with_its_shapes_keeps_the_forward(monkeypatch) -> None:
    use_native_decode(monkeypatch, True, 8, interleaved=True)
    model = random_chatglm(ChatGLMConfig(**CONFIG), seed=7)
    model.quantize(4)
    lin = native_step._block_linears(model)[1][0]
    assert isinstance(lin, q.QuantizedLinear)
    lin.weight, lin.layout = lin.chatglm_weight(), q.CHATGLM_LAYOUT  # one layer as stored, the rest interleaved
    with torch.inference_mode():
        assert native_step.decoder_for(model, model(_prompt(9, 1), use_cache=True).past_key_values) is None


@needs_native
@pytest.mark.parametrize(("bits", "table_bits", "interleaved"),
                         [(8, 8, False), (4, 8, False), (4, 4, False),
                          pytest.param(4, 8, True, marks=needs_interleaved),
                          (8, 16, False), (4, 16, False), pytest.param(4, 16, True, marks=needs_interleaved)])
def test_a_table_outside_the_step_decodes_with_the_forwards_tokens_logits_and_cache(
        monkeypatch, bits: int, table_bits: int, interleaved: bool) -> None:
    # --quantize-embeddings (table_bits 8 or 4), or a float table held in bf16 under a float32 model (16, as
    # quantized models load on CPU): the step reads the token's widened row and the model's lm_head runs on
    # its final LayerNorm output, as the forward's does.
    use_native_decode(monkeypatch, True, 8 if interleaved else None, interleaved=interleaved)
    model = random_chatglm(ChatGLMConfig(**WIDE), seed=8)
    model.quantize(bits)
    if table_bits == 16:
        hold_table_in_bf16(model)
        assert model.dtype == torch.float32 and model.lm_head.weight.dtype == torch.bfloat16
    else:
        q.quantize_table(model, table_bits)
        assert q.table_is_quantized(model)
    assert model.lm_head.weight is model.transformer.word_embeddings.weight
    _assert_c_steps_give_the_forwards_tokens(monkeypatch, model, 25)
    ids = _prompt(20, 3)
    with torch.inference_mode():
        ref_cache = model(ids, use_cache=True).past_key_values
        ours = model(ids, use_cache=True).past_key_values
        decoder = native_step.decoder_for(model, ours)
        assert decoder is not None and decoder._table_outside and decoder._interleaved == interleaved
        pos0, pos1 = 18, 1
        for token in (7, 650, 42, 42, 0):  # the table's first row and a late one
            pos1 += 1
            ref = model(torch.tensor([[token]]), position_ids=torch.tensor([[[pos0], [pos1]]]),
                        past_key_values=ref_cache, use_cache=True).logits[:, -1]
            got = decoder.step(token, pos0, pos1)
            assert got.shape == ref.shape == (1, WIDE["vocab_size"]) and got.dtype == torch.float32
            assert got.isfinite().all() and ref.abs().max() > 0
            # Float rounding, as for a float table; on int8 activations a rounding difference in the C
            # LayerNorm may move an activation to its neighbouring int8 step (5e-4 measured): the self-check's
            # bound for that precision. A wrong row or a missing lm_head is off by orders of magnitude more.
            assert (got - ref).abs().max() <= native_step.TOLERANCE[decoder._activations] * ref.abs().max()
        tolerance = native_step.TOLERANCE[decoder._activations]
        for (k, v), (rk, rv) in zip(ours, ref_cache, strict=True):
            assert torch.allclose(k, rk, rtol=0, atol=tolerance * rk.abs().max().item())
            assert torch.allclose(v, rv, rtol=0, atol=tolerance * rv.abs().max().item())
